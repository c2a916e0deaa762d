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
            let wasm = try Compiler.readModule(path: path)
            if cache {
                let store = CompileCache(directory: cacheDirectory)
                let (so, hit) = try store.object(for: wasm, options: options)
                if let module = try? Module(loading: so) { return module }
                // A fresh object's error is reported below.
                if hit { try store.refresh(path: so, wasm: wasm, options: options) }
                return try Module(loading: so)
            }
            let so = FileManager.default.temporaryDirectory.appendingPathComponent("wasmaot-run-\(UUID().uuidString).so").path
            defer { try? FileManager.default.removeItem(atPath: so) }
            _ = try Compiler.compile(wasm: wasm, to: so, options: options)
            return try Module(loading: so)
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
