// The rules of constant expressions (global and table initializers, segment offsets, element items),
// stated once: which instructions are constant (the cases of ``ConstInstr``), how the
// extended-const arithmetic is typed and wraps, and which globals an expression may read.
// The compiler's validator, the metadata checks (``ModuleMetadata/validate()``) and the
// loader's instantiation all type-check or evaluate through ``ConstExprContext``.

// MARK: - Where an expression is

/// Where a constant expression sits in a module. It decides which globals the expression may
/// read (a global's initializer runs before the later globals exist) and names the
/// expression in errors.
public enum ConstExprSite: Equatable, Sendable, CustomStringConvertible {
    /// The initializer of a global, by its index in the global index space (imports first).
    case globalInitializer(global: Int)
    /// The initializer of a table (every element's first value), by its index in the table
    /// index space (imports first).
    case tableInitializer(table: Int)
    /// The table offset of an active element segment.
    case elementOffset(segment: Int)
    /// One item of an element segment.
    case elementItem(segment: Int, item: Int)
    /// The memory offset of an active data segment.
    case dataOffset(segment: Int)

    /// For example "the initializer of global 2" or "item 0 of element segment 1".
    public var description: String {
        switch self {
        case .globalInitializer(let global): "the initializer of global \(global)"
        case .tableInitializer(let table): "the initializer of table \(table)"
        case .elementOffset(let segment): "the offset of element segment \(segment)"
        case .elementItem(let segment, let item): "item \(item) of element segment \(segment)"
        case .dataOffset(let segment): "the offset of data segment \(segment)"
        }
    }
}

// MARK: - Errors

/// Why a constant expression is ill-formed or ill-typed: what is wrong, at which
/// instruction, in which expression of the module.
public struct ConstExprError: Error, Equatable, Sendable, CustomStringConvertible {
    /// What is wrong.
    public enum Problem: Equatable, Sendable {
        /// An arithmetic instruction needs two `operand` values but the stack holds fewer.
        case stackUnderflow(operand: ValType, stack: [ValType])
        /// An arithmetic instruction needs two `operand` values but the stack's top holds others.
        case operandMismatch(operand: ValType, stack: [ValType])
        /// `global.get` of an index beyond the global index space.
        case unknownGlobal(UInt32, globalCount: Int)
        /// `global.get` of a global the expression may not read (``ConstExprContext/GlobalAccess``).
        case unreadableGlobal(UInt32, ConstExprContext.GlobalAccess, importedGlobalCount: Int)
        /// `global.get` of a mutable global where only immutable ones may be read.
        case mutableGlobal(UInt32)
        /// `ref.func` of an index beyond the function index space.
        case unknownFunction(UInt32, functionCount: Int)
        /// `ref.null` of a type index beyond the type section.
        case unknownType(UInt32, typeCount: Int)
        /// `v128.const` without exactly 16 bytes.
        case v128Length(Int)
        /// `ref.null` of a type that is not a nullable reference type.
        case notAReference(ValType)
        /// Evaluation: the value source has no value for this `global.get` or `ref.func`.
        case valueUnavailable
        /// The expression does not leave exactly one value (of `expected` type, when one is expected).
        case result(expected: ValType?, stack: [ValType])
    }

    /// What is wrong.
    public var problem: Problem
    /// The expression's place in the module.
    public var site: ConstExprSite
    /// Position of the offending instruction in the expression; nil when the problem is what
    /// the whole expression leaves (``Problem/result(expected:stack:)``).
    public var position: Int?
    /// The offending instruction, when ``position`` is set.
    public var instruction: ConstInstr?

    /// Creates an error.
    public init(_ problem: Problem, site: ConstExprSite, position: Int? = nil, instruction: ConstInstr? = nil) {
        self.problem = problem
        self.site = site
        self.position = position
        self.instruction = instruction
    }

    /// For example "the initializer of global 2, instruction 0 (global.get) refers to global 9
    /// but the module has 9 globals".
    public var description: String {
        var text = site.description
        if let position, let instruction { text += ", instruction \(position) (\(instruction.mnemonic))" }
        switch problem {
        case .stackUnderflow(let operand, let stack), .operandMismatch(let operand, let stack):
            text += " needs two \(operand) operands but the stack is \(describe(stack))"
        case .unknownGlobal(let index, let count):
            text += " refers to global \(index) but the module has \(plural(count, "global"))"
        case .unreadableGlobal(let index, .initialized, _), .unreadableGlobal(let index, .initializedImmutable, _):
            text += " refers to global \(index), which is not initialized yet (only imported and earlier globals may be read)"
        case .unreadableGlobal(let index, .importedImmutable, let imported):
            text +=
                " refers to global \(index), but constant expressions may only read "
                + "the module's \(plural(imported, "imported global"))"
        case .mutableGlobal(let index):
            text += " refers to global \(index), which is mutable (only immutable globals may be read)"
        case .unknownFunction(let index, let count):
            text += " refers to function \(index) but the module has \(plural(count, "function"))"
        case .v128Length(let count):
            text += " has \(plural(count, "byte")) but a v128 has 16"
        case .notAReference(let type):
            text += " has type \(type), which is not a nullable reference type"
        case .unknownType(let index, let count):
            text += " refers to type \(index) but the module has \(plural(count, "type"))"
        case .valueUnavailable:
            text += " reads a value that is not available here"
        case .result(let expected, let stack):
            text += " must produce one \(expected.map { "\($0) " } ?? "")value but produces \(describe(stack))"
        }
        return text
    }
}

// MARK: - The rules

/// What a module's constant expressions may refer to, and the one implementation of their
/// rules: ``resultType(of:at:)`` and ``check(_:produces:at:)`` type-check an expression,
/// ``evaluate(_:produces:at:global:function:)`` computes its value.
///
/// The rules: every ``ConstInstr`` is constant (anything else is not representable); the
/// extended-const `add`/`sub`/`mul` pop two operands of their type and push one (wrapping);
/// `global.get` may read the globals ``globalAccess`` allows; `ref.func` may name any function
/// of the index space; an expression must leave exactly one value.
public struct ConstExprContext: Sendable {
    /// Which globals `global.get` may read.
    public enum GlobalAccess: Equatable, Sendable {
        /// WebAssembly 2.0 validation: only imported, immutable globals.
        case importedImmutable
        /// WebAssembly 3.0 validation: immutable globals that hold their value when the
        /// expression runs (imported ones, and defined ones before the global being
        /// initialized; in table initializers, imported ones; in segments, all).
        case initializedImmutable
        /// Any global that holds its value when the expression runs: imported globals, and
        /// the defined globals before the one being initialized (in table initializers: none;
        /// in segments: all). What the
        /// metadata format requires and the loader relies on.
        case initialized
    }

    /// The type of every global in the global index space (imports first).
    public var globals: [GlobalType]
    /// How many of ``globals`` are imported (they come first).
    public var importedGlobalCount: Int
    /// The size of the function index space.
    public var functionCount: Int
    /// The type index of every function (imports first): `ref.func` has type `(ref $t)`. When
    /// empty, `ref.func` has type `(ref func)`.
    public var functionTypeIndices: [UInt32]
    /// Which type indices denote the same type (subtyping of concrete references).
    public var typeClasses: TypeClasses
    /// Which globals `global.get` may read.
    public var globalAccess: GlobalAccess

    /// Creates a context from the module's index spaces.
    public init(
        globals: [GlobalType], importedGlobalCount: Int, functionCount: Int, functionTypeIndices: [UInt32] = [],
        typeClasses: TypeClasses = TypeClasses([]), globalAccess: GlobalAccess
    ) {
        self.globals = globals
        self.importedGlobalCount = importedGlobalCount
        self.functionCount = functionCount
        self.functionTypeIndices = functionTypeIndices
        self.typeClasses = typeClasses
        self.globalAccess = globalAccess
    }

    /// The context of a module's metadata: ``GlobalAccess/initialized``. Call it on metadata
    /// whose type indices are in range.
    public init(_ module: ModuleMetadata) {
        let imported = module.imports.compactMap { if case .global(let g) = $0.desc { g } else { nil } }
        var functionTypes = module.imports.compactMap { if case .function(let t) = $0.desc { t } else { nil } }
        functionTypes += module.functions
        self.init(
            globals: imported + module.globals.map(\.type), importedGlobalCount: imported.count,
            functionCount: module.totalFunctionCount, functionTypeIndices: functionTypes,
            typeClasses: TypeClasses(module.types), globalAccess: .initialized)
    }

    /// Whether a value of type `a` may be used where `b` is expected, in this module.
    public func matches(_ a: ValType, _ b: ValType) -> Bool {
        a.matches(b, same: typeClasses.same)
    }

    /// The type of the one value `expr` leaves.
    ///
    /// - Throws: the first rule `expr` breaks.
    public func resultType(of expr: ConstExpr, at site: ConstExprSite) throws(ConstExprError) -> ValType {
        try typeCheck(expr, expected: nil, at: site)
    }

    /// Checks that `expr` is constant, well typed, and leaves exactly one `expected` value.
    public func check(_ expr: ConstExpr, produces expected: ValType, at site: ConstExprSite) throws(ConstExprError) {
        _ = try typeCheck(expr, expected: expected, at: site)
    }

    /// Evaluates `expr`, which must leave one `expected` value, checking every rule first
    /// (an ill-typed expression is an error, never a wrong value). `global` and `function`
    /// give the values of `global.get` and `ref.func` (nil: not available, an error);
    /// integer arithmetic wraps.
    public func evaluate<Value: ConstExprValue>(
        _ expr: ConstExpr, produces expected: ValType, at site: ConstExprSite,
        global: (UInt32) -> Value?, function: (UInt32) -> Value?
    ) throws(ConstExprError) -> Value {
        try check(expr, produces: expected, at: site)
        // Well typed: values need only agree in representation (a value knows its type's storage).
        return try run(
            expr, expected: expected.storage, at: site, type: \.type.storage, matches: ==,
            literal: { instr in
                switch instr {
                case .i32Const(let v): .i32(v)
                case .i64Const(let v): .i64(v)
                case .f32Const(let v): .f32(v)
                case .f64Const(let v): .f64(v)
                case .v128Const(let bytes): .v128(SIMD16(bytes))
                case .refNull(let type): .null(type)
                default: preconditionFailure("\(instr.mnemonic) is not a literal")
                }
            },
            global: global, function: function,
            arithmetic: { instr, a, b in
                switch instr {
                case .i32Add: .i32(a.i32Bits! &+ b.i32Bits!)
                case .i32Sub: .i32(a.i32Bits! &- b.i32Bits!)
                case .i32Mul: .i32(a.i32Bits! &* b.i32Bits!)
                case .i64Add: .i64(a.i64Bits! &+ b.i64Bits!)
                case .i64Sub: .i64(a.i64Bits! &- b.i64Bits!)
                case .i64Mul: .i64(a.i64Bits! &* b.i64Bits!)
                default: preconditionFailure("\(instr.mnemonic) is not arithmetic")
                }
            })
    }

    // MARK: The one stack machine

    /// ``run(_:expected:at:type:matches:literal:global:function:arithmetic:)`` on types.
    private func typeCheck(_ expr: ConstExpr, expected: ValType?, at site: ConstExprSite) throws(ConstExprError) -> ValType {
        try run(
            expr, expected: expected, at: site, type: { $0 }, matches: matches, literal: { $0.literalType! },
            global: { globals[Int($0)].type },
            function: { index in
                let i = Int(index)
                let heap: HeapType = i < functionTypeIndices.count ? .concrete(functionTypeIndices[i]) : .func
                return .ref(RefType(nullable: false, heap: heap))
            },
            arithmetic: { _, a, _ in a })
    }

    /// Runs `expr` on a stack of `V`: types when checking, values when evaluating. Every rule is
    /// checked here, before the closures compute, so they only ever see well-typed operands.
    /// `literal` makes the value of a `*.const` or `ref.null`; `global` and `function` the value
    /// of a `global.get` or `ref.func` in range (nil: unavailable); `arithmetic` the result of an
    /// add/sub/mul of two operands of its type.
    private func run<V>(
        _ expr: ConstExpr, expected: ValType?, at site: ConstExprSite, type: (V) -> ValType,
        matches: (ValType, ValType) -> Bool, literal: (ConstInstr) -> V, global: (UInt32) -> V?, function: (UInt32) -> V?,
        arithmetic: (ConstInstr, V, V) -> V
    ) throws(ConstExprError) -> V {
        var stack: [V] = []
        for (position, instr) in expr.enumerated() {
            func fail(_ problem: ConstExprError.Problem) -> ConstExprError {
                ConstExprError(problem, site: site, position: position, instruction: instr)
            }
            switch instr {
            case .i32Const, .i64Const, .f32Const, .f64Const:
                stack.append(literal(instr))
            case .v128Const(let bytes):
                guard bytes.count == 16 else { throw fail(.v128Length(bytes.count)) }
                stack.append(literal(instr))
            case .refNull(let type):
                guard case .ref(let reference) = type, reference.nullable else { throw fail(.notAReference(type)) }
                if case .concrete(let index) = reference.heap, Int(index) >= typeClasses.classes.count {
                    throw fail(.unknownType(index, typeCount: typeClasses.classes.count))
                }
                stack.append(literal(instr))
            case .globalGet(let index):
                if let problem = readProblem(global: index, at: site) { throw fail(problem) }
                guard let value = global(index) else { throw fail(.valueUnavailable) }
                stack.append(value)
            case .refFunc(let index):
                guard Int(index) < functionCount else { throw fail(.unknownFunction(index, functionCount: functionCount)) }
                guard let value = function(index) else { throw fail(.valueUnavailable) }
                stack.append(value)
            case .i32Add, .i32Sub, .i32Mul, .i64Add, .i64Sub, .i64Mul:
                let operand = instr.arithmeticType!
                guard stack.count >= 2 else { throw fail(.stackUnderflow(operand: operand, stack: stack.map(type))) }
                guard type(stack[stack.count - 1]) == operand, type(stack[stack.count - 2]) == operand else {
                    throw fail(.operandMismatch(operand: operand, stack: stack.map(type)))
                }
                let b = stack.removeLast(), a = stack.removeLast()
                stack.append(arithmetic(instr, a, b))
            }
        }
        guard stack.count == 1, expected.map({ matches(type(stack[0]), $0) }) ?? true else {
            throw ConstExprError(.result(expected: expected, stack: stack.map(type)), site: site)
        }
        return stack[0]
    }

    /// Why `global.get index` may not run at `site`, or nil if it may.
    private func readProblem(global index: UInt32, at site: ConstExprSite) -> ConstExprError.Problem? {
        let i = Int(index)
        guard i < globals.count else { return .unknownGlobal(index, globalCount: globals.count) }
        switch globalAccess {
        case .importedImmutable:
            guard i < importedGlobalCount else {
                return .unreadableGlobal(index, globalAccess, importedGlobalCount: importedGlobalCount)
            }
            if globals[i].mutable { return .mutableGlobal(index) }
        case .initialized, .initializedImmutable:
            // A global's initializer runs before the later globals exist; a table's, before any
            // defined global does (tables come first in instantiation).
            let firstUnset: Int? =
                switch site {
                case .globalInitializer(let initializing): initializing
                case .tableInitializer: importedGlobalCount
                default: nil
                }
            if let firstUnset, i >= firstUnset {
                return .unreadableGlobal(index, globalAccess, importedGlobalCount: importedGlobalCount)
            }
            if globalAccess == .initializedImmutable, globals[i].mutable { return .mutableGlobal(index) }
        }
        return nil
    }
}

// MARK: - Values

/// A value type ``ConstExprContext/evaluate(_:produces:at:global:function:)`` can compute
/// with. The loader's `Value` conforms (its cases are the constructors).
public protocol ConstExprValue {
    /// An `i32`, as its bit pattern.
    static func i32(_ bits: UInt32) -> Self
    /// An `i64`, as its bit pattern.
    static func i64(_ bits: UInt64) -> Self
    /// An `f32`, as its IEEE 754 bit pattern.
    static func f32(_ bits: UInt32) -> Self
    /// An `f64`, as its IEEE 754 bit pattern.
    static func f64(_ bits: UInt64) -> Self
    /// A `v128`, its bytes in lane order.
    static func v128(_ bytes: SIMD16<UInt8>) -> Self
    /// The null reference of a reference type.
    static func null(_ type: ValType) -> Self
    /// The value's type.
    var type: ValType { get }
    /// The bits of an `i32` value; nil for any other type.
    var i32Bits: UInt32? { get }
    /// The bits of an `i64` value; nil for any other type.
    var i64Bits: UInt64? { get }
}

// MARK: - Instructions

extension ConstInstr {
    /// The text-format name, e.g. "i32.const" or "global.get".
    public var mnemonic: String {
        switch self {
        case .i32Const: "i32.const"
        case .i64Const: "i64.const"
        case .f32Const: "f32.const"
        case .f64Const: "f64.const"
        case .v128Const: "v128.const"
        case .globalGet: "global.get"
        case .refNull: "ref.null"
        case .refFunc: "ref.func"
        case .i32Add: "i32.add"
        case .i32Sub: "i32.sub"
        case .i32Mul: "i32.mul"
        case .i64Add: "i64.add"
        case .i64Sub: "i64.sub"
        case .i64Mul: "i64.mul"
        }
    }

    /// The type a literal pushes (`*.const`, `ref.null`); nil for the other instructions.
    var literalType: ValType? {
        switch self {
        case .i32Const: .i32
        case .i64Const: .i64
        case .f32Const: .f32
        case .f64Const: .f64
        case .v128Const: .v128
        case .refNull(let type): type
        case .globalGet, .refFunc, .i32Add, .i32Sub, .i32Mul, .i64Add, .i64Sub, .i64Mul: nil
        }
    }

    /// The operand and result type of the extended-const arithmetic; nil for the other instructions.
    var arithmeticType: ValType? {
        switch self {
        case .i32Add, .i32Sub, .i32Mul: .i32
        case .i64Add, .i64Sub, .i64Mul: .i64
        case .i32Const, .i64Const, .f32Const, .f64Const, .v128Const, .globalGet, .refNull, .refFunc: nil
        }
    }
}

// MARK: - Wording

/// "1 global", "3 globals", "2 entries".
func plural(_ count: Int, _ noun: String) -> String {
    if count == 1 { return "1 \(noun)" }
    if noun.hasSuffix("y") { return "\(count) \(noun.dropLast())ies" }
    return "\(count) \(noun)s"
}

/// "[i32, i64]".
func describe(_ stack: [ValType]) -> String {
    "[" + stack.map { "\($0)" }.joined(separator: ", ") + "]"
}
