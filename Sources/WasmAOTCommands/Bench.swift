import Foundation
import WasmAOT
import WasmAOTCompiler
import WasmAOTOracle

/// `wasmaot bench`: one module on our AOT engine and on WasmKit's interpreter, in the same
/// process, with the same inputs. Times cover instantiation and the run, not compilation;
/// guest output is captured, and both engines must end the same way with the same output.
public struct BenchRequest: Sendable {
    /// A `.wasm`/`.wat` module, or a `.so` compiled by wasmaot (then ``wasm`` feeds the interpreter).
    public var module: String
    /// The wasm binary the `.so` was compiled from.
    public var wasm: String?
    /// Call this export with ``arguments`` instead of running `_start`.
    public var invoke: String?
    /// The program's arguments, or the invoked function's (a leading `--` is dropped).
    public var arguments: [String] = []
    public var dirs: [String] = []
    /// Runs on WasmAOT (at least 1) and on the interpreter (0 skips it).
    public var runs = 5
    public var wasmkitRuns = 1
    public var options = CompileOptions()
    public var cacheDirectory = CompileCache.defaultDirectory
    /// Time instantiation alone.
    public var instantiate = false

    public init(module: String) { self.module = module }

    /// Runs the benchmark. Throws when an engine cannot run the module at all; engines that
    /// disagree are reported by ``BenchReport/disagreement``.
    public func run() throws(CommandFailure) -> BenchReport {
        guard runs >= 1, wasmkitRuns >= 0 else { throw CommandFailure("--runs must be at least 1 and --wasmkit-runs at least 0") }
        let args = withoutSeparator(arguments)
        let wasmBytes = try ModuleSource.wasmBytes(module, wasm: wasm)
        if wasmBytes == nil && wasmkitRuns > 0 {
            throw CommandFailure("\(module) is a compiled object: pass --wasm FILE for the interpreter, or --wasmkit-runs 0")
        }
        let aotModule = try ModuleSource.load(module, cacheDirectory: cacheDirectory, options: options)
        let configuration: WASIConfiguration
        do {
            configuration = try WASIConfiguration(
                program: module, arguments: args, dirs: dirs, stdin: .bytes([]), stdout: .capture, stderr: .capture)
        } catch { throw CommandFailure("\(error)") }
        // The invoked function's arguments, parsed once, outside the timings.
        var invokeArguments: [Value] = []
        if let invoke {
            guard let export = aotModule.exports.first(where: { $0.name == invoke && $0.kind == .function }) else {
                throw CommandFailure("\(module): no exported function '\(invoke)'")
            }
            do { invokeArguments = try Value.parse(args, as: aotModule.metadata.functionType(at: export.index).params) } catch {
                throw CommandFailure("\(error)")
            }
        }
        if instantiate { return try timeInstantiation(aotModule, wasmBytes, configuration) }

        var report = BenchReport(module: module, aot: EngineTimes())
        for _ in 0..<runs {
            try report.aot.measure(module) { try runAOT(aotModule, invokeArguments, configuration) }
        }
        if wasmkitRuns > 0, let wasmBytes {
            let program: Interpreter.Program
            do { program = try Interpreter.prepare(wasm: wasmBytes) } catch {
                throw CommandFailure("WasmKit cannot load the module: \(error)")
            }
            var interpreter = EngineTimes()
            for _ in 0..<wasmkitRuns {
                try interpreter.measure(module) { try runInterpreter(program, invokeArguments, configuration) }
            }
            report.wasmkit = interpreter
        }
        return report
    }

    /// Instantiation alone, `runs` times on each engine (imports made once, outside the timing).
    private func timeInstantiation(
        _ module: Module, _ wasm: [UInt8]?, _ configuration: WASIConfiguration
    ) throws(CommandFailure) -> BenchReport {
        var report = BenchReport(module: self.module, aot: EngineTimes(), measuresInstantiation: true)
        do {
            let wasi = module.importsWASI ? try WASI(configuration) : nil
            var instances: [Instance] = []
            instances.reserveCapacity(1)
            for i in 0..<runs {
                // Teardown (which resets the memory for the reservation pool) is timed apart.
                if i > 0 { report.teardown.append(time { instances.removeAll(keepingCapacity: true) }) }
                try report.aot.measure(self.module) {
                    instances.append(try module.instantiate(imports: wasi?.imports ?? [:]))
                    return EngineTimes.Run(outcome: "instantiated")
                }
            }
            if wasmkitRuns > 0, let wasm {
                let (instantiate, finish) = try Interpreter.instantiation(try Interpreter.prepare(wasm: wasm), wasi: configuration)
                defer { finish() }
                var interpreter = EngineTimes()
                for _ in 0..<wasmkitRuns {
                    try interpreter.measure(self.module) {
                        try instantiate()
                        return EngineTimes.Run(outcome: "instantiated")
                    }
                }
                report.wasmkit = interpreter
            }
        } catch let failure as CommandFailure {
            throw failure
        } catch {
            throw CommandFailure("\(self.module): \(error)")
        }
        return report
    }

    private func runAOT(_ module: Module, _ arguments: [Value], _ configuration: WASIConfiguration) throws -> EngineTimes.Run {
        if let invoke {
            // A trap is an outcome to compare with the interpreter's, not a failure of the bench.
            let instance = try module.instantiate()
            do { return EngineTimes.Run(outcome: "\(try instance.exports.function(invoke).call(arguments))") } catch is Trap {
                return EngineTimes.Run(outcome: "trap")
            }
        }
        return EngineTimes.Run(try WASI.runCommand(module, configuration))
    }

    private func runInterpreter(
        _ program: Interpreter.Program, _ arguments: [Value], _ configuration: WASIConfiguration
    ) throws -> EngineTimes.Run {
        if let invoke {
            do { return EngineTimes.Run(outcome: "\(try Interpreter.invoke(program, invoke, arguments))") } catch
                where Interpreter.isTrap(error)
            {
                return EngineTimes.Run(outcome: "trap")
            }
        }
        return EngineTimes.Run(try Interpreter.runCommand(program, configuration))
    }
}

/// The times of one engine and how its last run ended.
public struct EngineTimes: Sendable {
    /// How a run ended: `exit N`, `trap`, the invoked function's results, or `instantiated`.
    public struct Run: Sendable {
        public var outcome: String
        public var exitCode: Int32?
        public var stdout: [UInt8] = []

        init(outcome: String, exitCode: Int32? = nil, stdout: [UInt8] = []) {
            self.outcome = outcome
            self.exitCode = exitCode
            self.stdout = stdout
        }

        init(_ command: WASICommandOutcome) {
            if case .exited(let code) = command.ending {
                self.init(outcome: "exit \(code)", exitCode: code, stdout: command.stdout)
            } else {
                self.init(outcome: "trap", stdout: command.stdout)
            }
        }
    }

    /// Seconds per run.
    public var times: [Double] = []
    public var last = Run(outcome: "")
    public var median: Double { WasmAOTCommands.median(times) }

    mutating func measure(_ module: String, _ body: () throws -> Run) throws(CommandFailure) {
        var result: Result<Run, any Error> = .failure(CommandFailure("not run"))
        times.append(time { result = Result(catching: body) })
        do { last = try result.get() } catch { throw CommandFailure("\(module): \(error)") }
    }
}

/// What ``BenchRequest/run()`` measured, as text or JSON.
public struct BenchReport: Sendable {
    public var module: String
    public var aot: EngineTimes
    public var wasmkit: EngineTimes?
    /// Instance teardown times (instantiation benchmarks), outside ``aot``'s times.
    public var teardown: [Double] = []
    public var measuresInstantiation = false

    /// Set when the engines ended differently or wrote different output.
    public var disagreement: String? {
        guard let wasmkit, aot.last.outcome != wasmkit.last.outcome || aot.last.stdout != wasmkit.last.stdout else { return nil }
        return "the engines disagree: WasmAOT \(aot.last.outcome), WasmKit \(wasmkit.last.outcome)"
    }

    /// Medians, extremes and the speed-up; instantiation in microseconds, runs in seconds.
    public var text: String {
        let (scale, unit) = measuresInstantiation ? (1e6, "µs") : (1.0, "s")
        func line(_ name: String, _ r: EngineTimes) -> String {
            name.padding(toLength: 8, withPad: " ", startingAt: 0)
                + String(
                    format: " median %.6g %@  (min %.6g, max %.6g, %d runs)  %@", r.median * scale, unit,
                    (r.times.min() ?? 0) * scale, (r.times.max() ?? 0) * scale, r.times.count, r.last.outcome)
        }
        var lines = [line("wasmaot", aot)]
        if !teardown.isEmpty {
            lines.append(String(format: "teardown median %.6g %@ (outside the times above)", median(teardown) * scale, unit))
        }
        if let wasmkit {
            lines.append(line("wasmkit", wasmkit))
            lines.append(String(format: "speed-up %.1f× (WasmKit interpreter time / WasmAOT time)", wasmkit.median / aot.median))
        }
        return lines.joined(separator: "\n")
    }

    /// One JSON object: `module`, `aot` and `wasmkit` (times, median, outcome, stdout,
    /// exit_code), `speedup`, and `teardown` for instantiation.
    public var json: String {
        func object(_ r: EngineTimes) -> [String: Any] {
            [
                "times": r.times, "median": r.median, "outcome": r.last.outcome,
                "stdout": String(decoding: r.last.stdout, as: UTF8.self),
                "exit_code": r.last.exitCode.map { Int($0) as Any } ?? NSNull(),
            ]
        }
        var top: [String: Any] = ["module": module, "aot": object(aot)]
        if !teardown.isEmpty { top["teardown"] = ["times": teardown, "median": median(teardown)] }
        if let wasmkit {
            top["wasmkit"] = object(wasmkit)
            top["speedup"] = wasmkit.median / aot.median
        }
        // Only strings, numbers, arrays, dictionaries and NSNull: serialisation cannot fail.
        let data = (try? JSONSerialization.data(withJSONObject: top, options: [.sortedKeys])) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }
}

/// The median of `times` (the upper one of an even count); 0 for none.
public func median(_ times: [Double]) -> Double {
    times.isEmpty ? 0 : times.sorted()[times.count / 2]
}

/// Seconds `body` took.
func time(_ body: () -> Void) -> Double {
    let start = DispatchTime.now().uptimeNanoseconds
    body()
    return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
}
