import WasmParser
import WasmTypes

/// How one numeric instruction lowers to C: its operand and result types (the validator's
/// signature, `InstructionTypes`) and a C expression template in which `$0`, `$1` are the
/// operands and `$ctx` the instance and trap site (for instructions that can trap).
struct OpForm {
    var operands: [ValueType]
    var result: ValueType
    var template: String

    /// `signature` has one result: every instruction lowered through a template pushes one value.
    init(_ signature: StackSignature, _ template: String) {
        self.operands = signature.operands
        self.result = signature.results[0]
        self.template = template
    }

    /// The C expression for the given operand expressions: `$0`…`$9` and `$ctx`
    /// substituted in one pass over the template's bytes (this runs for every
    /// arithmetic instruction of every module: no Character-level string work).
    func expression(_ args: [String], ctx: String = "ctx, WA_FN") -> String {
        let dollar = UInt8(ascii: "$"), zero = UInt8(ascii: "0"), nine = UInt8(ascii: "9")
        var out: [UInt8] = []
        out.reserveCapacity(template.utf8.count + args.reduce(0) { $0 + $1.utf8.count } + 8)
        let t = Array(template.utf8)
        var i = 0
        while i < t.count {
            let c = t[i]
            if c == dollar, i + 1 < t.count {
                let next = t[i + 1]
                if next >= zero, next <= nine, Int(next - zero) < args.count {
                    out.append(contentsOf: args[Int(next - zero)].utf8)
                    i += 2
                    continue
                }
                if i + 3 < t.count, next == UInt8(ascii: "c"), t[i + 2] == UInt8(ascii: "t"), t[i + 3] == UInt8(ascii: "x") {
                    out.append(contentsOf: ctx.utf8)
                    i += 4
                    continue
                }
            }
            out.append(c)
            i += 1
        }
        return String(decoding: out, as: UTF8.self)
    }
}

/// The C form of each instruction that lowers to one expression or one helper call: one
/// entry per opcode. Types come from the validator's tables, names of v128 helpers from
/// `SimdHelpers.swift` (generated with the mnemonics).
enum OpTable {
    static func binary(_ op: Instruction.Binary) -> OpForm { OpForm(InstructionTypes.binary(op), cBinary(op)) }

    private static func cBinary(_ op: Instruction.Binary) -> String {
        switch op {
        case .i32Add: "$0 + $1"
        case .i32Sub: "$0 - $1"
        case .i32Mul: "$0 * $1"
        case .i32DivS: "wa_i32_div_s($ctx, $0, $1)"
        case .i32DivU: "wa_i32_div_u($ctx, $0, $1)"
        case .i32RemS: "wa_i32_rem_s($ctx, $0, $1)"
        case .i32RemU: "wa_i32_rem_u($ctx, $0, $1)"
        case .i32And: "$0 & $1"
        case .i32Or: "$0 | $1"
        case .i32Xor: "$0 ^ $1"
        case .i32Shl: "$0 << ($1 & 31)"
        case .i32ShrS: "wa_i32_shr_s($0, $1)"
        case .i32ShrU: "$0 >> ($1 & 31)"
        case .i32Rotl: "wa_i32_rotl($0, $1)"
        case .i32Rotr: "wa_i32_rotr($0, $1)"
        case .i64Add: "$0 + $1"
        case .i64Sub: "$0 - $1"
        case .i64Mul: "$0 * $1"
        case .i64DivS: "wa_i64_div_s($ctx, $0, $1)"
        case .i64DivU: "wa_i64_div_u($ctx, $0, $1)"
        case .i64RemS: "wa_i64_rem_s($ctx, $0, $1)"
        case .i64RemU: "wa_i64_rem_u($ctx, $0, $1)"
        case .i64And: "$0 & $1"
        case .i64Or: "$0 | $1"
        case .i64Xor: "$0 ^ $1"
        case .i64Shl: "$0 << ($1 & 63)"
        case .i64ShrS: "wa_i64_shr_s($0, $1)"
        case .i64ShrU: "$0 >> ($1 & 63)"
        case .i64Rotl: "wa_i64_rotl($0, $1)"
        case .i64Rotr: "wa_i64_rotr($0, $1)"
        case .f32Add: "$0 + $1"
        case .f32Sub: "$0 - $1"
        case .f32Mul: "$0 * $1"
        case .f32Div: "$0 / $1"
        case .f32Min: "wa_f32_min($0, $1)"
        case .f32Max: "wa_f32_max($0, $1)"
        case .f32Copysign: "wa_f32_copysign($0, $1)"
        case .f64Add: "$0 + $1"
        case .f64Sub: "$0 - $1"
        case .f64Mul: "$0 * $1"
        case .f64Div: "$0 / $1"
        case .f64Min: "wa_f64_min($0, $1)"
        case .f64Max: "wa_f64_max($0, $1)"
        case .f64Copysign: "wa_f64_copysign($0, $1)"
        }
    }

    static func compare(_ op: Instruction.Cmp) -> OpForm { OpForm(InstructionTypes.compare(op), cCompare(op)) }

    private static func cCompare(_ op: Instruction.Cmp) -> String {
        switch op {
        case .i32Eq: "$0 == $1"
        case .i32Ne: "$0 != $1"
        case .i32LtS: "WA_S32($0) < WA_S32($1)"
        case .i32LtU: "$0 < $1"
        case .i32GtS: "WA_S32($0) > WA_S32($1)"
        case .i32GtU: "$0 > $1"
        case .i32LeS: "WA_S32($0) <= WA_S32($1)"
        case .i32LeU: "$0 <= $1"
        case .i32GeS: "WA_S32($0) >= WA_S32($1)"
        case .i32GeU: "$0 >= $1"
        case .i64Eq: "$0 == $1"
        case .i64Ne: "$0 != $1"
        case .i64LtS: "WA_S64($0) < WA_S64($1)"
        case .i64LtU: "$0 < $1"
        case .i64GtS: "WA_S64($0) > WA_S64($1)"
        case .i64GtU: "$0 > $1"
        case .i64LeS: "WA_S64($0) <= WA_S64($1)"
        case .i64LeU: "$0 <= $1"
        case .i64GeS: "WA_S64($0) >= WA_S64($1)"
        case .i64GeU: "$0 >= $1"
        case .f32Eq: "$0 == $1"
        case .f32Ne: "$0 != $1"
        case .f32Lt: "$0 < $1"
        case .f32Gt: "$0 > $1"
        case .f32Le: "$0 <= $1"
        case .f32Ge: "$0 >= $1"
        case .f64Eq: "$0 == $1"
        case .f64Ne: "$0 != $1"
        case .f64Lt: "$0 < $1"
        case .f64Gt: "$0 > $1"
        case .f64Le: "$0 <= $1"
        case .f64Ge: "$0 >= $1"
        }
    }

    static func unary(_ op: Instruction.Unary) -> OpForm { OpForm(InstructionTypes.unary(op), cUnary(op)) }

    private static func cUnary(_ op: Instruction.Unary) -> String {
        switch op {
        case .i32Clz: "wa_i32_clz($0)"
        case .i32Ctz: "wa_i32_ctz($0)"
        case .i32Popcnt: "wa_i32_popcnt($0)"
        case .i64Clz: "wa_i64_clz($0)"
        case .i64Ctz: "wa_i64_ctz($0)"
        case .i64Popcnt: "wa_i64_popcnt($0)"
        case .f32Abs: "wa_f32_abs($0)"
        case .f32Neg: "wa_f32_neg($0)"
        case .f32Ceil: "wa_f32_ceil($0)"
        case .f32Floor: "wa_f32_floor($0)"
        case .f32Trunc: "wa_f32_trunc($0)"
        case .f32Nearest: "wa_f32_nearest($0)"
        case .f32Sqrt: "wa_f32_sqrt($0)"
        case .f64Abs: "wa_f64_abs($0)"
        case .f64Neg: "wa_f64_neg($0)"
        case .f64Ceil: "wa_f64_ceil($0)"
        case .f64Floor: "wa_f64_floor($0)"
        case .f64Trunc: "wa_f64_trunc($0)"
        case .f64Nearest: "wa_f64_nearest($0)"
        case .f64Sqrt: "wa_f64_sqrt($0)"
        case .i32Extend8S: "(uint32_t)(int32_t)(int8_t)$0"
        case .i32Extend16S: "(uint32_t)(int32_t)(int16_t)$0"
        case .i64Extend8S: "(uint64_t)(int64_t)(int8_t)$0"
        case .i64Extend16S: "(uint64_t)(int64_t)(int16_t)$0"
        case .i64Extend32S: "(uint64_t)(int64_t)(int32_t)$0"
        }
    }

    static func conversion(_ op: Instruction.Conversion) -> OpForm { OpForm(InstructionTypes.conversion(op), cConversion(op)) }

    private static func cConversion(_ op: Instruction.Conversion) -> String {
        switch op {
        case .i32WrapI64: "(uint32_t)$0"
        case .i32TruncF32S: "wa_i32_trunc_f32_s($ctx, $0)"
        case .i32TruncF32U: "wa_i32_trunc_f32_u($ctx, $0)"
        case .i32TruncF64S: "wa_i32_trunc_f64_s($ctx, $0)"
        case .i32TruncF64U: "wa_i32_trunc_f64_u($ctx, $0)"
        case .i64ExtendI32S: "(uint64_t)(int64_t)(int32_t)$0"
        case .i64ExtendI32U: "(uint64_t)$0"
        case .i64TruncF32S: "wa_i64_trunc_f32_s($ctx, $0)"
        case .i64TruncF32U: "wa_i64_trunc_f32_u($ctx, $0)"
        case .i64TruncF64S: "wa_i64_trunc_f64_s($ctx, $0)"
        case .i64TruncF64U: "wa_i64_trunc_f64_u($ctx, $0)"
        case .f32ConvertI32S: "(float)(int32_t)$0"
        case .f32ConvertI32U: "(float)$0"
        case .f32ConvertI64S: "(float)(int64_t)$0"
        case .f32ConvertI64U: "(float)$0"
        case .f32DemoteF64: "(float)$0"
        case .f64ConvertI32S: "(double)(int32_t)$0"
        case .f64ConvertI32U: "(double)$0"
        case .f64ConvertI64S: "(double)(int64_t)$0"
        case .f64ConvertI64U: "(double)$0"
        case .f64PromoteF32: "(double)$0"
        case .i32ReinterpretF32: "wa_f32_bits($0)"
        case .i64ReinterpretF64: "wa_f64_bits($0)"
        case .f32ReinterpretI32: "wa_f32_from_bits($0)"
        case .f64ReinterpretI64: "wa_f64_from_bits($0)"
        case .i32TruncSatF32S: "wa_i32_trunc_sat_f32_s($0)"
        case .i32TruncSatF32U: "wa_i32_trunc_sat_f32_u($0)"
        case .i32TruncSatF64S: "wa_i32_trunc_sat_f64_s($0)"
        case .i32TruncSatF64U: "wa_i32_trunc_sat_f64_u($0)"
        case .i64TruncSatF32S: "wa_i64_trunc_sat_f32_s($0)"
        case .i64TruncSatF32U: "wa_i64_trunc_sat_f32_u($0)"
        case .i64TruncSatF64S: "wa_i64_trunc_sat_f64_s($0)"
        case .i64TruncSatF64U: "wa_i64_trunc_sat_f64_u($0)"
        }
    }

    /// A v128 instruction without immediates, typed by the validator's table, calling its helper.
    static func simd(_ op: Instruction.Simd) -> OpForm {
        let signature = InstructionTypes.simd(op)
        let operands = signature.operands.indices.map { "$\($0)" }.joined(separator: ", ")
        return OpForm(signature, "\(simdHelper(op))(\(operands))")
    }

    /// Float arithmetic on v128 whose constant operands need the NaN-folding barrier.
    static func simdNeedsNaNGuard(_ op: Instruction.Simd) -> Bool {
        switch op {
        case .f32x4Add, .f32x4Sub, .f32x4Mul, .f32x4Div, .f64x2Add, .f64x2Sub, .f64x2Mul, .f64x2Div,
            .f32x4DemoteF64X2Zero, .f32x4RelaxedMadd, .f32x4RelaxedNmadd, .f64x2RelaxedMadd, .f64x2RelaxedNmadd:
            true
        default: false
        }
    }

    /// The C helper of a load (its result type: `InstructionTypes.access`). Atomic loads are not
    /// lowered (rejected by validation).
    static func load(_ op: Instruction.Load) -> String? {
        switch op {
        case .i32Load: return "wa_i32_load"
        case .i64Load: return "wa_i64_load"
        case .f32Load: return "wa_f32_load"
        case .f64Load: return "wa_f64_load"
        case .i32Load8S: return "wa_i32_load8_s"
        case .i32Load8U: return "wa_i32_load8_u"
        case .i32Load16S: return "wa_i32_load16_s"
        case .i32Load16U: return "wa_i32_load16_u"
        case .i64Load8S: return "wa_i64_load8_s"
        case .i64Load8U: return "wa_i64_load8_u"
        case .i64Load16S: return "wa_i64_load16_s"
        case .i64Load16U: return "wa_i64_load16_u"
        case .i64Load32S: return "wa_i64_load32_s"
        case .i64Load32U: return "wa_i64_load32_u"
        case .v128Load: return "wa_v128_load"
        case .v128Load8X8S: return "wa_v128_load8x8_s"
        case .v128Load8X8U: return "wa_v128_load8x8_u"
        case .v128Load16X4S: return "wa_v128_load16x4_s"
        case .v128Load16X4U: return "wa_v128_load16x4_u"
        case .v128Load32X2S: return "wa_v128_load32x2_s"
        case .v128Load32X2U: return "wa_v128_load32x2_u"
        case .v128Load8Splat: return "wa_v128_load8_splat"
        case .v128Load16Splat: return "wa_v128_load16_splat"
        case .v128Load32Splat: return "wa_v128_load32_splat"
        case .v128Load64Splat: return "wa_v128_load64_splat"
        case .v128Load32Zero: return "wa_v128_load32_zero"
        case .v128Load64Zero: return "wa_v128_load64_zero"
        default: return nil
        }
    }

    /// The C helper of a store.
    static func store(_ op: Instruction.Store) -> String? {
        switch op {
        case .i32Store: return "wa_i32_store"
        case .i64Store: return "wa_i64_store"
        case .f32Store: return "wa_f32_store"
        case .f64Store: return "wa_f64_store"
        case .i32Store8: return "wa_i32_store8"
        case .i32Store16: return "wa_i32_store16"
        case .i64Store8: return "wa_i64_store8"
        case .i64Store16: return "wa_i64_store16"
        case .i64Store32: return "wa_i64_store32"
        case .v128Store: return "wa_v128_store"
        default: return nil
        }
    }
}
