import WasmAOT
import WasmAOTFormat

/// `wasmaot inspect`: what a compiled module holds, read from its checked metadata.
public enum Inspect {
    /// The report, one fact per line: versions, settings, hashes, imports, exports, limits, segments.
    public static func report(_ module: Module) -> String {
        let m = module.metadata
        var lines = [
            "module:      \(module.path)",
            "compiler:    \(m.compilerVersion)",
            "format:      \(ModuleMetadata.formatVersion), runtime ABI \(m.abiVersion) (this runtime: \(Module.runtimeABIVersion))",
            "settings:    \(m.compileSettings)",
            "wasm sha256: \(m.wasmSHA256.hexDigits)",
            "features:    " + (m.features.isEmpty ? "none beyond WebAssembly 2.0" : m.features.joined(separator: ", ")),
            "functions:   \(m.importedFunctionCount) imported, \(m.functions.count) defined",
            "imports (\(m.imports.count)):",
        ]
        lines += m.imports.map { "  \($0.module).\($0.name): \(m.describe($0.desc))" }
        lines.append("exports (\(m.exports.count)):")
        for e in m.exports {
            let what: String
            switch e.kind {
            case .function: what = "function \(e.index) \(m.functionType(at: e.index))"
            case .memory: what = "memory \(e.index) \(m.memoryLimits(at: e.index))"
            case .table: what = "table \(e.index) \(m.tableType(at: e.index))"
            case .global: what = "global \(e.index) \(m.globalType(at: e.index))"
            case .tag: what = "tag \(e.index) \(m.types[Int(m.tagTypeIndex(at: e.index))])"
            }
            lines.append("  \(e.name): \(what)")
        }
        lines += m.memories.enumerated().map { "memory \(m.importedMemoryCount + $0.offset): \($0.element) pages" }
        lines += m.tables.enumerated().map { "table \(m.importedTableCount + $0.offset): \($0.element)" }
        lines.append("data segments: \(m.data.count) (\(m.dataBlob.count) bytes), element segments: \(m.elements.count)")
        if let start = m.start { lines.append("start function: \(start)") }
        return lines.joined(separator: "\n")
    }
}
