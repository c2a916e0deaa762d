import Dispatch
import WasmAOTRuntime
import WasmParser
import WasmTypes

/// Lowers a validated module to C11 translation units: type declarations,
/// one function per wasm function, the table of function addresses, and the
/// root descriptor `wasmaot_module` pointing at the metadata blob (which the
/// assembler includes from a file: no giant C array literals).
///
/// `@unchecked Sendable`: function bodies are lowered concurrently, and lowering
/// only reads this object (`chunked` is set before, in `generate`).
final class ModuleLowering: @unchecked Sendable {
    let wasm: WasmModule
    let importedFunctionCount: Int
    /// Type index of every function in the index space.
    let functionTypeIndices: [TypeIndex]
    /// C symbol of every function (imports get names too, for diagnostics).
    let symbols: [String]
    /// Functions whose address the loader needs (ModuleMetadata.referenceableFunctions);
    /// the others get none, so clang sees them as internal and may drop unused
    /// parameters, specialise or inline them away.
    let referenceable: Set<UInt32>
    let globals: [GlobalType]
    let tables: [TableType]
    let bounds: BoundsChecks
    /// Explicit bounds checks against memory 0's size, which functions keep in a
    /// local (`sz0`) and read again after anything that can grow the memory.
    let checksBounds: Bool

    init(_ wasm: WasmModule, referenceable: Set<UInt32>, bounds: BoundsChecks = .guardPages) {
        self.wasm = wasm
        self.referenceable = referenceable
        self.bounds = bounds
        self.checksBounds = bounds == .explicit && !wasm.allMemories.isEmpty
        self.importedFunctionCount = wasm.importedFunctionTypes.count
        self.functionTypeIndices = wasm.allFunctionTypeIndices
        self.symbols = CNames.functionSymbols(count: functionTypeIndices.count, names: wasm.displayNames)
        self.globals = wasm.allGlobals
        self.tables = wasm.allTables
    }

    // MARK: Queries used by FunctionLowering

    func functionType(_ index: UInt32, at f: FunctionLowering) throws(LoweringError) -> FunctionType {
        guard Int(index) < functionTypeIndices.count, Int(functionTypeIndices[Int(index)]) < wasm.types.count else {
            throw f.unknown("function", index)
        }
        return wasm.types[Int(functionTypeIndices[Int(index)])]
    }

    func globalType(_ index: UInt32, at f: FunctionLowering) throws(LoweringError) -> GlobalType {
        guard Int(index) < globals.count else { throw f.unknown("global", index) }
        return globals[Int(index)]
    }

    func tableElementType(_ index: UInt32, at f: FunctionLowering) throws(LoweringError) -> ValueType {
        guard Int(index) < tables.count else { throw f.unknown("table", index) }
        return .ref(tables[Int(index)].elementType)
    }

    /// The C return type for a result list: void, the value's type, or a struct.
    /// (Every result list comes from a module type: `generate` declares their structs.)
    func resultType(_ results: [ValueType]) -> String {
        switch results.count {
        case 0: return "void"
        case 1: return CNames.abiType(results[0])
        default: return "wa_res_" + results.map(CNames.stackPrefix).joined()
        }
    }

    /// Whether any type, global, local or instruction involves v128: only then
    /// does the generated code include (and clang parse) `wasmaot_simd.h`.
    var usesV128: Bool {
        func isSimd(_ instruction: Instruction) -> Bool {
            switch instruction {
            case .v128Const, .i8x16Shuffle, .simd, .simdLane, .simdMemLane: return true
            case .load(let op, _): return op.type == .v128
            case .store(let op, _): return op.type == .v128
            default: return false
            }
        }
        return wasm.types.contains { $0.parameters.contains(.v128) || $0.results.contains(.v128) }
            || wasm.allGlobals.contains { $0.valueType == .v128 }
            || wasm.bodies.contains { $0.locals.contains(.v128) || $0.ops.contains { isSimd($0.instruction) } }
    }

    func pointerType(ofFunction index: UInt32) -> String {
        "wa_fn_t\(functionTypeIndices[Int(index)])"
    }

    /// Whether functions live in several translation units (then they have
    /// hidden external linkage instead of `static`).
    private var chunked = false

    func prototype(_ index: Int) -> String {
        let t = wasm.types[Int(functionTypeIndices[index])]
        var params = ["wasmaot_instance *ctx"]
        // A v128 parameter arrives as `aN` and is unpacked into the local `lN` (FunctionLowering).
        for (i, p) in t.parameters.enumerated() { params.append("\(CNames.abiType(p)) \(p == .v128 ? "a" : "l")\(i)") }
        // No tail calls: wasm calls (MVP) always take stack, so unbounded recursion must exhaust it.
        let linkage = chunked ? "__attribute__((visibility(\"hidden\")))" : "static"
        return "\(linkage) __attribute__((disable_tail_calls)) \(resultType(t.results)) \(symbols[index])(\(params.joined(separator: ", ")))"
    }

    // MARK: The translation units

    /// Generates the C source as `chunks` translation units or fewer (one for
    /// small modules): the function bodies, split into units of
    /// about equal size, then one unit with the function table and the root
    /// descriptor. `metadataPath` is the file the assembler includes as the
    /// metadata section; `metadataSize` its length.
    func generate(metadataPath: String, metadataSize: Int, provenance: String, chunks: Int = 1) throws(LoweringError) -> [String] {
        // Split by instruction count before lowering: linkage depends on it.
        let units = Self.split(wasm.bodies.map(\.ops.count), into: chunks)
        chunked = units.count > 1
        let bodies = try lowerBodies()
        let defined = importedFunctionCount..<functionTypeIndices.count

        var header: [String] = []
        header.append("/* Generated by \(CompilerInfo.version) — \(CNames.comment(provenance)). Do not edit. */")
        header.append("#include \"wasmaot_ops.h\"")
        if usesV128 { header.append("#include \"wasmaot_simd.h\"") }
        header.append("#if WASMAOT_ABI_VERSION != \(WASMAOT_ABI_VERSION)u")
        header.append("#error \"wasmaot_abi.h does not match the ABI this code was generated for\"")
        header.append("#endif")
        header.append("")
        // Result structs of multi-value types, then function pointer types, one per
        // module type (used by call_indirect and imports).
        var resultStructs: [String: [ValueType]] = [:]
        for t in wasm.types where t.results.count > 1 { resultStructs[resultType(t.results)] = t.results }
        for (name, results) in resultStructs.sorted(by: { $0.key < $1.key }) {
            let fields = results.enumerated().map { "\(CNames.abiType($0.element)) r\($0.offset);" }
            header.append("typedef struct { \(fields.joined(separator: " ")) } \(name);")
        }
        for (i, t) in wasm.types.enumerated() {
            let params = (["wasmaot_instance *"] + t.parameters.map(CNames.abiType)).joined(separator: ", ")
            header.append("typedef \(resultType(t.results)) (*wa_fn_t\(i))(\(params));")
        }
        header.append("")
        for index in defined { header.append(prototype(index) + ";") }
        header.append("")

        var tail: [String] = []
        let entries = defined.map { referenceable.contains(UInt32($0)) ? "  (const void *)\(symbols[$0])," : "  NULL," }
        tail.append("static const void *const wa_functions[] = {")
        tail.append(contentsOf: entries.isEmpty ? ["  NULL,"] : entries)
        tail.append("};")
        tail.append("")
        let escaped = metadataPath.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
        tail.append("__asm__(\".pushsection \(WASMAOT_METADATA_SECTION),\\\"a\\\"\\n\"")
        tail.append("        \".balign 16\\n\"")
        tail.append("        \"wa_metadata:\\n\"")
        tail.append("        \".incbin \\\"\(escaped.replacingOccurrences(of: "\"", with: "\\\""))\\\"\\n\"")
        tail.append("        \".popsection\\n\");")
        tail.append("extern const uint8_t wa_metadata[] __asm__(\"wa_metadata\") __attribute__((visibility(\"hidden\")));")
        tail.append("")
        tail.append("__attribute__((visibility(\"default\"))) const wasmaot_module_desc wasmaot_module = {")
        tail.append("  WASMAOT_MODULE_MAGIC, WASMAOT_ABI_VERSION, wa_metadata, \(metadataSize)u, wa_functions, \(defined.count)u, 0};")

        let head = header.joined(separator: "\n") + "\n"
        if !chunked {
            return [head + bodies.joined(separator: "\n") + "\n\n" + tail.joined(separator: "\n") + "\n"]
        }
        return units.map { head + $0.map { bodies[$0] }.joined(separator: "\n") + "\n" } + [head + tail.joined(separator: "\n") + "\n"]
    }

    /// Every function body's C, lowered on all cores (functions are independent
    /// and lowering only reads this object). The first error by function wins.
    private func lowerBodies() throws(LoweringError) -> [String] {
        let count = wasm.bodies.count
        let out = ResultSlots<Result<String, LoweringError>>(count: count)
        defer { out.deallocate() }
        let batch = 64
        DispatchQueue.concurrentPerform(iterations: (count + batch - 1) / batch) { b in
            for i in b * batch..<min(count, (b + 1) * batch) {
                let index = importedFunctionCount + i
                let type = wasm.types[Int(functionTypeIndices[index])]
                var lowering = FunctionLowering(module: self, functionIndex: index, type: type, body: wasm.bodies[i])
                do throws(LoweringError) { out.set(i, .success(try lowering.lower())) } catch { out.set(i, .failure(error)) }
            }
        }
        var bodies: [String] = []
        bodies.reserveCapacity(count)
        for i in 0..<count {
            switch out.get(i) {
            case .success(let c): bodies.append(c)
            case .failure(let error): throw error
            }
        }
        return bodies
    }

    /// Which function bodies go to which translation unit: at most `parts`
    /// units, none smaller than a clang invocation is worth. Bodies go in stripes
    /// of neighbours (which often call each other, and stay inlinable), each
    /// stripe to the lightest unit so far: a region of the module that costs
    /// clang more per instruction (call-dense code, say) is shared by all units.
    static func split(_ sizes: [Int], into parts: Int) -> [[Int]] {
        let total = sizes.reduce(0, +)
        let minimumChunk = 10_000  // instructions: below this a separate clang process costs more than it saves
        let count = max(1, min(parts, total / minimumChunk, sizes.count))
        guard count > 1 else { return [Array(sizes.indices)] }
        let stripeSize = max(1, total / (count * 64))
        var units = [[Int]](repeating: [], count: count)
        var weights = [Int](repeating: 0, count: count)
        var stripe: [Int] = []
        var stripeWeight = 0
        func deal() {
            let lightest = weights.indices.min { weights[$0] < weights[$1] }!
            units[lightest] += stripe
            weights[lightest] += stripeWeight
            stripe.removeAll(keepingCapacity: true)
            stripeWeight = 0
        }
        for (i, size) in sizes.enumerated() {
            stripe.append(i)
            stripeWeight += size
            if stripeWeight >= stripeSize { deal() }
        }
        if !stripe.isEmpty { deal() }
        return units.filter { !$0.isEmpty }
    }
}

/// One result per index, written by concurrent workers (each index by exactly one).
private final class ResultSlots<T>: @unchecked Sendable {
    private let base: UnsafeMutablePointer<T?>
    private let count: Int
    init(count: Int) {
        self.count = count
        base = .allocate(capacity: count)
        base.initialize(repeating: nil, count: count)
    }
    func set(_ i: Int, _ value: T) { base[i] = value }
    func get(_ i: Int) -> T { base[i]! }
    func deallocate() {
        base.deinitialize(count: count)
        base.deallocate()
    }
}
