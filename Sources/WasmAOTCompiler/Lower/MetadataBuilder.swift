import WasmAOTFormat
import WasmParser
import WasmTypes

/// Builds the metadata stored in the `.so` from a validated module: types,
/// imports, exports, limits, segments (data bytes concatenated into one blob),
/// start function and function names.
enum MetadataBuilder {
    static func build(_ wasm: WasmModule, sha256: [UInt8], settings: String, abiVersion: UInt32) throws(LoweringError) -> ModuleMetadata {
        func fail(_ message: String) -> LoweringError { LoweringError(function: -1, offset: 0, message: message) }
        func valType(_ t: ValueType) throws(LoweringError) -> ValType {
            guard let type = ValType(t) else { throw fail("unsupported type \(t)") }
            return type
        }
        func limits(_ l: WasmParser.Limits) -> WasmAOTFormat.Limits { .init(min: l.min, max: l.max, is64: l.isMemory64) }
        func tableType(_ t: WasmParser.TableType) throws(LoweringError) -> WasmAOTFormat.TableType {
            .init(element: try valType(.ref(t.elementType)), limits: limits(t.limits))
        }
        func globalType(_ g: WasmParser.GlobalType) throws(LoweringError) -> WasmAOTFormat.GlobalType {
            guard let type = WasmAOTFormat.GlobalType(g) else { throw fail("unsupported global type \(g)") }
            return type
        }
        /// A validated constant expression (the validator checked it with the same ConstInstr conversion).
        func constExpr(_ expr: [Instruction]) throws(LoweringError) -> ConstExpr {
            var out: ConstExpr = []
            for instruction in expr {
                if case .end = instruction { continue }
                guard let constant = ConstInstr(instruction) else {
                    throw fail("unsupported instruction in constant expression: \(instruction)")
                }
                out.append(constant)
            }
            return out
        }

        var types: [FuncType] = []
        for t in wasm.types {
            guard let type = FuncType(t) else { throw fail("unsupported type \(t)") }
            types.append(type)
        }
        var imports: [WasmAOTFormat.Import] = []
        for i in wasm.imports {
            let desc: ImportDesc
            switch i.descriptor {
            case .function(let t): desc = .function(typeIndex: t)
            case .table(let t): desc = .table(try tableType(t))
            case .memory(let m): desc = .memory(limits(m))
            case .global(let g): desc = .global(try globalType(g))
            case .tag(let t): desc = .tag(typeIndex: t)
            }
            imports.append(WasmAOTFormat.Import(module: i.module, name: i.name, desc: desc))
        }
        var exports: [WasmAOTFormat.Export] = []
        for e in wasm.exports {
            switch e.descriptor {
            case .function(let i): exports.append(WasmAOTFormat.Export(name: e.name, kind: .function, index: i))
            case .table(let i): exports.append(WasmAOTFormat.Export(name: e.name, kind: .table, index: i))
            case .memory(let i): exports.append(WasmAOTFormat.Export(name: e.name, kind: .memory, index: i))
            case .global(let i): exports.append(WasmAOTFormat.Export(name: e.name, kind: .global, index: i))
            case .tag(let i): exports.append(WasmAOTFormat.Export(name: e.name, kind: .tag, index: i))
            }
        }
        var tables: [WasmAOTFormat.TableType] = []
        var tableInitializers: [ConstExpr?] = []
        for t in wasm.tables {
            tables.append(try tableType(t.type))
            tableInitializers.append(try t.initializer.map(constExpr))
        }
        // Tables without initializers (all of WebAssembly 2.0) start out null: nothing to record.
        if tableInitializers.allSatisfy({ $0 == nil }) { tableInitializers = [] }
        var globals: [WasmAOTFormat.Global] = []
        for g in wasm.globals {
            globals.append(WasmAOTFormat.Global(type: try globalType(g.type), initializer: try constExpr(g.initializer)))
        }
        var elements: [WasmAOTFormat.ElementSegment] = []
        for e in wasm.elements {
            let mode: WasmAOTFormat.ElementSegment.Mode
            switch e.mode {
            case .active(let table, let offset): mode = .active(table: table, offset: try constExpr(offset))
            case .passive: mode = .passive
            case .declarative: mode = .declarative
            }
            var items: [ConstExpr] = []
            for item in e.initializer { items.append(try constExpr(item)) }
            elements.append(WasmAOTFormat.ElementSegment(mode: mode, elementType: try valType(.ref(e.type)), items: items))
        }
        var blob: [UInt8] = []
        var data: [WasmAOTFormat.DataSegment] = []
        for d in wasm.data {
            let bytes: ArraySlice<UInt8>
            let mode: WasmAOTFormat.DataSegment.Mode
            switch d {
            case .passive(let b): bytes = b; mode = .passive
            case .active(let a): bytes = a.initializer; mode = .active(memory: a.index, offset: try constExpr(a.offset))
            }
            data.append(WasmAOTFormat.DataSegment(mode: mode, blobOffset: UInt64(blob.count), length: UInt64(bytes.count)))
            blob.append(contentsOf: bytes)
        }
        let functionCount = wasm.allFunctionTypeIndices.count
        let displayNames = wasm.displayNames
        let names = displayNames.isEmpty ? [] : (0..<functionCount).map { displayNames[UInt32($0)] ?? "" }
        return ModuleMetadata(
            abiVersion: abiVersion,
            compilerVersion: CompilerInfo.version,
            wasmSHA256: sha256,
            compileSettings: settings,
            types: types,
            imports: imports,
            functions: wasm.functions,
            tables: tables,
            memories: wasm.memories.map { limits($0.type) },
            globals: globals,
            exports: exports,
            start: wasm.start,
            elements: elements,
            data: data,
            functionNames: names,
            dataBlob: blob,
            tags: wasm.tags.map(\.type),
            features: wasm.features.map(\.rawValue).sorted(),
            tableInitializers: tableInitializers
        )
    }
}
