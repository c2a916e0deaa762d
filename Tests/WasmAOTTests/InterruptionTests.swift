import Foundation
import Testing
import WasmAOT
import WasmAOTCompiler

/// Stopping a guest from the host: `Instance.interrupt()` on code compiled
/// interruptible, and `wasmaot run --timeout`.
@Suite("Interruption")
struct InterruptionTests {
    /// A hashing loop of 2^34 iterations: tens of seconds, so that a call the
    /// interruption misses returns, and the test fails instead of hanging.
    static let spinBody = """
        (local $i i64) (local $h i64)
            (loop $again
              (local.set $h (i64.add (i64.mul (local.get $h) (i64.const 31)) (local.get $i)))
              (local.set $i (i64.add (local.get $i) (i64.const 1)))
              (br_if $again (i64.lt_u (local.get $i) (i64.const 0x400000000))))
        """
    /// The loop, a call tree without loops (2^n calls: 2^34 where it must be
    /// stopped), and a loop that calls a host function.
    static let wat = """
        (module
          (import "env" "tick" (func $tick))
          (func (export "spin") (result i64) \(spinBody) (local.get $h))
          (func $tree (export "tree") (param i32) (result i32)
            (if (result i32) (i32.eqz (local.get 0)) (then (i32.const 1))
              (else (i32.add (call $tree (i32.sub (local.get 0) (i32.const 1)))
                             (call $tree (i32.sub (local.get 0) (i32.const 1)))))))
          (func (export "ticks") (param i32)
            (loop $again (call $tick) (br_if $again (local.tee 0 (i32.sub (local.get 0) (i32.const 1))))))
        )
        """

    final class Counter: @unchecked Sendable {
        let lock = NSLock()
        var value = 0
        func increment() -> Int {
            lock.withLock {
                value += 1; return value
            }
        }
    }

    static func interruptible(_ wat: String) throws -> Module {
        let dir = try makeScratch()
        defer { removeScratch(dir) }
        var options = CompileOptions()
        options.interruptible = true
        options.extraClangFlags = ["-Werror"]
        let so = dir + "/module.so"
        _ = try Compiler.compile(wasm: try ModuleDecoder.wat2wasm(wat), to: so, options: options)
        return try Module(loading: so)
    }

    /// Runs `call` on a thread of its own (a blocking call must not hold one of
    /// the few threads Swift concurrency runs tests on), interrupts the
    /// instance once the call has run for a moment, and returns what the call
    /// threw (nil if it returned).
    static func interrupted(_ instance: Instance, _ call: @escaping @Sendable () throws -> Any) throws -> (any Error)? {
        final class Outcome: @unchecked Sendable { var error: (any Error)? }
        let outcome = Outcome(), done = DispatchSemaphore(value: 0)
        Thread {
            do { _ = try call() } catch { outcome.error = error }
            done.signal()
        }.start()
        Thread.sleep(forTimeInterval: 0.1)
        try instance.interrupt()
        done.wait()
        return outcome.error
    }

    static func interruptedKind(_ instance: Instance, _ call: @escaping @Sendable () throws -> Any) throws -> TrapKind? {
        (try interrupted(instance, call) as? Trap)?.kind
    }

    @Test("interrupt() stops a loop and a loop-free call tree; calls trap until clearInterrupt()")
    func stopsAndResumes() throws {
        let module = try Self.interruptible(Self.wat)
        #expect(module.isInterruptible)
        let ticks = Counter()
        let instance = try module.instantiate(imports: [
            "env": [
                "tick": HostFunction(params: [], results: []) { _, _ in
                    _ = ticks.increment()
                    return []
                }
            ]
        ])
        let spin = try instance.exports.function("spin"), tree = try instance.exports.function("tree")
        #expect(try Self.interruptedKind(instance) { try spin.call([]) } == .interrupted)
        // Still set: the next call stops at its first function entry.
        #expect(trapKind { try tree.call([.i32(3)]) } == .interrupted)
        instance.clearInterrupt()
        #expect(try tree.call([.i32(10)]) == [.i32(1024)])
        #expect(try Self.interruptedKind(instance) { try tree.call([.i32(34)]) } == .interrupted)
        instance.clearInterrupt()
        _ = try instance.exports.function("ticks").call([.i32(5)])
        #expect(ticks.value == 5)
        // Interrupted before the call: stopped at the function's entry, before any host call.
        try instance.interrupt()
        #expect(trapKind { try instance.exports.function("ticks").call([.i32(5)]) } == .interrupted)
        #expect(ticks.value == 5)
    }

    @Test("the trap names the interrupted function; other instances of the module run on")
    func backtraceAndIsolation() throws {
        let module = try Self.interruptible(Self.wat)
        let noTick: Imports = ["env": ["tick": HostFunction(params: [], results: []) { _, _ in [] }]]
        let stopped = try module.instantiate(imports: noTick), other = try module.instantiate(imports: noTick)
        let spin = try stopped.exports.function("spin")
        let trap = try #require(try Self.interrupted(stopped) { try spin.call([]) } as? Trap)
        #expect(trap.kind == .interrupted)
        #expect(trap.backtrace.first == "spin")
        #expect(try other.exports.function("tree").call([.i32(4)]) == [.i32(16)])
    }

    @Test("code compiled without interruption checks refuses interrupt() with a usage error")
    func notInterruptible() throws {
        let instance = try instantiate(wat: #"(module (func (export "f")))"#)
        #expect(!instance.module.isInterruptible)
        #expect(throws: UsageError.self) { try instance.interrupt() }
        _ = try instance.exports.function("f").call([])
    }

    @Test("wasmaot run --timeout stops a guest that loops forever (status 134, the limit named), even in its start function")
    func runTimeout() throws {
        let cli = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("wasmaot").path
        try #require(FileManager.default.isExecutableFile(atPath: cli), "the wasmaot CLI is built next to the tests")
        let dir = try makeScratch()
        defer { removeScratch(dir) }
        // The "spin" loop: should the timeout not work, the run ends after tens of seconds and the test fails.
        try Data(#"(module (func (export "_start") \#(Self.spinBody)))"#.utf8).write(to: URL(fileURLWithPath: dir + "/spin.wat"))
        func run(_ arguments: [String]) throws -> (status: Int32, stderr: String) {
            let process = Process(), errors = Pipe()
            process.executableURL = URL(fileURLWithPath: cli)
            process.arguments = arguments
            process.standardError = errors
            try process.run()
            let text = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            return (process.terminationStatus, text)
        }
        let stopped = try run(["run", "--no-cache", "--timeout", "0.2", dir + "/spin.wat"])
        #expect(stopped.status == 134)
        #expect(stopped.stderr.contains("wasm trap: interrupted (--timeout 0.2 s)"))
        // A start function runs before there is an instance to interrupt: the process is ended a second later.
        try Data(#"(module (func $s \#(Self.spinBody)) (start $s))"#.utf8).write(to: URL(fileURLWithPath: dir + "/start.wat"))
        let ended = try run(["run", "--no-cache", "--timeout", "0.2", dir + "/start.wat"])
        #expect(ended.status == 134)
        #expect(ended.stderr.contains("still running 1 s after --timeout 0.2 s"))
        // A .so compiled without --interruptible cannot honour a timeout: refused before it runs.
        let compiled = try run(["compile", dir + "/spin.wat", "-o", dir + "/spin.so"])
        try #require(compiled.status == 0, "\(compiled.stderr)")
        let refused = try run(["run", "--timeout", "0.2", dir + "/spin.so"])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("--timeout needs code that polls for interruption"))
    }
}
