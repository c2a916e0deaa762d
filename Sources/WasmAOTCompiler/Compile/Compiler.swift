import Crypto
import Foundation
import Synchronization
import WasmAOTFormat
import WasmAOTRuntime
import WasmParser
import WasmTypes

/// How generated code keeps loads and stores inside their linear memory.
///
/// ```swift
/// var options = CompileOptions()
/// options.bounds = .explicit
/// ```
public enum BoundsChecks: String, Sendable, CaseIterable {
    /// No check in the code: every memory sits at the start of an 8 GiB
    /// reservation whose inaccessible part faults, and the fault becomes the
    /// trap. The default, and the fastest.
    case guardPages = "guard-pages"
    /// Every load and store compares its end with the memory's current size and
    /// traps beyond it (the guard region stays, as a second line). For
    /// comparison, and for hosts that cannot rely on faults.
    case explicit
}

/// Options of ``Compiler``.
public struct CompileOptions: Sendable {
    /// clang optimisation level, 0...3.
    public var optimization: Int = 2
    /// A clang `--target` triple to cross-compile for; nil for the host.
    public var target: String?
    /// How loads and stores are kept inside linear memory.
    public var bounds: BoundsChecks = .guardPages
    /// Polls for ``Instance/interrupt()`` at every function entry and loop
    /// head (a load and a branch each), so that the host can stop any guest,
    /// e.g. one that loops forever. Off by default: code that is not
    /// interruptible runs until it returns or traps.
    ///
    /// ```swift
    /// var options = CompileOptions()
    /// options.interruptible = true
    /// ```
    public var interruptible = false
    /// CPU to tune for: nil for the portable baseline (x86-64-v2 / armv8-a), or e.g. "native".
    public var cpu: String?
    /// Path of the C compiler; nil to use the Swift toolchain's clang (or `$WASMAOT_CC`).
    public var clang: String?
    /// Extra flags passed to clang, after ours.
    public var extraClangFlags: [String] = []
    /// If set, the generated C and metadata are kept in this directory.
    public var keepIntermediatesIn: String?
    /// clang processes run at once. A large module's C is split into units of
    /// neighbouring functions (how many depends on the module, not on `jobs`, so
    /// the output does not either); small modules stay one unit.
    public var jobs: Int = ProcessInfo.processInfo.activeProcessorCount
    /// A directory of compiled translation units, keyed by their content: a
    /// large module compiled again after an edit recompiles only the units whose
    /// functions changed (and the small table unit). nil: every unit is compiled.
    ///
    /// ```swift
    /// var options = CompileOptions()
    /// options.unitCache = CompileCache.defaultDirectory + "/units"
    /// ```
    public var unitCache: String?
    /// The specification edition modules are validated against: 3.0 by default; 2.0
    /// refuses every later proposal (see ``WebAssemblyVersion``).
    public var version: WebAssemblyVersion = .v3
    /// With ``version`` 2.0: later proposals to accept as well (e.g. to run a 2024 proposal's
    /// own tests, written against 2.0 plus that proposal).
    public var proposals: Set<ValidatorFeature> = []
    /// How a large module is cut into units (tests use smaller units).
    var chunking = ModuleLowering.Chunking()

    public init(optimization: Int = 2) { self.optimization = optimization }
}

/// Why compilation failed. Each case names the stage and carries its diagnostic.
public enum CompileError: Error, CustomStringConvertible, Sendable {
    case malformed(DecodeError)
    case invalid(ValidationError)
    case unsupported(LoweringError)
    case clangFailed(command: String, status: Int32, output: String)
    case io(String)
    case badOptions(String)

    public var description: String {
        switch self {
        case .malformed(let e): return e.description
        case .invalid(let e): return e.description
        case .unsupported(let e): return e.description
        case .clangFailed(let command, let status, let output):
            return "clang failed (exit status \(status))\ncommand: \(command)\n\(output)"
        case .io(let message): return message
        case .badOptions(let message): return message
        }
    }
}

/// The C translation of a module and the metadata blob it embeds.
public struct Translation: Sendable {
    /// Translation units: one for a small module; for a large one, chunks of
    /// functions followed by the unit with the function table and descriptor.
    public var cUnits: [String]
    public var metadata: [UInt8]
    public var module: ModuleMetadata
}

/// What a compilation produced.
public struct CompileResult: Sendable {
    public var outputPath: String
    public var clangCommand: String
    public var translationSeconds: Double
    public var clangSeconds: Double
    public var module: ModuleMetadata
    /// Translation units the C was split into.
    public var units: Int = 1
    /// Of those, units whose object came from ``CompileOptions/unitCache``.
    public var unitsFromCache: Int = 0
}

/// The ahead-of-time compiler: wasm → validated → C → native shared object.
///
/// ```swift
/// let wasm = try Compiler.readModule(path: "fib.wat")
/// let result = try Compiler.compile(wasm: wasm, to: "/tmp/fib.so")
/// print(result.clangCommand)
/// ```
public enum Compiler {
    /// Reads a `.wasm` binary, or converts a `.wat` text module (decided by content, not by extension).
    public static func readModule(path: String) throws(CompileError) -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .io("cannot read '\(path)'")
        }
        let bytes = [UInt8](data)
        if bytes.starts(with: [0x00, 0x61, 0x73, 0x6D]) { return bytes }
        guard let text = String(data: data, encoding: .utf8) else {
            throw .malformed(DecodeError(message: "'\(path)' is neither a wasm binary nor UTF-8 text", offset: 0))
        }
        do { return try ModuleDecoder.wat2wasm(text) } catch { throw .malformed(error) }
    }

    /// The metadata a compiled module would carry (types, imports, exports, limits, …), from a
    /// decoded and validated module, without translating or compiling it.
    public static func metadata(wasm bytes: [UInt8], options: CompileOptions = .init()) throws(CompileError) -> ModuleMetadata {
        try validated(bytes, options).metadata
    }

    private static func validated(
        _ bytes: [UInt8], _ options: CompileOptions
    ) throws(CompileError) -> (module: WasmModule, metadata: ModuleMetadata, sha256: [UInt8]) {
        let module: WasmModule
        do { module = try ModuleDecoder.decode(bytes, version: options.version, proposals: options.proposals) } catch {
            throw .malformed(error)
        }
        do { try Validator.validate(module, version: options.version, proposals: options.proposals) } catch { throw .invalid(error) }
        let sha = Array(SHA256.hash(data: bytes))
        do {
            let metadata = try MetadataBuilder.build(
                module, sha256: sha, settings: settingsDescription(options), abiVersion: WASMAOT_ABI_VERSION)
            return (module, metadata, sha)
        } catch {
            throw .unsupported(error)
        }
    }

    /// Decodes and validates a module, and translates it to C. `metadataPath`
    /// is where the caller will write ``Translation/metadata`` for the assembler.
    public static func translate(
        wasm bytes: [UInt8], metadataPath: String, options: CompileOptions = .init()
    ) throws(CompileError) -> Translation {
        let (module, metadata, sha) = try validated(bytes, options)
        do {
            let encoded = metadata.encode()
            let lowering = ModuleLowering(
                module, referenceable: metadata.referenceableFunctions, bounds: options.bounds, interruptible: options.interruptible,
                chunking: options.chunking)
            let provenance = "wasm sha256 " + sha.prefix(8).hexDigits
            let units = try lowering.generate(
                metadataPath: metadataPath, metadataSize: encoded.count, provenance: provenance)
            return Translation(cUnits: units, metadata: encoded, module: metadata)
        } catch {
            throw .unsupported(error)
        }
    }

    /// Compiles a module to a shared object at `output`.
    public static func compile(
        wasm bytes: [UInt8], to output: String, options: CompileOptions = .init()
    ) throws(CompileError) -> CompileResult {
        guard (0...3).contains(options.optimization) else {
            throw .badOptions("optimisation level must be 0...3, got \(options.optimization)")
        }
        let fm = FileManager.default
        let work: String
        if let keep = options.keepIntermediatesIn {
            work = keep
        } else {
            work = fm.temporaryDirectory.appendingPathComponent("wasmaot-\(UUID().uuidString)").path
        }
        do { try fm.createDirectory(atPath: work, withIntermediateDirectories: true) } catch {
            throw .io("cannot create work directory '\(work)': \(error)")
        }
        defer { if options.keepIntermediatesIn == nil { try? fm.removeItem(atPath: work) } }
        let metadataPath = (work as NSString).appendingPathComponent("module.meta")
        let start = Date()
        let translation = try translate(wasm: bytes, metadataPath: metadataPath, options: options)
        let translated = Date()
        // Each unit of a large module in a directory of its own under one file name: the
        // object records the source's base name, which must not depend on the unit's number
        // (a unit cache reuses objects whose unit had another number).
        let units = translation.cUnits.indices.map {
            (work as NSString).appendingPathComponent(translation.cUnits.count == 1 ? "module.c" : "unit\($0)/module.c")
        }
        do {
            try Data(translation.metadata).write(to: URL(fileURLWithPath: metadataPath))
            for (path, source) in zip(units, translation.cUnits) {
                try fm.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
                try Data(source.utf8).write(to: URL(fileURLWithPath: path))
            }
            try Data(String(cString: wasmaot_abi_header_text()).utf8).write(
                to: URL(fileURLWithPath: (work as NSString).appendingPathComponent("wasmaot_abi.h")))
            for (name, text) in [("wasmaot_ops.h", wasmaot_ops_header_text()), ("wasmaot_simd.h", wasmaot_simd_header_text())] {
                try Data(String(cString: text!).utf8).write(to: URL(fileURLWithPath: (work as NSString).appendingPathComponent(name)))
            }
        } catch {
            throw .io("cannot write intermediate files in '\(work)': \(error)")
        }
        let clang = try Clang.locate(options.clang)
        let absoluteOutput = URL(fileURLWithPath: output).path
        var commands: [String] = []
        var unitsFromCache = 0
        // From the module's content, so that the output does not depend on its path.
        let soname = "wasmaot-" + translation.module.wasmSHA256.prefix(8).hexDigits + ".so"
        if units.count == 1 {
            let arguments = Clang.arguments(
                clang: clang, options: options, include: work, sources: units, output: absoluteOutput, mode: .sharedObject, soname: soname)
            commands.append(try Clang.check(clang, arguments))
        } else {
            (unitsFromCache, commands) = try compileUnits(
                units, texts: translation.cUnits, clang: clang, options: options, work: work, output: absoluteOutput, soname: soname)
        }
        return CompileResult(
            outputPath: absoluteOutput, clangCommand: commands.joined(separator: "\n"),
            translationSeconds: translated.timeIntervalSince(start),
            clangSeconds: Date().timeIntervalSince(translated), module: translation.module,
            units: units.count, unitsFromCache: unitsFromCache)
    }

    /// Compiles the units to objects, `jobs` at once (largest first, so the
    /// queue ends evenly), through the unit cache if there is one, then links
    /// them. The last unit (function table, descriptor) names the work
    /// directory and changes with every module: it is never cached. Returns
    /// how many objects came from the cache, and the commands run.
    private static func compileUnits(
        _ units: [String], texts: [String], clang: String, options: CompileOptions, work: String, output: String, soname: String
    ) throws(CompileError) -> (fromCache: Int, commands: [String]) {
        let cache = try options.unitCache.map { (dir) throws(CompileError) in try UnitCache(directory: dir) }
        let compiled = units.map { ($0 as NSString).deletingPathExtension + ".o" }
        let p = UnitCache.placeholder
        let keys: [String?] =
            cache == nil
            ? Array(repeating: nil, count: units.count)
            : UnitCache.keys(
                units: Array(texts.dropLast()),
                arguments: Clang.arguments(
                    clang: clang, options: options, include: p.include, sources: [p.source], output: p.object, mode: .object),
                clang: clang) + [nil]
        let compile = { @Sendable (i: Int) throws(CompileError) -> String in
            try Clang.check(
                clang,
                Clang.arguments(
                    clang: clang, options: options, include: work, sources: [units[i]], output: compiled[i], mode: .object))
        }
        let outcomes = Mutex<[Result<(object: String, command: String?), CompileError>?]>(Array(repeating: nil, count: units.count))
        let queue = OperationQueue()
        queue.maxConcurrentOperationCount = max(1, options.jobs)
        for i in units.indices.sorted(by: { texts[$0].utf8.count > texts[$1].utf8.count }) {
            queue.addOperation {
                if let key = keys[i], let hit = cache?.object(for: key) {
                    outcomes.withLock { $0[i] = .success((hit, nil)) }
                    return
                }
                let result = Result { () throws(CompileError) -> (object: String, command: String?) in (compiled[i], try compile(i)) }
                if case .success = result, let key = keys[i] { cache?.store(compiled[i], as: key) }
                outcomes.withLock { $0[i] = result }
            }
        }
        queue.waitUntilAllOperationsAreFinished()
        var objects: [String] = []
        var commands: [String] = []
        var cached: [Int] = []
        for (i, outcome) in outcomes.withLock({ $0 }).enumerated() {
            switch outcome {
            case .success(let (object, command))?:
                objects.append(object)
                if let command { commands.append(command) } else { cached.append(i) }
            case .failure(let error)?: throw error
            case nil: throw .io("internal error: a clang job did not run")
            }
        }
        let link = { (objects: [String]) throws(CompileError) -> String in
            try Clang.check(
                clang,
                Clang.arguments(
                    clang: clang, options: options, include: work, sources: objects, output: output, mode: .link, soname: soname))
        }
        do {
            commands.append(try link(objects))
        } catch {
            // A damaged cache entry: compile those units afresh, relink, and mend the cache.
            guard !cached.isEmpty, case .clangFailed = error else { throw error }
            for i in cached {
                commands.append(try compile(i))
                objects[i] = compiled[i]
            }
            commands.append(try link(objects))
            for i in cached { if let key = keys[i] { cache?.store(compiled[i], as: key) } }
            cached = []
        }
        if let cache { CacheDirectory.enforce(directory: cache.directory) }
        return (cached.count, commands)
    }

    static func settingsDescription(_ options: CompileOptions) -> String {
        var parts = ["-O\(options.optimization)", "cpu=\(options.cpu ?? "baseline")", "bounds=\(options.bounds.rawValue)"]
        if options.interruptible { parts.append("interruptible") }
        if options.version != .v3 {
            parts.append("wasm=\(([options.version.rawValue] + options.proposals.map(\.flagName).sorted()).joined(separator: "+"))")
        }
        if let target = options.target { parts.append("target=\(target)") }
        return parts.joined(separator: " ")
    }
}
