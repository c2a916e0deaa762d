import Foundation
import Testing
import WasmAOT

/// The Swift embedding API: host functions, typed and dynamic calls, values
/// that cross the boundary, sharing between instances.
@Suite("Embedding")
struct EmbeddingTests {
    struct Boom: Error, Equatable { var code: Int }

    @Test("the README example: fib through a typed closure and a dynamic call")
    func readmeExample() throws {
        let source = try String(
            contentsOfFile: #filePath.replacingOccurrences(
                of: "Tests/WasmAOTTests/EmbeddingTests.swift", with: "examples/fib.wat"), encoding: .utf8)
        let module = try load(wat: source)
        let instance = try module.instantiate()
        let fib = try instance.exports.function("fib", ((Int32) -> Int32).self)
        #expect(try fib(30) == 832040)
        #expect(try instance.exports.function("fib").call([.i32(10)]) == [.i32(55)])
        #expect(try instance.exports.function("fib").call([.i32(10)]).description == "[55 : i32]")
        #expect(try instance.exports.memory("memory").read(at: 0, count: 12) == Array("fib computed".utf8))
    }

    static let hostWat = """
        (module
          (import "env" "add" (func $add (param i32 i64 f32 f64) (result f64)))
          (import "env" "swap" (func $swap (param i32 i64) (result i64 i32)))
          (import "env" "fail" (func $fail (param i32)))
          (import "env" "recurse" (func $recurse (param i32) (result i32)))
          (memory (export "memory") 1)
          (func (export "call-add") (param i32 i64 f32 f64) (result f64)
            (call $add (local.get 0) (local.get 1) (local.get 2) (local.get 3)))
          (func (export "call-swap") (param i32 i64) (result i64 i32)
            (call $swap (local.get 0) (local.get 1)))
          (func $inner (export "call-fail") (param i32) (result i32)
            (call $fail (local.get 0)) (i32.const 7))
          (func (export "outer") (param i32) (result i32) (i32.add (call $inner (local.get 0)) (i32.const 1)))
          (func (export "ping") (param i32) (result i32)
            (if (result i32) (i32.eqz (local.get 0)) (then (i32.const 0))
              (else (i32.add (i32.const 1) (call $recurse (i32.sub (local.get 0) (i32.const 1)))))))
          (func (export "id-externref") (param externref) (result externref) (local.get 0))
          (func (export "is-null") (param externref) (result i32) (ref.is_null (local.get 0)))
        )
        """

    /// Host functions for `hostWat`; `ping` is the instance's own export, set once instantiated.
    final class Host: @unchecked Sendable {
        var ping: Function?
        var seen: [[Value]] = []
        var imports: Imports {
            [
                "env": [
                    "add": HostFunction(params: [.i32, .i64, .f32, .f64], results: [.f64]) { [self] _, args in
                        seen.append(args)
                        guard case .i32(let a) = args[0], case .i64(let b) = args[1], case .f32(let c) = args[2],
                            case .f64(let d) = args[3]
                        else { return [] }
                        let sum = Double(Int32(bitPattern: a)) + Double(Int64(bitPattern: b)) + Double(Float(bitPattern: c))
                        return [.double(sum + Double(bitPattern: d))]
                    },
                    "swap": HostFunction(params: [.i32, .i64], results: [.i64, .i32]) { _, args in
                        guard case .i32(let a) = args[0], case .i64(let b) = args[1] else { return [] }
                        return [.i64(b &+ 1), .i32(a &+ 1)]
                    },
                    "fail": HostFunction(params: [.i32]) { caller, args in
                        // The caller's memory is reachable from the host function.
                        try caller.memory?.write([0xAB], at: 8)
                        if case .i32(let code) = args[0], code != 0 { throw Boom(code: Int(code)) }
                        return []
                    },
                    "recurse": HostFunction(params: [.i32], results: [.i32]) { [self] _, args in
                        try ping!.call(args)  // host → wasm → host → wasm ...
                    },
                ]
            ]
        }
    }

    func hostInstance() throws -> (Instance, Host) {
        let host = Host()
        let instance = try load(wat: Self.hostWat).instantiate(imports: host.imports)
        host.ping = try instance.exports.function("ping")
        return (instance, host)
    }

    @Test("arguments of every numeric type reach the host and its result comes back")
    func hostRoundTrip() throws {
        let (instance, host) = try hostInstance()
        let result = try instance.exports.function("call-add").call([.int32(-3), .int64(1 << 40), .float(0.5), .double(0.25)])
        #expect(result == [.double(-3 + Double(1 << 40) + 0.75)])
        #expect(host.seen == [[.int32(-3), .int64(1 << 40), .float(0.5), .double(0.25)]])
        let typed = try instance.exports.function("call-add", ((Int32, Int64, Float, Double) -> Double).self)
        #expect(try typed(1, 2, 3, 4) == 10)
    }

    @Test("multiple results through host functions, wasm exports and libffi")
    func multiValue() throws {
        let (instance, _) = try hostInstance()
        #expect(try instance.exports.function("call-swap").call([.i32(41), .i64(99)]) == [.i64(100), .i32(42)])
    }

    @Test("a host error traps the wasm caller and reaches Swift as the original error")
    func hostErrorPropagates() throws {
        let (instance, _) = try hostInstance()
        do {
            _ = try instance.exports.function("outer").call([.i32(5)])
            Issue.record("expected a trap")
        } catch let trap as Trap {
            #expect(trap.kind == .hostError)
            #expect(trap.underlying as? Boom == Boom(code: 5))
        }
        // The host function wrote into the caller's memory before failing; the instance still works.
        #expect(try instance.exports.memory("memory").read(at: 8, count: 1) == [0xAB])
        #expect(try instance.exports.function("outer").call([.i32(0)]) == [.i32(8)])
    }

    @Test("host → wasm → host re-entry, 200 levels deep")
    func reentry() throws {
        let (instance, _) = try hostInstance()
        #expect(try instance.exports.function("ping").call([.i32(200)]) == [.i32(200)])
    }

    @Test("externref values round-trip from Swift through wasm")
    func externref() throws {
        let (instance, _) = try hostInstance()
        let id = try instance.exports.function("id-externref")
        #expect(try id.call([.externref(42)]) == [.externref(42)])
        #expect(try id.call([.externref(0)]) == [.externref(0)])
        #expect(try id.call([.externref(nil)]) == [.externref(nil)])
        #expect(try instance.exports.function("is-null").call([.externref(0)]) == [.i32(0)])
        #expect(try instance.exports.function("is-null").call([.externref(nil)]) == [.i32(1)])
    }

    @Test("wrong argument counts and types, unknown exports and wrong typed signatures are usage errors")
    func misuse() throws {
        let (instance, _) = try hostInstance()
        let add = try instance.exports.function("call-add")
        #expect(throws: UsageError.self) { try add.call([.i32(1)]) }
        #expect(throws: UsageError.self) { try add.call([.i64(1), .i64(2), .float(3), .double(4)]) }
        #expect(throws: UsageError.self) { try instance.exports.function("nope") }
        #expect(throws: UsageError.self) { try instance.exports.memory("call-add") }
        #expect(throws: UsageError.self) { try instance.exports.function("call-add", ((Int32) -> Double).self) }
    }

    @Test("a memory, a global and a function shared between two instances")
    func sharing() throws {
        let producer = try instantiate(
            wat: """
                (module
                  (memory (export "mem") 1 4)
                  (global (export "counter") (mut i32) (i32.const 0))
                  (func (export "bump") (result i32)
                    (global.set 0 (i32.add (global.get 0) (i32.const 1)))
                    (i32.store (i32.const 0) (global.get 0))
                    (global.get 0)))
                """)
        let consumer = try instantiate(
            wat: """
                (module
                  (import "p" "mem" (memory 1))
                  (import "p" "counter" (global (mut i32)))
                  (import "p" "bump" (func $bump (result i32)))
                  (func (export "twice") (result i32) (drop (call $bump)) (call $bump))
                  (func (export "peek") (result i32) (i32.load (i32.const 0)))
                  (func (export "grow") (result i32) (memory.grow (i32.const 1))))
                """,
            imports: ["p": ["mem": producer.exports["mem"]!, "counter": producer.exports["counter"]!, "bump": producer.exports["bump"]!]])
        #expect(try consumer.exports.function("twice").call([]) == [.i32(2)])
        #expect(try consumer.exports.function("peek").call([]) == [.i32(2)])
        #expect(try producer.exports.global("counter").value == .i32(2))
        try producer.exports.global("counter").set(.i32(40))
        #expect(try consumer.exports.function("twice").call([]) == [.i32(42)])
        #expect(try consumer.exports.function("grow").call([]) == [.i32(1)])
        #expect(try producer.exports.memory("mem").pages == 2)
    }

    @Test("calls from several threads at once, each on its own instance")
    func threads() async throws {
        let module = try load(
            wat: """
                (module (func $f (export "fib") (param i32) (result i32)
                  (if (result i32) (i32.lt_u (local.get 0) (i32.const 2)) (then (local.get 0))
                    (else (i32.add (call $f (i32.sub (local.get 0) (i32.const 1))) (call $f (i32.sub (local.get 0) (i32.const 2))))))))
                """)
        try await withThrowingTaskGroup(of: Int32.self) { group in
            for _ in 0..<8 {
                group.addTask {
                    let fib = try module.instantiate().exports.function("fib", ((Int32) -> Int32).self)
                    return try fib(20)
                }
            }
            for try await result in group { #expect(result == 6765) }
        }
    }
}
