import Crypto
import Foundation
import WasmAOTFormat
import WasmAOTRuntime

/// A directory of compiled modules keyed by everything that determines the
/// object: the wasm bytes, the compiler (its version and build id, see
/// ``CompilerInfo/identity``), the runtime ABI and the compile options. `wasmaot run app.wasm` compiles through it, so a module is
/// translated and built by clang once. Its `units/` holds a ``CompileOptions/unitCache``
/// for large modules; least recently used entries go when the directory outgrows
/// 2 GiB (`$WASMAOT_CACHE_LIMIT_MB` sets another limit, 0 none).
///
/// ```swift
/// let cache = CompileCache(directory: CompileCache.defaultDirectory)
/// let (so, hit) = try cache.object(for: wasm, options: CompileOptions())
/// let module = try Module(loading: so)
/// ```
public struct CompileCache: Sendable {
    /// Where the objects live.
    public let directory: String

    public init(directory: String) { self.directory = directory }

    /// `$WASMAOT_CACHE_DIR`, else `$XDG_CACHE_HOME/wasmaot`, else `~/.cache/wasmaot`.
    public static var defaultDirectory: String {
        let env = ProcessInfo.processInfo.environment
        if let dir = env["WASMAOT_CACHE_DIR"], !dir.isEmpty { return dir }
        if let xdg = env["XDG_CACHE_HOME"], !xdg.isEmpty { return (xdg as NSString).appendingPathComponent("wasmaot") }
        return (NSHomeDirectory() as NSString).appendingPathComponent(".cache/wasmaot")
    }

    /// The cache key of a module compiled with `options` by `compiler` (this one by default).
    public static func key(for wasm: [UInt8], options: CompileOptions, compiler: String = CompilerInfo.identity) -> String {
        var hasher = SHA256()
        hasher.update(data: wasm)
        let settings = [
            compiler, "abi \(WASMAOT_ABI_VERSION)", Compiler.settingsDescription(options),
            options.clang ?? "", options.extraClangFlags.joined(separator: " "),
        ].joined(separator: "\n")
        hasher.update(data: Array(settings.utf8))
        return Array(hasher.finalize()).hexDigits
    }

    /// The path of the object for `wasm`, compiling it first if the cache has
    /// none. The object appears atomically (compiled beside it, then renamed),
    /// so concurrent users never see a partial file.
    public func object(for wasm: [UInt8], options: CompileOptions) throws(CompileError) -> (path: String, hit: Bool) {
        let path = (directory as NSString).appendingPathComponent(Self.key(for: wasm, options: options) + ".so")
        if FileManager.default.fileExists(atPath: path) {
            CacheDirectory.touch(path)
            return (path, true)
        }
        try refresh(path: path, wasm: wasm, options: options)
        return (path, false)
    }

    /// Compiles `wasm` into the cache at `path`, replacing what is there (e.g. an object the loader rejected).
    public func refresh(path: String, wasm: [UInt8], options: CompileOptions) throws(CompileError) {
        do { try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) } catch {
            throw .io("cannot create the compile cache '\(directory)': \(error)")
        }
        // A large module edited since its last run recompiles only the units that changed.
        var options = options
        if options.unitCache == nil { options.unitCache = (directory as NSString).appendingPathComponent("units") }
        try CacheDirectory.place(at: path) { (partial) throws(CompileError) in
            _ = try Compiler.compile(wasm: wasm, to: partial, options: options)
        }
        CacheDirectory.enforce(directory: directory)
    }
}
