import Testing
import WasmAOTFormat

/// Tests of ``ConstExprContext``, the one checker and evaluator of constant expressions
/// (the validator, the metadata checks and the loader all use it).
@Suite("Constant expressions")
struct ConstantExpressionTests {
    /// Globals 0 (import i32), 1 (import, mutable i64), 2 (i32), 3 (mutable f64); 4 functions.
    static let globals = [
        GlobalType(type: .i32, mutable: false), GlobalType(type: .i64, mutable: true),
        GlobalType(type: .i32, mutable: false), GlobalType(type: .f64, mutable: true),
    ]

    static func context(_ access: ConstExprContext.GlobalAccess) -> ConstExprContext {
        ConstExprContext(globals: globals, importedGlobalCount: 2, functionCount: 4, globalAccess: access)
    }

    static let segment = ConstExprSite.elementItem(segment: 1, item: 2)

    /// The problem `expr` has at `site`, or nil if it type-checks.
    static func problem(
        _ expr: ConstExpr, _ access: ConstExprContext.GlobalAccess = .initialized, at site: ConstExprSite = segment
    ) -> ConstExprError.Problem? {
        do {
            _ = try context(access).resultType(of: expr, at: site)
            return nil
        } catch {
            return error.problem
        }
    }

    /// A value domain for evaluating in tests.
    enum TestValue: ConstExprValue, Equatable {
        case i32(UInt32), i64(UInt64), f32(UInt32), f64(UInt64), v128(SIMD16<UInt8>), null(ValType)
        case function(UInt32), host(ValType, Int)

        var type: ValType {
            switch self {
            case .i32: .i32
            case .i64: .i64
            case .f32: .f32
            case .f64: .f64
            case .v128: .v128
            case .null(let type), .host(let type, _): type
            case .function: .funcref
            }
        }
        var i32Bits: UInt32? { if case .i32(let bits) = self { bits } else { nil } }
        var i64Bits: UInt64? { if case .i64(let bits) = self { bits } else { nil } }
    }

    /// Global values matching ``globals``.
    static let globalValues: [TestValue] = [.i32(5), .i64(1 << 40), .i32(7), .f64(0x4000_0000_0000_0000)]

    static func evaluate(_ expr: ConstExpr, produces type: ValType) throws(ConstExprError) -> TestValue {
        try context(.initialized).evaluate(
            expr, produces: type, at: segment, global: { globalValues[Int($0)] }, function: { .function($0) })
    }

    // MARK: Type checking

    @Test func typedResults() throws {
        let context = Self.context(.importedImmutable)
        let cases: [(ConstExpr, ValType)] = [
            ([.i32Const(1)], .i32), ([.i64Const(1)], .i64), ([.f32Const(0)], .f32), ([.f64Const(0)], .f64),
            ([.v128Const(Array(repeating: 0, count: 16))], .v128), ([.refNull(.funcref)], .funcref),
            ([.refNull(.externref)], .externref), ([.refFunc(3)], .ref(RefType(nullable: false, heap: .func))),
            ([.globalGet(0)], .i32),
            ([.i32Const(1), .i32Const(2), .i32Add], .i32), ([.i64Const(1), .i64Const(2), .i64Mul], .i64),
            ([.globalGet(0), .i32Const(16), .i32Mul, .i32Const(4), .i32Add, .i32Const(1), .i32Sub], .i32),
        ]
        for (expr, type) in cases {
            #expect(try context.resultType(of: expr, at: Self.segment) == type, "\(expr)")
            try context.check(expr, produces: type, at: Self.segment)
        }
        // A result may be a subtype of the expected type: a function is a non-null funcref.
        try context.check([.refFunc(3)], produces: .funcref, at: Self.segment)
        #expect(throws: ConstExprError.self) {
            try context.check([.refNull(.funcref)], produces: .ref(RefType(nullable: false, heap: .func)), at: Self.segment)
        }
    }

    @Test func stackUnderflow() {
        #expect(Self.problem([.i32Add]) == .stackUnderflow(operand: .i32, stack: []))
        #expect(Self.problem([.i64Const(1), .i64Sub]) == .stackUnderflow(operand: .i64, stack: [.i64]))
    }

    @Test func wrongOperandTypes() {
        #expect(Self.problem([.i32Const(1), .i64Const(2), .i32Add]) == .operandMismatch(operand: .i32, stack: [.i32, .i64]))
        #expect(Self.problem([.i32Const(1), .i32Const(2), .i64Mul]) == .operandMismatch(operand: .i64, stack: [.i32, .i32]))
        #expect(Self.problem([.f32Const(0), .f32Const(0), .i32Add]) == .operandMismatch(operand: .i32, stack: [.f32, .f32]))
    }

    @Test func wrongResult() throws {
        #expect(Self.problem([]) == .result(expected: nil, stack: []))
        #expect(Self.problem([.i32Const(1), .i32Const(2)]) == .result(expected: nil, stack: [.i32, .i32]))
        let error = #expect(throws: ConstExprError.self) {
            try Self.context(.initialized).check([.i64Const(1)], produces: .i32, at: .dataOffset(segment: 3))
        }
        #expect(error?.problem == .result(expected: .i32, stack: [.i64]))
        #expect(error?.position == nil)
        #expect(error?.description == "the offset of data segment 3 must produce one i32 value but produces [i64]")
    }

    @Test func badGlobalIndex() throws {
        #expect(Self.problem([.globalGet(4)]) == .unknownGlobal(4, globalCount: 4))
        #expect(Self.problem([.globalGet(.max)], .importedImmutable) == .unknownGlobal(.max, globalCount: 4))
        let error = #expect(throws: ConstExprError.self) {
            try Self.context(.initialized).check([.i32Const(0), .globalGet(9), .i32Add], produces: .i32, at: .globalInitializer(global: 3))
        }
        #expect(error?.position == 1)
        #expect(error?.instruction == .globalGet(9))
        #expect(
            error?.description == "the initializer of global 3, instruction 1 (global.get) refers to global 9 but the module has 4 globals")
    }

    @Test func whichGlobalsMayBeRead() {
        // WebAssembly 2.0: imported immutable globals only.
        #expect(Self.problem([.globalGet(0)], .importedImmutable) == nil)
        #expect(Self.problem([.globalGet(1)], .importedImmutable) == .mutableGlobal(1))
        #expect(Self.problem([.globalGet(2)], .importedImmutable) == .unreadableGlobal(2, .importedImmutable, importedGlobalCount: 2))
        // The format: any global initialized before the expression runs, mutable or not.
        #expect(Self.problem([.globalGet(1)]) == nil)
        #expect(Self.problem([.globalGet(3)]) == nil)
        #expect(Self.problem([.globalGet(2)], at: .globalInitializer(global: 3)) == nil)
        #expect(
            Self.problem([.globalGet(2)], at: .globalInitializer(global: 2)) == .unreadableGlobal(2, .initialized, importedGlobalCount: 2))
        #expect(
            Self.problem([.globalGet(3)], at: .globalInitializer(global: 2)) == .unreadableGlobal(3, .initialized, importedGlobalCount: 2))
    }

    @Test func otherInstructionRules() {
        #expect(Self.problem([.refFunc(4)]) == .unknownFunction(4, functionCount: 4))
        #expect(Self.problem([.v128Const([1, 2, 3])]) == .v128Length(3))
        #expect(Self.problem([.refNull(.i32)]) == .notAReference(.i32))
    }

    // MARK: Evaluation

    @Test func evaluatesTypedValues() throws {
        #expect(try Self.evaluate([.f64Const(7)], produces: .f64) == .f64(7))
        #expect(try Self.evaluate([.refNull(.externref)], produces: .externref) == .null(.externref))
        #expect(try Self.evaluate([.refFunc(2)], produces: .funcref) == .function(2))
        #expect(try Self.evaluate([.globalGet(1)], produces: .i64) == .i64(1 << 40))
        #expect(try Self.evaluate([.v128Const(Array(0..<16))], produces: .v128) == .v128(SIMD16(Array(0..<16))))
        let offset: ConstExpr = [.globalGet(0), .i32Const(16), .i32Mul, .i32Const(4), .i32Add, .i32Const(1), .i32Sub]
        #expect(try Self.evaluate(offset, produces: .i32) == .i32(5 * 16 + 4 - 1))
    }

    @Test func extendedConstArithmeticWraps() throws {
        let i32: [(ConstExpr, UInt32)] = [
            ([.i32Const(.max), .i32Const(2), .i32Add], 1),
            ([.i32Const(0), .i32Const(1), .i32Sub], .max),
            ([.i32Const(0x8000_0000), .i32Const(2), .i32Mul], 0),
            ([.i32Const(0x1_0001), .i32Const(0x1_0001), .i32Mul], 0x2_0001),
            ([.i32Const(10), .i32Const(3), .i32Sub], 7),  // operand order: 10 - 3
        ]
        for (expr, value) in i32 { #expect(try Self.evaluate(expr, produces: .i32) == .i32(value), "\(expr)") }
        let i64: [(ConstExpr, UInt64)] = [
            ([.i64Const(.max), .i64Const(2), .i64Add], 1),
            ([.i64Const(0), .i64Const(1), .i64Sub], .max),
            ([.i64Const(1 << 63), .i64Const(2), .i64Mul], 0),
            ([.i64Const(0x1_0000_0001), .i64Const(0x1_0000_0001), .i64Mul], 0x2_0000_0001),
            ([.i64Const(3), .i64Const(10), .i64Sub], UInt64(bitPattern: -7)),
        ]
        for (expr, value) in i64 { #expect(try Self.evaluate(expr, produces: .i64) == .i64(value), "\(expr)") }
    }

    @Test func evaluationRejectsIllTypedInput() {
        let mismatch = #expect(throws: ConstExprError.self) {
            try Self.evaluate([.i32Const(1), .i64Const(2), .i64Add], produces: .i64)
        }
        #expect(mismatch?.problem == .operandMismatch(operand: .i64, stack: [.i32, .i64]))
        let underflow = #expect(throws: ConstExprError.self) { try Self.evaluate([.i32Const(1), .i32Mul], produces: .i32) }
        #expect(underflow?.problem == .stackUnderflow(operand: .i32, stack: [.i32]))
        let result = #expect(throws: ConstExprError.self) { try Self.evaluate([.globalGet(3)], produces: .i32) }
        #expect(result?.problem == .result(expected: .i32, stack: [.f64]))
    }

    @Test func unavailableValues() {
        let context = Self.context(.initialized)
        let error = #expect(throws: ConstExprError.self) {
            try context.evaluate(
                [.globalGet(0)], produces: .i32, at: .dataOffset(segment: 0), global: { _ -> TestValue? in nil },
                function: { _ in nil })
        }
        #expect(error?.problem == .valueUnavailable)
        #expect(error?.description == "the offset of data segment 0, instruction 0 (global.get) reads a value that is not available here")
    }

    @Test func contextOfMetadata() throws {
        let module = ModuleMetadata(
            abiVersion: 1, compilerVersion: "", wasmSHA256: Array(repeating: 0, count: 32), compileSettings: "",
            types: [FuncType(params: [], results: [])],
            imports: [
                Import(module: "m", name: "f", desc: .function(typeIndex: 0)),
                Import(module: "m", name: "g", desc: .global(GlobalType(type: .i64, mutable: true))),
            ],
            functions: [0, 0],
            globals: [Global(type: GlobalType(type: .i32, mutable: false), initializer: [.i32Const(1)])])
        let context = ConstExprContext(module)
        #expect(context.globals == [GlobalType(type: .i64, mutable: true), GlobalType(type: .i32, mutable: false)])
        #expect(context.importedGlobalCount == 1)
        #expect(context.functionCount == 3)
        #expect(context.globalAccess == .initialized)
    }
}
