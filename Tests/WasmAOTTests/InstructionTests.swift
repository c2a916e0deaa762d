import Foundation
import Testing
import WasmAOT
import WasmAOTCompiler

/// Each instruction family, compiled through the whole pipeline at -O2 and at
/// -O0 (and with explicit bounds checks), against expected values and traps. The spec suite (`make spectest`)
/// covers every instruction exhaustively; these pin the families down in
/// unit tests with readable expectations.
@Suite("Instructions")
struct InstructionTests {
    enum Expect: CustomStringConvertible {
        case values([Value])
        case trap(TrapKind)
        /// A single f32/f64 result that is a NaN with the quiet bit set (the spec's "arithmetic NaN").
        case arithmeticNaN
        var description: String {
            switch self {
            case .values(let v): return "\(v)"
            case .trap(let k): return "trap \(k)"
            case .arithmeticNaN: return "arithmetic NaN"
            }
        }
    }

    struct Case: CustomTestStringConvertible, Sendable {
        var function: String
        var args: [Value]
        var expect: Expect
        var testDescription: String { "\(function)(\(args.map(\.description).joined(separator: ", "))) → \(expect)" }
        init(_ function: String, _ args: [Value], _ expect: Expect) {
            self.function = function
            self.args = args
            self.expect = expect
        }
    }

    static let wat = """
        (module
          (memory (export "memory") 1 3)
          (global $g (mut i32) (i32.const 10))
          (global $h i64 (i64.const -7))
          (type $ii_i (func (param i32 i32) (result i32)))
          (type $v_i (func (result i32)))
          (table 4 funcref)
          (elem (i32.const 0) $add $sub $nullary)
          (func $add (type $ii_i) (i32.add (local.get 0) (local.get 1)))
          (func $sub (type $ii_i) (i32.sub (local.get 0) (local.get 1)))
          (func $nullary (type $v_i) (i32.const 99))
          (data (i32.const 16) "\\01\\02\\03\\04\\05\\06\\07\\08\\ff\\ff")

          ;; integer arithmetic
          (func (export "i32.add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))
          (func (export "i32.mul") (param i32 i32) (result i32) (i32.mul (local.get 0) (local.get 1)))
          (func (export "i32.div_s") (param i32 i32) (result i32) (i32.div_s (local.get 0) (local.get 1)))
          (func (export "i32.div_u") (param i32 i32) (result i32) (i32.div_u (local.get 0) (local.get 1)))
          (func (export "i32.rem_s") (param i32 i32) (result i32) (i32.rem_s (local.get 0) (local.get 1)))
          (func (export "i32.shl") (param i32 i32) (result i32) (i32.shl (local.get 0) (local.get 1)))
          (func (export "i32.shr_s") (param i32 i32) (result i32) (i32.shr_s (local.get 0) (local.get 1)))
          (func (export "i32.shr_u") (param i32 i32) (result i32) (i32.shr_u (local.get 0) (local.get 1)))
          (func (export "i32.rotl") (param i32 i32) (result i32) (i32.rotl (local.get 0) (local.get 1)))
          (func (export "i32.rotr") (param i32 i32) (result i32) (i32.rotr (local.get 0) (local.get 1)))
          (func (export "i32.clz") (param i32) (result i32) (i32.clz (local.get 0)))
          (func (export "i32.ctz") (param i32) (result i32) (i32.ctz (local.get 0)))
          (func (export "i32.popcnt") (param i32) (result i32) (i32.popcnt (local.get 0)))
          (func (export "i32.lt_s") (param i32 i32) (result i32) (i32.lt_s (local.get 0) (local.get 1)))
          (func (export "i32.lt_u") (param i32 i32) (result i32) (i32.lt_u (local.get 0) (local.get 1)))
          (func (export "i32.extend8_s") (param i32) (result i32) (i32.extend8_s (local.get 0)))
          (func (export "i64.div_s") (param i64 i64) (result i64) (i64.div_s (local.get 0) (local.get 1)))
          (func (export "i64.rem_u") (param i64 i64) (result i64) (i64.rem_u (local.get 0) (local.get 1)))
          (func (export "i64.mul") (param i64 i64) (result i64) (i64.mul (local.get 0) (local.get 1)))
          (func (export "i64.shr_s") (param i64 i64) (result i64) (i64.shr_s (local.get 0) (local.get 1)))
          (func (export "i64.rotl") (param i64 i64) (result i64) (i64.rotl (local.get 0) (local.get 1)))
          (func (export "i64.clz") (param i64) (result i64) (i64.clz (local.get 0)))
          (func (export "i64.extend32_s") (param i64) (result i64) (i64.extend32_s (local.get 0)))
          (func (export "i64.extend_i32_s") (param i32) (result i64) (i64.extend_i32_s (local.get 0)))
          (func (export "i64.extend_i32_u") (param i32) (result i64) (i64.extend_i32_u (local.get 0)))
          (func (export "i32.wrap_i64") (param i64) (result i32) (i32.wrap_i64 (local.get 0)))

          ;; floating point
          (func (export "f32.add") (param f32 f32) (result f32) (f32.add (local.get 0) (local.get 1)))
          (func (export "f64.div") (param f64 f64) (result f64) (f64.div (local.get 0) (local.get 1)))
          (func (export "f32.min") (param f32 f32) (result f32) (f32.min (local.get 0) (local.get 1)))
          (func (export "f64.max") (param f64 f64) (result f64) (f64.max (local.get 0) (local.get 1)))
          (func (export "f32.nearest") (param f32) (result f32) (f32.nearest (local.get 0)))
          (func (export "f64.nearest") (param f64) (result f64) (f64.nearest (local.get 0)))
          (func (export "f64.sqrt") (param f64) (result f64) (f64.sqrt (local.get 0)))
          (func (export "f32.neg") (param f32) (result f32) (f32.neg (local.get 0)))
          (func (export "f64.copysign") (param f64 f64) (result f64) (f64.copysign (local.get 0) (local.get 1)))
          (func (export "f32.abs") (param f32) (result f32) (f32.abs (local.get 0)))
          (func (export "f64.lt") (param f64 f64) (result i32) (f64.lt (local.get 0) (local.get 1)))
          (func (export "f32.ne") (param f32 f32) (result i32) (f32.ne (local.get 0) (local.get 1)))

          ;; conversions
          (func (export "i32.trunc_f32_s") (param f32) (result i32) (i32.trunc_f32_s (local.get 0)))
          (func (export "i32.trunc_f64_u") (param f64) (result i32) (i32.trunc_f64_u (local.get 0)))
          (func (export "i64.trunc_f64_s") (param f64) (result i64) (i64.trunc_f64_s (local.get 0)))
          (func (export "i32.trunc_sat_f32_s") (param f32) (result i32) (i32.trunc_sat_f32_s (local.get 0)))
          (func (export "i64.trunc_sat_f64_u") (param f64) (result i64) (i64.trunc_sat_f64_u (local.get 0)))
          (func (export "f32.convert_i64_u") (param i64) (result f32) (f32.convert_i64_u (local.get 0)))
          (func (export "f64.convert_i32_s") (param i32) (result f64) (f64.convert_i32_s (local.get 0)))
          (func (export "f32.demote_f64") (param f64) (result f32) (f32.demote_f64 (local.get 0)))
          (func (export "f64.promote_f32") (param f32) (result f64) (f64.promote_f32 (local.get 0)))
          (func (export "i32.reinterpret_f32") (param f32) (result i32) (i32.reinterpret_f32 (local.get 0)))
          (func (export "f64.reinterpret_i64") (param i64) (result f64) (f64.reinterpret_i64 (local.get 0)))

          ;; memory
          (func (export "i32.load") (param i32) (result i32) (i32.load (local.get 0)))
          (func (export "i32.load8_s") (param i32) (result i32) (i32.load8_s (local.get 0)))
          (func (export "i32.load16_u") (param i32) (result i32) (i32.load16_u offset=1 (local.get 0)))
          (func (export "i64.load") (param i32) (result i64) (i64.load align=1 (local.get 0)))
          (func (export "i64.load32_s") (param i32) (result i64) (i64.load32_s offset=8 (local.get 0)))
          (func (export "store-load") (param i32 i64) (result i64)
            (i64.store offset=3 (local.get 0) (local.get 1))
            (i64.load offset=3 (local.get 0)))
          (func (export "store8-load") (param i32 i32) (result i32)
            (i32.store8 (local.get 0) (local.get 1))
            (i32.load (local.get 0)))
          (func (export "f64.store-load") (param i32 f64) (result f64)
            (f64.store (local.get 0) (local.get 1))
            (f64.load (local.get 0)))
          (func (export "dead-load") (param i32) (drop (i32.load (local.get 0))))
          (func (export "memory.size") (result i32) (memory.size))
          (func (export "memory.grow") (param i32) (result i32) (memory.grow (local.get 0)))
          (func (export "memory.fill") (param i32 i32 i32) (memory.fill (local.get 0) (local.get 1) (local.get 2)))
          (func (export "memory.copy") (param i32 i32 i32) (memory.copy (local.get 0) (local.get 1) (local.get 2)))

          ;; globals
          (func (export "global.inc") (result i32)
            (global.set $g (i32.add (global.get $g) (i32.const 1)))
            (global.get $g))
          (func (export "global.imm") (result i64) (global.get $h))

          ;; control flow
          (func (export "block-result") (param i32) (result i32)
            (block (result i32) (br_if 0 (i32.const 7) (local.get 0)) (drop) (i32.const 8)))
          (func (export "loop-sum") (param i32) (result i32) (local $acc i32)
            (block $done
              (loop $next
                (br_if $done (i32.eqz (local.get 0)))
                (local.set $acc (i32.add (local.get $acc) (local.get 0)))
                (local.set 0 (i32.sub (local.get 0) (i32.const 1)))
                (br $next)))
            (local.get $acc))
          (func (export "if-else") (param i32) (result i32)
            (if (result i32) (local.get 0) (then (i32.const 1)) (else (i32.const 2))))
          (func (export "br_table") (param i32) (result i32)
            (block $c (block $b (block $a (br_table $a $b $c (local.get 0))) (return (i32.const 10))) (return (i32.const 20)))
            (i32.const 30))
          (func (export "select") (param i32 i64 i64) (result i64) (select (local.get 1) (local.get 2) (local.get 0)))
          (func (export "multi") (param i32 i32) (result i32 i32) (local.get 1) (local.get 0))
          (func (export "multi-block") (param i32) (result i32)
            (local.get 0) (block (param i32) (result i32 i32) (i32.const 5)) (i32.sub))
          (func (export "unreachable") (unreachable))
          (func $deep (export "recurse") (param i32) (result i32)
            (if (result i32) (i32.eqz (local.get 0)) (then (i32.const 0))
              (else (i32.add (i32.const 1) (call $deep (i32.sub (local.get 0) (i32.const 1)))))))
          (func $forever (export "forever") (param i32) (result i32)
            (i32.add (call $forever (local.get 0)) (i32.const 1)))

          ;; tables and indirect calls
          (func (export "call_indirect") (param i32 i32 i32) (result i32)
            (call_indirect (type $ii_i) (local.get 0) (local.get 1) (local.get 2)))
          (func (export "table.size") (result i32) (table.size 0))
          (func (export "ref.is_null") (param i32) (result i32) (ref.is_null (table.get 0 (local.get 0))))
        )
        """

    static let module: Result<Module, any Error> = Result { try load(wat: wat) }
    static let moduleO0: Result<Module, any Error> = Result { try load(wat: wat, optimization: 0) }
    static let moduleExplicit: Result<Module, any Error> = Result { try load(wat: wat, bounds: .explicit) }

    static let nan32: UInt32 = 0x7FC0_0000
    static let nan64: UInt64 = 0x7FF8_0000_0000_0000

    static let cases: [Case] = [
        // integers: wrap-around, trapping division, masked shifts, bit counts
        Case("i32.add", [.int32(0x7FFF_FFFF), .int32(1)], .values([.i32(0x8000_0000)])),
        Case("i32.mul", [.i32(0x1000_0001), .i32(16)], .values([.i32(0x10)])),
        Case("i32.div_s", [.int32(-7), .int32(2)], .values([.int32(-3)])),
        Case("i32.div_s", [.i32(0x8000_0000), .int32(-1)], .trap(.integerOverflow)),
        Case("i32.div_s", [.int32(1), .int32(0)], .trap(.divideByZero)),
        Case("i32.div_u", [.int32(-1), .int32(2)], .values([.i32(0x7FFF_FFFF)])),
        Case("i32.rem_s", [.i32(0x8000_0000), .int32(-1)], .values([.i32(0)])),
        Case("i32.rem_s", [.int32(-7), .int32(2)], .values([.int32(-1)])),
        Case("i32.rem_s", [.int32(5), .int32(0)], .trap(.divideByZero)),
        Case("i32.shl", [.i32(1), .i32(33)], .values([.i32(2)])),
        Case("i32.shr_s", [.int32(-8), .i32(1)], .values([.int32(-4)])),
        Case("i32.shr_u", [.int32(-8), .i32(33)], .values([.i32(0x7FFF_FFFC)])),
        Case("i32.rotl", [.i32(0x8000_0001), .i32(1)], .values([.i32(3)])),
        Case("i32.rotr", [.i32(1), .i32(32 + 1)], .values([.i32(0x8000_0000)])),
        Case("i32.clz", [.i32(0)], .values([.i32(32)])),
        Case("i32.clz", [.i32(0x0000_8000)], .values([.i32(16)])),
        Case("i32.ctz", [.i32(0)], .values([.i32(32)])),
        Case("i32.popcnt", [.i32(0xFF00_FF01)], .values([.i32(17)])),
        Case("i32.lt_s", [.int32(-1), .int32(0)], .values([.i32(1)])),
        Case("i32.lt_u", [.int32(-1), .int32(0)], .values([.i32(0)])),
        Case("i32.extend8_s", [.i32(0x80)], .values([.int32(-128)])),
        Case("i64.div_s", [.i64(0x8000_0000_0000_0000), .int64(-1)], .trap(.integerOverflow)),
        Case("i64.div_s", [.int64(-9), .int64(3)], .values([.int64(-3)])),
        Case("i64.rem_u", [.int64(-1), .int64(10)], .values([.i64(5)])),
        Case("i64.rem_u", [.int64(1), .int64(0)], .trap(.divideByZero)),
        Case("i64.mul", [.i64(0xFFFF_FFFF), .i64(0xFFFF_FFFF)], .values([.i64(0xFFFF_FFFE_0000_0001)])),
        Case("i64.shr_s", [.int64(-1024), .i64(64 + 3)], .values([.int64(-128)])),
        Case("i64.rotl", [.i64(0x8000_0000_0000_0000), .i64(1)], .values([.i64(1)])),
        Case("i64.clz", [.i64(1)], .values([.i64(63)])),
        Case("i64.extend32_s", [.i64(0x8000_0000)], .values([.int64(-2_147_483_648)])),
        Case("i64.extend_i32_s", [.int32(-2)], .values([.int64(-2)])),
        Case("i64.extend_i32_u", [.int32(-2)], .values([.i64(0xFFFF_FFFE)])),
        Case("i32.wrap_i64", [.i64(0x1_2345_6789)], .values([.i32(0x2345_6789)])),

        // floats: IEEE arithmetic, NaN and signed-zero rules, ties-to-even
        Case("f32.add", [.float(0.5), .float(0.25)], .values([.float(0.75)])),
        Case("f64.div", [.double(1), .double(0)], .values([.double(.infinity)])),
        Case("f64.div", [.double(0), .double(0)], .arithmeticNaN),
        Case("f32.min", [.float(0), .float(-0.0)], .values([.float(-0.0)])),
        Case("f32.min", [.f32(nan32), .float(1)], .arithmeticNaN),
        Case("f32.min", [.float(1), .f32(0x7FA0_0000)], .arithmeticNaN),  // a signalling NaN comes out quiet
        Case("f64.max", [.double(-0.0), .double(0)], .values([.double(0)])),
        Case("f64.max", [.double(1), .f64(nan64 | 1)], .arithmeticNaN),
        Case("f32.nearest", [.float(2.5)], .values([.float(2)])),
        Case("f32.nearest", [.float(-3.5)], .values([.float(-4)])),
        Case("f64.nearest", [.double(0.5)], .values([.double(0)])),
        Case("f64.sqrt", [.double(2.25)], .values([.double(1.5)])),
        Case("f32.neg", [.f32(0x7FA0_0001)], .values([.f32(0xFFA0_0001)])),  // a signalling NaN keeps its payload
        Case("f64.copysign", [.double(3), .double(-0.0)], .values([.double(-3)])),
        Case("f32.abs", [.f32(0xFFC0_0123)], .values([.f32(0x7FC0_0123)])),
        Case("f64.lt", [.f64(nan64), .double(1)], .values([.i32(0)])),
        Case("f32.ne", [.f32(nan32), .f32(nan32)], .values([.i32(1)])),

        // conversions: exact trapping bounds, saturation, rounding
        Case("i32.trunc_f32_s", [.float(-2_147_483_648)], .values([.i32(0x8000_0000)])),
        Case("i32.trunc_f32_s", [.float(2_147_483_648)], .trap(.integerOverflow)),
        Case("i32.trunc_f32_s", [.f32(nan32)], .trap(.invalidConversion)),
        Case("i32.trunc_f32_s", [.float(-1.9)], .values([.int32(-1)])),
        Case("i32.trunc_f64_u", [.double(-0.99)], .values([.i32(0)])),
        Case("i32.trunc_f64_u", [.double(-1)], .trap(.integerOverflow)),
        Case("i32.trunc_f64_u", [.double(4_294_967_295.9)], .values([.i32(0xFFFF_FFFF)])),
        Case("i64.trunc_f64_s", [.double(9_223_372_036_854_775_808)], .trap(.integerOverflow)),
        Case("i64.trunc_f64_s", [.double(-9_223_372_036_854_775_808)], .values([.i64(0x8000_0000_0000_0000)])),
        Case("i32.trunc_sat_f32_s", [.float(1e10)], .values([.i32(0x7FFF_FFFF)])),
        Case("i32.trunc_sat_f32_s", [.float(-1e10)], .values([.i32(0x8000_0000)])),
        Case("i32.trunc_sat_f32_s", [.f32(nan32)], .values([.i32(0)])),
        Case("i64.trunc_sat_f64_u", [.double(-5)], .values([.i64(0)])),
        Case("i64.trunc_sat_f64_u", [.double(.infinity)], .values([.i64(.max)])),
        Case("f32.convert_i64_u", [.i64(.max)], .values([.float(18_446_744_073_709_551_616)])),
        Case("f64.convert_i32_s", [.int32(-5)], .values([.double(-5)])),
        Case("f32.demote_f64", [.double(1e300)], .values([.float(.infinity)])),
        Case("f64.promote_f32", [.float(0.1)], .values([.double(Double(Float(0.1)))])),
        Case("i32.reinterpret_f32", [.float(-0.0)], .values([.i32(0x8000_0000)])),
        Case("f64.reinterpret_i64", [.i64(0x7FF4_0000_0000_0001)], .values([.f64(0x7FF4_0000_0000_0001)])),

        // memory: little-endian at any alignment, offsets, bounds, growth with a maximum
        Case("i32.load", [.i32(16)], .values([.i32(0x0403_0201)])),
        Case("i32.load", [.i32(17)], .values([.i32(0x0504_0302)])),
        Case("i32.load8_s", [.i32(24)], .values([.int32(-1)])),
        Case("i32.load16_u", [.i32(22)], .values([.i32(0xFF08)])),
        Case("i32.load16_u", [.i32(23)], .values([.i32(0xFFFF)])),
        Case("i64.load", [.i32(16)], .values([.i64(0x0807_0605_0403_0201)])),
        Case("i64.load32_s", [.i32(16)], .values([.i64(0x0000_0000_0000_FFFF)])),
        Case("i32.load", [.i32(65533)], .trap(.memoryOutOfBounds)),
        Case("i32.load", [.i32(0xFFFF_FFFF)], .trap(.memoryOutOfBounds)),
        Case("i32.load16_u", [.i32(65534)], .trap(.memoryOutOfBounds)),
        Case("dead-load", [.i32(65536)], .trap(.memoryOutOfBounds)),
        Case("store-load", [.i32(1001), .i64(0x1122_3344_5566_7788)], .values([.i64(0x1122_3344_5566_7788)])),
        Case("store-load", [.i32(65530), .i64(1)], .trap(.memoryOutOfBounds)),
        Case("store8-load", [.i32(2000), .i32(0x1FF)], .values([.i32(0xFF)])),
        Case("f64.store-load", [.i32(3001), .f64(nan64 | 5)], .values([.f64(nan64 | 5)])),
        Case("memory.size", [], .values([.i32(1)])),
        Case("memory.grow", [.i32(3)], .values([.int32(-1)])),
        Case("memory.fill", [.i32(65000), .i32(1), .i32(537)], .trap(.memoryOutOfBounds)),
        Case("memory.copy", [.i32(0), .i32(65535), .i32(2)], .trap(.memoryOutOfBounds)),

        // globals
        Case("global.inc", [], .values([.i32(11)])),
        Case("global.imm", [], .values([.int64(-7)])),

        // control flow
        Case("block-result", [.i32(1)], .values([.i32(7)])),
        Case("block-result", [.i32(0)], .values([.i32(8)])),
        Case("loop-sum", [.i32(100)], .values([.i32(5050)])),
        Case("if-else", [.i32(5)], .values([.i32(1)])),
        Case("if-else", [.i32(0)], .values([.i32(2)])),
        Case("br_table", [.i32(0)], .values([.i32(10)])),
        Case("br_table", [.i32(1)], .values([.i32(20)])),
        Case("br_table", [.i32(2)], .values([.i32(30)])),
        Case("br_table", [.i32(1000)], .values([.i32(30)])),
        Case("select", [.i32(1), .i64(1), .i64(2)], .values([.i64(1)])),
        Case("select", [.i32(0), .i64(1), .i64(2)], .values([.i64(2)])),
        Case("multi", [.i32(1), .i32(2)], .values([.i32(2), .i32(1)])),
        Case("multi-block", [.i32(12)], .values([.i32(7)])),
        Case("unreachable", [], .trap(.unreachable)),
        Case("recurse", [.i32(1000)], .values([.i32(1000)])),
        Case("forever", [.i32(0)], .trap(.stackExhausted)),

        // tables: signature check, null entry, index past the end
        Case("call_indirect", [.i32(7), .i32(5), .i32(0)], .values([.i32(12)])),
        Case("call_indirect", [.i32(7), .i32(5), .i32(1)], .values([.i32(2)])),
        Case("call_indirect", [.i32(7), .i32(5), .i32(2)], .trap(.indirectCallTypeMismatch)),
        Case("call_indirect", [.i32(7), .i32(5), .i32(3)], .trap(.uninitializedElement)),
        Case("call_indirect", [.i32(7), .i32(5), .i32(4)], .trap(.undefinedElement)),
        Case("table.size", [], .values([.i32(4)])),
        Case("ref.is_null", [.i32(3)], .values([.i32(1)])),
        Case("ref.is_null", [.i32(0)], .values([.i32(0)])),
        Case("ref.is_null", [.i32(4)], .trap(.tableOutOfBounds)),
    ]

    static func check(_ c: Case, _ module: Module, sourceLocation: SourceLocation = #_sourceLocation) throws {
        // A fresh instance per case: cases run in parallel and some mutate state.
        let instance = try module.instantiate()
        let function = try instance.exports.function(c.function)
        switch c.expect {
        case .values(let expected):
            let actual = try function.call(c.args)
            #expect(actual == expected, sourceLocation: sourceLocation)
        case .trap(let kind):
            #expect(trapKind { try function.call(c.args) } == kind, sourceLocation: sourceLocation)
        case .arithmeticNaN:
            let actual = try function.call(c.args)
            switch actual.first {
            case .f32(let bits)?: #expect(bits & 0x7FC0_0000 == 0x7FC0_0000, "\(actual)", sourceLocation: sourceLocation)
            case .f64(let bits)?:
                #expect(bits & 0x7FF8_0000_0000_0000 == 0x7FF8_0000_0000_0000, "\(actual)", sourceLocation: sourceLocation)
            default: Issue.record("expected a NaN, got \(actual)", sourceLocation: sourceLocation)
            }
        }
    }

    @Test("at -O2", arguments: cases)
    func optimised(_ c: Case) throws {
        try Self.check(c, try Self.module.get())
    }

    @Test("at -O0", arguments: cases)
    func unoptimised(_ c: Case) throws {
        try Self.check(c, try Self.moduleO0.get())
    }

    @Test("with explicit bounds checks, at -O2", arguments: cases)
    func explicitBounds(_ c: Case) throws {
        try Self.check(c, try Self.moduleExplicit.get())
    }

    @Test("memory.grow up to the maximum, contents kept, new pages zeroed", arguments: BoundsChecks.allCases)
    func memoryGrow(bounds: BoundsChecks) throws {
        let instance = try (bounds == .explicit ? Self.moduleExplicit : Self.module).get().instantiate()
        let grow = try instance.exports.function("memory.grow")
        let size = try instance.exports.function("memory.size")
        let storeLoad = try instance.exports.function("store-load")
        _ = try storeLoad.call([.i32(100), .i64(42)])
        #expect(try grow.call([.i32(1)]) == [.i32(1)])
        #expect(try size.call([]) == [.i32(2)])
        #expect(try storeLoad.call([.i32(65536 + 10), .i64(7)]) == [.i64(7)])
        #expect(try grow.call([.i32(2)]) == [.int32(-1)])  // max is 3 pages
        #expect(try grow.call([.i32(1)]) == [.i32(2)])
        #expect(try grow.call([.i32(0)]) == [.i32(3)])
        let memory = try instance.exports.memory("memory")
        #expect(memory.pages == 3)
        #expect(try memory.read(at: 100 + 3, count: 1) == [42])
        #expect(try memory.read(at: 3 * 65536 - 4, count: 4) == [0, 0, 0, 0])
        #expect(trapKind { try storeLoad.call([.i32(3 * 65536 - 8), .i64(1)]) } == .memoryOutOfBounds)
    }

    @Test("a trap leaves the instance usable and reports the wasm backtrace")
    func trapThenContinue() throws {
        let instance = try Self.module.get().instantiate()
        let forever = try instance.exports.function("forever")
        do {
            _ = try forever.call([.i32(0)])
            Issue.record("expected stack exhaustion")
        } catch let trap as Trap {
            #expect(trap.kind == .stackExhausted)
            #expect(trap.backtrace.first == "forever")
            #expect(trap.description.contains("forever"))
        }
        #expect(try instance.exports.function("recurse").call([.i32(10)]) == [.i32(10)])
        #expect(try instance.exports.function("global.inc").call([]) == [.i32(11)])
    }

    /// Dead loads must still trap, in order with the stores around them, however clang
    /// rearranges the accesses through one address (each load carries a barrier that
    /// keeps it alive). Each case sits at the edge of a one-page memory; `p` is the
    /// first argument.
    @Test("a dead load traps exactly when wasm says, before the stores after it", arguments: [0, 2], BoundsChecks.allCases)
    func deadLoadsTrap(optimization: Int, bounds: BoundsChecks) throws {
        let instance = try instantiate(
            wat: """
                (module
                  (memory (export "memory") 1 2)
                  ;; a smaller access first, then a further one: the further one must trap
                  (func (export "grows") (param i32)
                    (drop (i32.load (local.get 0))) (drop (i32.load offset=8 (local.get 0))))
                  ;; the further one first: it covers the nearer one
                  (func (export "shrinks") (param i32)
                    (drop (i32.load offset=8 (local.get 0))) (drop (i32.load8_u (local.get 0))))
                  ;; a store between: the first load must fault before the store happens
                  (func (export "store_between") (param i32)
                    (drop (i32.load (local.get 0)))
                    (i32.store (i32.const 0) (i32.const 7))
                    (drop (i32.load offset=4 (local.get 0))))
                  ;; the local changes between the two loads
                  (func (export "local_changes") (param i32)
                    (drop (i32.load offset=8 (local.get 0)))
                    (local.set 0 (i32.add (local.get 0) (i32.const 100)))
                    (drop (i32.load (local.get 0))))
                  ;; an access inside an `if` proves nothing after its end
                  (func (export "after_if") (param i32 i32)
                    (if (local.get 1) (then (drop (i32.load offset=8 (local.get 0)))))
                    (drop (i32.load offset=4 (local.get 0))))
                  ;; constant addresses: inside the minimum size, or not
                  (func (export "const_inside") (drop (i32.load (i32.const 65532))))
                  (func (export "const_edge") (drop (i32.load (i32.const 65533))))
                  (func (export "grow") (result i32) (memory.grow (i32.const 1))))
                """, optimization: optimization, bounds: bounds)
        let memory = try instance.exports.memory("memory")
        func traps(_ name: String, _ arguments: [UInt32]) throws -> Bool {
            do {
                _ = try instance.exports.function(name).call(arguments.map { .i32($0) })
                return false
            } catch let trap as Trap {
                #expect(trap.kind == .memoryOutOfBounds, "\(name)\(arguments)")
                return true
            }
        }
        #expect(try !traps("grows", [65524]))
        #expect(try traps("grows", [65528]))
        #expect(try !traps("shrinks", [65524]))
        #expect(try traps("shrinks", [65525]))
        #expect(try traps("shrinks", [65536]))
        #expect(try !traps("store_between", [65528]))
        try memory.write([0, 0, 0, 0], at: 0)
        #expect(try traps("store_between", [65533]))
        #expect(try memory.read(at: 0, count: 4) == [0, 0, 0, 0], "the store after the faulting load ran")
        #expect(try !traps("local_changes", [65424]))
        #expect(try traps("local_changes", [65500]))
        #expect(try !traps("after_if", [65520, 1]))
        #expect(try traps("after_if", [65530, 0]))
        #expect(try traps("after_if", [65530, 1]))
        #expect(try !traps("const_inside", []))
        #expect(try traps("const_edge", []))
        #expect(try instance.exports.function("grow").call([]) == [.i32(1)])
        #expect(try !traps("const_edge", []))
        #expect(try !traps("grows", [65528]))
    }

    /// Stores happen in program order, so a trap leaves memory and globals as wasm says:
    /// clang would drop a store that a later one to the same address overwrites, or
    /// merge neighbouring byte stores, and so let the effects between them (or the
    /// first byte) land or vanish around the fault. `p` sits at a one-page memory's end.
    @Test("a faulting store leaves the effects before it, and none after", arguments: [0, 2], BoundsChecks.allCases)
    func storesStayInOrder(optimization: Int, bounds: BoundsChecks) throws {
        let instance = try instantiate(
            wat: """
                (module
                  (memory (export "memory") 1)
                  (global (export "g") (mut i32) (i32.const 0))
                  ;; the first store faults; the one to 0 must not happen
                  (func (export "overwritten") (param i32)
                    (i32.store (local.get 0) (i32.const 1))
                    (i32.store (i32.const 0) (i32.const 2))
                    (i32.store (local.get 0) (i32.const 3)))
                  (func (export "global_between") (param i32)
                    (i32.store (local.get 0) (i32.const 1))
                    (global.set 0 (i32.const 5))
                    (i32.store (local.get 0) (i32.const 3)))
                  (func (export "v128_overwritten") (param i32)
                    (v128.store (local.get 0) (v128.const i32x4 1 1 1 1))
                    (i32.store (i32.const 4) (i32.const 2))
                    (v128.store (local.get 0) (v128.const i32x4 3 3 3 3)))
                  ;; the first byte is stored, then the second faults
                  (func (export "bytes") (param i32)
                    (i32.store8 (local.get 0) (i32.const 0x11))
                    (i32.store8 offset=1 (local.get 0) (i32.const 0x22))))
                """, optimization: optimization, bounds: bounds)
        let memory = try instance.exports.memory("memory")
        for (name, p) in [("overwritten", 65536), ("global_between", 65533), ("v128_overwritten", 65530), ("bytes", 65535)]
            as [(String, UInt32)]
        {
            #expect(throws: Trap.self, "\(name)(\(p))") { try instance.exports.function(name).call([.i32(p)]) }
        }
        #expect(try memory.read(at: 0, count: 8) == [0, 0, 0, 0, 0, 0, 0, 0], "a store after the fault happened")
        #expect(try instance.exports.global("g").value == .i32(0), "the global.set after the fault happened")
        #expect(try memory.read(at: 65535, count: 1) == [0x11], "the byte before the fault was not stored")
        _ = try instance.exports.function("overwritten").call([.i32(65532)])
        #expect(try memory.read(at: 65532, count: 4) == [3, 0, 0, 0])
    }

    /// Explicit checks must stop an access on their own: the page past the memory's
    /// end is opened by hand, so no fault can. With guard pages alone the same
    /// load reads that page — which shows the test would notice a missing check.
    @Test("explicit bounds checks trap without the guard pages' help", arguments: [0, 2])
    func explicitChecksAlone(optimization: Int) throws {
        let wat = """
            (module
              (memory (export "memory") 1 2)
              (func (export "load") (param i32) (result i32) (i32.load (local.get 0)))
              (func (export "dead_load") (param i32) (drop (i64.load offset=8 (local.get 0))))
              (func (export "store") (param i32 i32) (i32.store16 (local.get 0) (local.get 1)))
              (func $grow (result i32) (memory.grow (i32.const 1)))
              ;; the size changes in a callee: the check after the call must see it
              (func (export "grow_then_load") (param i32) (result i32)
                (drop (call $grow)) (i32.load (local.get 0))))
            """
        for bounds in BoundsChecks.allCases {
            let instance = try instantiate(wat: wat, optimization: optimization, bounds: bounds)
            // The instance must outlive the opened page: freed first, its reservation would go
            // back to the pool with that page still accessible, for a concurrent test to take.
            try withExtendedLifetime(instance) { try checkAlone(instance, bounds) }
        }

        func checkAlone(_ instance: Instance, _ bounds: BoundsChecks) throws {
            let memory = try instance.exports.memory("memory")
            let load = try instance.exports.function("load")
            let page = 65536
            let next = memory.baseAddress + page
            try #require(mprotect(next, page, PROT_READ | PROT_WRITE) == 0)
            defer {
                _ = madvise(next, page, MADV_DONTNEED)  // nothing written may outlive the test
                _ = mprotect(next, page, PROT_NONE)
            }
            guard bounds == .explicit else {
                #expect(try load.call([.i32(UInt32(page))]) == [.i32(0)])
                return
            }
            #expect(trapKind { try load.call([.i32(UInt32(page))]) } == .memoryOutOfBounds)
            #expect(trapKind { try load.call([.i32(UInt32(page - 2))]) } == .memoryOutOfBounds)
            #expect(try load.call([.i32(UInt32(page - 4))]) == [.i32(0)])
            #expect(trapKind { try instance.exports.function("dead_load").call([.i32(UInt32(page - 15))]) } == .memoryOutOfBounds)
            #expect(try instance.exports.function("dead_load").call([.i32(UInt32(page - 16))]) == [])
            #expect(trapKind { try instance.exports.function("store").call([.i32(UInt32(page - 1)), .i32(0xABCD)]) } == .memoryOutOfBounds)
            #expect(next.load(fromByteOffset: 0, as: UInt8.self) == 0, "a trapping store wrote past the end")
            #expect(try memory.read(at: page - 1, count: 1) == [0])
            #expect(try instance.exports.function("grow_then_load").call([.i32(UInt32(page))]) == [.i32(0)])
            #expect(trapKind { try load.call([.i32(UInt32(2 * page))]) } == .memoryOutOfBounds)
        }
    }

    @Test("memory.copy and memory.fill check both ranges before a byte moves, and name the trapping function", arguments: [0, 2])
    func bulkMemoryBounds(optimization: Int) throws {
        let instance = try instantiate(
            wat: """
                (module
                  (memory (export "memory") 1 2)
                  (func $copy (export "copy") (param i32 i32 i32) (memory.copy (local.get 0) (local.get 1) (local.get 2)))
                  (func $fill (export "fill") (param i32 i32 i32) (memory.fill (local.get 0) (local.get 1) (local.get 2)))
                  (func (export "grow") (result i32) (memory.grow (i32.const 1))))
                """, optimization: optimization)
        let copy = try instance.exports.function("copy")
        let fill = try instance.exports.function("fill")
        let memory = try instance.exports.memory("memory")
        _ = try fill.call([.i32(0), .i32(0x1AB), .i32(4)])  // the value's low byte
        _ = try fill.call([.i32(4), .i32(0xCD), .i32(4)])
        #expect(try memory.read(at: 0, count: 9) == [0xAB, 0xAB, 0xAB, 0xAB, 0xCD, 0xCD, 0xCD, 0xCD, 0])
        _ = try copy.call([.i32(2), .i32(0), .i32(6)])  // overlapping, forwards: memmove semantics
        #expect(try memory.read(at: 0, count: 9) == [0xAB, 0xAB, 0xAB, 0xAB, 0xAB, 0xAB, 0xCD, 0xCD, 0])
        _ = try copy.call([.i32(0), .i32(3), .i32(6)])  // overlapping, backwards
        #expect(try memory.read(at: 0, count: 6) == [0xAB, 0xAB, 0xAB, 0xCD, 0xCD, 0])
        // Empty ranges at the very end are fine; one byte past the end traps.
        _ = try copy.call([.i32(65536), .i32(65536), .i32(0)])
        _ = try fill.call([.i32(65536), .i32(0), .i32(0)])
        let outOfBounds: [(String, Function, [Value])] = [
            ("copy", copy, [.i32(65530), .i32(0), .i32(7)]),  // the destination runs past the end
            ("copy", copy, [.i32(0), .i32(65535), .i32(2)]),  // the source does
            ("copy", copy, [.i32(0), .i32(0xFFFF_FFFF), .i32(2)]),  // a sum above 2^32 does not wrap around
            ("fill", fill, [.i32(65000), .i32(0xEE), .i32(537)]),
            ("fill", fill, [.i32(65537), .i32(0), .i32(0)]),
        ]
        for (name, function, arguments) in outOfBounds {
            do {
                _ = try function.call(arguments)
                Issue.record("expected an out-of-bounds trap for \(arguments)")
            } catch let trap as Trap {
                #expect(trap.kind == .memoryOutOfBounds)
                #expect(trap.backtrace.first == name)
            }
        }
        // Nothing was written by the trapping calls.
        #expect(try memory.read(at: 65000, count: 536).allSatisfy { $0 == 0 })
        #expect(try memory.read(at: 0, count: 2) == [0xAB, 0xAB])
        // The bounds follow memory.grow.
        #expect(try instance.exports.function("grow").call([]) == [.i32(1)])
        _ = try fill.call([.i32(65530), .i32(0x77), .i32(12)])
        #expect(try memory.read(at: 65530, count: 12) == [UInt8](repeating: 0x77, count: 12))
    }

    @Test("a trap's backtrace starts at the trapping function and lists its callers", arguments: [0, 2])
    func backtraceNames(optimization: Int) throws {
        let instance = try instantiate(
            wat: """
                (module
                  (func $divide (param i32) (result i32) (i32.div_u (i32.const 100) (local.get 0)))
                  (func $middle (param i32) (result i32) (i32.add (call $divide (local.get 0)) (i32.const 1)))
                  (func (export "outer") (param i32) (result i32) (i32.mul (call $middle (local.get 0)) (i32.const 3))))
                """, optimization: optimization)
        let outer = try instance.exports.function("outer")
        #expect(try outer.call([.i32(5)]) == [.i32(63)])
        do {
            _ = try outer.call([.i32(0)])
            Issue.record("expected a trap")
        } catch let trap as Trap {
            #expect(trap.kind == .divideByZero)
            #expect(trap.backtrace.first == "divide")
            // Unoptimised, nothing is inlined: every wasm frame is there, innermost first.
            if optimization == 0 { #expect(trap.backtrace == ["divide", "middle", "outer"]) }
        }
    }
}
