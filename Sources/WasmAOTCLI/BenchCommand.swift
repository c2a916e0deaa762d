import ArgumentParser
import WasmAOTFormat
import Foundation
import WasmAOT
import WasmAOTCompiler
import WasmAOTOracle

/// `wasmaot bench`: one module on our AOT engine and on WasmKit's interpreter,
/// in the same process, with the same inputs; prints both times and the
/// speed-up, and checks that both engines produced the same output.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Time a module on WasmAOT and on the WasmKit interpreter, side by side.",
        discussion: """
            wasmaot bench app.wasm                       # a WASI command's _start
            wasmaot bench app.so --wasm app.wasm --runs 5 --json
            wasmaot bench fib.wat --invoke fib 30
            Times cover instantiation and the run, not compilation. Guest output is captured, not printed.
            """)

    @Argument(help: "A .wasm/.wat module, or a .so compiled by wasmaot (then pass --wasm for the interpreter).") var module: String
    @Option(help: "The wasm binary the .so was compiled from (for the interpreter).") var wasm: String?
    @Option(help: "Call this export with the arguments that follow instead of running _start.") var invoke: String?
    @Option(help: "Runs on WasmAOT.") var runs: Int = 5
    @Option(help: "Runs on the WasmKit interpreter (0 to skip it).") var wasmkitRuns: Int = 1
    @Option(name: .customShort("O", allowingJoined: true), help: "Optimisation level when compiling a .wasm/.wat.") var optimization: Int = 2
    @Option(name: .customLong("dir"), help: ArgumentHelp("Make a host directory visible to the program.", valueName: "HOST[::GUEST]"))
    var dirs: [String] = []
    @Option(help: "Bounds checks when compiling a .wasm/.wat: guard-pages or explicit.") var bounds: BoundsChecks = .guardPages
    @Flag(help: "Time instantiation alone (e.g. --runs 1000): WasmAOT's and WasmKit's.") var instantiate = false
    @Flag(help: "Print one JSON object instead of text.") var json = false
    @Argument(parsing: .allUnrecognized, help: "Program arguments (after --), or the invoked function's arguments.")
    var arguments: [String] = []

    func validate() throws {
        guard runs >= 1 else { throw ValidationError("--runs must be at least 1") }
        guard wasmkitRuns >= 0 else { throw ValidationError("--wasmkit-runs must be 0 or more") }
        guard (0...3).contains(optimization) else { throw ValidationError("-O must be 0, 1, 2 or 3") }
    }

    struct EngineResult {
        var times: [Double] = []
        var outcome: String = ""
        var exitCode: Int32?
        var stdout: [UInt8] = []
        var median: Double { BenchCommand.median(times) }
    }

    static func median(_ times: [Double]) -> Double { times.sorted()[times.count / 2] }
    func median(_ times: [Double]) -> Double { Self.median(times) }

    func run() throws {
        let args = arguments.first == "--" ? Array(arguments.dropFirst()) : arguments
        let isObject = FileManager.default.contents(atPath: module).map { [UInt8]($0.prefix(4)) == [0x7F, 0x45, 0x4C, 0x46] } ?? false
        var wasmBytes: [UInt8]?
        do {
            if let wasm { wasmBytes = try Compiler.readModule(path: wasm) } else if !isObject { wasmBytes = try Compiler.readModule(path: module) }
        } catch { fail("\(error)") }
        if wasmBytes == nil && wasmkitRuns > 0 { fail("\(module) is a compiled object: pass --wasm FILE for the interpreter, or --wasmkit-runs 0") }
        var options = CompileOptions(optimization: optimization)
        options.bounds = bounds
        let aotModule = loadOrCompile(module, options: options)
        let preopens = dirs.map(WASIConfiguration.Preopen.init(commandLine:))
        let configuration = WASIConfiguration(
            args: [(module as NSString).lastPathComponent] + args, preopens: preopens,
            stdin: .bytes([]), stdout: .capture, stderr: .capture)

        // The invoked function's arguments, parsed once, outside the timings.
        var invokeArguments: [Value] = []
        if let invoke {
            guard let export = aotModule.exports.first(where: { $0.name == invoke && $0.kind == .function }) else {
                fail("\(module): no exported function '\(invoke)'")
            }
            do { invokeArguments = try parseArguments(args, aotModule.metadata.functionType(at: export.index).params) } catch {
                fail("\(error)")
            }
        }

        var aot = EngineResult()
        var interpreter = EngineResult()
        if instantiate {
            try timeInstantiation(aotModule, wasmBytes, configuration)
            return
        }
        for _ in 0..<runs {
            aot.times.append(time { record(&aot) { try runAOT(aotModule, invokeArguments, configuration) } })
        }
        if wasmkitRuns > 0, let wasmBytes {
            let program: Interpreter.Program
            do { program = try Interpreter.prepare(wasm: wasmBytes) } catch { fail("WasmKit cannot load the module: \(error)") }
            for _ in 0..<wasmkitRuns {
                interpreter.times.append(time { record(&interpreter) { try runInterpreter(program, invokeArguments, configuration) } })
            }
        }
        let mismatch = wasmkitRuns > 0 && (aot.outcome != interpreter.outcome || aot.stdout != interpreter.stdout)
        if json {
            printJSON(aot, wasmkitRuns > 0 ? interpreter : nil)
        } else {
            printText(aot, wasmkitRuns > 0 ? interpreter : nil)
        }
        if mismatch {
            FileHandle.standardError.write(Data("error: the engines disagree: WasmAOT \(aot.outcome), WasmKit \(interpreter.outcome)\n".utf8))
            throw ExitCode(1)
        }
    }

    /// Instantiation alone, `runs` times on each engine (imports made once, outside the timing).
    func timeInstantiation(_ module: Module, _ wasm: [UInt8]?, _ configuration: WASIConfiguration) throws {
        let wasi = module.imports.contains { $0.module == "wasi_snapshot_preview1" } ? try WASI(configuration) : nil
        var aot = EngineResult()
        var instances: [Instance] = []
        instances.reserveCapacity(1)
        // Teardown (which resets the memory for the reservation pool) is timed apart.
        var teardown: [Double] = []
        for i in 0..<runs {
            if i > 0 { teardown.append(time { instances.removeAll(keepingCapacity: true) }) }
            aot.times.append(time { record(&aot) { instances.append(try module.instantiate(imports: wasi?.imports ?? [:])); return ("instantiated", nil, []) } })
        }
        var interpreter: EngineResult?
        if wasmkitRuns > 0, let wasm {
            let (instantiate, finish) = try Interpreter.instantiation(try Interpreter.prepare(wasm: wasm), wasi: configuration)
            defer { finish() }
            var r = EngineResult()
            for _ in 0..<wasmkitRuns {
                r.times.append(time { record(&r) { try instantiate(); return ("instantiated", nil, []) } })
            }
            interpreter = r
        }
        if json { printJSON(aot, interpreter, teardown: teardown) } else { printText(aot, interpreter, teardown: teardown) }
    }

    /// (outcome text, exit code, stdout) of one run.
    typealias RunResult = (String, Int32?, [UInt8])

    func runAOT(_ module: Module, _ arguments: [Value], _ configuration: WASIConfiguration) throws -> RunResult {
        if let invoke {
            // A trap is an outcome to compare with the interpreter's, not a failure of the bench.
            let instance = try module.instantiate()
            do { return ("\(try instance.exports.function(invoke).call(arguments))", nil, []) } catch is Trap {
                return ("trap", nil, [])
            }
        }
        let outcome = try WASI.runCommand(module, configuration)
        if case .exited(let code) = outcome.ending { return ("exit \(code)", code, outcome.stdout) }
        return ("trap", nil, outcome.stdout)
    }

    func runInterpreter(_ program: Interpreter.Program, _ arguments: [Value], _ configuration: WASIConfiguration) throws -> RunResult {
        if let invoke {
            do { return ("\(try Interpreter.invoke(program, invoke, arguments))", nil, []) } catch where Interpreter.isTrap(error) {
                return ("trap", nil, [])
            }
        }
        let outcome = try Interpreter.runCommand(program, configuration)
        if case .exited(let code) = outcome.ending { return ("exit \(code)", code, outcome.stdout) }
        return ("trap", nil, outcome.stdout)
    }

    func parseArguments(_ texts: [String], _ types: [ValType]) throws -> [Value] {
        guard texts.count == types.count else { throw UsageError("expected \(types.count) arguments, got \(texts.count)") }
        return try zip(texts, types).map { text, type in
            guard let v = parseValue(text, type) else { throw UsageError("cannot parse '\(text)' as \(type)") }
            return v
        }
    }

    func record(_ result: inout EngineResult, _ body: () throws -> RunResult) {
        do {
            let (outcome, code, stdout) = try body()
            result.outcome = outcome
            result.exitCode = code
            result.stdout = stdout
        } catch {
            fail("\(module): \(error)")
        }
    }

    func time(_ body: () -> Void) -> Double {
        let start = DispatchTime.now().uptimeNanoseconds
        body()
        return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    }

    func printText(_ aot: EngineResult, _ interpreter: EngineResult?, teardown: [Double] = []) {
        // Instantiation is reported in microseconds, runs in seconds.
        let (scale, unit) = instantiate ? (1e6, "µs") : (1.0, "s")
        func line(_ name: String, _ r: EngineResult) -> String {
            let sorted = r.times.sorted()
            return String(
                format: "%-8@ median %.6g %@  (min %.6g, max %.6g, %d runs)  %@", name, r.median * scale, unit,
                sorted.first! * scale, sorted.last! * scale, r.times.count, r.outcome)
        }
        print(line("wasmaot", aot))
        if !teardown.isEmpty {
            print(String(format: "teardown median %.6g %@ (outside the times above)", median(teardown) * scale, unit))
        }
        if let interpreter {
            print(line("wasmkit", interpreter))
            print(String(format: "speed-up %.1f× (WasmKit interpreter time / WasmAOT time)", interpreter.median / aot.median))
        }
    }

    func printJSON(_ aot: EngineResult, _ interpreter: EngineResult?, teardown: [Double] = []) {
        func object(_ r: EngineResult) -> [String: Any] {
            var o: [String: Any] = [
                "times": r.times, "median": r.median, "outcome": r.outcome,
                "stdout": String(decoding: r.stdout, as: UTF8.self),
            ]
            o["exit_code"] = r.exitCode.map { Int($0) } ?? NSNull()
            return o
        }
        var top: [String: Any] = ["module": module, "aot": object(aot)]
        if !teardown.isEmpty { top["teardown"] = ["times": teardown, "median": median(teardown)] }
        if let interpreter {
            top["wasmkit"] = object(interpreter)
            top["speedup"] = interpreter.median / aot.median
        }
        guard let data = try? JSONSerialization.data(withJSONObject: top, options: [.sortedKeys]) else { fail("cannot encode JSON") }
        print(String(decoding: data, as: UTF8.self))
    }
}
