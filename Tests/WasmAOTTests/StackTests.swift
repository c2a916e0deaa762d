import Foundation
import Testing
import WasmAOT

/// Stack exhaustion without stack checks in generated code: frames run into the
/// thread's guard region and the fault becomes a trap; host functions check the
/// thread's reserve first. Whatever the guest does, the host gets a trap back,
/// never a crash, and the instance stays usable.
/// A result handed from one thread to another (after a semaphore: no race).
private final class ResultBox<T>: @unchecked Sendable { var result: Result<T, any Error>? }

@Suite("Stack exhaustion")
struct StackTests {
    /// Runs `body` on a new thread with `stackSize` bytes of stack and waits for it.
    static func onThread<T: Sendable>(stackSize: Int, _ body: @escaping @Sendable () throws -> T) throws -> T {
        let box = ResultBox<T>()
        let done = DispatchSemaphore(value: 0)
        let thread = Thread {
            box.result = Result { try body() }
            done.signal()
        }
        thread.stackSize = stackSize
        thread.start()
        done.wait()
        return try box.result!.get()
    }

    /// A recursive function whose frame holds `count` i64 values loaded from memory
    /// and live across the call: several pages of stack per call, which must probe
    /// each page rather than step over a one-page guard.
    static func bigFrameWat(count: Int) -> String {
        let locals = (0..<count).map { "(local $x\($0) i64)" }.joined(separator: " ")
        let loads = (0..<count).map { "(local.set $x\($0) (i64.load offset=\($0 * 8) (i32.const 0)))" }.joined(separator: "\n")
        let sum = (0..<count).reduce("(local.get $r)") { "(i64.add \($0) (local.get $x\($1)))" }
        return """
            (module
              (memory (export "memory") 1)
              (func $big (export "big") (param $n i32) (result i64) (local $r i64) \(locals)
                \(loads)
                (if (local.get $n) (then (local.set $r (call $big (i32.sub (local.get $n) (i32.const 1))))))
                (i64.store (i32.const 65528) (i64.add (i64.load (i32.const 65528)) (i64.const 1)))
                \(sum))
              (func (export "forever") (result i64) (call $big (i32.const -1))))
            """
    }

    @Test("recursion with multi-page frames on a thread with a small stack traps, then still computes", arguments: [0, 2])
    func bigFramesSmallStack(optimization: Int) throws {
        let instance = try instantiate(wat: Self.bigFrameWat(count: 700), optimization: optimization)
        let big = try instance.exports.function("big")
        let forever = try instance.exports.function("forever")
        // Each level adds its 700 locals (one of them 5, the rest 0) and counts itself at 65528.
        let memory = try instance.exports.memory("memory")
        try memory.write([5], at: 8)
        #expect(try big.call([.i32(3)]) == [.i64(20)])
        #expect(try memory.read(at: 65528, count: 1) == [4])
        let kinds = try Self.onThread(stackSize: 512 << 10) { () -> [TrapKind?] in
            (0..<3).map { _ in trapKind { try forever.call([]) } }
        }
        #expect(kinds == [.stackExhausted, .stackExhausted, .stackExhausted])
        // No level returned, so none counted itself; the instance still computes.
        #expect(try memory.read(at: 65528, count: 1) == [4])
        #expect(try big.call([.i32(1)]) == [.i64(10)])
        #expect(try memory.read(at: 65528, count: 1) == [6])
    }

    @Test("a trap raised deep in the thread's reserve keeps its kind")
    func trapNearExhaustion() throws {
        let instance = try instantiate(
            wat: """
                (module
                  (func $f (export "f") (param $n i32) (result i32)
                    (if (result i32) (i32.eqz (local.get $n))
                      (then (i32.div_u (i32.const 1) (local.get $n)))
                      (else (i32.add (i32.const 1) (call $f (i32.sub (local.get $n) (i32.const 1))))))))
                """)
        let f = try instance.exports.function("f")
        let kinds = try Self.onThread(stackSize: 512 << 10) { () -> [TrapKind?] in
            // The deepest recursion that still reaches its division, by bisection.
            var ok = 1, exhausted = 1 << 22
            while exhausted - ok > 1 {
                let mid = (ok + exhausted) / 2
                if trapKind({ try f.call([.i32(UInt32(mid))]) }) == .divideByZero { ok = mid } else { exhausted = mid }
            }
            // Depths whose division runs at the edge of the reserve (1/4 of this stack) and inside it,
            // a few KiB from the guard. (At the very last frames the trap path itself may not fit:
            // then the trap is reported as stack exhaustion, which the first call checks.)
            return [trapKind { try f.call([.i32(UInt32(exhausted))]) }]
                + [ok * 3 / 4, ok * 9 / 10, ok * 99 / 100].map { n in trapKind { try f.call([.i32(UInt32(n))]) } }
        }
        #expect(kinds == [.stackExhausted, .divideByZero, .divideByZero, .divideByZero])
    }

    static let hostWat = """
        (module
          (import "env" "tick" (func $tick (param i32)))
          (import "env" "reenter" (func $reenter (param i32) (result i32)))
          (func $down (export "down") (param $n i32) (result i32)
            (call $tick (local.get $n))
            (i32.add (i32.const 1) (call $down (i32.add (local.get $n) (i32.const 1)))))
          (func (export "nest") (param $n i32) (result i32)
            (i32.add (i32.const 1) (call $reenter (local.get $n))))
          (func (export "ok") (result i32) (i32.const 42)))
        """

    @Test("unbounded recursion through host functions traps instead of overflowing in the host")
    func recursionThroughHost() throws {
        final class Counter: @unchecked Sendable {
            var ticks = 0
            var nest: Function?
        }
        let counter = Counter()
        let imports: Imports = [
            "env": [
                "tick": HostFunction(params: [.i32]) { _, _ in
                    counter.ticks += 1
                    return []
                },
                // host → wasm → host → ...: every level is a new entry into wasm.
                "reenter": HostFunction(params: [.i32], results: [.i32]) { _, args in try counter.nest!.call(args) },
            ]
        ]
        let instance = try instantiate(wat: Self.hostWat, imports: imports)
        counter.nest = try instance.exports.function("nest")
        let down = try instance.exports.function("down")
        for stack in [512 << 10, 8 << 20] {
            counter.ticks = 0
            let kinds = try Self.onThread(stackSize: stack) { () -> [TrapKind?] in
                [trapKind { try down.call([.i32(0)]) }, trapKind { try counter.nest!.call([.i32(0)]) }]
            }
            #expect(kinds == [.stackExhausted, .stackExhausted], "stack \(stack)")
            #expect(counter.ticks > 100, "the host function ran at every level until the reserve was reached")
        }
        #expect(try instance.exports.function("ok").call([]) == [.i32(42)])
    }
}
