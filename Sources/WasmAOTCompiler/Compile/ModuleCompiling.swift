import Foundation
import WasmAOT

extension Module {
    /// Compiles a WebAssembly module (binary, or text format) and loads it: what `wasmaot
    /// compile` and `Module(loading:)` do in two steps, for an application that ships `.wasm`
    /// and compiles on its first start. Through the compile cache in `cacheDirectory` (the one
    /// the command line uses, by default): a module is built by clang once, and later starts
    /// load the cached object. A cached object the loader refuses (damaged) is rebuilt once.
    /// With `cacheDirectory` nil the object is built in a temporary file, removed once loaded.
    ///
    /// ```swift
    /// import WasmAOT
    /// import WasmAOTCompiler
    ///
    /// let module = try Module(compiling: try Compiler.readModule(path: "app.wasm"))
    /// let instance = try module.instantiate()
    /// ```
    public convenience init(
        compiling wasm: [UInt8], options: CompileOptions = CompileOptions(),
        cacheDirectory: String? = CompileCache.defaultDirectory
    ) throws {
        guard let cacheDirectory else {
            let so = FileManager.default.temporaryDirectory.appendingPathComponent("wasmaot-\(UUID().uuidString).so").path
            defer { try? FileManager.default.removeItem(atPath: so) }
            _ = try Compiler.compile(wasm: wasm, to: so, options: options)
            try self.init(loading: so)
            return
        }
        let cache = CompileCache(directory: cacheDirectory)
        let (so, hit) = try cache.object(for: wasm, options: options)
        if hit && (try? Module(loading: so)) == nil {
            try cache.refresh(path: so, wasm: wasm, options: options)
        }
        try self.init(loading: so)
    }

    /// Like ``init(compiling:options:cacheDirectory:)-(([UInt8]),_,_)``, reading the module from
    /// `path` (a `.wasm` binary or `.wat` text, told apart by content).
    public convenience init(
        compiling path: String, options: CompileOptions = CompileOptions(),
        cacheDirectory: String? = CompileCache.defaultDirectory
    ) throws {
        try self.init(compiling: try Compiler.readModule(path: path), options: options, cacheDirectory: cacheDirectory)
    }
}
