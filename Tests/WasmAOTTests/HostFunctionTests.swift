import Foundation
import Testing
import WasmAOT
import WasmAOTFormat

/// Typed host functions, and host functions reached through the host thunks of the
/// importing module (wasmaot_abi.h) rather than libffi: every numeric type, the caller's
/// memory, re-entry, failures, tables and other instances.
@Suite("Typed host functions")
struct HostFunctionTests {
    static let wat = """
        (module
          (import "env" "mix" (func $mix (param i32 i64 f32 f64) (result f64)))
          (import "env" "unsigned" (func $unsigned (param i32 i64) (result i64)))
          (import "env" "note" (func $note (param i32)))
          (import "env" "poke" (func $poke (param i32 i32)))
          (import "env" "again" (func $again (param i32) (result i32)))
          (import "env" "fail" (func $fail (param i32) (result i32)))
          (import "env" "vec" (func $vec (param v128) (result v128)))
          (memory (export "memory") 1)
          (type $mixType (func (param i32 i64 f32 f64) (result f64)))
          (table (export "table") 1 funcref)
          (elem (i32.const 0) $mix)
          (func (export "call-mix") (param i32 i64 f32 f64) (result f64)
            (call $mix (local.get 0) (local.get 1) (local.get 2) (local.get 3)))
          (func (export "call-unsigned") (param i32 i64) (result i64) (call $unsigned (local.get 0) (local.get 1)))
          (func (export "call-note") (param i32) (call $note (local.get 0)))
          (func (export "call-poke") (param i32 i32) (result i32)
            (call $poke (local.get 0) (local.get 1))
            (i32.load8_u (local.get 0)))
          (func (export "countdown") (param i32) (result i32)
            (if (result i32) (i32.eqz (local.get 0))
              (then (i32.const 0))
              (else (i32.add (call $again (i32.sub (local.get 0) (i32.const 1))) (i32.const 1)))))
          (func (export "call-fail") (param i32) (result i32) (call $fail (local.get 0)))
          (func (export "call-vec") (param v128) (result v128) (call $vec (local.get 0))))
        """

    struct Refused: Error, Equatable { var value: Int32 }

    final class Host: @unchecked Sendable {
        var notes: [Int32] = []
        var countdown: ((Int32) throws -> Int32)?
        var imports: Imports {
            [
                "env": [
                    "mix": HostFunction { (a: Int32, b: Int64, c: Float, d: Double) -> Double in
                        Double(a) + Double(b) + Double(c) + d
                    },
                    "unsigned": HostFunction { (a: UInt32, b: UInt64) -> UInt64 in UInt64(a) &+ b },
                    "note": HostFunction { [self] (n: Int32) in notes.append(n) },
                    "poke": HostFunction { (caller: Caller, address: Int32, byte: Int32) in
                        try caller.memory!.store(UInt8(truncatingIfNeeded: byte), at: Int(address))
                    },
                    "again": HostFunction { [self] (caller: Caller, n: Int32) -> Int32 in try countdown!(n) },
                    "fail": HostFunction { (n: Int32) -> Int32 in
                        if n < 0 { throw Refused(value: n) }
                        return n &* 2
                    },
                    "vec": HostFunction { (v: SIMD16<UInt8>) -> SIMD16<UInt8> in v &+ SIMD16(repeating: 1) },
                ]
            ]
        }
    }

    func instance() throws -> (Instance, Host) {
        let host = Host()
        let instance = try load(wat: Self.wat).instantiate(imports: host.imports)
        host.countdown = try instance.exports.function("countdown", ((Int32) -> Int32).self)
        return (instance, host)
    }

    @Test("a typed host function's wasm type is its closure's")
    func types() {
        #expect(
            HostFunction { (_: Int32, _: Int64, _: Float, _: Double) -> Double in 0 }.type
                == FuncType(params: [.i32, .i64, .f32, .f64], results: [.f64]))
        #expect(HostFunction { (_: Caller, _: UInt32) in }.type == FuncType(params: [.i32], results: []))
        #expect(HostFunction { () -> UInt64 in 1 }.type == FuncType(params: [], results: [.i64]))
        #expect(HostFunction { (_: SIMD16<UInt8>) -> Float in 0 }.type == FuncType(params: [.v128], results: [.f32]))
    }

    @Test("values of every numeric type reach typed host functions and come back")
    func numericTypes() throws {
        let (instance, host) = try instance()
        let mix = try instance.exports.function("call-mix", ((Int32, Int64, Float, Double) -> Double).self)
        #expect(try mix(-3, 1 << 40, 0.5, 0.25) == -3 + Double(1 << 40) + 0.75)
        let unsigned = try instance.exports.function("call-unsigned", ((UInt32, UInt64) -> UInt64).self)
        #expect(try unsigned(UInt32.max, 1 << 63) == UInt64(UInt32.max) + (1 << 63))
        let note = try instance.exports.function("call-note", ((Int32) -> Void).self)
        try note(7)
        try note(-1)
        #expect(host.notes == [7, -1])
        var bytes = SIMD16<UInt8>()
        for i in 0..<16 { bytes[i] = UInt8(i * 17) }
        let vec = try instance.exports.function("call-vec", ((SIMD16<UInt8>) -> SIMD16<UInt8>).self)
        #expect(try vec(bytes) == bytes &+ SIMD16(repeating: 1))
    }

    @Test("a typed host function sees its caller's memory")
    func callerMemory() throws {
        let (instance, _) = try instance()
        let poke = try instance.exports.function("call-poke", ((Int32, Int32) -> Int32).self)
        #expect(try poke(100, 0x1AB) == 0xAB)
        #expect(try instance.exports.memory("memory").read(at: 100, count: 1) == [0xAB])
    }

    @Test("typed host functions call back into the guest, 300 levels deep")
    func reentry() throws {
        let (instance, _) = try instance()
        let countdown = try instance.exports.function("countdown", ((Int32) -> Int32).self)
        #expect(try countdown(300) == 300)
    }

    @Test("an error thrown by a typed host function traps the guest and reaches Swift")
    func failure() throws {
        let (instance, _) = try instance()
        let fail = try instance.exports.function("call-fail", ((Int32) -> Int32).self)
        #expect(try fail(21) == 42)
        do {
            _ = try fail(-5)
            Issue.record("expected a trap")
        } catch let trap as Trap {
            #expect(trap.kind == .hostError)
            #expect(trap.underlying as? Refused == Refused(value: -5))
        }
        #expect(try fail(1) == 2)  // the instance still works
    }

    @Test("a host function in a table is called by another instance through the importing module")
    func throughTable() throws {
        let (instance, _) = try instance()
        let caller = try load(
            wat: """
                (module
                  (import "a" "table" (table 1 funcref))
                  (type $mix (func (param i32 i64 f32 f64) (result f64)))
                  (func (export "indirect") (result f64)
                    (call_indirect (type $mix) (i32.const 1) (i64.const 2) (f32.const 3) (f64.const 4) (i32.const 0))))
                """
        ).instantiate(imports: ["a": ["table": try instance.exports.table("table")]])
        #expect(try caller.exports.function("indirect").call([]) == [.double(10)])
    }

    @Test("the same host function bound to two instances, and called straight from Swift")
    func sharedAndDirect() throws {
        let double = HostFunction { (n: Int32) -> Int32 in n &* 2 }
        let wat = """
            (module (import "env" "f" (func $f (param i32) (result i32)))
              (func (export "g") (param i32) (result i32) (call $f (local.get 0))))
            """
        let module = try load(wat: wat)
        let a = try module.instantiate(imports: ["env": ["f": double]])
        let b = try module.instantiate(imports: ["env": ["f": double]])
        let (ga, gb) = (try a.exports.function("g", ((Int32) -> Int32).self), try b.exports.function("g", ((Int32) -> Int32).self))
        #expect(try ga(4) == 8)
        #expect(try gb(-4) == -8)
        #expect(try double.call([.int32(21)]) == [.int32(42)])
    }

    @Test("a typed host function of the wrong type is refused at instantiation")
    func wrongType() throws {
        var imports = Host().imports
        imports["env"]!["mix"] = HostFunction { (a: Int32, b: Int64, c: Float) -> Double in Double(a) + Double(b) + Double(c) }
        #expect(throws: InstantiationError.self) { try load(wat: Self.wat).instantiate(imports: imports) }
    }
}
