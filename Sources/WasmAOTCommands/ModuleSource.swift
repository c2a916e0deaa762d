import Foundation
import WasmAOT
import WasmAOTCompiler

/// What `run` and `bench` accept as a module: a `.so` compiled by wasmaot, or a `.wasm`/`.wat`
/// compiled on the way — told apart by content, not by file name.
public enum ModuleSource {
    /// Loads a compiled object, or compiles a `.wasm`/`.wat` through the compile cache in
    /// `cacheDirectory` (or, with `cache` false, into a temporary object removed once loaded).
    /// A cached object the loader refuses (stale or damaged) is rebuilt once.
    public static func load(
        _ path: String, cache: Bool = true, cacheDirectory: String = CompileCache.defaultDirectory,
        options: CompileOptions = CompileOptions()
    ) throws(CommandFailure) -> Module {
        if Module.isObjectFile(atPath: path) {
            do { return try Module(loading: path) } catch { throw CommandFailure("\(error)") }  // names the path
        }
        do {
            return try Module(compiling: path, options: options, cacheDirectory: cache ? cacheDirectory : nil)
        } catch {
            throw CommandFailure("\(path): \(error)")
        }
    }

    /// The wasm binary for the interpreter: `wasm` if given, else `path` unless it is a compiled object.
    public static func wasmBytes(_ path: String, wasm: String?) throws(CommandFailure) -> [UInt8]? {
        guard let source = wasm ?? (Module.isObjectFile(atPath: path) ? nil : path) else { return nil }
        do { return try Compiler.readModule(path: source) } catch { throw CommandFailure("\(error)") }
    }
}
