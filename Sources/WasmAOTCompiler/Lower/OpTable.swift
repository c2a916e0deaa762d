import WasmParser
import WasmTypes

/// How one numeric instruction lowers to C: its operand and result types and a
/// C expression template in which `$0`, `$1` are the operands and `$ctx` the
/// instance and trap site (for instructions that can trap). One entry per opcode.
struct OpForm {
    var operands: [ValueType]
    var result: ValueType
    var template: String

    init(_ operands: [ValueType], _ result: ValueType, _ template: String) {
        self.operands = operands
        self.result = result
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

enum OpTable {
    static func binary(_ op: Instruction.Binary) -> OpForm {
        let i32: [ValueType] = [.i32, .i32], i64: [ValueType] = [.i64, .i64]
        let f32: [ValueType] = [.f32, .f32], f64: [ValueType] = [.f64, .f64]
        switch op {
        case .i32Add: return OpForm(i32, .i32, "$0 + $1")
        case .i32Sub: return OpForm(i32, .i32, "$0 - $1")
        case .i32Mul: return OpForm(i32, .i32, "$0 * $1")
        case .i32DivS: return OpForm(i32, .i32, "wa_i32_div_s($ctx, $0, $1)")
        case .i32DivU: return OpForm(i32, .i32, "wa_i32_div_u($ctx, $0, $1)")
        case .i32RemS: return OpForm(i32, .i32, "wa_i32_rem_s($ctx, $0, $1)")
        case .i32RemU: return OpForm(i32, .i32, "wa_i32_rem_u($ctx, $0, $1)")
        case .i32And: return OpForm(i32, .i32, "$0 & $1")
        case .i32Or: return OpForm(i32, .i32, "$0 | $1")
        case .i32Xor: return OpForm(i32, .i32, "$0 ^ $1")
        case .i32Shl: return OpForm(i32, .i32, "$0 << ($1 & 31)")
        case .i32ShrS: return OpForm(i32, .i32, "wa_i32_shr_s($0, $1)")
        case .i32ShrU: return OpForm(i32, .i32, "$0 >> ($1 & 31)")
        case .i32Rotl: return OpForm(i32, .i32, "wa_i32_rotl($0, $1)")
        case .i32Rotr: return OpForm(i32, .i32, "wa_i32_rotr($0, $1)")
        case .i64Add: return OpForm(i64, .i64, "$0 + $1")
        case .i64Sub: return OpForm(i64, .i64, "$0 - $1")
        case .i64Mul: return OpForm(i64, .i64, "$0 * $1")
        case .i64DivS: return OpForm(i64, .i64, "wa_i64_div_s($ctx, $0, $1)")
        case .i64DivU: return OpForm(i64, .i64, "wa_i64_div_u($ctx, $0, $1)")
        case .i64RemS: return OpForm(i64, .i64, "wa_i64_rem_s($ctx, $0, $1)")
        case .i64RemU: return OpForm(i64, .i64, "wa_i64_rem_u($ctx, $0, $1)")
        case .i64And: return OpForm(i64, .i64, "$0 & $1")
        case .i64Or: return OpForm(i64, .i64, "$0 | $1")
        case .i64Xor: return OpForm(i64, .i64, "$0 ^ $1")
        case .i64Shl: return OpForm(i64, .i64, "$0 << ($1 & 63)")
        case .i64ShrS: return OpForm(i64, .i64, "wa_i64_shr_s($0, $1)")
        case .i64ShrU: return OpForm(i64, .i64, "$0 >> ($1 & 63)")
        case .i64Rotl: return OpForm(i64, .i64, "wa_i64_rotl($0, $1)")
        case .i64Rotr: return OpForm(i64, .i64, "wa_i64_rotr($0, $1)")
        case .f32Add: return OpForm(f32, .f32, "$0 + $1")
        case .f32Sub: return OpForm(f32, .f32, "$0 - $1")
        case .f32Mul: return OpForm(f32, .f32, "$0 * $1")
        case .f32Div: return OpForm(f32, .f32, "$0 / $1")
        case .f32Min: return OpForm(f32, .f32, "wa_f32_min($0, $1)")
        case .f32Max: return OpForm(f32, .f32, "wa_f32_max($0, $1)")
        case .f32Copysign: return OpForm(f32, .f32, "wa_f32_copysign($0, $1)")
        case .f64Add: return OpForm(f64, .f64, "$0 + $1")
        case .f64Sub: return OpForm(f64, .f64, "$0 - $1")
        case .f64Mul: return OpForm(f64, .f64, "$0 * $1")
        case .f64Div: return OpForm(f64, .f64, "$0 / $1")
        case .f64Min: return OpForm(f64, .f64, "wa_f64_min($0, $1)")
        case .f64Max: return OpForm(f64, .f64, "wa_f64_max($0, $1)")
        case .f64Copysign: return OpForm(f64, .f64, "wa_f64_copysign($0, $1)")
        }
    }

    static func compare(_ op: Instruction.Cmp) -> OpForm {
        let i32: [ValueType] = [.i32, .i32], i64: [ValueType] = [.i64, .i64]
        let f32: [ValueType] = [.f32, .f32], f64: [ValueType] = [.f64, .f64]
        switch op {
        case .i32Eq: return OpForm(i32, .i32, "$0 == $1")
        case .i32Ne: return OpForm(i32, .i32, "$0 != $1")
        case .i32LtS: return OpForm(i32, .i32, "WA_S32($0) < WA_S32($1)")
        case .i32LtU: return OpForm(i32, .i32, "$0 < $1")
        case .i32GtS: return OpForm(i32, .i32, "WA_S32($0) > WA_S32($1)")
        case .i32GtU: return OpForm(i32, .i32, "$0 > $1")
        case .i32LeS: return OpForm(i32, .i32, "WA_S32($0) <= WA_S32($1)")
        case .i32LeU: return OpForm(i32, .i32, "$0 <= $1")
        case .i32GeS: return OpForm(i32, .i32, "WA_S32($0) >= WA_S32($1)")
        case .i32GeU: return OpForm(i32, .i32, "$0 >= $1")
        case .i64Eq: return OpForm(i64, .i32, "$0 == $1")
        case .i64Ne: return OpForm(i64, .i32, "$0 != $1")
        case .i64LtS: return OpForm(i64, .i32, "WA_S64($0) < WA_S64($1)")
        case .i64LtU: return OpForm(i64, .i32, "$0 < $1")
        case .i64GtS: return OpForm(i64, .i32, "WA_S64($0) > WA_S64($1)")
        case .i64GtU: return OpForm(i64, .i32, "$0 > $1")
        case .i64LeS: return OpForm(i64, .i32, "WA_S64($0) <= WA_S64($1)")
        case .i64LeU: return OpForm(i64, .i32, "$0 <= $1")
        case .i64GeS: return OpForm(i64, .i32, "WA_S64($0) >= WA_S64($1)")
        case .i64GeU: return OpForm(i64, .i32, "$0 >= $1")
        case .f32Eq: return OpForm(f32, .i32, "$0 == $1")
        case .f32Ne: return OpForm(f32, .i32, "$0 != $1")
        case .f32Lt: return OpForm(f32, .i32, "$0 < $1")
        case .f32Gt: return OpForm(f32, .i32, "$0 > $1")
        case .f32Le: return OpForm(f32, .i32, "$0 <= $1")
        case .f32Ge: return OpForm(f32, .i32, "$0 >= $1")
        case .f64Eq: return OpForm(f64, .i32, "$0 == $1")
        case .f64Ne: return OpForm(f64, .i32, "$0 != $1")
        case .f64Lt: return OpForm(f64, .i32, "$0 < $1")
        case .f64Gt: return OpForm(f64, .i32, "$0 > $1")
        case .f64Le: return OpForm(f64, .i32, "$0 <= $1")
        case .f64Ge: return OpForm(f64, .i32, "$0 >= $1")
        }
    }

    static func unary(_ op: Instruction.Unary) -> OpForm {
        switch op {
        case .i32Clz: return OpForm([.i32], .i32, "wa_i32_clz($0)")
        case .i32Ctz: return OpForm([.i32], .i32, "wa_i32_ctz($0)")
        case .i32Popcnt: return OpForm([.i32], .i32, "wa_i32_popcnt($0)")
        case .i64Clz: return OpForm([.i64], .i64, "wa_i64_clz($0)")
        case .i64Ctz: return OpForm([.i64], .i64, "wa_i64_ctz($0)")
        case .i64Popcnt: return OpForm([.i64], .i64, "wa_i64_popcnt($0)")
        case .f32Abs: return OpForm([.f32], .f32, "wa_f32_abs($0)")
        case .f32Neg: return OpForm([.f32], .f32, "wa_f32_neg($0)")
        case .f32Ceil: return OpForm([.f32], .f32, "wa_f32_ceil($0)")
        case .f32Floor: return OpForm([.f32], .f32, "wa_f32_floor($0)")
        case .f32Trunc: return OpForm([.f32], .f32, "wa_f32_trunc($0)")
        case .f32Nearest: return OpForm([.f32], .f32, "wa_f32_nearest($0)")
        case .f32Sqrt: return OpForm([.f32], .f32, "wa_f32_sqrt($0)")
        case .f64Abs: return OpForm([.f64], .f64, "wa_f64_abs($0)")
        case .f64Neg: return OpForm([.f64], .f64, "wa_f64_neg($0)")
        case .f64Ceil: return OpForm([.f64], .f64, "wa_f64_ceil($0)")
        case .f64Floor: return OpForm([.f64], .f64, "wa_f64_floor($0)")
        case .f64Trunc: return OpForm([.f64], .f64, "wa_f64_trunc($0)")
        case .f64Nearest: return OpForm([.f64], .f64, "wa_f64_nearest($0)")
        case .f64Sqrt: return OpForm([.f64], .f64, "wa_f64_sqrt($0)")
        case .i32Extend8S: return OpForm([.i32], .i32, "(uint32_t)(int32_t)(int8_t)$0")
        case .i32Extend16S: return OpForm([.i32], .i32, "(uint32_t)(int32_t)(int16_t)$0")
        case .i64Extend8S: return OpForm([.i64], .i64, "(uint64_t)(int64_t)(int8_t)$0")
        case .i64Extend16S: return OpForm([.i64], .i64, "(uint64_t)(int64_t)(int16_t)$0")
        case .i64Extend32S: return OpForm([.i64], .i64, "(uint64_t)(int64_t)(int32_t)$0")
        }
    }

    static func conversion(_ op: Instruction.Conversion) -> OpForm {
        switch op {
        case .i32WrapI64: return OpForm([.i64], .i32, "(uint32_t)$0")
        case .i32TruncF32S: return OpForm([.f32], .i32, "wa_i32_trunc_f32_s($ctx, $0)")
        case .i32TruncF32U: return OpForm([.f32], .i32, "wa_i32_trunc_f32_u($ctx, $0)")
        case .i32TruncF64S: return OpForm([.f64], .i32, "wa_i32_trunc_f64_s($ctx, $0)")
        case .i32TruncF64U: return OpForm([.f64], .i32, "wa_i32_trunc_f64_u($ctx, $0)")
        case .i64ExtendI32S: return OpForm([.i32], .i64, "(uint64_t)(int64_t)(int32_t)$0")
        case .i64ExtendI32U: return OpForm([.i32], .i64, "(uint64_t)$0")
        case .i64TruncF32S: return OpForm([.f32], .i64, "wa_i64_trunc_f32_s($ctx, $0)")
        case .i64TruncF32U: return OpForm([.f32], .i64, "wa_i64_trunc_f32_u($ctx, $0)")
        case .i64TruncF64S: return OpForm([.f64], .i64, "wa_i64_trunc_f64_s($ctx, $0)")
        case .i64TruncF64U: return OpForm([.f64], .i64, "wa_i64_trunc_f64_u($ctx, $0)")
        case .f32ConvertI32S: return OpForm([.i32], .f32, "(float)(int32_t)$0")
        case .f32ConvertI32U: return OpForm([.i32], .f32, "(float)$0")
        case .f32ConvertI64S: return OpForm([.i64], .f32, "(float)(int64_t)$0")
        case .f32ConvertI64U: return OpForm([.i64], .f32, "(float)$0")
        case .f32DemoteF64: return OpForm([.f64], .f32, "(float)$0")
        case .f64ConvertI32S: return OpForm([.i32], .f64, "(double)(int32_t)$0")
        case .f64ConvertI32U: return OpForm([.i32], .f64, "(double)$0")
        case .f64ConvertI64S: return OpForm([.i64], .f64, "(double)(int64_t)$0")
        case .f64ConvertI64U: return OpForm([.i64], .f64, "(double)$0")
        case .f64PromoteF32: return OpForm([.f32], .f64, "(double)$0")
        case .i32ReinterpretF32: return OpForm([.f32], .i32, "wa_f32_bits($0)")
        case .i64ReinterpretF64: return OpForm([.f64], .i64, "wa_f64_bits($0)")
        case .f32ReinterpretI32: return OpForm([.i32], .f32, "wa_f32_from_bits($0)")
        case .f64ReinterpretI64: return OpForm([.i64], .f64, "wa_f64_from_bits($0)")
        case .i32TruncSatF32S: return OpForm([.f32], .i32, "wa_i32_trunc_sat_f32_s($0)")
        case .i32TruncSatF32U: return OpForm([.f32], .i32, "wa_i32_trunc_sat_f32_u($0)")
        case .i32TruncSatF64S: return OpForm([.f64], .i32, "wa_i32_trunc_sat_f64_s($0)")
        case .i32TruncSatF64U: return OpForm([.f64], .i32, "wa_i32_trunc_sat_f64_u($0)")
        case .i64TruncSatF32S: return OpForm([.f32], .i64, "wa_i64_trunc_sat_f32_s($0)")
        case .i64TruncSatF32U: return OpForm([.f32], .i64, "wa_i64_trunc_sat_f32_u($0)")
        case .i64TruncSatF64S: return OpForm([.f64], .i64, "wa_i64_trunc_sat_f64_s($0)")
        case .i64TruncSatF64U: return OpForm([.f64], .i64, "wa_i64_trunc_sat_f64_u($0)")
        }
    }

    /// The C helper of `wasmaot_simd.h` implementing a v128 instruction: named
    /// after its mnemonic (`i8x16.add_sat_s` → `wa_i8x16_add_sat_s`).
    static func simdHelper(_ instruction: Instruction) -> String {
        "wa_" + InstructionTypes.mnemonic(instruction).replacingOccurrences(of: ".", with: "_")
    }

    /// A v128 instruction without immediates, typed by the validator's table, calling
    /// `helper` (its `simdHelper`). Nil for relaxed SIMD (rejected by validation).
    static func simd(_ op: Instruction.Simd, helper: String) -> OpForm? {
        guard let signature = InstructionTypes.simd(op), let result = signature.results.first else { return nil }
        let operands = signature.operands.indices.map { "$\($0)" }.joined(separator: ", ")
        return OpForm(signature.operands, result, "\(helper)(\(operands))")
    }

    /// Float arithmetic on v128 whose constant operands need the NaN-folding barrier.
    static func simdNeedsNaNGuard(_ op: Instruction.Simd) -> Bool {
        switch op {
        case .f32x4Add, .f32x4Sub, .f32x4Mul, .f32x4Div, .f64x2Add, .f64x2Sub, .f64x2Mul, .f64x2Div,
            .f32x4DemoteF64X2Zero:
            true
        default: false
        }
    }

    /// Loads: (C helper, result type). Atomic loads are not lowered (rejected by validation).
    static func load(_ op: Instruction.Load) -> (helper: String, result: ValueType)? {
        switch op {
        case .i32Load: return ("wa_i32_load", .i32)
        case .i64Load: return ("wa_i64_load", .i64)
        case .f32Load: return ("wa_f32_load", .f32)
        case .f64Load: return ("wa_f64_load", .f64)
        case .i32Load8S: return ("wa_i32_load8_s", .i32)
        case .i32Load8U: return ("wa_i32_load8_u", .i32)
        case .i32Load16S: return ("wa_i32_load16_s", .i32)
        case .i32Load16U: return ("wa_i32_load16_u", .i32)
        case .i64Load8S: return ("wa_i64_load8_s", .i64)
        case .i64Load8U: return ("wa_i64_load8_u", .i64)
        case .i64Load16S: return ("wa_i64_load16_s", .i64)
        case .i64Load16U: return ("wa_i64_load16_u", .i64)
        case .i64Load32S: return ("wa_i64_load32_s", .i64)
        case .i64Load32U: return ("wa_i64_load32_u", .i64)
        case .v128Load: return ("wa_v128_load", .v128)
        case .v128Load8X8S: return ("wa_v128_load8x8_s", .v128)
        case .v128Load8X8U: return ("wa_v128_load8x8_u", .v128)
        case .v128Load16X4S: return ("wa_v128_load16x4_s", .v128)
        case .v128Load16X4U: return ("wa_v128_load16x4_u", .v128)
        case .v128Load32X2S: return ("wa_v128_load32x2_s", .v128)
        case .v128Load32X2U: return ("wa_v128_load32x2_u", .v128)
        case .v128Load8Splat: return ("wa_v128_load8_splat", .v128)
        case .v128Load16Splat: return ("wa_v128_load16_splat", .v128)
        case .v128Load32Splat: return ("wa_v128_load32_splat", .v128)
        case .v128Load64Splat: return ("wa_v128_load64_splat", .v128)
        case .v128Load32Zero: return ("wa_v128_load32_zero", .v128)
        case .v128Load64Zero: return ("wa_v128_load64_zero", .v128)
        default: return nil
        }
    }

    /// Stores: (C helper, value type).
    static func store(_ op: Instruction.Store) -> (helper: String, value: ValueType)? {
        switch op {
        case .i32Store: return ("wa_i32_store", .i32)
        case .i64Store: return ("wa_i64_store", .i64)
        case .f32Store: return ("wa_f32_store", .f32)
        case .f64Store: return ("wa_f64_store", .f64)
        case .i32Store8: return ("wa_i32_store8", .i32)
        case .i32Store16: return ("wa_i32_store16", .i32)
        case .i64Store8: return ("wa_i64_store8", .i64)
        case .i64Store16: return ("wa_i64_store16", .i64)
        case .i64Store32: return ("wa_i64_store32", .i64)
        case .v128Store: return ("wa_v128_store", .v128)
        default: return nil
        }
    }
}
