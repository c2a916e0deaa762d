import Foundation
import Testing
import WasmAOT
import WasmAOTCompiler

/// v128 across every boundary the ABI has: export parameters and results (libffi),
/// host functions (libffi closures), multi-value, call_indirect, globals, select,
/// and memory accesses with their traps, unoptimised and optimised, in both
/// bounds-check modes. The spec suite's `simd_*.wast` files cover the operations
/// themselves exhaustively; these pin the plumbing down.
@Suite("SIMD")
struct SimdTests {
    static let wat = """
        (module
          (import "env" "twice" (func $twice (param v128 i32) (result v128)))
          (memory (export "memory") 1)
          (global $g (export "g") (mut v128) (v128.const i32x4 1 2 3 4))
          (type $swap (func (param v128 v128) (result v128 v128)))
          (table 1 funcref)
          (elem (i32.const 0) $swap)
          (func $swap (type $swap) (local.get 1) (local.get 0))
          (func (export "add") (param v128 v128) (result v128) (i32x4.add (local.get 0) (local.get 1)))
          (func (export "swap-indirect") (param v128 v128) (result v128 v128)
            (call_indirect (type $swap) (local.get 0) (local.get 1) (i32.const 0)))
          (func (export "via-host") (param v128) (result v128)
            (i32x4.add (call $twice (local.get 0) (i32.const 7)) (v128.const i32x4 0 0 0 1)))
          (func (export "rotate-global") (result v128)
            (global.get $g)
            (global.set $g (i8x16.shuffle 4 5 6 7 8 9 10 11 12 13 14 15 0 1 2 3 (global.get $g) (global.get $g))))
          (func (export "select") (param v128 v128 i32) (result v128) (select (local.get 0) (local.get 1) (local.get 2)))
          (func (export "load") (param i32) (result v128) (v128.load offset=1 (local.get 0)))
          (func (export "dead-load") (param i32) (drop (v128.load (local.get 0))))
          (func (export "store-lane") (param i32 v128) (v128.store32_lane 2 (local.get 0) (local.get 1)))
          (func (export "load-splat") (param i32) (result v128) (v128.load16_splat (local.get 0)))
          (func (export "horizontal-sum") (param v128) (result i32)
            (i32.add
              (i32.add (i32x4.extract_lane 0 (local.get 0)) (i32x4.extract_lane 1 (local.get 0)))
              (i32.add (i32x4.extract_lane 2 (local.get 0)) (i32x4.extract_lane 3 (local.get 0)))))
          (func (export "f32x4.mul-one") (param v128) (result v128)
            (f32x4.mul (local.get 0) (v128.const f32x4 1 1 1 1)))
        )
        """

    /// i32x4 lanes as a v128 value.
    static func i32x4(_ a: UInt32, _ b: UInt32, _ c: UInt32, _ d: UInt32) -> Value {
        var bytes = SIMD16<UInt8>()
        for (lane, word) in [a, b, c, d].enumerated() {
            for i in 0..<4 { bytes[lane * 4 + i] = UInt8(truncatingIfNeeded: word >> (8 * UInt32(i))) }
        }
        return .v128(bytes)
    }

    static func lanes(_ value: Value) -> [UInt32] {
        guard case .v128(let bytes) = value else { return [] }
        return (0..<4).map { lane in (0..<4).reduce(UInt32(0)) { $0 | UInt32(bytes[lane * 4 + $1]) << (8 * $1) } }
    }

    static let host: Imports = [
        "env": [
            "twice": HostFunction(params: [.v128, .i32], results: [.v128]) { _, args in
                // Doubles each lane and adds the scalar to lane 0: both parameters arrive intact.
                guard case .i32(let k) = args[1] else { return [] }
                let l = lanes(args[0]).map { $0 &* 2 }
                return [i32x4(l[0] &+ k, l[1], l[2], l[3])]
            }
        ]
    ]

    static let configurations: [(optimization: Int, bounds: BoundsChecks)] = [
        (0, .guardPages), (2, .guardPages), (2, .explicit),
    ]

    @Test("v128 through exports, host functions, multi-value, call_indirect, globals and select", arguments: 0..<3)
    func boundaries(configuration: Int) throws {
        let (optimization, bounds) = Self.configurations[configuration]
        let instance = try instantiate(wat: Self.wat, imports: Self.host, optimization: optimization, bounds: bounds)
        let f = { (name: String) in try instance.exports.function(name) }
        let a = Self.i32x4(1, 0xFFFF_FFFF, 0x8000_0000, 42), b = Self.i32x4(2, 1, 0x8000_0000, 0xDEAD_0000)
        #expect(try f("add").call([a, b]) == [Self.i32x4(3, 0, 0, 0xDEAD_002A)])
        #expect(try f("swap-indirect").call([a, b]) == [b, a])
        #expect(try f("via-host").call([a]) == [Self.i32x4(9, 0xFFFF_FFFE, 0, 85)])
        #expect(try f("rotate-global").call([]) == [Self.i32x4(1, 2, 3, 4)])
        #expect(try f("rotate-global").call([]) == [Self.i32x4(2, 3, 4, 1)])
        #expect(try instance.exports.global("g").value == Self.i32x4(3, 4, 1, 2))
        #expect(try f("select").call([a, b, .i32(1)]) == [a])
        #expect(try f("select").call([a, b, .i32(0)]) == [b])
        #expect(try f("horizontal-sum").call([Self.i32x4(1, 2, 3, 0xFFFF_FFFF)]) == [.i32(5)])
        // Typed: a v128 is a SIMD16<UInt8> in Swift.
        let add = try instance.exports.function("add", ((SIMD16<UInt8>, SIMD16<UInt8>) -> SIMD16<UInt8>).self)
        #expect(
            try add(SIMD16(repeating: 1), SIMD16((0..<16).map { UInt8($0) }))
                == SIMD16([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16]))
        // A signalling NaN times a constant 1 comes out quiet (clang must not fold x*1 to x).
        let signalling: UInt32 = 0x7FA0_0000
        let product = Self.lanes(try f("f32x4.mul-one").call([Self.i32x4(signalling, 0x3F80_0000, 0, 0x8000_0000)])[0])
        #expect(Float(bitPattern: product[0]).isNaN && product[0] & 0x0040_0000 != 0)
        #expect(Array(product[1...]) == [0x3F80_0000, 0, 0x8000_0000])
    }

    @Test("v128 loads and lane stores at any alignment, with bounds traps", arguments: 0..<3)
    func memory(configuration: Int) throws {
        let (optimization, bounds) = Self.configurations[configuration]
        let instance = try instantiate(wat: Self.wat, imports: Self.host, optimization: optimization, bounds: bounds)
        let memory = try instance.exports.memory("memory")
        try memory.write((0..<32).map { UInt8($0) }, at: 100)
        let load = try instance.exports.function("load")
        #expect(try load.call([.i32(102)]) == [.v128(SIMD16((3..<19).map { UInt8($0) }))])
        #expect(
            try instance.exports.function("load-splat").call([.i32(105)])
                == [Self.i32x4(0x0605_0605, 0x0605_0605, 0x0605_0605, 0x0605_0605)])
        _ = try instance.exports.function("store-lane").call([.i32(65532), Self.i32x4(0, 0, 0xA1B2_C3D4, 0)])
        #expect(try memory.read(at: 65532, count: 4) == [0xD4, 0xC3, 0xB2, 0xA1])
        // The last 16 bytes load; one byte further traps, the result used or not.
        _ = try load.call([.i32(65536 - 17)])
        #expect(trapKind { try load.call([.i32(65536 - 16)]) } == .memoryOutOfBounds)
        #expect(trapKind { try instance.exports.function("dead-load").call([.i32(65536 - 15)]) } == .memoryOutOfBounds)
        #expect(
            trapKind { try instance.exports.function("store-lane").call([.i32(65533), Self.i32x4(0, 0, 0, 0)]) }
                == .memoryOutOfBounds)
        #expect(try memory.read(at: 65532, count: 4) == [0xD4, 0xC3, 0xB2, 0xA1])  // nothing written
    }

    @Test("v128 values print as i32x4 lanes")
    func values() {
        #expect(Self.i32x4(1, 0xFF, 0xDEAD_BEEF, 0).description == "0x00000001 0x000000ff 0xdeadbeef 0x00000000 : v128")
        // The example of Value.v128's documentation.
        let ones: Value = .v128(SIMD16(repeating: 1))
        #expect(ones.description == "0x01010101 0x01010101 0x01010101 0x01010101 : v128")
        #expect(ones.type == .v128)
    }
}
