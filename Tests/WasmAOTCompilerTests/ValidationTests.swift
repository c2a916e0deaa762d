import Foundation
import Testing
import WAT
import WasmParser
@testable import WasmAOTCompiler

/// Tests of ``Validator``: one suite per rule class, plus valid modules that must pass.
@Suite("Validation")
struct ValidationTests {}

// MARK: - Helpers

private func parse(_ wat: String) throws -> WasmModule {
    try ModuleDecoder.decode(try ModuleDecoder.wat2wasm(wat))
}

/// Validates `wat` and returns the error, recording an issue if validation passes
/// or breaks a different rule.
@discardableResult
private func expectInvalid(
    _ wat: String, _ rule: ValidationRule, inBody: Bool = true, sourceLocation: SourceLocation = #_sourceLocation
) throws -> ValidationError? {
    let module = try parse(wat)
    return expectInvalid(module, rule, inBody: inBody, sourceLocation: sourceLocation)
}

@discardableResult
private func expectInvalid(
    _ module: WasmModule, _ rule: ValidationRule, inBody: Bool = true, sourceLocation: SourceLocation = #_sourceLocation
) -> ValidationError? {
    let error = #expect(throws: ValidationError.self, sourceLocation: sourceLocation) {
        try Validator.validate(module)
    }
    guard let error else { return nil }
    #expect(error.rule == rule, "\(error)", sourceLocation: sourceLocation)
    if inBody {
        #expect(error.function != nil, "\(error)", sourceLocation: sourceLocation)
        #expect(error.offset != nil, "\(error)", sourceLocation: sourceLocation)
    }
    return error
}

private func expectValid(_ wat: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
    let module = try parse(wat)
    #expect(throws: Never.self, sourceLocation: sourceLocation) { try Validator.validate(module) }
}

/// Hand-assembles a module binary from sections (id, contents).
private func binary(_ sections: [(UInt8, [UInt8])]) -> [UInt8] {
    var bytes: [UInt8] = [0x00, 0x61, 0x73, 0x6D, 0x01, 0x00, 0x00, 0x00]
    for (id, contents) in sections {
        bytes.append(id)
        bytes += leb(UInt32(contents.count))
        bytes += contents
    }
    return bytes
}

private func leb(_ value: UInt32) -> [UInt8] {
    var value = value
    var out: [UInt8] = []
    repeat {
        var byte = UInt8(value & 0x7F)
        value >>= 7
        if value != 0 { byte |= 0x80 }
        out.append(byte)
    } while value != 0
    return out
}

/// A module with one `() -> ()` function whose body (without locals) is `code` (which must end with 0x0B),
/// plus optional extra sections placed by id order.
private func singleFunction(_ code: [UInt8], extra: [(UInt8, [UInt8])] = []) -> [UInt8] {
    let body: [UInt8] = [0x00] + code  // no locals
    var sections: [(UInt8, [UInt8])] = [
        (1, [0x01, 0x60, 0x00, 0x00]),  // type 0: () -> ()
        (3, [0x01, 0x00]),  // function 0: type 0
    ]
    sections += extra
    sections.append((10, [0x01] + leb(UInt32(body.count)) + body))
    return binary(sections.sorted { order($0.0) < order($1.0) })
}

/// Section order of the binary format (the data count section, 12, comes before code, 10).
private func order(_ id: UInt8) -> Int {
    switch id {
    case 12: return 95  // between element (9) and code (10)
    case 13: return 55  // tags: between memory (5) and global (6)
    default: return Int(id) * 10
    }
}

// MARK: - Valid modules

extension ValidationTests {
    @Suite("valid modules")
    struct ValidModules {
        @Test func emptyAndSimpleFunctions() throws {
            try expectValid("(module)")
            try expectValid(
                """
                (module
                  (func (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))
                  (func (param f64) (result i64) (local i32) (i64.trunc_sat_f64_s (local.get 0)))
                  (func (result i32) (i32.extend8_s (i32.const 255)))
                  (func (result i64) (i64.extend32_s (i64.const 1)))
                )
                """)
        }

        @Test func multiValueBlocksLoopsAndIfs() throws {
            try expectValid(
                """
                (module
                  (type $pair (func (param i32 i32) (result i32 i32)))
                  (func (export "swap") (param i32 i32) (result i32 i32)
                    (local.get 1) (local.get 0))
                  (func (result i32 i64)
                    (block (result i32 i64) (i32.const 1) (i64.const 2)))
                  (func (result i32)
                    (i32.const 1) (i32.const 2)
                    (block (type $pair) (param i32 i32) (result i32 i32))
                    (i32.add))
                  (func (param i32) (result i32)
                    (i32.const 10)
                    (loop (param i32) (result i32)
                      (i32.const 1) (i32.sub)
                      (local.tee 0) (br_if 0 (local.get 0))))
                  (func (param i32) (result i32 i32)
                    (i32.const 3) (i32.const 4)
                    (if (type $pair) (param i32 i32) (result i32 i32) (local.get 0)
                      (then)
                      (else (drop) (drop) (i32.const 5) (i32.const 6))))
                  (func (param i32) (result i32)
                    (i32.const 7)
                    (if (param i32) (result i32) (local.get 0) (then (i32.const 1) (i32.add))))
                )
                """)
        }

        @Test func branchesAndPolymorphicStack() throws {
            try expectValid(
                """
                (module
                  (func (param i32) (result i32)
                    (block (result i32)
                      (block (result i32)
                        (br_table 0 1 0 (i32.const 5) (local.get 0)))
                      (i32.const 1) (i32.add)))
                  (func (result f64)
                    (block (result f64)
                      (block (result f32)
                        (unreachable)
                        (br_table 0 1 1 (i32.const 1)))
                      (drop) (f64.const 0)))
                  (func (result i32) (unreachable) (i32.add))
                  (func (result i32) (return (i32.const 1)) (i64.const 0) (drop))
                  (func (unreachable) (select) (drop))
                  (func (unreachable) (select) (ref.is_null) (drop))
                  (func (result i32) (block (result i32) (br 0 (i32.const 1)) (f32.const 0) (drop)))
                  (func (param i32) (result i32)
                    (block (result i32) (loop (result i32) (br_if 1 (i32.const 2) (local.get 0)) (br 0))))
                )
                """)
        }

        @Test func referenceTypes() throws {
            try expectValid(
                """
                (module
                  (type $t (func (param i32) (result i32)))
                  (table $funcs 2 10 funcref)
                  (table $externs 1 externref)
                  (global $g (mut funcref) (ref.func $f))
                  (global externref (ref.null extern))
                  (elem declare func $h)
                  (func $f (type $t) (local.get 0))
                  (func $h)
                  (func (param externref) (result i32)
                    (table.set $externs (i32.const 0) (local.get 0))
                    (drop (table.grow $funcs (ref.func $h) (i32.const 1)))
                    (table.fill $funcs (i32.const 0) (ref.null func) (i32.const 1))
                    (drop (table.size $externs))
                    (global.set $g (table.get $funcs (i32.const 0)))
                    (drop (select (result funcref) (ref.func $f) (ref.null func) (i32.const 1)))
                    (call_indirect $funcs (type $t) (i32.const 1) (i32.const 0))
                    (drop)
                    (ref.is_null (local.get 0)))
                )
                """)
        }

        @Test func bulkMemoryAndTables() throws {
            try expectValid(
                """
                (module
                  (memory 1 2)
                  (table 4 funcref)
                  (table $t2 4 funcref)
                  (data $d "hello")
                  (data (i32.const 8) "world")
                  (elem $e funcref (ref.func 0) (ref.null func))
                  (elem (table 0) (i32.const 0) func 0)
                  (func
                    (memory.init $d (i32.const 0) (i32.const 0) (i32.const 5))
                    (data.drop $d)
                    (memory.copy (i32.const 0) (i32.const 8) (i32.const 5))
                    (memory.fill (i32.const 0) (i32.const 0) (i32.const 16))
                    (table.init 0 $e (i32.const 0) (i32.const 0) (i32.const 2))
                    (elem.drop $e)
                    (table.copy $t2 0 (i32.const 0) (i32.const 0) (i32.const 1))
                    (drop (memory.grow (i32.const 1)))
                    (drop (memory.size))
                    (i64.store32 offset=4 align=4 (i32.const 0) (i64.load8_u (i32.const 3)))
                    (f64.store (i32.const 0) (f64.load align=8 (i32.const 0))))
                )
                """)
        }

        @Test func constantExpressions() throws {
            try expectValid(
                """
                (module
                  (import "env" "base" (global $base i32))
                  (import "env" "g64" (global $g64 i64))
                  (memory 1)
                  (table 10 funcref)
                  (global i32 (i32.add (global.get $base) (i32.const 16)))
                  (global i64 (i64.mul (i64.sub (global.get $g64) (i64.const 1)) (i64.const 8)))
                  (global f32 (f32.const 1.5))
                  (data (global.get $base) "x")
                  (elem (offset (i32.add (global.get $base) (i32.const 1))) func 0)
                  (func)
                  (start 0)
                )
                """)
        }

        @Test func deeplyNestedBlocksDoNotRecurse() throws {
            let depth = 50_000
            let code = [UInt8](repeating: 0x02, count: depth).flatMap { [$0, 0x40] } + [UInt8](repeating: 0x0B, count: depth + 1)
            let module = try ModuleDecoder.decode(singleFunction(code))
            #expect(throws: Never.self) { try Validator.validate(module) }

            // The same nesting with a type error at the bottom is reported, not crashed on.
            let bad =
                [UInt8](repeating: 0x02, count: depth).flatMap { [$0, 0x40] } + [0x41, 0x00]
                + [UInt8](repeating: 0x0B, count: depth + 1)
            expectInvalid(try ModuleDecoder.decode(singleFunction(bad)), ValidationRule.typeMismatch)
        }
    }
}

// MARK: - Invalid function bodies

extension ValidationTests {
    @Suite("function bodies")
    struct FunctionBodies {
        @Test func typeMismatchReportsFunctionAndOffset() throws {
            let error = try expectInvalid(
                """
                (module
                  (import "env" "f" (func))
                  (func (result i32) (i32.add (i32.const 1) (f64.const 2)))
                )
                """, ValidationRule.typeMismatch)
            #expect(error?.function == 1)
            #expect(error?.detail.contains("expected i32 but found f64") == true)
            #expect(error?.detail.contains("i32.add") == true)
            #expect(error?.description.hasPrefix("invalid module: type mismatch in function 1 at offset 0x") == true)
        }

        @Test func typeMismatchCases() throws {
            let cases = [
                "(module (func (result i32)))",  // missing result
                "(module (func (i32.const 1)))",  // extra value
                "(module (func (result i32) (i64.const 1)))",
                "(module (func (local f32) (local.set 0 (i32.const 1))))",
                "(module (func (param i32) (result i32) (if (result i32) (local.get 0) (then (i32.const 1)))))",
                "(module (func (block (result i32) (br 0 (f32.const 1))) (drop)))",
                "(module (func (i32.const 1) (if (param i32) (result i64) (i32.const 1) (then (drop) (i64.const 2))) (drop)))",
                "(module (func (block (result i32) (block (br_table 0 1 (i32.const 0) (i32.const 0)))) (drop)))",
                "(module (func (param funcref) (drop (select (local.get 0) (local.get 0) (i32.const 1)))))",
                "(module (func (result i32) (ref.is_null (i32.const 1))))",
                "(module (func (unreachable) (select (i32.const 1) (i64.const 1) (i32.const 1)) (drop)))",
                "(module (func (result i32) (unreachable) (select (i64.const 1) (i32.const 1))))",
                "(module (table 1 externref) (func (call_indirect (i32.const 0))))",
                "(module (table 1 funcref) (table 1 externref) (func (table.copy 0 1 (i32.const 0) (i32.const 0) (i32.const 0))))",
                "(module (table 1 funcref) (elem $e externref (ref.null extern)) (func (table.init 0 $e (i32.const 0) (i32.const 0) (i32.const 0))))",
                "(module (table 1 funcref) (func (table.set (i32.const 0) (ref.null extern))))",
                "(module (func (block (param i32) (drop))))",
                "(module (memory 1) (func (i32.store (i32.const 0) (f32.const 0))))",
            ]
            for text in cases {
                let error = try expectInvalid(text, ValidationRule.typeMismatch)
                _ = error
            }
        }

        @Test func brTableArityMismatch() throws {
            let error = try expectInvalid(
                """
                (module (func (param i32)
                  (block (result i32)
                    (block (result i32 i32)
                      (unreachable)
                      (br_table 0 1 (local.get 0)))
                    (drop) (drop) (i32.const 0))
                  (drop)))
                """, ValidationRule.typeMismatch)
            #expect(error?.detail.contains("br_table") == true)
        }

        @Test(arguments: [
            ("(module (type (func)) (func (call_indirect (type 0) (i32.const 0))))", ValidationRule.unknownTable),
            ("(module (func (drop (i32.load (i32.const 0)))))", ValidationRule.unknownMemory),
            ("(module (func (drop (memory.size))))", ValidationRule.unknownMemory),
            ("(module (func (memory.fill (i32.const 0) (i32.const 0) (i32.const 0))))", ValidationRule.unknownMemory),
            ("(module (func (block (br 2))))", ValidationRule.unknownLabel),
            ("(module (func (block (br_table 0 3 (i32.const 0)))))", ValidationRule.unknownLabel),
        ])
        func unknownIndices(text: String, rule: ValidationRule) throws {
            try expectInvalid(text, rule)
        }

        /// Index errors that the text format already rejects, so they are hand-assembled.
        @Test func unknownIndicesInBinary() throws {
            let global: (UInt8, [UInt8]) = (6, [0x01, 0x7F, 0x00, 0x41, 0x00, 0x0B])  // (global i32 (i32.const 0))
            let table: (UInt8, [UInt8]) = (4, [0x01, 0x70, 0x00, 0x01])  // (table 1 funcref)
            let memory: (UInt8, [UInt8]) = (5, [0x01, 0x00, 0x01])  // (memory 1)
            let passiveElem: (UInt8, [UInt8]) = (9, [0x01, 0x01, 0x00, 0x01, 0x00])  // (elem func 0)
            let passiveData: (UInt8, [UInt8]) = (11, [0x01, 0x01, 0x01, 0x61])  // (data "a")
            let dataCount: (UInt8, [UInt8]) = (12, [0x01])
            let zero3: [UInt8] = [0x41, 0x00, 0x41, 0x00, 0x41, 0x00]
            let cases: [(code: [UInt8], extra: [(UInt8, [UInt8])], rule: ValidationRule)] = [
                ([0x20, 0x01, 0x1A, 0x0B], [], ValidationRule.unknownLocal),  // local.get 1
                ([0x21, 0x00, 0x0B], [], ValidationRule.unknownLocal),  // local.set 0
                ([0x10, 0x05, 0x0B], [], ValidationRule.unknownFunction),  // call 5
                ([0xD2, 0x03, 0x1A, 0x0B], [], ValidationRule.unknownFunction),  // ref.func 3
                ([0x23, 0x01, 0x1A, 0x0B], [global], ValidationRule.unknownGlobal),  // global.get 1
                ([0x41, 0x00, 0x24, 0x01, 0x0B], [global], ValidationRule.unknownGlobal),  // global.set 1
                ([0x41, 0x00, 0x25, 0x01, 0x1A, 0x0B], [table], ValidationRule.unknownTable),  // table.get 1
                ([0x41, 0x00, 0x11, 0x07, 0x00, 0x0B], [table], ValidationRule.unknownType),  // call_indirect (type 7)
                ([0xFC, 0x0D, 0x02, 0x0B], [], ValidationRule.unknownElem),  // elem.drop 2
                (zero3 + [0xFC, 0x0C, 0x00, 0x00, 0x0B], [passiveElem], ValidationRule.unknownTable),  // table.init 0 0
                (zero3 + [0xFC, 0x0C, 0x01, 0x00, 0x0B], [passiveElem, table], ValidationRule.unknownElem),  // table.init 0 1
                ([0xFC, 0x09, 0x01, 0x0B], [memory, passiveData, dataCount], ValidationRule.unknownData),  // data.drop 1
                (zero3 + [0xFC, 0x08, 0x01, 0x00, 0x0B], [memory, passiveData, dataCount], ValidationRule.unknownData),
                (zero3 + [0xFC, 0x08, 0x00, 0x00, 0x0B], [passiveData, dataCount], ValidationRule.unknownMemory),
            ]
            for (code, extra, rule) in cases {
                let module = try ModuleDecoder.decode(singleFunction(code, extra: extra))
                expectInvalid(module, rule)
            }
        }

        @Test func unknownBlockType() throws {
            // block with type index 5 (0x05): 02 05 0b 0b
            let module = try ModuleDecoder.decode(singleFunction([0x02, 0x05, 0x0B, 0x0B]))
            expectInvalid(module, ValidationRule.unknownType)
        }

        @Test func immutableGlobal() throws {
            try expectInvalid("(module (global i32 (i32.const 0)) (func (global.set 0 (i32.const 1))))", ValidationRule.immutableGlobal)
            try expectInvalid(
                "(module (import \"env\" \"g\" (global i32)) (func (global.set 0 (i32.const 1))))", ValidationRule.immutableGlobal)
        }

        @Test func alignment() throws {
            try expectInvalid("(module (memory 1) (func (drop (i32.load align=8 (i32.const 0)))))", ValidationRule.alignment)
            try expectInvalid("(module (memory 1) (func (i64.store16 align=4 (i32.const 0) (i64.const 0))))", ValidationRule.alignment)
            try expectValid("(module (memory 1) (func (drop (i64.load align=1 (i32.const 0)))))")
        }

        @Test func undeclaredFunctionReference() throws {
            try expectInvalid("(module (func $f (drop (ref.func $f))))", ValidationRule.undeclaredFunctionReference)
            try expectInvalid("(module (start $f) (func $f (drop (ref.func $f))))", ValidationRule.undeclaredFunctionReference)
            try expectValid("(module (func $f (drop (ref.func $f))) (export \"f\" (func $f)))")
            try expectValid("(module (global funcref (ref.func $f)) (func $f (drop (ref.func $f))))")
        }

        @Test func dataCountSectionRequired() throws {
            // (memory 1) (data "") (func (data.drop 0)) without a data count section.
            let code: [UInt8] = [0xFC, 0x09, 0x00, 0x0B]
            let memory: (UInt8, [UInt8]) = (5, [0x01, 0x00, 0x01])
            let data: (UInt8, [UInt8]) = (11, [0x01, 0x01, 0x00])  // one passive, empty segment
            let without = try ModuleDecoder.decode(singleFunction(code, extra: [memory, data]))
            expectInvalid(without, ValidationRule.dataCountRequired)

            let with = try ModuleDecoder.decode(singleFunction(code, extra: [memory, data, (12, [0x01])]))
            #expect(throws: Never.self) { try Validator.validate(with) }

            // memory.init 0 0 without a data count section.
            let initCode: [UInt8] = [0x41, 0x00, 0x41, 0x00, 0x41, 0x00, 0xFC, 0x08, 0x00, 0x00, 0x0B]
            expectInvalid(try ModuleDecoder.decode(singleFunction(initCode, extra: [memory, data])), ValidationRule.dataCountRequired)
        }

        @Test func ifWithoutElseNeedsMatchingTypes() throws {
            let error = try expectInvalid(
                "(module (func (result i32) (if (result i32) (i32.const 1) (then (i32.const 1)))))", ValidationRule.typeMismatch)
            #expect(error?.detail.contains("without else") == true)
        }

        @Test func unbalancedBodies() throws {
            // `end` closes the function early and an instruction follows.
            let trailing = try ModuleDecoder.decode(singleFunction([0x0B, 0x01, 0x0B]))
            expectInvalid(trailing, ValidationRule.trailingInstructions)
            // A block that is never closed.
            let unclosed = try ModuleDecoder.decode(singleFunction([0x02, 0x40, 0x0B]))
            expectInvalid(unclosed, ValidationRule.unexpectedEnd)
            // `else` outside an `if`.
            let strayElse = try ModuleDecoder.decode(singleFunction([0x05, 0x0B]))
            expectInvalid(strayElse, ValidationRule.elseWithoutIf)
        }

        @Test func hugeIndicesDoNotCrash() throws {
            // local.get 0xFFFFFFFF, br 0xFFFFFFFF, call 0xFFFFFFFF, global.get 0xFFFFFFFF
            let max: [UInt8] = [0xFF, 0xFF, 0xFF, 0xFF, 0x0F]
            expectInvalid(try ModuleDecoder.decode(singleFunction([0x20] + max + [0x1A, 0x0B])), ValidationRule.unknownLocal)
            expectInvalid(try ModuleDecoder.decode(singleFunction([0x0C] + max + [0x0B])), ValidationRule.unknownLabel)
            expectInvalid(try ModuleDecoder.decode(singleFunction([0x10] + max + [0x0B])), ValidationRule.unknownFunction)
            expectInvalid(try ModuleDecoder.decode(singleFunction([0x23] + max + [0x1A, 0x0B])), ValidationRule.unknownGlobal)
        }
    }
}

// MARK: - Rules

extension ValidationTests {
    @Suite("rules")
    struct Rules {
        /// Each rule has its own wording, and the wording names the rule again.
        @Test func wordingIsDistinctAndRoundTrips() {
            let words = ValidationRule.allCases.map(\.rawValue)
            #expect(Set(words).count == words.count)
            for rule in ValidationRule.allCases {
                #expect(ValidationRule(rawValue: rule.rawValue) == rule)
                #expect(rule.description == rule.rawValue)
            }
            #expect(ValidationRule(rawValue: "no such rule") == nil)
        }

        /// The wording is the official test suite's (its `assert_invalid` messages start with it).
        @Test func wording() {
            #expect(ValidationRule.typeMismatch.rawValue == "type mismatch")
            #expect(ValidationRule.constantRequired.rawValue == "constant expression required")
            #expect(ValidationRule.unsupported(.tailCall).rawValue == "unsupported feature: tail calls")
            #expect(ValidationError(rule: .unknownGlobal, detail: "x").description == "invalid module: unknown global: x")
        }
    }
}

// MARK: - Module-level rules

extension ValidationTests {
    @Suite("module structure")
    struct ModuleStructure {
        @Test func duplicateExportName() throws {
            try expectInvalid(
                "(module (func) (export \"a\" (func 0)) (export \"a\" (func 0)))", ValidationRule.duplicateExport, inBody: false)
        }

        @Test func exportIndices() throws {
            try expectInvalid("(module (export \"a\" (func 3)))", ValidationRule.unknownFunction, inBody: false)
            try expectInvalid("(module (export \"a\" (global 0)))", ValidationRule.unknownGlobal, inBody: false)
            try expectInvalid("(module (export \"a\" (memory 0)))", ValidationRule.unknownMemory, inBody: false)
            try expectInvalid("(module (export \"a\" (table 0)))", ValidationRule.unknownTable, inBody: false)
        }

        @Test func constantExpressionRequired() throws {
            try expectInvalid("(module (global i32 (i32.ctz (i32.const 0))))", ValidationRule.constantRequired, inBody: false)
            try expectInvalid("(module (global i32 (i32.const 0) (nop)))", ValidationRule.constantRequired, inBody: false)
            try expectInvalid(
                "(module (import \"env\" \"g\" (global (mut i32))) (global i32 (global.get 0)))",
                ValidationRule.constantRequired, inBody: false)
            try expectInvalid(
                "(module (memory 1) (data (i32.eqz (i32.const 0)) \"\"))", ValidationRule.constantRequired, inBody: false)
        }

        @Test func constantExpressionGlobals() throws {
            // WebAssembly 2.0: only imported globals may be read; 3.0: any earlier immutable global.
            let earlier = try parse("(module (global i32 (i32.const 0)) (global i32 (global.get 0)))")
            let error = #expect(throws: ValidationError.self) { try Validator.validate(earlier, version: .v2) }
            #expect(error?.rule == .unknownGlobal)
            try Validator.validate(earlier)
            try expectInvalid(
                "(module (global i32 (global.get 1)) (global i32 (i32.const 0)))", ValidationRule.unknownGlobal, inBody: false)
            try expectInvalid(
                "(module (global (mut i32) (i32.const 0)) (global i32 (global.get 0)))", ValidationRule.constantRequired,
                inBody: false)
            // (memory 1) (data (global.get 0) "") and (table 1 funcref) (elem (global.get 0)) without globals.
            let data = binary([(5, [0x01, 0x00, 0x01]), (11, [0x01, 0x00, 0x23, 0x00, 0x0B, 0x00])])
            expectInvalid(try ModuleDecoder.decode(data), ValidationRule.unknownGlobal, inBody: false)
            let elem = binary([(4, [0x01, 0x70, 0x00, 0x01]), (9, [0x01, 0x00, 0x23, 0x00, 0x0B, 0x00])])
            expectInvalid(try ModuleDecoder.decode(elem), ValidationRule.unknownGlobal, inBody: false)
        }

        @Test func constantExpressionTypes() throws {
            try expectInvalid("(module (global i32 (i64.const 0)))", ValidationRule.typeMismatch, inBody: false)
            try expectInvalid("(module (global i32 (i32.const 0) (i32.const 0)))", ValidationRule.typeMismatch, inBody: false)
            try expectInvalid("(module (global i64 (i64.add (i64.const 0) (i32.const 0))))", ValidationRule.typeMismatch, inBody: false)
            try expectInvalid("(module (memory 1) (data (i64.const 0) \"\"))", ValidationRule.typeMismatch, inBody: false)
            try expectInvalid("(module (global funcref (ref.null extern)))", ValidationRule.typeMismatch, inBody: false)
        }

        @Test func elementSegments() throws {
            // Items must match the segment's type.
            try expectInvalid("(module (func) (elem externref (ref.func 0)))", ValidationRule.typeMismatch, inBody: false)
            // The segment's type must match the table's.
            try expectInvalid(
                "(module (table 1 externref) (func) (elem (table 0) (i32.const 0) funcref (ref.func 0)))",
                ValidationRule.typeMismatch, inBody: false)
            try expectInvalid("(module (elem (i32.const 0) func))", ValidationRule.unknownTable, inBody: false)
            // (table 1 funcref) (elem (i32.const 0) func 4) without functions.
            let bytes = binary([(4, [0x01, 0x70, 0x00, 0x01]), (9, [0x01, 0x00, 0x41, 0x00, 0x0B, 0x01, 0x04])])
            expectInvalid(try ModuleDecoder.decode(bytes), ValidationRule.unknownFunction, inBody: false)
        }

        @Test func dataSegments() throws {
            try expectInvalid("(module (data (i32.const 0) \"a\"))", ValidationRule.unknownMemory, inBody: false)
        }

        @Test func memories() throws {
            try expectValid("(module (import \"env\" \"m\" (memory 1)) (memory 1) (memory i64 1))")
            try expectValid("(module (memory i64 0x1_0000_0000_0000))")
            try expectInvalid("(module (memory i64 0x1_0000_0000_0001))", ValidationRule.memorySize, inBody: false)
            try expectInvalid(
                "(module (memory i64 1) (func (i32.load (i32.const 0)) drop))", ValidationRule.typeMismatch)
            try expectInvalid("(module (memory 2 1))", ValidationRule.limitsOrder, inBody: false)
            try expectInvalid("(module (memory 65537))", ValidationRule.memorySize, inBody: false)
            try expectInvalid("(module (memory 1 65537))", ValidationRule.memorySize, inBody: false)
            try expectValid("(module (memory 65536 65536))")
        }

        @Test func tables() throws {
            try expectInvalid("(module (table 3 2 funcref))", ValidationRule.limitsOrder, inBody: false)
            try expectInvalid("(module (import \"env\" \"t\" (table 3 2 funcref)))", ValidationRule.limitsOrder, inBody: false)
            try expectValid("(module (table 0xFFFFFFFF funcref))")
        }

        @Test func startFunction() throws {
            try expectInvalid("(module (func (result i32) (i32.const 0)) (start 0))", ValidationRule.startFunction, inBody: false)
            try expectInvalid("(module (func (param i32)) (start 0))", ValidationRule.startFunction, inBody: false)
            // Start section naming function 3 of 1.
            let bytes = binary([(1, [0x01, 0x60, 0x00, 0x00]), (3, [0x01, 0x00]), (8, [0x03]), (10, [0x01, 0x02, 0x00, 0x0B])])
            expectInvalid(try ModuleDecoder.decode(bytes), ValidationRule.unknownFunction, inBody: false)
        }

        @Test func functionTypeIndex() throws {
            // Function section naming type 4 of 1.
            let bytes = binary([(1, [0x01, 0x60, 0x00, 0x00]), (3, [0x01, 0x04]), (10, [0x01, 0x02, 0x00, 0x0B])])
            expectInvalid(try ModuleDecoder.decode(bytes), ValidationRule.unknownType, inBody: false)
        }
    }
}

// MARK: - Proposals beyond 2.0

extension ValidationTests {
    @Suite("unsupported features")
    struct UnsupportedFeatures {
        @Test func relaxedSimd() throws {
            // Relaxed SIMD (3.0) validates, typed like its 2.0 twins: unary, binary and ternary v128.
            let z = "(v128.const i64x2 0 0)"
            try Validator.validate(
                try parse(
                    """
                    (module (func (result v128 v128 v128)
                      (i32x4.relaxed_trunc_f64x2_u_zero (i8x16.relaxed_swizzle \(z) \(z)))
                      (f32x4.relaxed_madd \(z) \(z) \(z))
                      (i32x4.relaxed_dot_i8x16_i7x16_add_s \(z) \(z) \(z))))
                    """))
            try expectInvalid(
                "(module (func (result v128) (f64x2.relaxed_nmadd \(z) \(z))))", ValidationRule.typeMismatch)
            try expectInvalid(
                "(module (func (result v128) (i32x4.relaxed_trunc_f32x4_s (f32.const 1))))", ValidationRule.typeMismatch)
            try expectInvalid(
                "(module (func (result i32) (i16x8.relaxed_laneselect \(z) \(z) \(z))))", ValidationRule.typeMismatch)
        }

        @Test func typedFunctionReferences() throws {
            // Module-level typed references validate under 3.0, with subtyping.
            try Validator.validate(
                try parse(
                    """
                    (module (type $t (func)) (type $u (func (param (ref null $t)) (result (ref $u))))
                      (import "m" "g" (global (ref null $t)))
                      (func $f (type $t)) (table 2 (ref null $t)) (table 1 funcref)
                      (elem (table 0) (i32.const 0) (ref $t) (ref.func $f))
                      (elem (table 1) (i32.const 0) (ref $t) (ref.func $f))
                      (global (ref null func) (ref.func $f)) (global (ref null $t) (ref.func $f)))
                    """))
            // Under 2.0 they are a proposal validation does not accept.
            let typed = try parse("(module (type $t (func)) (func (param (ref null $t))))")
            #expect(throws: ValidationError.self) { try Validator.validate(typed, version: .v2) }
            // A type may name only itself and earlier types (each is a recursion group of its own).
            try expectInvalid("(module (type (func (param (ref 1)))) (type (func)))", ValidationRule.unknownType, inBody: false)
            try Validator.validate(try parse("(module (type $r (func (param (ref null $r)))))"))
            // A funcref segment cannot fill a table of (ref null $t); a table of a non-null type needs an initializer.
            try expectInvalid(
                "(module (type $t (func)) (table 1 (ref null $t)) (elem (table 0) (i32.const 0) funcref (ref.null func)))",
                ValidationRule.typeMismatch, inBody: false)
            try expectInvalid("(module (type $t (func)) (table 1 (ref $t)))", ValidationRule.typeMismatch, inBody: false)
            try expectInvalid(
                "(module (type $t (func)) (global (ref $t) (ref.null $t)))", ValidationRule.typeMismatch, inBody: false)
            // Under 2.0, a segment of function indices, which WasmParser types `(ref func)`, is a funcref segment.
            let module = try ModuleDecoder.decode(
                try ModuleDecoder.wat2wasm("(module (table 1 funcref) (func $f) (elem (i32.const 0) $f) (elem func $f))"),
                version: .v2)
            #expect(module.elements.map(\.type) == [.funcRef, .funcRef])
            try Validator.validate(module, version: .v2)
        }

        @Test func typedReferencesInBodies() throws {
            // Inside bodies typed function references validate, with subtyping and local initialisation.
            try Validator.validate(
                try parse(
                    """
                    (module (type $t (func)) (type $same (func)) (func $f (type $t)) (elem declare func $f)
                      (func (result funcref) (local $x (ref $same)) (local $y (ref null $t))
                        (local.set $x (ref.func $f))
                        (call_ref $t (local.get $x))
                        (block $null (br_on_null $null (local.get $y)) (call_ref $t))
                        (ref.as_non_null (local.get $y))))
                    """))
            try expectInvalid(
                "(module (type $t (func)) (func (local $x (ref $t)) (drop (local.get $x))))", ValidationRule.uninitializedLocal)
            // A local set inside a block is unset again after it.
            try expectInvalid(
                """
                (module (type $t (func)) (elem declare func 0)
                  (func (local $x (ref $t)) (block (local.set $x (ref.func 0))) (drop (local.get $x))))
                """, ValidationRule.uninitializedLocal)
            try expectInvalid(
                "(module (type $t (func)) (type $u (func (param i32))) (elem declare func 0) (func (call_ref $u (ref.func 0))))",
                ValidationRule.typeMismatch)
            try expectInvalid(
                "(module (type $t (func)) (func (param funcref) (call_ref $t (local.get 0))))", ValidationRule.typeMismatch)
            try expectInvalid(
                "(module (func (result i32) (block (result i32) (br_on_non_null 0 (ref.null func)) (i32.const 0))))",
                ValidationRule.typeMismatch)
            try expectInvalid("(module (func (drop (ref.as_non_null (i32.const 0)))))", ValidationRule.typeMismatch)
            // `ref.null func`, `call_ref 3` of a module with one type.
            expectInvalid(try ModuleDecoder.decode(singleFunction([0xD0, 0x70, 0x14, 0x03, 0x0B])), ValidationRule.unknownType)
        }

        /// return_call_ref is typed like call_ref, with return_call's rule that the callee's
        /// results are the caller's.
        @Test func tailCallOfAReference() throws {
            try Validator.validate(
                try parse(
                    """
                    (module (type $t (func (param i32) (result i32))) (elem declare func $f)
                      (func $f (type $t) (return_call_ref $t (local.get 0) (ref.func $f))))
                    """))
            try expectInvalid(
                "(module (type $t (func)) (func (param funcref) (return_call_ref $t (local.get 0))))", ValidationRule.typeMismatch)
            try expectInvalid(
                """
                (module (type $t (func (result i32))) (elem declare func 0)
                  (func (type $t) (i32.const 1)) (func (return_call_ref $t (ref.func 0))))
                """, ValidationRule.typeMismatch)
        }

        @Test("catch_ref and catch_all_ref carry a non-null exnref, which a label of (ref exn) or exnref takes")
        func caughtExceptionIsNonNull() throws {
            for label in ["(ref exn)", "exnref"] {
                try expectValid(
                    """
                    (module (tag $e)
                      (func (result exnref)
                        (block $l (result \(label)) (try_table (catch_all_ref $l) (throw $e)) (unreachable))))
                    """)
            }
        }

        @Test("a throw names a tag the module has")
        func throwNeedsATag() throws {
            // `throw 0` (0x08 0x00): the decoder reads the instruction without a tag section.
            let module = try ModuleDecoder.decode(singleFunction([0x08, 0x00, 0x0B]))
            expectInvalid(module, ValidationRule.unknownTag)
        }

        /// A module with a tag was refused with `Message(text: "malformed section id: 13")`:
        /// it decodes and validates, and so does a local of type exnref.
        @Test func exceptionHandlingDecodesAndValidates() throws {
            let tag = singleFunction([0x0B], extra: [(13, [0x01, 0x00, 0x00])])  // tag 0: type 0
            let decoded = try ModuleDecoder.decode(tag)
            #expect(decoded.tags.count == 1)
            try Validator.validate(decoded)

            let exnrefLocal: [UInt8] = binary([
                (1, [0x01, 0x60, 0x00, 0x00]), (3, [0x01, 0x00]),
                (10, [0x01, 0x04, 0x01, 0x01, 0x69, 0x0B]),  // one body: one exnref local, end
            ])
            try Validator.validate(try ModuleDecoder.decode(exnrefLocal))
        }

        @Test("tag types have no results; catch clauses carry what their label takes")
        func exceptionRules() throws {
            try expectInvalid("(module (tag (result i32)))", ValidationRule.tagResults, inBody: false)
            try expectInvalid(
                "(module (tag $e (param i32)) (func (block (try_table (catch $e 0) (nop)))))", ValidationRule.typeMismatch)
            try expectInvalid(
                "(module (func (block (result exnref) (try_table (catch_all 0) (nop)) (unreachable))))", ValidationRule.typeMismatch)
            try expectInvalid("(module (func (throw_ref (i32.const 0))))", ValidationRule.typeMismatch)
            try Validator.validate(
                try parse(
                    "(module (tag $e (param i32)) (func (result i32 exnref) (block (result i32 exnref) (try_table (catch_ref $e 0) (throw $e (i32.const 1))) (unreachable))))"
                ))
        }

        @Test("an unsupported feature reads as such, naming function and offset")
        func unsupportedWording() throws {
            let error = try expectInvalid("(module (func (atomic.fence)))", ValidationRule.unsupported(.threads))
            let text = error?.description ?? ""
            #expect(text.hasPrefix("unsupported feature: threads (function 0, offset 0x"), "\(text)")
            #expect(!text.contains("invalid module"))
        }

        @Test("a component binary is an unsupported feature, not a malformed module")
        func component() throws {
            let component: [UInt8] = [0x00, 0x61, 0x73, 0x6D, 0x0D, 0x00, 0x01, 0x00]
            let error = #expect(throws: DecodeError.self) { try ModuleDecoder.decode(component) }
            #expect(error?.description == "unsupported feature: components at offset 0x4: a component, not a core module")
            // Another version of a core module stays malformed.
            let version2: [UInt8] = [0x00, 0x61, 0x73, 0x6D, 0x02, 0x00, 0x00, 0x00]
            #expect(try #require(#expect(throws: DecodeError.self) { try ModuleDecoder.decode(version2) }).feature == nil)
        }

        @Test("parser errors in WasmParser's words, never a Swift debug description")
        func parserMessages() throws {
            let unknownSection = binary([(0x20, [])])
            let error = #expect(throws: DecodeError.self) { try ModuleDecoder.decode(unknownSection) }
            let text = error?.description ?? ""
            #expect(text.hasPrefix("malformed module at offset 0x"), "\(text)")
            #expect(text.contains("section") && !text.contains("Message(") && !text.contains("text:"), "\(text)")
        }

        @Test("element segment flags above 7 are malformed, after segments of every other kind")
        func elementSegmentFlags() throws {
            // Segments of kinds 0 to 7 (expressions of every constant kind), then one whose flags are patched.
            let wasm = try ModuleDecoder.wat2wasm(
                """
                (module (type $t (func)) (table $a 2 funcref) (table $b 2 funcref) (func $f) (global i32 (i32.const 0))
                  (elem (i32.const 0) $f)
                  (elem func $f)
                  (elem (table $b) (i32.const 0) func $f)
                  (elem declare func $f)
                  (elem (i32.const 1) funcref (ref.func $f) (ref.null func))
                  (elem funcref (ref.null $t) (ref.func $f))
                  (elem (table $b) (i32.add (global.get 0) (i32.const 1)) funcref (ref.func $f))
                  (elem declare funcref (ref.func $f))
                  (elem funcref (ref.func $f)))
                """)
            _ = try ModuleDecoder.decode(wasm)
            // WasmParser reads flags 0x0d and 0x55 as 5: patched into a segment of that kind, they
            // would decode. The section's first segment is of kind 0, its
            // last `05 70 01 d2 00 0b` (kind 5: funcref, one expression).
            var position = 8, elementStart = 0, elementEnd = 0
            while position < wasm.count, elementEnd == 0 {
                let id = wasm[position]
                var size = 0, shift = 0
                position += 1
                while true {
                    let byte = wasm[position]
                    position += 1
                    size |= Int(byte & 0x7F) << shift
                    shift += 7
                    if byte & 0x80 == 0 { break }
                }
                if id == 9 { (elementStart, elementEnd) = (position, position + size) }
                position += size
            }
            let last = elementEnd - 6, first = elementStart + 1
            #expect(Array(wasm[last..<elementEnd]) == [0x05, 0x70, 0x01, 0xD2, 0x00, 0x0B])
            #expect(wasm[first] == 0x00)
            for patched: UInt8 in [0x0D, 0x55] {
                var bytes = wasm
                bytes[last] = patched
                let error = #expect(throws: DecodeError.self) { try ModuleDecoder.decode(bytes) }
                #expect(error?.offset == last)
                #expect(error?.description.contains("malformed elements segment kind") == true, "\(String(describing: error))")
            }
            // WasmParser refuses 0x08 itself (it then expects an element kind).
            var eight = wasm
            eight[first] = 0x08
            #expect(throws: DecodeError.self) { try ModuleDecoder.decode(eight) }
        }

        @Test func memory64AndMultiMemoryUnderWebAssembly2() throws {
            // 3.0 decodes a 64-bit memory and a memory index; 2.0 validation refuses both.
            let memory64 = try ModuleDecoder.decode(try ModuleDecoder.wat2wasm("(module (memory i64 1))"))
            try Validator.validate(memory64)
            let error = #expect(throws: ValidationError.self) { try Validator.validate(memory64, version: .v2) }
            #expect(error?.rule == .unsupported(.memory64))
            let two = try ModuleDecoder.decode(try ModuleDecoder.wat2wasm("(module (memory 1) (memory 1))"))
            try Validator.validate(two)
            #expect(throws: ValidationError.self) { try Validator.validate(two, version: .v2) }
        }

        @Test func proposalsAddedToWebAssembly2() throws {
            // A tag: refused by 2.0, accepted by 2.0 plus exception handling (a 2024 proposal suite's setting).
            let tag = try ModuleDecoder.decode(singleFunction([0x0B], extra: [(13, [0x01, 0x00, 0x00])]), version: .v2)
            let error = #expect(throws: ValidationError.self) { try Validator.validate(tag, version: .v2) }
            #expect(error?.rule == .unsupported(.exceptionHandling))
            try Validator.validate(tag, version: .v2, proposals: [.exceptionHandling])
            let two = try ModuleDecoder.wat2wasm("(module (memory 1) (memory 1))")
            #expect(throws: ValidationError.self) { try Validator.validate(try ModuleDecoder.decode(two, version: .v2), version: .v2) }
            try Validator.validate(
                try ModuleDecoder.decode(two, version: .v2, proposals: [.multiMemory]), version: .v2, proposals: [.multiMemory])
        }

        @Test func secondMemoryIndex() throws {
            // With one memory, memory index 1 is unknown (in WebAssembly 2.0 it was a reserved zero byte).
            let binary = singleFunction([0x3F, 0x01, 0x1A, 0x0B], extra: [(5, [0x01, 0x00, 0x01])])
            let error = #expect(throws: ValidationError.self) { try Validator.validate(try ModuleDecoder.decode(binary)) }
            #expect(error?.rule == .unknownMemory)
        }
    }
}

// MARK: - Robustness

extension ValidationTests {
    @Suite("robustness")
    struct Robustness {
        /// Flips bytes of a valid module; whatever still decodes must validate or be rejected, never crash.
        @Test func mutatedModulesNeverCrash() throws {
            let original = try ModuleDecoder.wat2wasm(
                """
                (module
                  (type $t (func (param i32) (result i32)))
                  (import "env" "g" (global i32))
                  (memory 1)
                  (table 2 funcref)
                  (global $m (mut i32) (i32.const 0))
                  (elem (i32.const 0) func $f $g)
                  (data (i32.const 0) "abc")
                  (func $f (type $t)
                    (block (result i32)
                      (loop (result i32)
                        (br_table 0 1 (local.get 0) (local.get 0)))))
                  (func $g (param i32) (result i32)
                    (global.set $m (i32.load offset=4 (local.get 0)))
                    (if (result i32) (local.get 0)
                      (then (call_indirect (type $t) (i32.const 1) (i32.const 0)))
                      (else (ref.is_null (ref.func $f)))))
                  (export "f" (func $f))
                )
                """)
            var generator = SplitMix64(seed: 0x5EED)
            var decoded = 0
            for _ in 0..<3000 {
                var bytes = original
                for _ in 0..<Int(generator.next() % 3 + 1) {
                    let index = 8 + Int(generator.next() % UInt64(bytes.count - 8))
                    bytes[index] = UInt8(truncatingIfNeeded: generator.next())
                }
                guard let module = try? ModuleDecoder.decode(bytes) else { continue }
                decoded += 1
                do {
                    try Validator.validate(module)
                } catch {
                    #expect(!error.rule.rawValue.isEmpty)
                }
            }
            #expect(decoded > 0)
        }
    }
}

private struct SplitMix64 {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

// MARK: - Official test suite (development aid; runs only when the suite is present)

/// The official test suite's `core` directory: under `$WASM_SPEC_TESTSUITE` or, as in the Makefile,
/// `../shared/testsuite` next to the package.
private let specSuitePath: String = {
    if let root = ProcessInfo.processInfo.environment["WASM_SPEC_TESTSUITE"] { return root + "/core" }
    let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    return packageRoot.appendingPathComponent("../shared/testsuite/core").standardized.path
}()

extension ValidationTests {
    @Suite("official test suite")
    struct OfficialTestSuite {
        /// Every module of the suite must validate, and every `assert_invalid` must be rejected with the
        /// expected rule (the suite's message starts with our rule, e.g. "unknown memory 0").
        /// Modules that WAT cannot encode (e.g. out-of-range indices by name) are skipped; those cases
        /// are covered by the hand-assembled binaries above.
        @Test(.enabled(if: FileManager.default.fileExists(atPath: specSuitePath)))
        func assertInvalidAndValidModules() throws {
            let files = try FileManager.default.contentsOfDirectory(atPath: specSuitePath)
                .filter { $0.hasSuffix(".wast") }.sorted()
            var failures: [String] = []
            var checkedInvalid = 0, checkedValid = 0, skipped = 0
            for file in files {
                let text = try String(contentsOfFile: specSuitePath + "/" + file, encoding: .utf8)
                var wast = try parseWAST(text, features: WebAssemblyVersion.v2.decoderFeatures)
                while let (result, location) = wast.nextDirectiveResult() {
                    guard case .success(let directive) = result else { continue }
                    switch directive {
                    case .module(let module):
                        guard let bytes = Self.bytes(module.source), let decoded = try? ModuleDecoder.decode(bytes, version: .v2) else {
                            skipped += 1
                            continue
                        }
                        checkedValid += 1
                        do {
                            try Validator.validate(decoded, version: .v2)
                        } catch {
                            failures.append("\(file):\(location.computeLineAndColumn().line): valid module rejected: \(error)")
                        }
                    case .assertInvalid(let module, let message):
                        // WAT encodes `select (result)` / `select (result i32 i32)` as other instructions; in a
                        // binary, a typed select with 0 or 2 types is rejected by the decoder already.
                        if message == "invalid result arity" { continue }
                        guard let bytes = Self.bytes(module.source), let decoded = try? ModuleDecoder.decode(bytes, version: .v2) else {
                            skipped += 1
                            continue
                        }
                        checkedInvalid += 1
                        do {
                            try Validator.validate(decoded, version: .v2)
                            failures.append("\(file):\(location.computeLineAndColumn().line): accepted, expected \"\(message)\"")
                        } catch {
                            if !message.hasPrefix(error.rule.rawValue) {
                                failures.append("\(file):\(location.computeLineAndColumn().line): expected \"\(message)\", got \(error)")
                            }
                        }
                    default:
                        continue
                    }
                }
            }
            print("spec suite: \(checkedInvalid) assert_invalid, \(checkedValid) modules checked, \(skipped) not decodable")
            for failure in failures { print(failure) }
            #expect(failures.isEmpty, "\(failures.count) failures")
        }

        static func bytes(_ source: ModuleSource) -> [UInt8]? {
            switch source {
            case .binary(let bytes): return bytes
            case .text(let wat): return try? wat.encode()
            case .quote(let text): return try? ModuleDecoder.wat2wasm(String(decoding: text, as: UTF8.self))
            }
        }
    }
}

/// WasmParser 0.4.2 reads the sub-opcode after 0xFC as one byte; ModuleDecoder repairs
/// valid non-minimal encodings (and only those) and decodes the body again.
@Suite("Decoder repairs")
struct DecoderRepairTests {
    /// A module with one function `() -> ()` whose body is `bytes` (no locals).
    func module(body bytes: [UInt8]) -> [UInt8] {
        let body: [UInt8] = [0x00] + bytes
        let code: [UInt8] = [0x01, UInt8(body.count)] + body
        return [
            0x00, 0x61, 0x73, 0x6D, 0x01, 0x00, 0x00, 0x00,
            0x01, 0x04, 0x01, 0x60, 0x00, 0x00,  // type () -> ()
            0x03, 0x02, 0x01, 0x00,  // function 0: type 0
            0x0A, UInt8(code.count),
        ] + code
    }

    @Test("non-minimal 0xFC sub-opcodes of 2 to 5 bytes decode to the right instructions")
    func nonMinimal() throws {
        let wasm = module(body: [
            0x00, 0xFC, 0x80, 0x00,  // unreachable; i32.trunc_sat_f32_s
            0x00, 0xFC, 0x81, 0x80, 0x00,  // i32.trunc_sat_f32_u
            0x00, 0xFC, 0x87, 0x80, 0x80, 0x80, 0x00,  // i64.trunc_sat_f64_u (5 bytes)
            0x00, 0x0B,
        ])
        let decoded = try ModuleDecoder.decode(wasm)
        let instructions = decoded.bodies[0].ops.map(\.instruction)
        #expect(instructions.count == 8)
        guard instructions.count == 8 else { return }
        #expect(instructions[1] == .conversion(.i32TruncSatF32S))
        #expect(instructions[3] == .conversion(.i32TruncSatF32U))
        #expect(instructions[5] == .conversion(.i64TruncSatF64U))
        try Validator.validate(decoded)
    }

    @Test(
        "overlong or too large sub-opcodes stay malformed",
        arguments: [
            [0xFC, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00] as [UInt8],  // 6 bytes
            [0xFC, 0x80, 0x80, 0x80, 0x80, 0x10],  // bits past 32
            [0xFC, 0xFF, 0x7F],  // 16383: no such opcode
        ])
    func stillMalformed(_ bytes: [UInt8]) {
        #expect(throws: DecodeError.self) { try ModuleDecoder.decode(module(body: bytes + [0x0B])) }
    }
}

// MARK: - Tail calls

extension ValidationTests {
    @Suite("tail calls")
    struct TailCalls {
        @Test("a tail call returns the callee's results: the stack after it is polymorphic")
        func valid() throws {
            try expectValid(
                """
                (module
                  (type $t (func (param f64) (result i32 i64)))
                  (table 1 funcref)
                  (func $f (param i32) (result i32 i64)
                    (return_call $g (f64.const 1)) (i32.add) (drop) (i64.const 0) (i64.add))
                  (func $g (param f64) (result i32 i64)
                    (if (result i32 i64) (i32.const 1)
                      (then (return_call_indirect (type $t) (f64.const 2) (i32.const 0)))
                      (else (return_call $f (i32.const 3))))))
                """)
        }

        @Test("the callee's results must be the caller's")
        func resultsDiffer() throws {
            let error = try expectInvalid(
                "(module (func $g (result i64) (i64.const 0)) (func (result i32) (return_call $g)))", ValidationRule.typeMismatch)
            #expect(
                error?.description.contains("return_call calls a function returning [i64] from one returning [i32]") == true,
                "\(String(describing: error))")
            try expectInvalid(
                "(module (type $t (func (result i32 i32))) (table 1 funcref) (func (result i32) (return_call_indirect (type $t) (i32.const 0))))",
                ValidationRule.typeMismatch)
            // Also when the caller's results are a prefix of the callee's: a tail call forwards all of them.
            try expectInvalid(
                "(module (func $g (result i32 i32) (i32.const 0) (i32.const 0)) (func (result i32) (i32.const 1) (return_call $g)))",
                ValidationRule.typeMismatch)
        }

        @Test("arguments, the table index and the table's element type are checked as for a call")
        func operands() throws {
            try expectInvalid("(module (func $g (param i64)) (func (return_call $g (i32.const 0))))", ValidationRule.typeMismatch)
            try expectInvalid(
                "(module (type $t (func)) (table 1 funcref) (func (return_call_indirect (type $t) (i64.const 0))))",
                ValidationRule.typeMismatch)
            try expectInvalid(
                "(module (type $t (func)) (table 1 externref) (func (return_call_indirect (type $t) (i32.const 0))))",
                ValidationRule.typeMismatch)
        }
    }
}
