import Foundation
import Testing
import WasmAOT
import WasmAOTCompiler
import WasmAOTFormat

/// Typed function references: inside function bodies (locals, blocks, `ref.func`, `call_ref`,
/// `ref.as_non_null`, `br_on_null`, `br_on_non_null`), compiled and run unoptimised, optimised
/// and with explicit bounds checks; table initializers; signatures, tables and globals of typed
/// reference types through the API, and linking, where equal types of different modules match.
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
        #expect(trapKind { try f("call-null", []) } == .nullFunctionReference)
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

    /// Typed references in signatures, a table, a global and an element segment.
    static let exporter = """
        (module
          (type $ii (func (param i32) (result i32)))
          (type $apply (func (param (ref $ii) i32) (result i32)))
          (type $self (func (param (ref null $self)) (result i32)))
          (func $inc (export "inc") (type $ii) (i32.add (local.get 0) (i32.const 1)))
          (func (export "apply") (type $apply) (call_ref $ii (local.get 1) (local.get 0)))
          (func (export "pick") (param i32) (result (ref null $ii))
            (if (result (ref null $ii)) (local.get 0) (then (ref.func $inc)) (else (ref.null $ii))))
          (func $rec (export "rec") (type $self) (ref.is_null (local.get 0)))
          (table $t (export "table") 2 (ref null $ii))
          (elem (table $t) (i32.const 1) (ref $ii) (ref.func $inc))
          (global (export "g") (ref $ii) (ref.func $inc))
          (func (export "via-table") (param i32 i32) (result i32) (call_indirect $t (type $ii) (local.get 1) (local.get 0)))
        )
        """

    @Test("signatures, tables and globals of typed reference types, through the API")
    func typedSignatures() throws {
        let instance = try instantiate(wat: Self.exporter)
        let apply = try instance.exports.function("apply")
        guard case .ref(let parameter) = apply.type.params[0], case .concrete = parameter.heap else {
            Issue.record("apply takes \(apply.type)")
            return
        }
        #expect(!parameter.nullable)
        let inc = try #require(try instance.exports.function("pick").call([.i32(1)]).first)
        #expect(try instance.exports.function("pick").call([.i32(0)]) == [.funcref(nil)])
        #expect(try apply.call([inc, .i32(41)]) == [.i32(42)])
        // The API checks what wasm's types promise: no null, and a function of the right type.
        #expect(throws: UsageError.self) { try apply.call([.funcref(nil), .i32(1)]) }
        let rec = try #require(try instance.exports.function("pick").call([.i32(1)]).first)
        let selfTyped = try instance.exports.function("rec")
        #expect(throws: UsageError.self) { try selfTyped.call([rec]) }
        #expect(try selfTyped.call([.funcref(nil)]) == [.i32(1)])

        let global = try instance.exports.global("g")
        #expect(global.type.type == apply.type.params[0])
        #expect(try apply.call([global.value, .i32(1)]) == [.i32(2)])
        let table = try instance.exports.table("table")
        #expect(table.type.element == .ref(RefType(nullable: true, heap: parameter.heap)))
        let viaTable = try instance.exports.function("via-table")
        #expect(try viaTable.call([.i32(1), .i32(9)]) == [.i32(10)])
        #expect(trapKind { try viaTable.call([.i32(0), .i32(9)]) } == .uninitializedElement)
    }

    @Test("imports match typed references by type equivalence and subtyping, across modules")
    func typedLinking() throws {
        let exporter = try instantiate(wat: Self.exporter)
        let imports: Imports = ["a": Dictionary(uniqueKeysWithValues: exporter.exports.map { ($0.name, exporter.exports[$0.name]!) })]
        // Equal types under other indices, a self-referential type, and an immutable global
        // imported at a supertype all link.
        let importer = try instantiate(
            wat: """
                (module
                  (type $x (func (param i64)))
                  (type $f (func (param i32) (result i32)))
                  (type $me (func (param (ref null $me)) (result i32)))
                  (import "a" "apply" (func $apply (param (ref $f) i32) (result i32)))
                  (import "a" "rec" (func $rec (type $me)))
                  (import "a" "g" (global $g (ref null $f)))
                  (import "a" "table" (table 2 (ref null $f)))
                  (func (export "run") (result i32)
                    (i32.add (call $apply (ref.as_non_null (global.get $g)) (i32.const 99)) (call $rec (ref.null $me))))
                )
                """, imports: imports)
        #expect(try importer.exports.function("run").call([]) == [.i32(101)])

        let mismatches = [
            #"(import "a" "apply" (func (param (ref $x) i32) (result i32)))"#,
            #"(import "a" "apply" (func (param (ref null $f) i32) (result i32)))"#,
            #"(import "a" "g" (global (ref $x)))"#,
            #"(import "a" "g" (global (mut (ref $f))))"#,
            #"(import "a" "table" (table 2 funcref))"#,
            #"(import "a" "rec" (func (param (ref null $f)) (result i32)))"#,
        ]
        for entry in mismatches {
            let wat = "(module (type $x (func (param i64))) (type $f (func (param i32) (result i32))) \(entry))"
            #expect(throws: InstantiationError.self, "\(entry)") { try instantiate(wat: wat, imports: imports) }
        }
    }
}
