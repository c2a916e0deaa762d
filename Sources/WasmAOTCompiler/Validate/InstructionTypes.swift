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
    static let constV128 = StackSignature([], [.v128])
    static let unaryV128 = StackSignature([.v128], [.v128])
    static let binaryV128 = StackSignature([.v128, .v128], [.v128])
    static let ternaryV128 = StackSignature([.v128, .v128, .v128], [.v128])
    static let testV128 = StackSignature([.v128], [.i32])
    static let shiftV128 = StackSignature([.v128, .i32], [.v128])
    static let v128FromI32 = StackSignature([.i32], [.v128])
    static let v128FromI64 = StackSignature([.i64], [.v128])
    static let v128FromF32 = StackSignature([.f32], [.v128])
    static let v128FromF64 = StackSignature([.f64], [.v128])
}

/// The edition of the WebAssembly specification a module is validated against.
public enum WebAssemblyVersion: String, Sendable, CaseIterable {
    /// WebAssembly 2.0 (2022): one memory, 32-bit addresses, no later proposal. For
    /// toolchains and test suites that expect 2.0's rules (its spec tests call a second
    /// memory invalid).
    case v2 = "2.0"
    /// WebAssembly 3.0 (2025), the default: the proposals this compiler implements.
    case v3 = "3.0"
}

/// A WebAssembly proposal beyond 2.0 that the decoder can read. Validation rejects the
/// instructions and types of those the compiler does not implement yet (all but
/// `Validator.supportedFeatures`) with the rule "unsupported feature: <name>".
public enum ValidatorFeature: String, Sendable, CaseIterable {
    /// The name as a command-line flag value: the name with hyphens, e.g. `exception-handling`.
    public var flagName: String { rawValue.split(separator: " ").joined(separator: "-") }

    case relaxedSimd = "relaxed simd"
    case threads = "threads"
    case tailCall = "tail calls"
    case exceptionHandling = "exception handling"
    case functionReferences = "typed function references"
    case gc = "gc"
    case memory64 = "memory64"
    case multiMemory = "multi-memory"
    /// A component (the component model's binary: the wasm magic, then version 0x0d, layer 1).
    case components = "components"
}

/// Per-family type tables: what each instruction pops and pushes, the natural
/// alignment of memory accesses, and which proposal an instruction belongs to.
/// Text-format names are in `Mnemonics.swift` (generated from WasmKit's instruction table).
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

    /// The v128 instructions without immediates, relaxed SIMD included. Lowering calls the C
    /// helper named after the mnemonic (`OpTable.simdHelper`).
    static func simd(_ op: Instruction.Simd) -> StackSignature {
        switch op {
        case .i8x16Splat, .i16x8Splat, .i32x4Splat: .v128FromI32
        case .i64x2Splat: .v128FromI64
        case .f32x4Splat: .v128FromF32
        case .f64x2Splat: .v128FromF64
        case .v128AnyTrue, .i8x16AllTrue, .i16x8AllTrue, .i32x4AllTrue, .i64x2AllTrue,
            .i8x16Bitmask, .i16x8Bitmask, .i32x4Bitmask, .i64x2Bitmask:
            .testV128
        case .i8x16Shl, .i8x16ShrS, .i8x16ShrU, .i16x8Shl, .i16x8ShrS, .i16x8ShrU,
            .i32x4Shl, .i32x4ShrS, .i32x4ShrU, .i64x2Shl, .i64x2ShrS, .i64x2ShrU:
            .shiftV128
        case .v128Bitselect: .ternaryV128
        case .v128Not, .i8x16Abs, .i8x16Neg, .i8x16Popcnt, .i16x8Abs, .i16x8Neg, .i32x4Abs, .i32x4Neg,
            .i64x2Abs, .i64x2Neg,
            .i16x8ExtendLowI8X16S, .i16x8ExtendHighI8X16S, .i16x8ExtendLowI8X16U, .i16x8ExtendHighI8X16U,
            .i32x4ExtendLowI16X8S, .i32x4ExtendHighI16X8S, .i32x4ExtendLowI16X8U, .i32x4ExtendHighI16X8U,
            .i64x2ExtendLowI32X4S, .i64x2ExtendHighI32X4S, .i64x2ExtendLowI32X4U, .i64x2ExtendHighI32X4U,
            .i16x8ExtaddPairwiseI8X16S, .i16x8ExtaddPairwiseI8X16U, .i32x4ExtaddPairwiseI16X8S,
            .i32x4ExtaddPairwiseI16X8U,
            .f32x4Ceil, .f32x4Floor, .f32x4Trunc, .f32x4Nearest, .f32x4Abs, .f32x4Neg, .f32x4Sqrt,
            .f64x2Ceil, .f64x2Floor, .f64x2Trunc, .f64x2Nearest, .f64x2Abs, .f64x2Neg, .f64x2Sqrt,
            .i32x4TruncSatF32X4S, .i32x4TruncSatF32X4U, .f32x4ConvertI32X4S, .f32x4ConvertI32X4U,
            .f64x2ConvertLowI32X4S, .f64x2ConvertLowI32X4U, .i32x4TruncSatF64X2SZero, .i32x4TruncSatF64X2UZero,
            .f32x4DemoteF64X2Zero, .f64x2PromoteLowF32X4:
            .unaryV128
        case .i8x16Swizzle,
            .i8x16Eq, .i8x16Ne, .i8x16LtS, .i8x16LtU, .i8x16GtS, .i8x16GtU, .i8x16LeS, .i8x16LeU, .i8x16GeS, .i8x16GeU,
            .i16x8Eq, .i16x8Ne, .i16x8LtS, .i16x8LtU, .i16x8GtS, .i16x8GtU, .i16x8LeS, .i16x8LeU, .i16x8GeS, .i16x8GeU,
            .i32x4Eq, .i32x4Ne, .i32x4LtS, .i32x4LtU, .i32x4GtS, .i32x4GtU, .i32x4LeS, .i32x4LeU, .i32x4GeS, .i32x4GeU,
            .i64x2Eq, .i64x2Ne, .i64x2LtS, .i64x2GtS, .i64x2LeS, .i64x2GeS,
            .f32x4Eq, .f32x4Ne, .f32x4Lt, .f32x4Gt, .f32x4Le, .f32x4Ge,
            .f64x2Eq, .f64x2Ne, .f64x2Lt, .f64x2Gt, .f64x2Le, .f64x2Ge,
            .v128And, .v128Andnot, .v128Or, .v128Xor,
            .i8x16NarrowI16X8S, .i8x16NarrowI16X8U, .i16x8NarrowI32X4S, .i16x8NarrowI32X4U,
            .i8x16Add, .i8x16AddSatS, .i8x16AddSatU, .i8x16Sub, .i8x16SubSatS, .i8x16SubSatU,
            .i8x16MinS, .i8x16MinU, .i8x16MaxS, .i8x16MaxU, .i8x16AvgrU,
            .i16x8Add, .i16x8AddSatS, .i16x8AddSatU, .i16x8Sub, .i16x8SubSatS, .i16x8SubSatU, .i16x8Mul,
            .i16x8MinS, .i16x8MinU, .i16x8MaxS, .i16x8MaxU, .i16x8AvgrU, .i16x8Q15MulrSatS,
            .i32x4Add, .i32x4Sub, .i32x4Mul, .i32x4MinS, .i32x4MinU, .i32x4MaxS, .i32x4MaxU, .i32x4DotI16X8S,
            .i64x2Add, .i64x2Sub, .i64x2Mul,
            .f32x4Add, .f32x4Sub, .f32x4Mul, .f32x4Div, .f32x4Min, .f32x4Max, .f32x4Pmin, .f32x4Pmax,
            .f64x2Add, .f64x2Sub, .f64x2Mul, .f64x2Div, .f64x2Min, .f64x2Max, .f64x2Pmin, .f64x2Pmax,
            .i16x8ExtmulLowI8X16S, .i16x8ExtmulHighI8X16S, .i16x8ExtmulLowI8X16U, .i16x8ExtmulHighI8X16U,
            .i32x4ExtmulLowI16X8S, .i32x4ExtmulHighI16X8S, .i32x4ExtmulLowI16X8U, .i32x4ExtmulHighI16X8U,
            .i64x2ExtmulLowI32X4S, .i64x2ExtmulHighI32X4S, .i64x2ExtmulLowI32X4U, .i64x2ExtmulHighI32X4U:
            .binaryV128
        case .i32x4RelaxedTruncF32X4S, .i32x4RelaxedTruncF32X4U, .i32x4RelaxedTruncF64X2SZero,
            .i32x4RelaxedTruncF64X2UZero:
            .unaryV128
        case .i8x16RelaxedSwizzle, .f32x4RelaxedMin, .f32x4RelaxedMax, .f64x2RelaxedMin, .f64x2RelaxedMax,
            .i16x8RelaxedQ15MulrS, .i16x8RelaxedDotI8X16I7X16S:
            .binaryV128
        case .f32x4RelaxedMadd, .f32x4RelaxedNmadd, .f64x2RelaxedMadd, .f64x2RelaxedNmadd,
            .i8x16RelaxedLaneselect, .i16x8RelaxedLaneselect, .i32x4RelaxedLaneselect, .i64x2RelaxedLaneselect,
            .i32x4RelaxedDotI8X16I7X16AddS:
            .ternaryV128
        }
    }

    /// Relaxed SIMD (WebAssembly 3.0) for its 20 instructions, nil for the 2.0 ones.
    static func proposal(_ op: Instruction.Simd) -> ValidatorFeature? {
        switch op {
        case .i8x16RelaxedSwizzle, .i32x4RelaxedTruncF32X4S, .i32x4RelaxedTruncF32X4U, .i32x4RelaxedTruncF64X2SZero,
            .i32x4RelaxedTruncF64X2UZero, .f32x4RelaxedMadd, .f32x4RelaxedNmadd, .f64x2RelaxedMadd,
            .f64x2RelaxedNmadd, .i8x16RelaxedLaneselect, .i16x8RelaxedLaneselect, .i32x4RelaxedLaneselect,
            .i64x2RelaxedLaneselect, .f32x4RelaxedMin, .f32x4RelaxedMax, .f64x2RelaxedMin, .f64x2RelaxedMax,
            .i16x8RelaxedQ15MulrS, .i16x8RelaxedDotI8X16I7X16S, .i32x4RelaxedDotI8X16I7X16AddS:
            .relaxedSimd
        default: nil
        }
    }

    /// A lane instruction: the lane count of its shape and the scalar type of a lane.
    static func lane(_ op: Instruction.SimdLane) -> (count: UInt8, scalar: ValueType, extracts: Bool) {
        switch op {
        case .i8x16ExtractLaneS, .i8x16ExtractLaneU: (16, .i32, true)
        case .i8x16ReplaceLane: (16, .i32, false)
        case .i16x8ExtractLaneS, .i16x8ExtractLaneU: (8, .i32, true)
        case .i16x8ReplaceLane: (8, .i32, false)
        case .i32x4ExtractLane: (4, .i32, true)
        case .i32x4ReplaceLane: (4, .i32, false)
        case .i64x2ExtractLane: (2, .i64, true)
        case .i64x2ReplaceLane: (2, .i64, false)
        case .f32x4ExtractLane: (4, .f32, true)
        case .f32x4ReplaceLane: (4, .f32, false)
        case .f64x2ExtractLane: (2, .f64, true)
        case .f64x2ReplaceLane: (2, .f64, false)
        }
    }

    /// A lane load or store: the bytes it moves (log2: its natural alignment) and whether it loads.
    static func memoryLane(_ op: Instruction.SimdMemLane) -> (log2Bytes: UInt32, loads: Bool) {
        switch op {
        case .v128Load8Lane: (0, true)
        case .v128Load16Lane: (1, true)
        case .v128Load32Lane: (2, true)
        case .v128Load64Lane: (3, true)
        case .v128Store8Lane: (0, false)
        case .v128Store16Lane: (1, false)
        case .v128Store32Lane: (2, false)
        case .v128Store64Lane: (3, false)
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
        case .v128Const: .constV128
        case .simd(let op): simd(op)
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
            nil
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
        case .v128Store: nil
        }
    }

    /// The proposal an instruction belongs to, or nil for WebAssembly 2.0 instructions (SIMD included).
    static func proposal(_ instruction: Instruction) -> ValidatorFeature? {
        switch instruction {
        case .load(let op, _): return proposal(op)
        case .store(let op, _): return proposal(op)
        case .throw, .throwRef, .tryTable: return .exceptionHandling
        case .returnCall, .returnCallIndirect: return .tailCall
        // A tail call, but of a typed function reference: it comes with that proposal.
        case .callRef, .returnCallRef, .refAsNonNull, .brOnNull, .brOnNonNull: return .functionReferences
        case .simd(let op): return proposal(op)
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
        case .i32, .i64, .f32, .f64, .v128: nil
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
}
