import Foundation
import Testing
import WasmAOT
import WasmAOTCompiler
import WasmAOTFormat

/// Several memories (multi-memory) and 64-bit memories and tables (memory64): each memory
/// with its own data image and bounds, 64-bit addresses that cannot wrap a check, both
/// bounds modes.
@Suite("Multi-memory and memory64")
struct MultiMemoryTests {
    static let wat = """
        (module
          (import "env" "shared" (memory $shared 1))
          (memory $small (export "small") 1 2)
          (memory $big (export "big") i64 2 4)
          (data (memory $small) (i32.const 16) "small")
          (data (memory $big) (i64.const 65530) "big memory")
          (func (export "load_small") (param i32) (result i32) (i32.load8_u $small (local.get 0)))
          (func (export "load_big") (param i64) (result i32) (i32.load8_u $big (local.get 0)))
          (func (export "load_big_offset") (param i64) (result i64) (i64.load $big offset=0xFFFFFFFF (local.get 0)))
          (func (export "store_big") (param i64 i32) (i32.store8 $big (local.get 0) (local.get 1)))
          (func (export "store_shared") (param i32 i32) (i32.store $shared (local.get 0) (local.get 1)))
          (func (export "copy_big_to_small") (param i32 i64 i32) (memory.copy $small $big (local.get 0) (local.get 1) (local.get 2)))
          (func (export "fill_big") (param i64 i32 i64) (memory.fill $big (local.get 0) (local.get 1) (local.get 2)))
          (func (export "grow_big") (param i64) (result i64) (memory.grow $big (local.get 0)))
          (func (export "size_big") (result i64) (memory.size $big))
          (func (export "size_small") (result i32) (memory.size $small)))
        """

    @Test("each memory has its own contents, bounds and growth; 64-bit addresses never wrap a check", arguments: BoundsChecks.allCases)
    func memories(bounds: BoundsChecks) throws {
        let shared = try Memory(limits: Limits(min: 1))
        let module = try load(wat: Self.wat, bounds: bounds)
        let instance = try module.instantiate(imports: ["env": ["shared": shared]])
        func f(_ name: String, _ args: [Value]) throws -> [Value] { try instance.exports.function(name).call(args) }
        let small = try instance.exports.memory("small"), big = try instance.exports.memory("big")
        #expect(big.limits.is64 && !small.limits.is64)
        #expect(try small.read(at: 16, count: 5) == Array("small".utf8))
        #expect(try big.read(at: 65530, count: 6) == Array("big me".utf8))
        #expect(try f("load_small", [.i32(16)]) == [.i32(UInt32(UInt8(ascii: "s")))])
        #expect(try f("load_big", [.i64(65530)]) == [.i32(UInt32(UInt8(ascii: "b")))])
        #expect(trapKind { try f("load_big", [.i64(2 * 65536)]) } == .memoryOutOfBounds)
        #expect(trapKind { try f("load_big", [.i64(UInt64.max)]) } == .memoryOutOfBounds)
        #expect(trapKind { try f("load_big", [.i64(1 << 32)]) } == .memoryOutOfBounds)
        // address + offset wraps around 2^64 to a small address: still out of bounds.
        #expect(trapKind { try f("load_big_offset", [.i64(UInt64.max - 0xFFFF_FFFE)]) } == .memoryOutOfBounds)
        #expect(trapKind { try f("store_big", [.i64(UInt64.max), .i32(1)]) } == .memoryOutOfBounds)
        _ = try f("store_shared", [.i32(8), .i32(0x0102_0304)])
        #expect(try shared.read(at: 8, count: 4) == [4, 3, 2, 1])
        #expect(try small.read(at: 8, count: 4) == [0, 0, 0, 0])

        // Grow: 64-bit sizes and deltas; more than the declared maximum fails with -1.
        #expect(try f("grow_big", [.i64(1)]) == [.i64(2)])
        #expect(try f("size_big", []) == [.i64(3)])
        #expect(try f("grow_big", [.i64(1 << 32 | 1)]) == [.i64(UInt64.max)])
        #expect(try f("grow_big", [.i64(2)]) == [.i64(UInt64.max)])
        #expect(try f("size_small", []) == [.i32(1)])
        #expect(try f("load_big", [.i64(65539)]) == [.i32(UInt32(UInt8(ascii: "y")))])
        _ = try f("store_big", [.i64(3 * 65536 - 1), .i32(0x7A)])
        #expect(try f("load_big", [.i64(3 * 65536 - 1)]) == [.i32(0x7A)])
        #expect(trapKind { try f("store_big", [.i64(3 * 65536), .i32(1)]) } == .memoryOutOfBounds)

        // Bulk operations across memories, with 64-bit ranges checked without wrapping.
        _ = try f("copy_big_to_small", [.i32(100), .i64(65530), .i32(10)])
        #expect(try small.read(at: 100, count: 10) == Array("big memory".utf8))
        #expect(trapKind { try f("copy_big_to_small", [.i32(0), .i64(UInt64.max - 2), .i32(5)]) } == .memoryOutOfBounds)
        _ = try f("fill_big", [.i64(10), .i32(0x55), .i64(3)])
        #expect(try big.read(at: 9, count: 5) == [0, 0x55, 0x55, 0x55, 0])
        #expect(trapKind { try f("fill_big", [.i64(UInt64.max), .i32(0), .i64(2)]) } == .memoryOutOfBounds)

        // A second instance starts from both images again.
        let again = try module.instantiate(imports: ["env": ["shared": shared]])
        #expect(try again.exports.memory("big").read(at: 9, count: 5) == [0, 0, 0, 0, 0])
        #expect(try again.exports.memory("small").read(at: 100, count: 3) == [0, 0, 0])
    }

    @Test("a 64-bit memory import needs a 64-bit memory, and a 32-bit one a 32-bit memory")
    func addressWidthOfImports() throws {
        let wants64 = try load(wat: #"(module (import "env" "m" (memory i64 1)))"#)
        let wants32 = try load(wat: #"(module (import "env" "m" (memory 1)))"#)
        let m32 = try Memory(limits: Limits(min: 1)), m64 = try Memory(limits: Limits(min: 1, is64: true))
        #expect(throws: InstantiationError.self) { try wants64.instantiate(imports: ["env": ["m": m32]]) }
        #expect(throws: InstantiationError.self) { try wants32.instantiate(imports: ["env": ["m": m64]]) }
        _ = try wants64.instantiate(imports: ["env": ["m": m64]])
        _ = try wants32.instantiate(imports: ["env": ["m": m32]])
    }

    @Test("64-bit tables: i64 indices, sizes and growth; huge indices trap", arguments: BoundsChecks.allCases)
    func table64(bounds: BoundsChecks) throws {
        let instance = try instantiate(
            wat: """
                (module
                  (table $t i64 2 funcref)
                  (func $answer (result i32) (i32.const 42))
                  (elem (table $t) (i64.const 1) func $answer)
                  (func (export "call") (param i64) (result i32) (call_indirect $t (result i32) (local.get 0)))
                  (func (export "is_null") (param i64) (result i32) (ref.is_null (table.get $t (local.get 0))))
                  (func (export "grow") (param i64) (result i64) (table.grow $t (ref.null func) (local.get 0)))
                  (func (export "size") (result i64) (table.size $t)))
                """, bounds: bounds)
        func f(_ name: String, _ args: [Value]) throws -> [Value] { try instance.exports.function(name).call(args) }
        #expect(try f("call", [.i64(1)]) == [.i32(42)])
        #expect(trapKind { try f("call", [.i64(1 << 32 | 1)]) } == .undefinedElement)
        #expect(trapKind { try f("is_null", [.i64(UInt64.max)]) } == .tableOutOfBounds)
        #expect(try f("grow", [.i64(3)]) == [.i64(2)])
        #expect(try f("size", []) == [.i64(5)])
        #expect(try f("grow", [.i64(1 << 32)]) == [.i64(UInt64.max)])
        #expect(try f("is_null", [.i64(4)]) == [.i32(1)])
    }
}
