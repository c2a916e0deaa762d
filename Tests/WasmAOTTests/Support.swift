import Foundation
import Testing
import WasmAOT
import WasmAOTCompiler

/// A scratch directory for one test, removed by the caller with ``removeScratch(_:)``.
func makeScratch() throws -> String {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("wasmaot-test-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

func removeScratch(_ path: String) { try? FileManager.default.removeItem(atPath: path) }

/// Compiles WebAssembly text through the whole pipeline (decode → validate →
/// C → clang → `.so`) and writes the shared object to `path`.
@discardableResult
func compile(wat: String, to path: String, optimization: Int = 2, bounds: BoundsChecks = .guardPages) throws -> CompileResult {
    let wasm = try ModuleDecoder.wat2wasm(wat)
    var options = CompileOptions(optimization: optimization)
    options.bounds = bounds
    options.extraClangFlags = ["-Werror"]  // the generated C must be warning-free
    return try Compiler.compile(wasm: wasm, to: path, options: options)
}

/// Compiles WebAssembly text and loads the result (the `.so` is deleted once loaded).
func load(wat: String, optimization: Int = 2, bounds: BoundsChecks = .guardPages) throws -> Module {
    let dir = try makeScratch()
    defer { removeScratch(dir) }
    let so = (dir as NSString).appendingPathComponent("module.so")
    try compile(wat: wat, to: so, optimization: optimization, bounds: bounds)
    return try Module(loading: so)
}

/// Compiles, loads and instantiates WebAssembly text.
func instantiate(wat: String, imports: Imports = [:], optimization: Int = 2, bounds: BoundsChecks = .guardPages) throws -> Instance {
    try load(wat: wat, optimization: optimization, bounds: bounds).instantiate(imports: imports)
}

/// The trap a call raised, or nil (recording an issue) if it returned or threw something else.
func trapKind(sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> Any) -> TrapKind? {
    do {
        let result = try body()
        Issue.record("expected a trap, got \(result)", sourceLocation: sourceLocation)
        return nil
    } catch let trap as Trap {
        return trap.kind
    } catch {
        Issue.record("expected a trap, got error \(error)", sourceLocation: sourceLocation)
        return nil
    }
}
