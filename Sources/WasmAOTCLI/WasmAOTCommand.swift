import ArgumentParser
import Foundation
import WasmAOT
import WasmAOTCompiler
import WasmAOTFormat

@main
struct WasmAOTCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "wasmaot",
        abstract: "Ahead-of-time WebAssembly compiler and runtime: wasm → C → native shared object.",
        version: CompilerInfo.identity,
        subcommands: [CompileCommand.self, RunCommand.self, InspectCommand.self, SpecTestCommand.self, BenchCommand.self]
    )
}

/// `--bounds guard-pages|explicit` on the commands that compile.
extension BoundsChecks: ExpressibleByArgument {}

/// Prints to stderr and exits with `code`.
func fail(_ message: String, code: Int32 = 1) -> Never {
    FileHandle.standardError.write(Data("error: \(message)\n".utf8))
    exit(code)
}

struct CompileCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compile", abstract: "Compile a .wasm or .wat module to a native shared object.")

    @Argument(help: "Input module (.wasm binary or .wat text).") var input: String
    @Option(name: .shortAndLong, help: "Output shared object.") var output: String?
    @Option(name: .customShort("O", allowingJoined: true), help: "Optimisation level 0...3.") var optimization: Int = 2
    @Option(help: "clang --target triple (cross compilation).") var target: String?
    @Option(help: "CPU to compile for (default: a portable baseline; 'native' for this machine).") var cpu: String?
    @Option(help: "Bounds checks: guard-pages (no code, faults trap) or explicit (a compare per load and store).")
    var bounds: BoundsChecks = .guardPages
    @Flag(help: "Poll for interruption at every function entry and loop head, so that the host can stop the guest (wasmaot run --timeout, Instance.interrupt()).")
    var interruptible = false
    @Option(help: "Keep the generated C and metadata in this directory.") var keepC: String?
    @Option(name: .shortAndLong, help: "clang processes at once (default: the number of cores).") var jobs: Int?
    @Option(help: ArgumentHelp(
        "Reuse compiled translation units from this directory and add new ones: a large module compiled again after an edit recompiles only the units whose functions changed.",
        valueName: "dir")) var unitCache: String?
    @Flag(help: "Print the clang command and timings.") var verbose = false

    func validate() throws {
        guard (0...3).contains(optimization) else { throw ValidationError("-O must be 0, 1, 2 or 3") }
        if let jobs, jobs < 1 { throw ValidationError("--jobs must be at least 1") }
    }

    func run() throws {
        let out = output ?? ((input as NSString).deletingPathExtension + ".so")
        var options = CompileOptions(optimization: optimization)
        options.target = target
        options.cpu = cpu
        options.bounds = bounds
        options.interruptible = interruptible
        options.keepIntermediatesIn = keepC
        options.unitCache = unitCache
        if let jobs { options.jobs = jobs }
        do {
            let wasm = try Compiler.readModule(path: input)
            let result = try Compiler.compile(wasm: wasm, to: out, options: options)
            if verbose {
                print(result.clangCommand)
                let reused = options.unitCache == nil ? "" : ", \(result.unitsFromCache) from the unit cache"
                print(String(format: "translate %.3f s, clang %.3f s", result.translationSeconds, result.clangSeconds)
                    + " (\(result.units) unit\(result.units == 1 ? "" : "s")\(reused))")
            }
        } catch {
            fail("\(input): \(error)")
        }
    }
}

func parseValue(_ text: String, _ type: ValType) -> Value? {
    switch type {
    case .i32:
        if let v = Int32(text) { return .i32(UInt32(bitPattern: v)) }
        return UInt32(text).map { .i32($0) }
    case .i64:
        if let v = Int64(text) { return .i64(UInt64(bitPattern: v)) }
        return UInt64(text).map { .i64($0) }
    case .f32: return Float(text).map { .f32($0.bitPattern) }
    case .f64: return Double(text).map { .f64($0.bitPattern) }
    case .externref: return text == "null" ? .externref(nil) : UInt(text).map { .externref($0) }
    case .funcref: return text == "null" ? .funcref(nil) : nil
    case .v128:
        // 32 hex digits, most significant first (as `0x…` of a 128-bit integer).
        var hex = Substring(text)
        if hex.hasPrefix("0x") { hex = hex.dropFirst(2) }
        guard hex.count == 32, hex.allSatisfy(\.isHexDigit) else { return nil }
        var bytes = SIMD16<UInt8>()
        for i in 0..<16 {
            let end = hex.index(hex.endIndex, offsetBy: -2 * i)
            guard let byte = UInt8(hex[hex.index(end, offsetBy: -2)..<end], radix: 16) else { return nil }
            bytes[i] = byte
        }
        return .v128(bytes)
    }
}

struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect", abstract: "Show a compiled module's metadata: imports, exports, limits, hashes, versions.")

    @Argument(help: "A .so compiled by wasmaot.") var module: String

    func run() throws {
        let loaded: Module
        do { loaded = try Module(loading: module) } catch { fail("\(error)") }
        let m = loaded.metadata
        print("module:      \(module)")
        print("compiler:    \(m.compilerVersion)")
        print("format:      \(ModuleMetadata.formatVersion), runtime ABI \(m.abiVersion) (this runtime: \(Module.runtimeABIVersion))")
        print("settings:    \(m.compileSettings)")
        print("wasm sha256: \(m.wasmSHA256.hexDigits)")
        print("functions:   \(m.importedFunctionCount) imported, \(m.functions.count) defined")
        print("imports (\(m.imports.count)):")
        for i in m.imports { print("  \(i.module).\(i.name): \(describe(i.desc, m))") }
        print("exports (\(m.exports.count)):")
        for e in m.exports {
            switch e.kind {
            case .function: print("  \(e.name): function \(e.index) \(m.functionType(at: e.index))")
            case .memory: print("  \(e.name): memory \(e.index) \(limits(m.memoryLimits(at: e.index)))")
            case .table: print("  \(e.name): table \(e.index) \(m.tableType(at: e.index).element) \(limits(m.tableType(at: e.index).limits))")
            case .global:
                let g = m.globalType(at: e.index)
                print("  \(e.name): global \(e.index) \(g.mutable ? "mut " : "")\(g.type)")
            }
        }
        for (i, mem) in m.memories.enumerated() { print("memory \(m.importedMemoryCount + i): \(limits(mem)) pages") }
        for (i, t) in m.tables.enumerated() { print("table \(m.importedTableCount + i): \(t.element) \(limits(t.limits))") }
        print("data segments: \(m.data.count) (\(m.dataBlob.count) bytes), element segments: \(m.elements.count)")
        if let start = m.start { print("start function: \(start)") }
    }

    func limits(_ l: Limits) -> String { l.max.map { "min \(l.min) max \($0)" } ?? "min \(l.min)" }

    func describe(_ d: ImportDesc, _ m: ModuleMetadata) -> String {
        switch d {
        case .function(let t): return "function \(m.types[Int(t)])"
        case .memory(let l): return "memory \(limits(l))"
        case .table(let t): return "table \(t.element) \(limits(t.limits))"
        case .global(let g): return "global \(g.mutable ? "mut " : "")\(g.type)"
        }
    }
}
