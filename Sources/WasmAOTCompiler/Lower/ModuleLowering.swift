import Dispatch
import WasmAOTRuntime
import WasmParser
import WasmTypes

/// Lowers a validated module to C11 translation units: type declarations,
/// one function per wasm function, the table of function addresses, and the
/// root descriptor `wasmaot_module` pointing at the metadata blob (which the
/// assembler includes from a file: no giant C array literals).
///
/// Immutable once made: function bodies are lowered concurrently, reading it.
final class ModuleLowering: Sendable {
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
    /// Explicit bounds checks (`--bounds explicit`) for the module's memories.
    let checksBounds: Bool
    /// Whether each memory (index space, imports first) has 64-bit addresses.
    let memory64: [Bool]
    /// The memories whose accesses are checked explicitly against their size in bytes, which
    /// functions keep in a local (`szN`) and read again after anything that can grow a memory:
    /// every memory under `--bounds explicit`, and the 64-bit ones (no guard region covers them).
    let checkedMemories: [Int]
    /// Every function entry and loop head polls the instance's interrupt flag.
    let interruptible: Bool
    /// How a large module is cut into translation units.
    let chunking: Chunking
    /// Whether functions live in several translation units (then they have
    /// hidden external linkage instead of `static`).
    let chunked: Bool
    /// Defined functions whose body makes tail calls: each also gets a tail entry
    /// (`wasmaot_abi.h`), so that every tail call to it is a `musttail` jump. Empty for a
    /// module without tail calls, whose C is then what it was before tail calls existed.
    let tailCallers: Set<Int>

    init(
        _ wasm: WasmModule, referenceable: Set<UInt32>, bounds: BoundsChecks = .guardPages, interruptible: Bool = false,
        chunking: Chunking = Chunking()
    ) {
        self.wasm = wasm
        self.chunking = chunking
        self.chunked = wasm.bodies.reduce(0) { $0 + $1.ops.count } >= 2 * chunking.minimum
        self.referenceable = referenceable
        self.bounds = bounds
        self.interruptible = interruptible
        self.checksBounds = bounds == .explicit && !wasm.allMemories.isEmpty
        let memory64 = wasm.allMemories.map(\.isMemory64)
        self.memory64 = memory64
        self.checkedMemories = memory64.indices.filter { bounds == .explicit || memory64[$0] }
        self.importedFunctionCount = wasm.importedFunctionTypes.count
        self.functionTypeIndices = wasm.allFunctionTypeIndices
        self.symbols = CNames.functionSymbols(count: functionTypeIndices.count, names: wasm.displayNames)
        self.globals = wasm.allGlobals
        self.tables = wasm.allTables
        var tailCallers: Set<Int> = []
        for (i, body) in wasm.bodies.enumerated() where body.ops.contains(where: { Self.isTailCall($0.instruction) }) {
            tailCallers.insert(wasm.importedFunctionTypes.count + i)
        }
        self.tailCallers = tailCallers
    }

    static func isTailCall(_ instruction: Instruction) -> Bool {
        switch instruction {
        case .returnCall, .returnCallIndirect, .returnCallRef: return true
        default: return false
        }
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

    /// The payload types of tag `index` (its type's parameters).
    func tagPayload(_ index: UInt32, at f: FunctionLowering) throws(LoweringError) -> [ValueType] {
        let tags = wasm.allTagTypeIndices
        guard Int(index) < tags.count, Int(tags[Int(index)]) < wasm.types.count else { throw f.unknown("tag", index) }
        return wasm.types[Int(tags[Int(index)])].parameters
    }

    func tableElementType(_ index: UInt32, at f: FunctionLowering) throws(LoweringError) -> ValueType {
        guard Int(index) < tables.count else { throw f.unknown("table", index) }
        return .ref(tables[Int(index)].elementType)
    }

    /// The type of a table's indices and sizes: i64 for a 64-bit table, else i32.
    func tableAddressType(_ index: UInt32, at f: FunctionLowering) throws(LoweringError) -> ValueType {
        guard Int(index) < tables.count else { throw f.unknown("table", index) }
        return tables[Int(index)].limits.isMemory64 ? .i64 : .i32
    }

    /// Whether memory `index` has 64-bit addresses.
    func isMemory64(_ index: UInt32, at f: FunctionLowering) throws(LoweringError) -> Bool {
        guard Int(index) < memory64.count else { throw f.unknown("memory", index) }
        return memory64[Int(index)]
    }

    /// The C return type for a result list: void, the value's type, or a struct.
    /// (Every result list comes from a module type: `generate` declares their structs.)
    func resultType(_ results: [ValueType]) -> String {
        switch results.count {
        case 0: return "void"
        case 1: return CNames.abiType(results[0])
        default: return CNames.resultStruct(results)
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

    /// The C type of a pointer to a tail entry returning `results`: all tail entries of
    /// one result list share it, whatever their parameters.
    func tailEntryPointerType(_ results: [ValueType]) -> String {
        "\(resultType(results)) (*)(wasmaot_instance *)"
    }

    func pointerType(ofFunction index: UInt32) -> String {
        CNames.functionPointerType(Int(functionTypeIndices[Int(index)]))
    }

    /// The C prototype of function `index`. With `copyingParameters` (a function that catches
    /// exceptions) every parameter arrives as `aN` and is copied into a volatile local `lN`.
    func prototype(_ index: Int, copyingParameters: Bool = false) -> String {
        let t = wasm.types[Int(functionTypeIndices[index])]
        var params = ["wasmaot_instance *ctx"]
        // A v128 parameter arrives as `aN` and is unpacked into the local `lN` (FunctionLowering).
        for (i, p) in t.parameters.enumerated() {
            params.append("\(CNames.abiType(p)) \(p == .v128 || copyingParameters ? CNames.abiParameter(i) : CNames.local(UInt32(i)))")
        }
        // An ordinary wasm call takes stack, so unbounded recursion must exhaust it: clang may
        // not turn calls into jumps. (Wasm tail calls are explicit `musttail`, which this leaves be.)
        return
            "\(linkage) __attribute__((disable_tail_calls)) \(resultType(t.results)) \(symbols[index])(\(params.joined(separator: ", ")))"
    }

    /// The tail entry of a function in `tailCallers`: its parameters come in `ctx->tail_args`.
    func tailPrototype(_ index: Int) -> String {
        let t = wasm.types[Int(functionTypeIndices[index])]
        return
            "\(linkage) __attribute__((disable_tail_calls)) \(resultType(t.results)) \(CNames.tailEntry(symbols[index]))(wasmaot_instance *ctx)"
    }

    private var linkage: String { chunked ? "__attribute__((visibility(\"hidden\")))" : "static" }

    // MARK: The translation units

    /// Generates the C source. A module of fewer than twice
    /// ``Chunking/minimum`` instructions is one unit. A larger one is split into
    /// units of neighbouring functions whose boundaries depend only on the
    /// functions themselves (see ``split(_:fingerprints:_:)``), not on the
    /// number of cores, followed by one unit with the function table and the
    /// root descriptor: an edit to one function changes the text of one
    /// function unit (and the last), so a unit cache rebuilds only that one.
    /// `metadataPath` is the file the assembler includes as the metadata
    /// section; `metadataSize` its length.
    func generate(metadataPath: String, metadataSize: Int, provenance: String) throws(LoweringError) -> [String] {
        let sizes = wasm.bodies.map(\.ops.count)
        let bodies = try lowerBodies()
        let defined = importedFunctionCount..<functionTypeIndices.count

        // What every unit starts with: the runtime header and the ABI check. Then
        // the result structs of multi-value types and the function pointer types
        // (used by call_indirect and imports) it needs.
        var prelude: [String] = []
        prelude.append("#include \"wasmaot_ops.h\"")
        if usesV128 { prelude.append("#include \"wasmaot_simd.h\"") }
        prelude.append("#if WASMAOT_ABI_VERSION != \(WASMAOT_ABI_VERSION)u")
        prelude.append("#error \"wasmaot_abi.h does not match the ABI this code was generated for\"")
        prelude.append("#endif")
        prelude.append("")
        let head = prelude.joined(separator: "\n") + "\n"
        func typeDeclarations(results: some Sequence<Int>, pointers: some Sequence<Int>) -> String {
            var out = ""
            var resultStructs: [String: [ValueType]] = [:]
            for i in results where wasm.types[i].results.count > 1 {
                resultStructs[resultType(wasm.types[i].results)] = wasm.types[i].results
            }
            for (name, results) in resultStructs.sorted(by: { $0.key < $1.key }) {
                let fields = results.enumerated().map { "\(CNames.abiType($0.element)) \(CNames.resultField($0.offset));" }
                out += "typedef struct { \(fields.joined(separator: " ")) } \(name);\n"
            }
            for i in pointers {
                let t = wasm.types[i]
                let params = (["wasmaot_instance *"] + t.parameters.map(CNames.abiType)).joined(separator: ", ")
                out += "typedef \(resultType(t.results)) (*\(CNames.functionPointerType(i)))(\(params));\n"
            }
            return out + "\n"
        }
        let allTypes = typeDeclarations(results: wasm.types.indices, pointers: wasm.types.indices)
        let banner = "/* Generated by \(CompilerInfo.version) — \(CNames.comment(provenance)). Do not edit. */\n"
        func prototypes(_ functions: some Sequence<Int>) -> String {
            functions.map { prototype($0) + ";\n" + (tailCallers.contains($0) ? tailPrototype($0) + ";\n" : "") }.joined() + "\n"
        }

        var tail: [String] = [boundaryCode(), ""]
        let entries = defined.map { referenceable.contains(UInt32($0)) ? "  (const void *)\(symbols[$0])," : "  NULL," }
        tail.append("static const void *const wa_functions[] = {")
        tail.append(contentsOf: entries.isEmpty ? ["  NULL,"] : entries)
        // Then the tail entries the loader puts into funcrefs (WASMAOT_MODULE_TAIL_ENTRIES).
        if !tailCallers.isEmpty {
            tail.append("  /* tail entries */")
            tail.append(
                contentsOf: defined.map {
                    referenceable.contains(UInt32($0)) && tailCallers.contains($0)
                        ? "  (const void *)\(CNames.tailEntry(symbols[$0]))," : "  NULL,"
                })
        }
        tail.append("};")
        tail.append("")
        // The path as the assembler reads it (`.incbin "…"`), then as a C string literal.
        let assemblerPath = metadataPath.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
        tail.append("WA_EMBED_METADATA(\(CNames.stringLiteral(assemblerPath)));")
        tail.append("")
        tail.append("__attribute__((visibility(\"default\"))) const wasmaot_module_desc wasmaot_module = {")
        var flags: [String] = []
        if interruptible { flags.append("WASMAOT_MODULE_INTERRUPTIBLE") }
        if !tailCallers.isEmpty { flags.append("WASMAOT_MODULE_TAIL_ENTRIES") }
        tail.append(
            "  WASMAOT_MODULE_MAGIC, WASMAOT_ABI_VERSION, wa_metadata, \(metadataSize)u, wa_functions, \(defined.count)u, \(flags.isEmpty ? "0" : flags.joined(separator: " | ")),"
        )
        tail.append("  wa_entries, wa_host_thunks};")
        let table = tail.joined(separator: "\n") + "\n"

        if !chunked {
            return [banner + head + allTypes + prototypes(defined) + bodies.map(\.c).joined(separator: "\n") + "\n\n" + table]
        }
        // A function unit names neither the module nor functions it does not
        // define or call, so its text changes only with its own functions.
        let units = Self.split(sizes, fingerprints: bodies.map { Self.fingerprint($0.c) }, chunking)
        let functionUnits = units.map { unit in
            var declared = Set(unit.map { importedFunctionCount + $0 })
            var pointers: Set<Int> = []
            for i in unit {
                declared.formUnion(bodies[i].callees)
                pointers.formUnion(bodies[i].pointerTypes)
            }
            let results = Set(declared.map { Int(functionTypeIndices[$0]) }).union(pointers)
            return "/* Generated by \(CompilerInfo.version). Do not edit. */\n" + head
                + typeDeclarations(results: results.sorted(), pointers: pointers.sorted()) + prototypes(declared.sorted())
                + unit.map { bodies[$0].c }.joined(separator: "\n") + "\n"
        }
        let referenced = defined.filter { referenceable.contains(UInt32($0)) }  // (with their tail entries)
        return functionUnits + [banner + head + allTypes + prototypes(referenced) + table]
    }

    /// The code the host crosses the boundary with (`wasmaot_abi.h`): an entry per C signature
    /// of the functions a funcref can name, listed per type as `wa_entries`, and a host thunk
    /// per imported function, listed as `wa_host_thunks`.
    func boundaryCode() -> String {
        var out: [String] = []
        var entryOfSignature: [String: String] = [:]
        var entryOfType = [String](repeating: "NULL", count: wasm.types.count)
        let callable = Set(referenceable.compactMap { Int($0) < functionTypeIndices.count ? Int(functionTypeIndices[Int($0)]) : nil })
        for typeIndex in callable.sorted() {
            let t = wasm.types[typeIndex]
            let signature = ([resultType(t.results)] + t.parameters.map(CNames.abiType)).joined(separator: ",")
            if let name = entryOfSignature[signature] {
                entryOfType[typeIndex] = name
                continue
            }
            let name = CNames.entry(entryOfSignature.count)
            entryOfSignature[signature] = name
            entryOfType[typeIndex] = name
            let arguments = (["ctx"] + t.parameters.enumerated().map { CNames.fromCell($0.element, "cells[\($0.offset)]") })
            let call = "((\(CNames.functionPointerType(typeIndex)))fn)(\(arguments.joined(separator: ", ")))"
            out.append("static void \(name)(const void *fn, wasmaot_instance *ctx, wasmaot_value *cells) {")
            if t.parameters.isEmpty && t.results.isEmpty { out.append("  (void)cells;") }
            switch t.results.count {
            case 0: out.append("  \(call);")
            case 1: out.append("  " + CNames.toCell(t.results[0], "cells[0]", call))
            default:
                out.append("  \(resultType(t.results)) r = \(call);")
                for (i, r) in t.results.enumerated() {
                    out.append("  " + CNames.toCell(r, "cells[\(i)]", "r.\(CNames.resultField(i))"))
                }
            }
            out.append("}")
        }
        out.append("static const wasmaot_entry wa_entries[] = {\(entryOfType.isEmpty ? "NULL" : entryOfType.joined(separator: ", "))};")
        var thunks: [String] = []
        for i in 0..<importedFunctionCount {
            let t = wasm.types[Int(functionTypeIndices[i])]
            let name = CNames.hostThunk(i)
            thunks.append(name)
            let params =
                ["wasmaot_instance *ctx"]
                + t.parameters.enumerated().map { "\(CNames.abiType($0.element)) \(CNames.abiParameter($0.offset))" }
            out.append("static \(resultType(t.results)) \(name)(\(params.joined(separator: ", "))) {")
            out.append("  wasmaot_value cells[\(max(t.parameters.count, t.results.count, 1))];")
            for (j, p) in t.parameters.enumerated() { out.append("  " + CNames.toCell(p, "cells[\(j)]", CNames.abiParameter(j))) }
            out.append("  ctx->rt->call_host(ctx, \(i)u, cells);")
            switch t.results.count {
            case 0: break
            case 1: out.append("  return \(CNames.fromCell(t.results[0], "cells[0]"));")
            default:
                out.append("  \(resultType(t.results)) r;")
                for (j, r) in t.results.enumerated() { out.append("  r.\(CNames.resultField(j)) = \(CNames.fromCell(r, "cells[\(j)]"));") }
                out.append("  return r;")
            }
            out.append("}")
        }
        out.append(
            "static const void *const wa_host_thunks[] = {\(thunks.isEmpty ? "NULL" : thunks.map { "(const void *)\($0)" }.joined(separator: ", "))};"
        )
        return out.joined(separator: "\n")
    }

    /// How a large module is cut into translation units (sizes in instructions).
    struct Chunking: Sendable {
        /// No unit ends before this many instructions: below it a separate clang
        /// process costs more than it saves. A module under twice this is one unit.
        var minimum = 16_000
        /// Every unit ends by this many.
        var maximum = 64_000
        /// Past `minimum`, a unit ends after one function in this many (chosen by
        /// the function's fingerprint).
        var boundaryOneIn: UInt64 = 16
    }

    /// Which function bodies go to which translation unit: runs of neighbours
    /// (which often call each other, and stay inlinable). A run ends after a
    /// function whose fingerprint picks it, once the run has
    /// ``Chunking/minimum`` instructions, or when it reaches
    /// ``Chunking/maximum``. Boundaries are content-defined, as in rsync: an
    /// edit to one function moves at most the boundaries up to the next one
    /// that the fingerprints pick again, so the other units keep their text.
    /// Units outnumber cores; the compile queue balances them.
    static func split(_ sizes: [Int], fingerprints: [UInt64], _ chunking: Chunking) -> [[Int]] {
        var units: [[Int]] = []
        var current: [Int] = []
        var weight = 0
        for (i, size) in sizes.enumerated() {
            current.append(i)
            weight += size
            let picked = weight >= chunking.minimum && fingerprints[i] % chunking.boundaryOneIn == 0
            if picked || weight >= chunking.maximum {
                units.append(current)
                current = []
                weight = 0
            }
        }
        if !current.isEmpty { units.append(current) }
        return units
    }

    /// FNV-1a of a function's C: stable across runs and machines (Swift's
    /// `Hasher` is seeded per process).
    static func fingerprint(_ text: String) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
        }
        // The low bits of FNV-1a mix poorly: fold the high half in.
        return hash ^ (hash >> 32)
    }

    /// Every function body's C, lowered on all cores (functions are independent
    /// and lowering only reads this object). The first error by function wins.
    private func lowerBodies() throws(LoweringError) -> [LoweredBody] {
        let count = wasm.bodies.count
        let out = ResultSlots<Result<LoweredBody, LoweringError>>(count: count)
        defer { out.deallocate() }
        let batch = 64
        DispatchQueue.concurrentPerform(iterations: (count + batch - 1) / batch) { b in
            for i in b * batch..<min(count, (b + 1) * batch) {
                let index = importedFunctionCount + i
                let type = wasm.types[Int(functionTypeIndices[index])]
                var lowering = FunctionLowering(module: self, functionIndex: index, type: type, body: wasm.bodies[i])
                do throws(LoweringError) {
                    let c = try lowering.lower()
                    out.set(i, .success(LoweredBody(c: c, callees: lowering.directCallees, pointerTypes: lowering.pointerTypes)))
                } catch { out.set(i, .failure(error)) }
            }
        }
        var bodies: [LoweredBody] = []
        bodies.reserveCapacity(count)
        for i in 0..<count {
            switch out.get(i) {
            case .success(let c): bodies.append(c)
            case .failure(let error): throw error
            }
        }
        return bodies
    }

    /// A function's C, and what its unit must declare for it (see FunctionLowering).
    struct LoweredBody {
        var c: String
        var callees: Set<Int>
        var pointerTypes: Set<Int>
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
