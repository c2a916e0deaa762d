import WasmParser
import WasmTypes

/// The stack effect of an instruction without control flow or index immediates:
/// it pops `operands` (the last one is the top of the stack) and pushes `results`.
struct StackSignature: Sendable {
    var operands: [ValueType]
    var results: [ValueType]

    init(_ operands: [ValueType], _ results: [ValueType]) {
        self.operands = operands
        self.results = results
    }

    // Shared instances, so that looking a signature up never allocates.
    static let unaryI32 = StackSignature([.i32], [.i32])
    static let unaryI64 = StackSignature([.i64], [.i64])
    static let unaryF32 = StackSignature([.f32], [.f32])
    static let unaryF64 = StackSignature([.f64], [.f64])
    static let binaryI32 = StackSignature([.i32, .i32], [.i32])
    static let binaryI64 = StackSignature([.i64, .i64], [.i64])
    static let binaryF32 = StackSignature([.f32, .f32], [.f32])
    static let binaryF64 = StackSignature([.f64, .f64], [.f64])
    static let testI32 = StackSignature([.i32], [.i32])
    static let testI64 = StackSignature([.i64], [.i32])
    static let compareI32 = StackSignature([.i32, .i32], [.i32])
    static let compareI64 = StackSignature([.i64, .i64], [.i32])
    static let compareF32 = StackSignature([.f32, .f32], [.i32])
    static let compareF64 = StackSignature([.f64, .f64], [.i32])
    static let i32FromI64 = StackSignature([.i64], [.i32])
    static let i32FromF32 = StackSignature([.f32], [.i32])
    static let i32FromF64 = StackSignature([.f64], [.i32])
    static let i64FromI32 = StackSignature([.i32], [.i64])
    static let i64FromF32 = StackSignature([.f32], [.i64])
    static let i64FromF64 = StackSignature([.f64], [.i64])
    static let f32FromI32 = StackSignature([.i32], [.f32])
    static let f32FromI64 = StackSignature([.i64], [.f32])
    static let f32FromF64 = StackSignature([.f64], [.f32])
    static let f64FromI32 = StackSignature([.i32], [.f64])
    static let f64FromI64 = StackSignature([.i64], [.f64])
    static let f64FromF32 = StackSignature([.f32], [.f64])
    static let constI32 = StackSignature([], [.i32])
    static let constI64 = StackSignature([], [.i64])
    static let constF32 = StackSignature([], [.f32])
    static let constF64 = StackSignature([], [.f64])
}

/// A WebAssembly proposal beyond 2.0 that the decoder can read but the compiler
/// does not implement yet. Validation rejects its instructions and types with
/// the rule "unsupported feature: <name>".
enum ValidatorFeature: String, Sendable, CaseIterable {
    case simd = "simd"
    case threads = "threads"
    case tailCall = "tail calls"
    case exceptionHandling = "exception handling"
    case functionReferences = "typed function references"
    case gc = "gc"
    case memory64 = "memory64"
    case multiMemory = "multi-memory"
}

/// Per-family type tables: what each instruction pops and pushes, the natural
/// alignment of memory accesses, which proposal an instruction belongs to, and its
/// text-format name for messages.
enum InstructionTypes {
    // MARK: Numeric families

    static func unary(_ op: Instruction.Unary) -> StackSignature {
        switch op {
        case .i32Clz, .i32Ctz, .i32Popcnt, .i32Extend8S, .i32Extend16S: .unaryI32
        case .i64Clz, .i64Ctz, .i64Popcnt, .i64Extend8S, .i64Extend16S, .i64Extend32S: .unaryI64
        case .f32Abs, .f32Neg, .f32Ceil, .f32Floor, .f32Trunc, .f32Nearest, .f32Sqrt: .unaryF32
        case .f64Abs, .f64Neg, .f64Ceil, .f64Floor, .f64Trunc, .f64Nearest, .f64Sqrt: .unaryF64
        }
    }

    static func binary(_ op: Instruction.Binary) -> StackSignature {
        switch op {
        case .i32Add, .i32Sub, .i32Mul, .i32DivS, .i32DivU, .i32RemS, .i32RemU, .i32And, .i32Or, .i32Xor,
            .i32Shl, .i32ShrS, .i32ShrU, .i32Rotl, .i32Rotr:
            .binaryI32
        case .i64Add, .i64Sub, .i64Mul, .i64DivS, .i64DivU, .i64RemS, .i64RemU, .i64And, .i64Or, .i64Xor,
            .i64Shl, .i64ShrS, .i64ShrU, .i64Rotl, .i64Rotr:
            .binaryI64
        case .f32Add, .f32Sub, .f32Mul, .f32Div, .f32Min, .f32Max, .f32Copysign: .binaryF32
        case .f64Add, .f64Sub, .f64Mul, .f64Div, .f64Min, .f64Max, .f64Copysign: .binaryF64
        }
    }

    static func compare(_ op: Instruction.Cmp) -> StackSignature {
        switch op {
        case .i32Eq, .i32Ne, .i32LtS, .i32LtU, .i32GtS, .i32GtU, .i32LeS, .i32LeU, .i32GeS, .i32GeU: .compareI32
        case .i64Eq, .i64Ne, .i64LtS, .i64LtU, .i64GtS, .i64GtU, .i64LeS, .i64LeU, .i64GeS, .i64GeU: .compareI64
        case .f32Eq, .f32Ne, .f32Lt, .f32Gt, .f32Le, .f32Ge: .compareF32
        case .f64Eq, .f64Ne, .f64Lt, .f64Gt, .f64Le, .f64Ge: .compareF64
        }
    }

    static func conversion(_ op: Instruction.Conversion) -> StackSignature {
        switch op {
        case .i32WrapI64: .i32FromI64
        case .i32TruncF32S, .i32TruncF32U, .i32TruncSatF32S, .i32TruncSatF32U, .i32ReinterpretF32: .i32FromF32
        case .i32TruncF64S, .i32TruncF64U, .i32TruncSatF64S, .i32TruncSatF64U: .i32FromF64
        case .i64ExtendI32S, .i64ExtendI32U: .i64FromI32
        case .i64TruncF32S, .i64TruncF32U, .i64TruncSatF32S, .i64TruncSatF32U: .i64FromF32
        case .i64TruncF64S, .i64TruncF64U, .i64TruncSatF64S, .i64TruncSatF64U, .i64ReinterpretF64: .i64FromF64
        case .f32ConvertI32S, .f32ConvertI32U, .f32ReinterpretI32: .f32FromI32
        case .f32ConvertI64S, .f32ConvertI64U: .f32FromI64
        case .f32DemoteF64: .f32FromF64
        case .f64ConvertI32S, .f64ConvertI32U: .f64FromI32
        case .f64ConvertI64S, .f64ConvertI64U, .f64ReinterpretI64: .f64FromI64
        case .f64PromoteF32: .f64FromF32
        }
    }

    /// The signature of an instruction whose typing depends only on its opcode
    /// (numeric instructions and constants), or nil for every other instruction.
    static func simple(_ instruction: Instruction) -> StackSignature? {
        switch instruction {
        case .i32Const: .constI32
        case .i64Const: .constI64
        case .f32Const: .constF32
        case .f64Const: .constF64
        case .i32Eqz: .testI32
        case .i64Eqz: .testI64
        case .cmp(let op): compare(op)
        case .unary(let op): unary(op)
        case .binary(let op): binary(op)
        case .conversion(let op): conversion(op)
        default: nil
        }
    }

    // MARK: Memory accesses

    /// A load or store: the type of the value moved and the natural alignment (log2 bytes).
    struct MemoryAccess: Sendable {
        var valueType: ValueType
        var naturalAlignment: UInt32
    }

    static func access(_ op: Instruction.Load) -> MemoryAccess {
        MemoryAccess(valueType: op.type, naturalAlignment: UInt32(op.naturalAlignment))
    }

    static func access(_ op: Instruction.Store) -> MemoryAccess {
        MemoryAccess(valueType: op.type, naturalAlignment: UInt32(op.naturalAlignment))
    }

    // MARK: Proposals

    static func proposal(_ op: Instruction.Load) -> ValidatorFeature? {
        switch op {
        case .i32Load, .i64Load, .f32Load, .f64Load, .i32Load8S, .i32Load8U, .i32Load16S, .i32Load16U,
            .i64Load8S, .i64Load8U, .i64Load16S, .i64Load16U, .i64Load32S, .i64Load32U:
            nil
        case .i32AtomicLoad, .i64AtomicLoad, .i32AtomicLoad8U, .i32AtomicLoad16U, .i64AtomicLoad8U,
            .i64AtomicLoad16U, .i64AtomicLoad32U:
            .threads
        case .v128Load, .v128Load8X8S, .v128Load8X8U, .v128Load16X4S, .v128Load16X4U, .v128Load32X2S,
            .v128Load32X2U, .v128Load8Splat, .v128Load16Splat, .v128Load32Splat, .v128Load64Splat,
            .v128Load32Zero, .v128Load64Zero:
            .simd
        }
    }

    static func proposal(_ op: Instruction.Store) -> ValidatorFeature? {
        switch op {
        case .i32Store, .i64Store, .f32Store, .f64Store, .i32Store8, .i32Store16, .i64Store8, .i64Store16,
            .i64Store32:
            nil
        case .i32AtomicStore, .i64AtomicStore, .i32AtomicStore8, .i32AtomicStore16, .i64AtomicStore8,
            .i64AtomicStore16, .i64AtomicStore32:
            .threads
        case .v128Store: .simd
        }
    }

    /// The proposal an instruction belongs to, or nil for WebAssembly 2.0 instructions.
    static func proposal(_ instruction: Instruction) -> ValidatorFeature? {
        switch instruction {
        case .load(let op, _): return proposal(op)
        case .store(let op, _): return proposal(op)
        case .throw, .throwRef, .tryTable: return .exceptionHandling
        case .returnCall, .returnCallIndirect, .returnCallRef: return .tailCall
        case .callRef, .refAsNonNull, .brOnNull, .brOnNonNull: return .functionReferences
        case .v128Const, .i8x16Shuffle, .simd, .simdLane, .simdMemLane: return .simd
        case .refI31, .i31GetS, .i31GetU, .structNew, .structNewDefault, .structGet, .structGetS, .structGetU,
            .structSet, .arrayNew, .arrayNewDefault, .arrayNewFixed, .arrayGet, .arrayGetS, .arrayGetU, .arraySet,
            .arrayLen, .refEq, .anyConvertExtern, .externConvertAny, .arrayNewData, .arrayNewElem, .arrayFill,
            .arrayCopy, .arrayInitData, .arrayInitElem, .refTest, .refCast, .brOnCast, .brOnCastFail:
            return .gc
        case .atomicFence, .memoryAtomicNotify, .memoryAtomicWait32, .memoryAtomicWait64,
            .i32AtomicRmwAdd, .i64AtomicRmwAdd, .i32AtomicRmw8AddU, .i32AtomicRmw16AddU, .i64AtomicRmw8AddU,
            .i64AtomicRmw16AddU, .i64AtomicRmw32AddU, .i32AtomicRmwSub, .i64AtomicRmwSub, .i32AtomicRmw8SubU,
            .i32AtomicRmw16SubU, .i64AtomicRmw8SubU, .i64AtomicRmw16SubU, .i64AtomicRmw32SubU,
            .i32AtomicRmwAnd, .i64AtomicRmwAnd, .i32AtomicRmw8AndU, .i32AtomicRmw16AndU, .i64AtomicRmw8AndU,
            .i64AtomicRmw16AndU, .i64AtomicRmw32AndU, .i32AtomicRmwOr, .i64AtomicRmwOr, .i32AtomicRmw8OrU,
            .i32AtomicRmw16OrU, .i64AtomicRmw8OrU, .i64AtomicRmw16OrU, .i64AtomicRmw32OrU,
            .i32AtomicRmwXor, .i64AtomicRmwXor, .i32AtomicRmw8XorU, .i32AtomicRmw16XorU, .i64AtomicRmw8XorU,
            .i64AtomicRmw16XorU, .i64AtomicRmw32XorU, .i32AtomicRmwXchg, .i64AtomicRmwXchg,
            .i32AtomicRmw8XchgU, .i32AtomicRmw16XchgU, .i64AtomicRmw8XchgU, .i64AtomicRmw16XchgU,
            .i64AtomicRmw32XchgU, .i32AtomicRmwCmpxchg, .i64AtomicRmwCmpxchg, .i32AtomicRmw8CmpxchgU,
            .i32AtomicRmw16CmpxchgU, .i64AtomicRmw8CmpxchgU, .i64AtomicRmw16CmpxchgU, .i64AtomicRmw32CmpxchgU:
            return .threads
        default: return nil
        }
    }

    /// The proposal a value type belongs to, or nil for WebAssembly 2.0 types
    /// (numbers, `funcref`, `externref`).
    static func proposal(_ type: ValueType) -> ValidatorFeature? {
        switch type {
        case .i32, .i64, .f32, .f64: nil
        case .v128: .simd
        case .ref(let ref): proposal(ref)
        }
    }

    static func proposal(_ type: ReferenceType) -> ValidatorFeature? {
        guard type.isNullable else { return .functionReferences }
        return proposal(type.heapType)
    }

    static func proposal(_ type: HeapType) -> ValidatorFeature? {
        switch type {
        case .abstract(.funcRef), .abstract(.externRef): nil
        case .abstract(.exnRef), .abstract(.noExn): .exceptionHandling
        case .abstract: .gc
        case .concrete: .functionReferences
        }
    }

    // MARK: Names

    /// The text-format name of an instruction, for messages (e.g. "i32.add", "local.get").
    static func mnemonic(_ instruction: Instruction) -> String {
        switch instruction {
        case .unreachable: "unreachable"
        case .nop: "nop"
        case .block: "block"
        case .loop: "loop"
        case .if: "if"
        case .else: "else"
        case .end: "end"
        case .br: "br"
        case .brIf: "br_if"
        case .brTable: "br_table"
        case .return: "return"
        case .call: "call"
        case .callIndirect: "call_indirect"
        case .drop: "drop"
        case .select, .typedSelect: "select"
        case .localGet: "local.get"
        case .localSet: "local.set"
        case .localTee: "local.tee"
        case .globalGet: "global.get"
        case .globalSet: "global.set"
        case .load(let op, _): textName(String(describing: op))
        case .store(let op, _): textName(String(describing: op))
        case .memorySize: "memory.size"
        case .memoryGrow: "memory.grow"
        case .i32Const: "i32.const"
        case .i64Const: "i64.const"
        case .f32Const: "f32.const"
        case .f64Const: "f64.const"
        case .refNull: "ref.null"
        case .refIsNull: "ref.is_null"
        case .refFunc: "ref.func"
        case .i32Eqz: "i32.eqz"
        case .i64Eqz: "i64.eqz"
        case .cmp(let op): textName(String(describing: op))
        case .unary(let op): textName(String(describing: op))
        case .binary(let op): textName(String(describing: op))
        case .conversion(let op): textName(String(describing: op))
        case .memoryInit: "memory.init"
        case .dataDrop: "data.drop"
        case .memoryCopy: "memory.copy"
        case .memoryFill: "memory.fill"
        case .tableInit: "table.init"
        case .elemDrop: "elem.drop"
        case .tableCopy: "table.copy"
        case .tableFill: "table.fill"
        case .tableGet: "table.get"
        case .tableSet: "table.set"
        case .tableGrow: "table.grow"
        case .tableSize: "table.size"
        case .returnCall: "return_call"
        case .returnCallIndirect: "return_call_indirect"
        case .returnCallRef: "return_call_ref"
        case .callRef: "call_ref"
        case .tryTable: "try_table"
        case .throw: "throw"
        case .throwRef: "throw_ref"
        case .v128Const: "v128.const"
        case .i8x16Shuffle: "i8x16.shuffle"
        case .simd(let op): textName(String(describing: op))
        case .simdLane(let op, _): textName(String(describing: op))
        case .simdMemLane(let op, _, _): textName(String(describing: op))
        default:
            // Other proposals: the Swift case name, e.g. "structNew" → "struct_new".
            textName(String(String(describing: instruction).prefix { $0 != "(" }))
        }
    }

    private static let typePrefixes = ["i8x16", "i16x8", "i32x4", "i64x2", "f32x4", "f64x2", "v128", "i32", "i64", "f32", "f64"]

    /// Converts a Swift case name to the text format: "i32TruncSatF64U" → "i32.trunc_sat_f64_u",
    /// "i64Load32S" → "i64.load32_s".
    static func textName(_ caseName: String) -> String {
        var prefix = ""
        var rest = Substring(caseName)
        for candidate in typePrefixes where caseName.hasPrefix(candidate) {
            let after = caseName.dropFirst(candidate.count)
            // Only a prefix when followed by an uppercase letter ("i32Add", not "i32x4…" for "i32").
            if let first = after.first, first.isUppercase {
                prefix = candidate + "."
                rest = after
                break
            }
        }
        var out = ""
        let chars = Array(rest)
        for (i, c) in chars.enumerated() {
            if c.isUppercase {
                let lower = c.lowercased()
                // "I8X16" is a lane shape: keep the "x" inside it.
                let inShape = c == "X" && i > 0 && chars[i - 1].isNumber && i + 1 < chars.count && chars[i + 1].isNumber
                if !inShape && !out.isEmpty { out += "_" }
                out += lower
            } else {
                out.append(c)
            }
        }
        return prefix + out
    }
}
