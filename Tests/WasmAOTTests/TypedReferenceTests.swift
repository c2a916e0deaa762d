import Foundation
import Testing
import WasmAOT
import WasmAOTCompiler

/// Typed function references inside function bodies (locals, blocks, `ref.func`, `call_ref`,
/// `ref.as_non_null`, `br_on_null`, `br_on_non_null`), compiled and run unoptimised, optimised
/// and with explicit bounds checks. Signatures, tables and globals of typed reference types are
/// not compiled yet (their metadata cannot carry them).
@Suite("Typed function references")
struct TypedReferenceTests {
    static let wat = """
        (module
          (type $ii (func (param i32) (result i32)))
          (func $inc (type $ii) (i32.add (local.get 0) (i32.const 1)))
          (func $dbl (type $ii) (i32.mul (local.get 0) (i32.const 2)))
          (elem declare func $inc $dbl)
          (func (export "call") (param $which i32) (param $x i32) (result i32) (local $f (ref $ii))
            (local.set $f (select (result (ref $ii)) (ref.func $inc) (ref.func $dbl) (local.get $which)))
            (call_ref $ii (local.get $x) (local.get $f)))
          (func (export "call-null") (result i32) (call_ref $ii (i32.const 1) (ref.null $ii)))
          (func (export "as-non-null") (param $n i32) (result i32) (local $r (ref null $ii))
            (if (local.get $n) (then (local.set $r (ref.func $inc))))
            (call_ref $ii (i32.const 41) (ref.as_non_null (local.get $r))))
          (func (export "on-null") (param $n i32) (result i32) (local $r (ref null $ii))
            (if (local.get $n) (then (local.set $r (ref.func $dbl))))
            (block $null (result i32)
              (i32.const 21)
              (br_on_null $null (local.get $r))
              (call_ref $ii)))
          (func (export "on-non-null") (param $n i32) (result i32) (local $r (ref null $ii))
            (if (local.get $n) (then (local.set $r (ref.func $dbl))))
            (call_ref $ii (i32.const 5)
              (block $some (result (ref $ii))
                (br_on_non_null $some (local.get $r))
                (return (i32.const -7)))))
          ;; The same on a computed reference (already in its slot, not a local read).
          (func (export "on-null-computed") (param $n i32) (result i32)
            (block $null (result i32)
              (i32.const 7)
              (br_on_null $null (select (result (ref null $ii)) (ref.func $inc) (ref.null $ii) (local.get $n)))
              (call_ref $ii)))
          (func (export "on-non-null-computed") (param $n i32) (result i32)
            (call_ref $ii (i32.const 1)
              (block $some (result (ref $ii))
                (br_on_non_null $some (select (result (ref null $ii)) (ref.func $inc) (ref.null $ii) (local.get $n)))
                (return (i32.const -1)))))
        )
        """

    static let configurations: [(optimization: Int, bounds: BoundsChecks)] = [
        (0, .guardPages), (2, .guardPages), (2, .explicit),
    ]

    @Test("call_ref, ref.as_non_null, br_on_null and br_on_non_null", arguments: 0..<3)
    func instructions(configuration: Int) throws {
        let (optimization, bounds) = Self.configurations[configuration]
        let instance = try instantiate(wat: Self.wat, optimization: optimization, bounds: bounds)
        let f = { (name: String, args: [Value]) in try instance.exports.function(name).call(args) }
        #expect(try f("call", [.i32(1), .i32(10)]) == [.i32(11)])
        #expect(try f("call", [.i32(0), .i32(10)]) == [.i32(20)])
        #expect(trapKind { try f("call-null", []) } == .nullReference)
        #expect(try f("as-non-null", [.i32(1)]) == [.i32(42)])
        #expect(trapKind { try f("as-non-null", [.i32(0)]) } == .nullReference)
        #expect(try f("on-null", [.i32(1)]) == [.i32(42)])
        #expect(try f("on-null", [.i32(0)]) == [.i32(21)])
        #expect(try f("on-non-null", [.i32(1)]) == [.i32(10)])
        #expect(try f("on-non-null", [.i32(0)]) == [.i32(UInt32(bitPattern: -7))])
        #expect(try f("on-null-computed", [.i32(1)]) == [.i32(8)])
        #expect(try f("on-null-computed", [.i32(0)]) == [.i32(7)])
        #expect(try f("on-non-null-computed", [.i32(1)]) == [.i32(2)])
        #expect(try f("on-non-null-computed", [.i32(0)]) == [.i32(UInt32(bitPattern: -1))])
    }
}
