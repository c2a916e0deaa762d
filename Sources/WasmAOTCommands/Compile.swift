import Foundation
import WasmAOTCompiler

/// `wasmaot compile`: a `.wasm` or `.wat` module to a shared object.
public enum CompileModule {
    /// Compiles `input` to `output` (by default the input's path with `.so` for its extension).
    public static func run(input: String, output: String? = nil, options: CompileOptions) throws(CommandFailure) -> CompileResult {
        let out = output ?? ((input as NSString).deletingPathExtension + ".so")
        do {
            return try Compiler.compile(wasm: try Compiler.readModule(path: input), to: out, options: options)
        } catch {
            throw CommandFailure("\(input): \(error)")
        }
    }

    /// What `--verbose` prints: the clang command, then the time of each stage and the units.
    public static func summary(_ result: CompileResult, options: CompileOptions) -> String {
        let reused = options.unitCache == nil ? "" : ", \(result.unitsFromCache) from the unit cache"
        return result.clangCommand + "\n"
            + String(format: "translate %.3f s, clang %.3f s", result.translationSeconds, result.clangSeconds)
            + " (\(result.units) unit\(result.units == 1 ? "" : "s")\(reused))"
    }
}
