import Foundation
import Testing
import WasmAOT
import WasmAOTCompiler

/// Relaxed SIMD: each instruction family against the one result `docs/relaxed-simd.md` chose for
/// it, at the inputs where the choice shows (NaN, -0, out-of-range lanes, overflow), with dynamic
/// and constant operands. Every case runs at -O0, at -O2, and — on x86-64 — at -O2 through the
/// portable C that hosts without SSE compile (the x86 feature macros undefined), so one expected
/// value pins all of them to the same result.
@Suite("Relaxed SIMD")
struct RelaxedSimdTests {
    static let wat = """
        (module
          (func (export "swizzle") (param v128 v128) (result v128) (i8x16.relaxed_swizzle (local.get 0) (local.get 1)))
          (func (export "trunc_f32x4_s") (param v128) (result v128) (i32x4.relaxed_trunc_f32x4_s (local.get 0)))
          (func (export "trunc_f32x4_u") (param v128) (result v128) (i32x4.relaxed_trunc_f32x4_u (local.get 0)))
          (func (export "trunc_f64x2_s_zero") (param v128) (result v128) (i32x4.relaxed_trunc_f64x2_s_zero (local.get 0)))
          (func (export "trunc_f64x2_u_zero") (param v128) (result v128) (i32x4.relaxed_trunc_f64x2_u_zero (local.get 0)))
          (func (export "f32x4.madd") (param v128 v128 v128) (result v128)
            (f32x4.relaxed_madd (local.get 0) (local.get 1) (local.get 2)))
          (func (export "f32x4.nmadd") (param v128 v128 v128) (result v128)
            (f32x4.relaxed_nmadd (local.get 0) (local.get 1) (local.get 2)))
          (func (export "f64x2.madd") (param v128 v128 v128) (result v128)
            (f64x2.relaxed_madd (local.get 0) (local.get 1) (local.get 2)))
          (func (export "f64x2.nmadd") (param v128 v128 v128) (result v128)
            (f64x2.relaxed_nmadd (local.get 0) (local.get 1) (local.get 2)))
          (func (export "i8x16.laneselect") (param v128 v128 v128) (result v128)
            (i8x16.relaxed_laneselect (local.get 0) (local.get 1) (local.get 2)))
          (func (export "i16x8.laneselect") (param v128 v128 v128) (result v128)
            (i16x8.relaxed_laneselect (local.get 0) (local.get 1) (local.get 2)))
          (func (export "i32x4.laneselect") (param v128 v128 v128) (result v128)
            (i32x4.relaxed_laneselect (local.get 0) (local.get 1) (local.get 2)))
          (func (export "i64x2.laneselect") (param v128 v128 v128) (result v128)
            (i64x2.relaxed_laneselect (local.get 0) (local.get 1) (local.get 2)))
          (func (export "f32x4.min") (param v128 v128) (result v128) (f32x4.relaxed_min (local.get 0) (local.get 1)))
          (func (export "f32x4.max") (param v128 v128) (result v128) (f32x4.relaxed_max (local.get 0) (local.get 1)))
          (func (export "f64x2.min") (param v128 v128) (result v128) (f64x2.relaxed_min (local.get 0) (local.get 1)))
          (func (export "f64x2.max") (param v128 v128) (result v128) (f64x2.relaxed_max (local.get 0) (local.get 1)))
          (func (export "q15mulr") (param v128 v128) (result v128) (i16x8.relaxed_q15mulr_s (local.get 0) (local.get 1)))
          (func (export "dot") (param v128 v128) (result v128) (i16x8.relaxed_dot_i8x16_i7x16_s (local.get 0) (local.get 1)))
          (func (export "dot_add") (param v128 v128 v128) (result v128)
            (i32x4.relaxed_dot_i8x16_i7x16_add_s (local.get 0) (local.get 1) (local.get 2)))

          ;; The same with constant operands, which clang may evaluate while compiling.
          (func (export "const.swizzle") (result v128)
            (i8x16.relaxed_swizzle (v128.const i8x16 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15)
                                   (v128.const i8x16 0 17 34 127 128 255 6 0x8f 0 0 0 0 0 0 0 0)))
          (func (export "const.trunc_f32x4_s") (result v128)
            (i32x4.relaxed_trunc_f32x4_s (v128.const f32x4 nan -2147483904 2147483648 -1.9)))
          (func (export "const.trunc_f64x2_s_zero") (result v128)
            (i32x4.relaxed_trunc_f64x2_s_zero (v128.const f64x2 nan -2147483648.9)))
          (func (export "const.f32x4.madd") (result v128)
            (f32x4.relaxed_madd (v128.const f32x4 0x1.000004p+0 0x1.fffffep+127 -0 0)
                                (v128.const f32x4 0x1.0002p+0 2 1 1)
                                (v128.const f32x4 -0x1.000204p+0 -0x1.fffffep+127 -0 -0)))
          (func (export "const.f64x2.nmadd") (result v128)
            (f64x2.relaxed_nmadd (v128.const f64x2 -0x1.00000004p+0 0)
                                 (v128.const f64x2 0x1.000002p+0 1)
                                 (v128.const f64x2 -0x1.00000204p+0 -0)))
          (func (export "const.i16x8.laneselect") (result v128)
            (i16x8.relaxed_laneselect (v128.const i16x8 1 1 1 1 1 1 1 1) (v128.const i16x8 2 2 2 2 2 2 2 2)
                                      (v128.const i16x8 0x8000 0x7fff 0x0080 -1 0 0xff00 0x00ff 0x8001)))
          (func (export "const.f32x4.min") (result v128)
            (f32x4.relaxed_min (v128.const f32x4 nan 0 -0 0) (v128.const f32x4 1 nan:0x200001 0 -0)))
          (func (export "const.q15mulr") (result v128)
            (i16x8.relaxed_q15mulr_s (v128.const i16x8 -32768 -32768 16384 1 0 0 0 0)
                                     (v128.const i16x8 -32768 32767 16384 16384 0 0 0 0)))
          (func (export "const.dot_add") (result v128)
            (i32x4.relaxed_dot_i8x16_i7x16_add_s (v128.const i8x16 -128 -128 -128 -128 127 127 127 127 0 0 0 0 0 0 0 0)
                                                 (v128.const i8x16 -127 -127 -127 -127 -1 -1 -1 -1 0 0 0 0 0 0 0 0)
                                                 (v128.const i32x4 1 2 3 4)))
        )
        """

    /// -O0, -O2, and -O2 through the portable helpers (x86-64 only: elsewhere they are the -O2 build).
    static let configurations: [String] = {
        #if arch(x86_64)
            return ["-O0", "-O2", "-O2 portable"]
        #else
            return ["-O0", "-O2"]
        #endif
    }()

    static let modules: [String: Result<Module, any Error>] = Dictionary(
        uniqueKeysWithValues: configurations.map { name in
            (
                name,
                Result {
                    let dir = try makeScratch()
                    defer { removeScratch(dir) }
                    var options = CompileOptions(optimization: name == "-O0" ? 0 : 2)
                    options.extraClangFlags = ["-Werror"]
                    if name.hasSuffix("portable") { options.extraClangFlags += ["-U__SSE2__", "-U__SSSE3__", "-U__SSE4_1__"] }
                    let so = (dir as NSString).appendingPathComponent("relaxed.so")
                    _ = try Compiler.compile(wasm: try ModuleDecoder.wat2wasm(wat), to: so, options: options)
                    return try Module(loading: so)
                }
            )
        })

    // MARK: Lanes

    /// A v128 from lanes of any integer width, lane 0 first.
    static func v128<T: FixedWidthInteger>(_ lanes: [T]) -> Value {
        let width = T.bitWidth / 8
        precondition(lanes.count * width == 16)
        var bytes = SIMD16<UInt8>()
        for (i, lane) in lanes.enumerated() {
            for b in 0..<width { bytes[i * width + b] = UInt8(truncatingIfNeeded: lane >> (8 * b)) }
        }
        return .v128(bytes)
    }
    static func f32x4(_ lanes: [Float]) -> Value { v128(lanes.map(\.bitPattern)) }
    static func f64x2(_ lanes: [Double]) -> Value { v128(lanes.map(\.bitPattern)) }

    static func lanes<T: FixedWidthInteger>(_ value: Value, _: T.Type) -> [T] {
        guard case .v128(let bytes) = value else { return [] }
        let width = T.bitWidth / 8
        return (0..<(16 / width)).map { i in
            (0..<width).reduce(T.zero) { $0 | T(truncatingIfNeeded: bytes[i * width + $1]) << (8 * $1) }
        }
    }

    static func call(_ configuration: String, _ name: String, _ args: [Value]) throws -> Value {
        let instance = try #require(modules[configuration]).get().instantiate()
        return try #require(try instance.exports.function(name).call(args).first)
    }

    static let nan32 = Float(bitPattern: 0x7FC0_0000), nan64 = Double(bitPattern: 0x7FF8_0000_0000_0000)

    // MARK: Families

    @Test("i8x16.relaxed_swizzle: an index with bit 7 set gives 0, any other takes lane index mod 16", arguments: configurations)
    func swizzle(configuration: String) throws {
        let table = Self.v128((0..<16).map { UInt8(0xA0 + $0) })
        let indices = Self.v128([0, 15, 16, 17, 31, 100, 127, 128, 129, 143, 200, 255, 0x8F, 0x7F, 3, 0] as [UInt8])
        let result = try Self.call(configuration, "swizzle", [table, indices])
        #expect(
            Self.lanes(result, UInt8.self)
                == [0xA0, 0xAF, 0xA0, 0xA1, 0xAF, 0xA4, 0xAF, 0, 0, 0, 0, 0, 0, 0xAF, 0xA3, 0xA0])
        #expect(
            Self.lanes(try Self.call(configuration, "const.swizzle", []), UInt8.self)
                == [0, 1, 2, 15, 0, 0, 6, 0, 0, 0, 0, 0, 0, 0, 0, 0])
    }

    @Test("relaxed_trunc: signed NaN and out of range give INT32_MIN; unsigned saturates", arguments: configurations)
    func trunc(configuration: String) throws {
        let min = UInt32(0x8000_0000)
        let s = { (x: [Float]) in Self.lanes(try Self.call(configuration, "trunc_f32x4_s", [Self.f32x4(x)]), UInt32.self) }
        let u = { (x: [Float]) in Self.lanes(try Self.call(configuration, "trunc_f32x4_u", [Self.f32x4(x)]), UInt32.self) }
        #expect(try s([Self.nan32, -Self.nan32, .infinity, -.infinity]) == [min, min, min, min])
        #expect(try s([2_147_483_648, -2_147_483_904, -2_147_483_648, 2_147_483_520]) == [min, min, min, 2_147_483_520])
        #expect(try s([-0.0, -1.9, 1.9, -0.9]) == [0, UInt32(bitPattern: -1), 1, 0])
        #expect(try u([Self.nan32, -1.5, -.infinity, .infinity]) == [0, 0, 0, 0xFFFF_FFFF])
        #expect(try u([4_294_967_040, 4_294_967_296, 2_147_483_648, -0.9]) == [0xFFFF_FF00, 0xFFFF_FFFF, 0x8000_0000, 0])

        let sd = { (x: [Double]) in Self.lanes(try Self.call(configuration, "trunc_f64x2_s_zero", [Self.f64x2(x)]), UInt32.self) }
        let ud = { (x: [Double]) in Self.lanes(try Self.call(configuration, "trunc_f64x2_u_zero", [Self.f64x2(x)]), UInt32.self) }
        #expect(try sd([Self.nan64, .infinity]) == [min, min, 0, 0])
        #expect(try sd([-2_147_483_648.9, 2_147_483_647.9]) == [min, 0x7FFF_FFFF, 0, 0])
        #expect(try sd([-2_147_483_649, 2_147_483_648]) == [min, min, 0, 0])
        #expect(try sd([-0.0, -1.5]) == [0, UInt32(bitPattern: -1), 0, 0])
        #expect(try ud([Self.nan64, -1]) == [0, 0, 0, 0])
        #expect(try ud([4_294_967_295.9, 1e300]) == [0xFFFF_FFFF, 0xFFFF_FFFF, 0, 0])

        #expect(
            Self.lanes(try Self.call(configuration, "const.trunc_f32x4_s", []), UInt32.self)
                == [min, min, min, UInt32(bitPattern: -1)])
        #expect(
            Self.lanes(try Self.call(configuration, "const.trunc_f64x2_s_zero", []), UInt32.self) == [min, min, 0, 0])
    }

    @Test("relaxed_madd and relaxed_nmadd round the product: never fused", arguments: configurations)
    func madd(configuration: String) throws {
        // Fused, these give 0x1p-37 and FLT_MAX (the spec's tests); rounded twice, 0 and inf.
        let a32: [Float] = [0x1.000004p+0, 0x1.fffffep+127, -0.0, 1]
        let b32: [Float] = [0x1.0002p+0, 2, 1, Self.nan32]
        let c32: [Float] = [-0x1.000204p+0, -0x1.fffffep+127, -0.0, 1]
        let madd = Self.lanes(try Self.call(configuration, "f32x4.madd", [a32, b32, c32].map(Self.f32x4)), UInt32.self)
        #expect(Array(madd[0..<3]) == [0, Float.infinity.bitPattern, (-0.0 as Float).bitPattern])
        #expect(Float(bitPattern: madd[3]).isNaN)
        let negated = a32.map { -$0 }
        let nmadd = Self.lanes(try Self.call(configuration, "f32x4.nmadd", [negated, b32, c32].map(Self.f32x4)), UInt32.self)
        #expect(Array(nmadd[0..<3]) == [0, Float.infinity.bitPattern, (-0.0 as Float).bitPattern])  // -0 - (+0*1)
        #expect(Float(bitPattern: nmadd[3]).isNaN)

        let a64: [Double] = [0x1.00000004p+0, 0x1.fffffffffffffp+1023]
        let b64: [Double] = [0x1.000002p+0, 2]
        let c64: [Double] = [-0x1.00000204p+0, -0x1.fffffffffffffp+1023]
        #expect(
            Self.lanes(try Self.call(configuration, "f64x2.madd", [a64, b64, c64].map(Self.f64x2)), UInt64.self)
                == [0, Double.infinity.bitPattern])
        #expect(
            Self.lanes(try Self.call(configuration, "f64x2.nmadd", [a64.map { -$0 }, b64, c64].map(Self.f64x2)), UInt64.self)
                == [0, Double.infinity.bitPattern])

        #expect(
            Self.lanes(try Self.call(configuration, "const.f32x4.madd", []), UInt32.self)
                == [0, Float.infinity.bitPattern, (-0.0 as Float).bitPattern, 0])
        #expect(
            Self.lanes(try Self.call(configuration, "const.f64x2.nmadd", []), UInt64.self)
                == [0, (-0.0 as Double).bitPattern])
    }

    @Test("relaxed_laneselect: the top bit of each mask lane picks the lane", arguments: configurations)
    func laneselect(configuration: String) throws {
        let a8 = Self.v128([UInt8](repeating: 0xAA, count: 16)), b8 = Self.v128([UInt8](repeating: 0x55, count: 16))
        let m8 = Self.v128([0x80, 0x7F, 0xFF, 0, 0xC0, 0x3F, 0x81, 0x01, 0x80, 0x7F, 0xFF, 0, 0xC0, 0x3F, 0x81, 0x01] as [UInt8])
        #expect(
            Self.lanes(try Self.call(configuration, "i8x16.laneselect", [a8, b8, m8]), UInt8.self)
                == [0xAA, 0x55, 0xAA, 0x55, 0xAA, 0x55, 0xAA, 0x55, 0xAA, 0x55, 0xAA, 0x55, 0xAA, 0x55, 0xAA, 0x55])
        // 0x0080 has a byte whose top bit is set, but not the lane's: b (pblendvb alone would mix the bytes).
        let m16 = Self.v128([0x8000, 0x7FFF, 0x0080, 0xFF00, 0x00FF, 0x8001, 0xFFFF, 0] as [UInt16])
        #expect(
            Self.lanes(try Self.call(configuration, "i16x8.laneselect", [a8, b8, m16]), UInt16.self)
                == [0xAAAA, 0x5555, 0x5555, 0xAAAA, 0x5555, 0xAAAA, 0xAAAA, 0x5555])
        let m32 = Self.v128([0x8000_0000, 0x7FFF_FFFF, 0x0000_8080, 0xFFFF_0000] as [UInt32])
        #expect(
            Self.lanes(try Self.call(configuration, "i32x4.laneselect", [a8, b8, m32]), UInt32.self)
                == [0xAAAA_AAAA, 0x5555_5555, 0x5555_5555, 0xAAAA_AAAA])
        let m64 = Self.v128([0x8000_0000_0000_0000, 0x7FFF_FFFF_FFFF_FFFF] as [UInt64])
        #expect(
            Self.lanes(try Self.call(configuration, "i64x2.laneselect", [a8, b8, m64]), UInt64.self)
                == [0xAAAA_AAAA_AAAA_AAAA, 0x5555_5555_5555_5555])
        #expect(
            Self.lanes(try Self.call(configuration, "const.i16x8.laneselect", []), UInt16.self)
                == [1, 2, 2, 1, 2, 1, 2, 1])
    }

    @Test("relaxed_min/max: a NaN on either side or two zeros give the second operand, bits unchanged", arguments: configurations)
    func minMax(configuration: String) throws {
        let signalling: UInt32 = 0x7FA0_0001, negativeNaN: UInt32 = 0xFFC0_0000
        let a = Self.v128([signalling, 0x3F80_0000, 0, 0x8000_0000] as [UInt32])
        let b = Self.v128([0x4000_0000, negativeNaN, 0x8000_0000, 0] as [UInt32])
        #expect(
            Self.lanes(try Self.call(configuration, "f32x4.min", [a, b]), UInt32.self)
                == [0x4000_0000, negativeNaN, 0x8000_0000, 0])
        #expect(
            Self.lanes(try Self.call(configuration, "f32x4.max", [a, b]), UInt32.self)
                == [0x4000_0000, negativeNaN, 0x8000_0000, 0])
        // Ordinary lanes: the smaller and the larger.
        let x = Self.f32x4([1, -2, .infinity, -0.5]), y = Self.f32x4([2, -3, 7, -.infinity])
        #expect(
            Self.lanes(try Self.call(configuration, "f32x4.min", [x, y]), UInt32.self)
                == ([1, -3, 7, -.infinity] as [Float]).map(\.bitPattern))
        #expect(
            Self.lanes(try Self.call(configuration, "f32x4.max", [x, y]), UInt32.self)
                == ([2, -2, .infinity, -0.5] as [Float]).map(\.bitPattern))

        let signalling64: UInt64 = 0x7FF4_0000_0000_0001
        let c = Self.v128([signalling64, 0x8000_0000_0000_0000] as [UInt64]), d = Self.f64x2([-1, 0])
        #expect(Self.lanes(try Self.call(configuration, "f64x2.min", [c, d]), UInt64.self) == [(-1.0).bitPattern, 0])
        #expect(Self.lanes(try Self.call(configuration, "f64x2.max", [d, c]), UInt64.self) == [signalling64, 0x8000_0000_0000_0000])
        #expect(
            Self.lanes(try Self.call(configuration, "const.f32x4.min", []), UInt32.self)
                == [0x3F80_0000, 0x7FA0_0001, 0, 0x8000_0000])
    }

    @Test("relaxed_q15mulr_s: -32768 * -32768 wraps to -32768", arguments: configurations)
    func q15mulr(configuration: String) throws {
        let a = Self.v128([-32768, -32768, 16384, 1, -1, 32767, 0, -16384] as [Int16])
        let b = Self.v128([-32768, 32767, 16384, 16384, 16384, 32767, 5, 3] as [Int16])
        #expect(
            Self.lanes(try Self.call(configuration, "q15mulr", [a, b]), Int16.self)
                == [-32768, -32767, 8192, 1, 0, 32766, 0, -1])
        #expect(
            Self.lanes(try Self.call(configuration, "const.q15mulr", []), Int16.self) == [-32768, -32767, 8192, 1, 0, 0, 0, 0])
    }

    @Test("relaxed_dot: the second operand's bytes unsigned, 16-bit pair sums saturated", arguments: configurations)
    func dot(configuration: String) throws {
        let a = Self.v128([-128, -128, 127, 127, -128, -127, 5, -6, 1, 2, 3, 4, 0, 0, -1, -1] as [Int8])
        let b = Self.v128([-127, -127, -1, -1, 127, 127, 7, 8, 1, 2, 3, 4, 9, 9, -128, 0] as [Int8])
        // -128*129*2 saturates; 127*255*2 saturates; -128*127 + -127*127; 5*7 - 6*8; 1+4; 9+16; 0; -128 (as 128).
        #expect(
            Self.lanes(try Self.call(configuration, "dot", [a, b]), Int16.self)
                == [-32768, 32767, -32385, -13, 5, 25, 0, -128])
        let c = Self.v128([1, 2, 3, 0x7FFF_FFFF] as [Int32])
        // The saturated pair sums: (-32768 + 32767) + 1; (-32385 - 13) + 2; (5 + 25) + 3; (0 - 128) + INT32_MAX.
        #expect(
            Self.lanes(try Self.call(configuration, "dot_add", [a, b, c]), Int32.self)
                == [0, -32396, 33, 0x7FFF_FFFF - 128])
        #expect(Self.lanes(try Self.call(configuration, "const.dot_add", []), Int32.self) == [-65535, 65536, 3, 4])
    }
}
