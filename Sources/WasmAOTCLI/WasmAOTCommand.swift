import ArgumentParser
import Foundation
import WasmAOT
import WasmAOTCommands
import WasmAOTCompiler

// The `wasmaot` command line: flags parsed here, everything they do in `WasmAOTCommands`.

@main
struct WasmAOTCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "wasmaot",
        abstract: "Ahead-of-time WebAssembly compiler and runtime: wasm → C → native shared object.",
        version: CompilerInfo.identity,
        subcommands: [
            CompileCommand.self, RunCommand.self, InspectCommand.self, BindgenCommand.self, SpecTestCommand.self, BenchCommand.self,
        ]
    )
}

/// `--bounds guard-pages|explicit` on the commands that compile.
extension BoundsChecks: ExpressibleByArgument {}
/// `--wasm 2.0|3.0` on the commands that compile.
extension WebAssemblyVersion: ExpressibleByArgument {}
/// `--enable exception-handling` (with `--wasm 2.0`).
extension ValidatorFeature: ExpressibleByArgument {
    public init?(argument: String) {
        guard let feature = Self.allCases.first(where: { $0.flagName == argument }) else { return nil }
        self = feature
    }
    public static var allValueStrings: [String] { allCases.map(\.flagName) }
}

/// Prints `error: message` to stderr and exits with the failure's status.
func fail(_ failure: CommandFailure) -> Never {
    FileHandle.standardError.write(Data("error: \(failure.message)\n".utf8))
    exit(failure.status)
}

/// Runs a command's body; a failure ends the process with its message (and status).
func perform(_ body: () throws -> Void) {
    do { try body() } catch { fail(error as? CommandFailure ?? CommandFailure("\(error)")) }
}

struct OptimizationLevel: ParsableArguments {
    @Option(name: .customShort("O", allowingJoined: true), help: "Optimisation level 0...3.") var level: Int = 2
    func validate() throws { guard (0...3).contains(level) else { throw ValidationError("-O must be 0, 1, 2 or 3") } }
}

struct CompileCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compile", abstract: "Compile a .wasm or .wat module to a native shared object.")

    @Argument(help: "Input module (.wasm binary or .wat text).") var input: String
    @Option(name: .shortAndLong, help: "Output shared object.") var output: String?
    @OptionGroup var optimization: OptimizationLevel
    @Option(help: "clang --target triple (cross compilation).") var target: String?
    @Option(help: "CPU to compile for (default: a portable baseline; 'native' for this machine).") var cpu: String?
    @Option(help: "Bounds checks: guard-pages (no code, faults trap) or explicit (a compare per load and store).")
    var bounds: BoundsChecks = .guardPages
    @Flag(
        help:
            "Poll for interruption at every function entry and loop head, so that the host can stop the guest (wasmaot run --timeout, Instance.interrupt())."
    )
    var interruptible = false
    @Option(help: "The WebAssembly edition to validate against: 3.0, or 2.0 to refuse every later proposal.")
    var wasm: WebAssemblyVersion = .v3
    @Option(help: "With --wasm 2.0: a later proposal to accept as well (repeatable).") var enable: [ValidatorFeature] = []
    @Option(help: "Keep the generated C and metadata in this directory.") var keepC: String?
    @Option(name: .shortAndLong, help: "clang processes at once (default: the number of cores).") var jobs: Int?
    @Option(
        help: ArgumentHelp(
            "Reuse compiled translation units from this directory and add new ones: a large module compiled again after an edit recompiles only the units whose functions changed.",
            valueName: "dir")) var unitCache: String?
    @Flag(help: "Print the clang command and timings.") var verbose = false

    func validate() throws {
        if let jobs, jobs < 1 { throw ValidationError("--jobs must be at least 1") }
        if !enable.isEmpty && wasm != .v2 { throw ValidationError("--enable adds a proposal to --wasm 2.0; 3.0 has them all") }
    }

    func run() {
        var options = CompileOptions(optimization: optimization.level)
        (options.target, options.cpu, options.bounds, options.interruptible) = (target, cpu, bounds, interruptible)
        (options.keepIntermediatesIn, options.unitCache, options.version) = (keepC, unitCache, wasm)
        options.proposals = Set(enable)
        if let jobs { options.jobs = jobs }
        perform {
            let result = try CompileModule.run(input: input, output: output, options: options)
            if verbose { print(CompileModule.summary(result, options: options)) }
        }
    }
}

struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect", abstract: "Show a compiled module's metadata: imports, exports, limits, hashes, versions.")

    @Argument(help: "A .so compiled by wasmaot.") var module: String

    func run() {
        perform {
            print(Inspect.report(try Module(loading: module)))
        }
    }
}

struct BindgenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bindgen",
        abstract: "Write Swift bindings for a module: a type with one typed method per export, a protocol for its imports.",
        discussion: """
            wasmaot bindgen app.wasm -o AppBindings.swift      # struct App, protocol AppImports
            let app = try App(module.instantiate(imports: host.imports)); try app.render(…)
            """)

    @Argument(help: "A .wasm/.wat module, or a .so compiled by wasmaot.") var module: String
    @Option(name: .shortAndLong, help: "Write the bindings to this file (default: standard output).") var output: String?
    @Option(help: "The Swift type name (default: from the file name).") var name: String?

    func run() {
        perform {
            let text = try Bindgen.run(module: module, output: output, name: name)
            if output == nil { print(text, terminator: "") }
        }
    }
}

/// What `run` and `bench` share: the module, the WASI world and how the module is compiled.
struct ProgramOptions: ParsableArguments {
    @Argument(help: "A .so compiled by wasmaot, or a .wasm/.wat module.") var module: String
    @Option(help: "Call this export with the arguments that follow (e.g. --invoke fib 30) instead of _start.") var invoke: String?
    @Option(name: .customLong("dir"), help: ArgumentHelp("Make a host directory visible to the program.", valueName: "HOST[::GUEST]"))
    var dirs: [String] = []
    @Option(help: "Bounds checks when compiling a .wasm/.wat: guard-pages or explicit.") var bounds: BoundsChecks = .guardPages
    @Argument(parsing: .allUnrecognized, help: "Program arguments (after --), or the invoked function's arguments.")
    var arguments: [String] = []
}

/// How `run --invoke` reads the data a function returns.
enum ReturnedKind: String, ExpressibleByArgument, CaseIterable {
    case pair, record, cstring

    var returnedData: ReturnedData {
        switch self {
        case .pair: .addressAndLength
        case .record: .record
        case .cstring: .nulTerminated
        }
    }
}

struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a compiled module (or compile and run a .wasm/.wat): a WASI command, or one export with --invoke.",
        discussion: """
            wasmaot run app.wasm --dir ./data --dir /tmp/work::/work --env KEY=VALUE -- arg1 arg2
            wasmaot run fib.so --invoke fib 30
            wasmaot run lib.wasm --invoke render --arg-string @graph.dot --returns pair > out.svg
            wasmaot run app.wasm --preload util=util.wasm --invoke main
            A .wasm/.wat is compiled through the compile cache (\(CompileCache.defaultDirectory)).
            """)

    @OptionGroup var program: ProgramOptions
    @Option(name: .customLong("env"), help: ArgumentHelp("Pass an environment variable to the program.", valueName: "KEY=VALUE"))
    var env: [String] = []
    @Flag(help: "Compile a .wasm/.wat afresh instead of using the compile cache.") var noCache = false
    @Option(
        name: .customLong("arg-string"),
        help: ArgumentHelp(
            "With --invoke: data copied in through the module's allocator (malloc/free or cabi_realloc) and passed as (address, length), before the numeric arguments. @FILE passes a file's bytes (@@ a leading @).",
            valueName: "TEXT|@FILE")) var argStrings: [String] = []
    @Option(
        help: ArgumentHelp(
            "With --invoke: the function returns data to write to stdout: pair (two results, address and length), record (the address of one), cstring (a NUL-terminated string).",
            valueName: "pair|record|cstring")) var returns: ReturnedKind?
    @Option(
        help: ArgumentHelp(
            "Instantiate another module first and let this one import its exports under NAME (repeatable).",
            valueName: "NAME=PATH")) var preload: [String] = []
    @Option(
        help: ArgumentHelp(
            "Stop the guest once it has run this many seconds (a trap, exit status 134). A .wasm/.wat is compiled interruptible for it; a .so must have been (wasmaot compile --interruptible).",
            valueName: "seconds")) var timeout: Double?

    func validate() throws {
        if let timeout, !(timeout > 0 && timeout <= 1e9) {
            throw ValidationError("--timeout must be a number of seconds greater than 0")
        }
        if (!argStrings.isEmpty || returns != nil) && program.invoke == nil {
            throw ValidationError("--arg-string and --returns need --invoke")
        }
        for entry in preload where !entry.contains("=") || entry.hasPrefix("=") || entry.hasSuffix("=") {
            throw ValidationError("--preload expects NAME=PATH, got '\(entry)'")
        }
    }

    func run() {
        var request = RunRequest(module: program.module)
        (request.invoke, request.arguments, request.dirs, request.bounds) = (
            program.invoke, program.arguments, program.dirs, program.bounds
        )
        (request.env, request.cache, request.timeout) = (env, !noCache, timeout)
        request.data = argStrings.map(RunRequest.DataArgument.init(commandLine:))
        request.returning = returns?.returnedData
        request.preloads = preload.map { entry in
            let parts = entry.split(separator: "=", maxSplits: 1)
            return (String(parts[0]), String(parts[1]))
        }
        perform {
            let status = try request.run(stuck: { fail($0) })
            Foundation.exit(status)
        }
    }
}

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

    @OptionGroup var program: ProgramOptions
    @Option(help: "The wasm binary the .so was compiled from (for the interpreter).") var wasm: String?
    @Option(help: "Runs on WasmAOT.") var runs: Int = 5
    @Option(help: "Runs on the WasmKit interpreter (0 to skip it).") var wasmkitRuns: Int = 1
    @OptionGroup var optimization: OptimizationLevel
    @Flag(help: "Time instantiation alone (e.g. --runs 1000): WasmAOT's and WasmKit's.") var instantiate = false
    @Flag(help: "Print one JSON object instead of text.") var json = false

    func run() {
        var request = BenchRequest(module: program.module)
        (request.wasm, request.invoke, request.arguments, request.dirs) = (wasm, program.invoke, program.arguments, program.dirs)
        (request.runs, request.wasmkitRuns, request.instantiate) = (runs, wasmkitRuns, instantiate)
        request.options = CompileOptions(optimization: optimization.level)
        request.options.bounds = program.bounds
        perform {
            let report = try request.run()
            print(json ? report.json : report.text)
            if let disagreement = report.disagreement { throw CommandFailure(disagreement) }
        }
    }
}

struct SpecTestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "spectest", abstract: "Run WebAssembly spec tests (.wast files or folders) through the AOT pipeline.")

    @Argument(help: "Files or folders of .wast files.") var paths: [String]
    @Flag(help: "Print every failure.") var verbose = false
    @Option(name: .shortAndLong, help: "Files run in parallel (default: number of cores).") var jobs: Int?
    @OptionGroup var optimization: OptimizationLevel
    @Option(help: "Expectations file: files that do not pass fully yet, with their pass counts. Fails on any regression.")
    var expectations: String?
    @Option(help: "Skip files whose name starts with this prefix (repeatable), e.g. simd_.") var skip: [String] = []
    @Option(help: "Bounds checks of the compiled modules: guard-pages or explicit.") var bounds: BoundsChecks = .guardPages
    @Flag(help: "Compile the modules with interruption polls (wasmaot compile --interruptible).") var interruptible = false
    @Option(help: "The WebAssembly edition the scripts test: 3.0, or 2.0 (e.g. for the 2.0 core suite).")
    var wasm: WebAssemblyVersion = .v3
    @Option(help: "With --wasm 2.0: a later proposal the scripts test as well (repeatable), e.g. exception-handling.")
    var enable: [ValidatorFeature] = []
    @Flag(help: .hidden) var single = false

    func validate() throws {
        if !enable.isEmpty && wasm != .v2 { throw ValidationError("--enable adds a proposal to --wasm 2.0; 3.0 has them all") }
    }

    func run() throws {
        var compile = CompileOptions(optimization: optimization.level)
        (compile.bounds, compile.interruptible, compile.version) = (bounds, interruptible, wasm)
        compile.proposals = Set(enable)
        if single {
            for path in paths { SpecTestSuite.runSingle(path, compile: compile, verbose: verbose) }
            return
        }
        let me = URL(fileURLWithPath: CommandLine.arguments[0]).path
        var suite = SpecTestSuite(executable: FileManager.default.isExecutableFile(atPath: me) ? me : ProcessInfo.processInfo.arguments[0])
        (suite.compile, suite.verbose, suite.skip, suite.expectations) = (compile, verbose, skip, expectations)
        if let jobs { suite.jobs = jobs }
        var passed = false
        perform { passed = try suite.run(paths) }
        if !passed { throw ExitCode(1) }
    }
}
