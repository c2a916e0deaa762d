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

    public init(module: String) { self.module = module }

    /// Runs the module and returns the exit status. The invoked function's results go to
    /// `output`, one per line. Should the guest still run a second after ``timeout``
    /// interrupted it (in a host call that blocks, or in its start function, before there is
    /// an instance to interrupt), `stuck` is called from another thread; it should end the process.
    public func run(
        output: (String) -> Void = { print($0) }, stuck: @escaping @Sendable (CommandFailure) -> Void
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
        let instance: Instance
        do { instance = try loaded.instantiate(imports: wasi?.imports ?? [:]) } catch { throw CommandFailure("\(module): \(error)") }
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
        do { values = try Value.parse(args, as: function.type.params) } catch {
            throw CommandFailure("'\(name)' has type \(function.type): \(error)")
        }
        do {
            for result in try function.call(values) { output("\(result)") }
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
