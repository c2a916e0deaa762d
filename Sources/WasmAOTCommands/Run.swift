import Foundation
import WasmAOT
import WasmAOTCompiler

/// `wasmaot run`: a WASI command's `_start` with wasmtime's conventions (the guest's exit code
/// becomes the status, a trap ends with ``CommandFailure/trapStatus`` and the wasm backtrace),
/// or one export with ``invoke``.
public struct RunRequest: Sendable {
    /// A `.so` compiled by wasmaot, or a `.wasm`/`.wat` module.
    public var module: String
    /// Call this export with ``arguments`` instead of `_start`.
    public var invoke: String?
    /// The program's arguments, or the invoked function's (a leading `--` is dropped).
    public var arguments: [String] = []
    /// Preopened directories, `HOST[::GUEST]`.
    public var dirs: [String] = []
    /// Environment variables, `KEY=VALUE`.
    public var env: [String] = []
    /// Compile a `.wasm`/`.wat` through the compile cache (else afresh, into a temporary object).
    public var cache = true
    public var cacheDirectory = CompileCache.defaultDirectory
    public var bounds: BoundsChecks = .guardPages
    /// Interrupt the guest after this many seconds.
    public var timeout: Double?
    /// Data for the invoked function, each copied in through the module's allocator and passed
    /// as `(address, length)`, in order, before the numeric ``arguments``.
    public var data: [DataArgument] = []
    /// How the invoked function returns data to print (nil: print its results as values).
    public var returning: ReturnedData?
    /// Modules instantiated first, whose exports the module imports under these names
    /// (as wasmtime's `--preload NAME=PATH`).
    public var preloads: [(name: String, path: String)] = []

    /// One data argument: text as given, or the bytes of a file (`@FILE` on the command line).
    public enum DataArgument: Sendable, Equatable {
        case text(String)
        case file(String)

        /// `@FILE` names a file, anything else is the text itself (`@@…` is text starting with `@`).
        public init(commandLine argument: String) {
            if argument.hasPrefix("@@") {
                self = .text(String(argument.dropFirst()))
            } else if argument.hasPrefix("@") {
                self = .file(String(argument.dropFirst()))
            } else {
                self = .text(argument)
            }
        }

        func bytes() throws(CommandFailure) -> [UInt8] {
            switch self {
            case .text(let text): return Array(text.utf8)
            case .file(let path):
                guard let data = FileManager.default.contents(atPath: path) else { throw CommandFailure("cannot read '\(path)'") }
                return [UInt8](data)
            }
        }
    }

    public init(module: String) { self.module = module }

    /// Runs the module and returns the exit status. The invoked function's results go to
    /// `output`, one per line; the data it returns (``returning``) to `write`. Should the guest still run a second after ``timeout``
    /// interrupted it (in a host call that blocks, or in its start function, before there is
    /// an instance to interrupt), `stuck` is called from another thread; it should end the process.
    public func run(
        output: (String) -> Void = { print($0) }, write: ([UInt8]) -> Void = { FileHandle.standardOutput.write(Data($0)) },
        stuck: @escaping @Sendable (CommandFailure) -> Void
    ) throws(CommandFailure) -> Int32 {
        var options = CompileOptions()
        options.bounds = bounds
        options.interruptible = timeout != nil
        let loaded = try ModuleSource.load(module, cache: cache, cacheDirectory: cacheDirectory, options: options)
        if timeout != nil, !loaded.isInterruptible {
            throw CommandFailure(
                "\(module): --timeout needs code that polls for interruption: compile it with `wasmaot compile --interruptible`")
        }
        let args = withoutSeparator(arguments)
        var wasi: WASI?
        if loaded.importsWASI || invoke == nil {
            do {
                wasi = try WASI(WASIConfiguration(program: module, arguments: invoke == nil ? args : [], dirs: dirs, env: env))
            } catch { throw CommandFailure("\(error)") }
        }
        let running = RunningInstance()
        defer { running.finished = true }
        if let timeout {
            DispatchQueue.global().asyncAfter(deadline: .now() + timeout) { [module] in
                guard !running.finished else { return }
                // The guest traps at its next function entry or loop head...
                try? running.instance?.interrupt()
                Thread.sleep(forTimeInterval: 1)
                // ...unless it is in a host call that blocks, or still in its start function.
                guard !running.finished else { return }
                stuck(
                    CommandFailure(
                        "\(module): still running 1 s after --timeout \(timeout) s (in a host call, or in the start function): stopped",
                        status: CommandFailure.trapStatus))
            }
        }
        var imports = wasi?.imports ?? [:]
        for (name, path) in preloads {
            let library = try ModuleSource.load(path, cache: cache, cacheDirectory: cacheDirectory, options: options)
            let libraryWASI: WASI?
            do {
                libraryWASI = library.importsWASI ? try wasi ?? WASI(WASIConfiguration(program: path, arguments: [])) : nil
                let instance = try library.instantiate(imports: (libraryWASI?.imports ?? [:]).merging(imports) { mine, _ in mine })
                try libraryWASI?.initialize(instance)
                var exports: [String: any Extern] = [:]
                for export in instance.exports { exports[export.name] = instance.exports[export.name] }
                imports[name] = exports
            } catch { throw CommandFailure("--preload \(name)=\(path): \(error)") }
        }
        let instance: Instance
        do { instance = try loaded.instantiate(imports: imports) } catch { throw CommandFailure("\(module): \(error)") }
        running.instance = instance

        guard let name = invoke else {
            guard let wasi else { throw CommandFailure("internal error: no WASI environment") }
            defer { wasi.close() }
            do { return try wasi.start(instance) } catch { throw failure(error) }
        }
        do { try wasi?.initialize(instance) } catch let trap as Trap { throw failure(trap) } catch {
            throw CommandFailure("\(module): _initialize: \(error)")
        }
        let function: Function
        do { function = try instance.exports.function(name) } catch { throw CommandFailure("\(module): \(error)") }
        let values: [Value]
        let numeric = Array(function.type.params.dropFirst(2 * data.count))
        do { values = try Value.parse(args, as: numeric) } catch {
            throw CommandFailure("'\(name)' has type \(function.type): \(error)")
        }
        do {
            if data.isEmpty && returning == nil {
                for result in try function.call(values) { output("\(result)") }
            } else {
                var inputs: [[UInt8]] = []
                for argument in data { inputs.append(try argument.bytes()) }
                if let returning {
                    write(try instance.call(name, passing: inputs, extra: values, returning: returning))
                } else {
                    for result in try instance.call(name, passing: inputs, extra: values) { output("\(result)") }
                }
            }
            return 0
        } catch let trap as Trap where trap.kind == .exit {
            return (trap.underlying as? HostExit)?.code ?? 0
        } catch {
            throw failure(error)
        }
    }

    /// A trap ends the run with status 134; an interruption names the time limit.
    private func failure(_ error: any Error) -> CommandFailure {
        guard let trap = error as? Trap else { return CommandFailure("\(module): \(error)") }
        var text = trap.description
        if trap.kind == .interrupted, let timeout {
            text.insert(contentsOf: " (--timeout \(timeout) s)", at: text.firstIndex(of: "\n") ?? text.endIndex)
        }
        return CommandFailure(text, status: CommandFailure.trapStatus)
    }
}

/// The instance `run --timeout` interrupts, once there is one, and whether the run is over
/// (set by the running thread, read by the timer's).
private final class RunningInstance: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: Instance?
    private var over = false
    var instance: Instance? {
        get { lock.withLock { stored } }
        set { lock.withLock { stored = newValue } }
    }
    var finished: Bool {
        get { lock.withLock { over } }
        set { lock.withLock { over = newValue } }
    }
}
