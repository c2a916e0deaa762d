import Foundation
import Testing
import WasmAOT
import WasmAOTCompiler

/// Typed function references inside function bodies (locals, blocks, `ref.func`, `call_ref`,
/// `ref.as_non_null`, `br_on_null`, `br_on_non_null`), compiled and run unoptimised, optimised
/// and with explicit bounds checks; table initializers. Signatures, tables and globals of typed
/// reference types are not compiled yet (their metadata cannot carry them).
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

    /// `(table 3 funcref (ref.func $f))` (binary: the text parser has no table initializers).
    static let tableInitializer: [UInt8] =
        [0x00, 0x61, 0x73, 0x6D, 0x01, 0x00, 0x00, 0x00]
        + [0x01, 10, 0x02, 0x60, 0x00, 0x01, 0x7F, 0x60, 0x01, 0x7F, 0x01, 0x7F]  // () -> i32, (i32) -> i32
        + [0x03, 3, 0x02, 0x00, 0x01]  // $f, $call
        + [0x04, 9, 0x01, 0x40, 0x00, 0x70, 0x00, 0x03, 0xD2, 0x00, 0x0B]  // table 3 funcref (ref.func $f)
        + [0x06, 6, 0x01, 0x70, 0x00, 0xD2, 0x00, 0x0B]  // global funcref (ref.func $f)
        + [0x07, 8, 0x01, 0x04] + Array("call".utf8) + [0x00, 0x01]
        + [0x0A, 14, 0x02, 0x04, 0x00, 0x41, 42, 0x0B]  // $f: 42
        + [0x07, 0x00, 0x20, 0x00, 0x11, 0x00, 0x00, 0x0B]  // $call: call_indirect (type 0) (local.get 0)

    @Test("a table initializer fills every element; it may not read a defined global")
    func tableInitializerFillsTheTable() throws {
        let dir = try makeScratch()
        defer { removeScratch(dir) }
        let so = (dir as NSString).appendingPathComponent("module.so")
        var options = CompileOptions(optimization: 2)
        options.extraClangFlags = ["-Werror"]
        _ = try Compiler.compile(wasm: Self.tableInitializer, to: so, options: options)
        let call = try Module(loading: so).instantiate().exports.function("call")
        for i: UInt32 in 0..<3 { #expect(try call.call([.i32(i)]) == [.i32(42)]) }
        #expect(trapKind { try call.call([.i32(3)]) } == .undefinedElement)

        // WebAssembly 2.0 has no table initializers.
        let module = try ModuleDecoder.decode(Self.tableInitializer, version: .v2)
        #expect(throws: ValidationError.self) { try Validator.validate(module, version: .v2) }
        // `(global.get 0)` instead: the defined global does not exist when the table is made.
        var readsGlobal = Self.tableInitializer
        let initializer = try #require(readsGlobal.firstIndex(of: 0x40)) + 5
        #expect(readsGlobal[initializer] == 0xD2)
        readsGlobal[initializer] = 0x23
        let error = #expect(throws: ValidationError.self) { try Validator.validate(try ModuleDecoder.decode(readsGlobal)) }
        #expect(error?.rule == .unknownGlobal)
    }
}
