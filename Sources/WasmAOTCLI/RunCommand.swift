import ArgumentParser
import Foundation
import WasmAOT
import WasmAOTCompiler

/// `wasmaot run`: a WASI command's `_start` (wasmtime's conventions: the
/// guest's exit code becomes ours, a trap prints `error: wasm trap: …` with the
/// wasm backtrace and exits with 134), or one export with `--invoke`.
struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a compiled module (or compile and run a .wasm/.wat): a WASI command, or one export with --invoke.",
        discussion: """
            wasmaot run app.wasm --dir ./data --dir /tmp/work::/work --env KEY=VALUE -- arg1 arg2
            wasmaot run fib.so --invoke fib 30
            A .wasm/.wat is compiled through the compile cache (\(CompileCache.defaultDirectory)).
            """)

    @Argument(help: "A .so compiled by wasmaot, or a .wasm/.wat module.") var module: String
    @Option(help: "Call this export with the arguments that follow (e.g. --invoke fib 30) instead of _start.") var invoke: String?
    @Option(name: .customLong("dir"), help: ArgumentHelp("Make a host directory visible to the program.", valueName: "HOST[::GUEST]"))
    var dirs: [String] = []
    @Option(name: .customLong("env"), help: ArgumentHelp("Pass an environment variable to the program.", valueName: "KEY=VALUE"))
    var env: [String] = []
    @Flag(help: "Compile a .wasm/.wat afresh instead of using the compile cache.") var noCache = false
    @Option(help: "Bounds checks when compiling a .wasm/.wat: guard-pages or explicit.") var bounds: BoundsChecks = .guardPages
    @Option(help: ArgumentHelp(
        "Stop the guest once it has run this many seconds (a trap, exit status 134). A .wasm/.wat is compiled interruptible for it; a .so must have been (wasmaot compile --interruptible).",
        valueName: "seconds")) var timeout: Double?
    @Argument(parsing: .allUnrecognized, help: "Program arguments (after --), or the invoked function's arguments.")
    var arguments: [String] = []

    func validate() throws {
        if let timeout, !(timeout > 0 && timeout <= 1e9) {
            throw ValidationError("--timeout must be a number of seconds greater than 0")
        }
    }

    func run() throws {
        var options = CompileOptions()
        options.bounds = bounds
        options.interruptible = timeout != nil
        let loaded = loadOrCompile(module, cache: !noCache, options: options)
        if timeout != nil, !loaded.isInterruptible {
            fail("\(module): --timeout needs code that polls for interruption: compile it with `wasmaot compile --interruptible`")
        }
        let args = arguments.first == "--" ? Array(arguments.dropFirst()) : arguments
        let needsWASI = loaded.imports.contains { $0.module == "wasi_snapshot_preview1" }
        var wasi: WASI?
        if needsWASI || invoke == nil {
            wasi = makeWASI(args: invoke == nil ? args : [])
        }
        let running = RunningInstance()
        if let timeout {
            DispatchQueue.global().asyncAfter(deadline: .now() + timeout) {
                // The guest traps at its next function entry or loop head...
                try? running.instance?.interrupt()
                // ...unless it is in a host call that blocks, or still in its start function
                // (before an instance exists to interrupt): then the process ends regardless.
                Thread.sleep(forTimeInterval: 1)
                fail("\(module): still running 1 s after --timeout \(timeout) s (in a host call, or in the start function): stopped", code: 134)
            }
        }
        let instance: Instance
        do { instance = try loaded.instantiate(imports: wasi?.imports ?? [:]) } catch { fail("\(module): \(error)") }
        running.instance = instance

        guard let name = invoke else {
            guard let wasi else { fail("internal error: no WASI environment") }
            do {
                let code = try wasi.start(instance)
                wasi.close()
                Foundation.exit(code)
            } catch let trap as Trap {
                failTrapped(trap)
            } catch {
                fail("\(module): \(error)")
            }
        }
        do { try wasi?.initialize(instance) } catch let trap as Trap {
            failTrapped(trap)
        } catch { fail("\(module): _initialize: \(error)") }
        let function: Function
        do { function = try instance.exports.function(name) } catch { fail("\(module): \(error)") }
        guard args.count == function.type.params.count else {
            fail("'\(name)' has type \(function.type): expected \(function.type.params.count) arguments, got \(args.count)")
        }
        var values: [Value] = []
        for (text, type) in zip(args, function.type.params) {
            guard let v = parseValue(text, type) else { fail("cannot parse '\(text)' as \(type)") }
            values.append(v)
        }
        do {
            for result in try function.call(values) { print(result) }
        } catch let trap as Trap where trap.kind == .exit {
            Foundation.exit((trap.underlying as? HostExit)?.code ?? 0)
        } catch let trap as Trap {
            failTrapped(trap)
        } catch {
            fail("\(error)")
        }
    }

    /// Exits with status 134 (wasmtime's convention) after a trap; an interruption names the time limit.
    func failTrapped(_ trap: Trap) -> Never {
        var text = trap.description
        if trap.kind == .interrupted, let timeout {
            text.insert(contentsOf: " (--timeout \(timeout) s)", at: text.firstIndex(of: "\n") ?? text.endIndex)
        }
        fail(text, code: 134)
    }

    /// The WASI environment from the command line: only the given directories and variables.
    func makeWASI(args: [String]) -> WASI {
        var variables: [String: String] = [:]
        for pair in env {
            guard let eq = pair.firstIndex(of: "="), eq != pair.startIndex else { fail("--env expects KEY=VALUE, got '\(pair)'") }
            variables[String(pair[..<eq])] = String(pair[pair.index(after: eq)...])
        }
        let configuration = WASIConfiguration(
            args: [(module as NSString).lastPathComponent] + args, env: variables,
            preopens: dirs.map(WASIConfiguration.Preopen.init(commandLine:)))
        do { return try WASI(configuration) } catch { fail("\(error)") }
    }
}

/// Loads a `.so`, or compiles a `.wasm`/`.wat` (through the compile cache unless `cache` is false).
func loadOrCompile(_ path: String, cache: Bool = true, options: CompileOptions = CompileOptions()) -> Module {
    let bytes = FileManager.default.contents(atPath: path).map { [UInt8]($0.prefix(4)) } ?? []
    if bytes == [0x7F, 0x45, 0x4C, 0x46] {
        do { return try Module(loading: path) } catch { fail("\(error)") }
    }
    do {
        let wasm = try Compiler.readModule(path: path)
        if cache {
            let store = CompileCache(directory: CompileCache.defaultDirectory)
            let (so, hit) = try store.object(for: wasm, options: options)
            if let module = try? Module(loading: so) { return module }
            // A stale or damaged cache entry: rebuild it once (a fresh object's error is reported below).
            if hit { try store.refresh(path: so, wasm: wasm, options: options) }
            return try Module(loading: so)
        }
        let so = FileManager.default.temporaryDirectory.appendingPathComponent("wasmaot-run-\(UUID().uuidString).so").path
        defer { try? FileManager.default.removeItem(atPath: so) }
        _ = try Compiler.compile(wasm: wasm, to: so, options: options)
        return try Module(loading: so)
    } catch {
        fail("\(path): \(error)")
    }
}

/// The instance `run --timeout` interrupts, once there is one (set by the main thread, read by the timer's).
final class RunningInstance: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: Instance?
    var instance: Instance? {
        get { lock.withLock { stored } }
        set { lock.withLock { stored = newValue } }
    }
}
