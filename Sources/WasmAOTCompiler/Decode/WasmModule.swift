import WasmParser
import WasmTypes

/// A WebAssembly module decoded by WasmKit's `WasmParser`, with every function
/// body decoded into instructions. This is the input of validation and lowering;
/// it uses WasmParser's own types wherever they exist.
public struct WasmModule: Sendable {
    /// One decoded instruction and the byte offset where it starts in the module.
    public struct Op: Sendable {
        public var instruction: Instruction
        public var offset: Int
        /// A legacy exception instruction (WasmParser has none): then `instruction` is `nop`
        /// and unused.
        public var legacy: LegacyExceptionOp? = nil
    }

    /// One function body: its declared locals (not parameters) and its instructions, ending with `end`.
    public struct Body: Sendable {
        public var locals: [ValueType]
        public var ops: [Op]
        /// Byte offset of the body in the module.
        public var offset: Int
    }

    public var types: [FunctionType] = []
    public var imports: [Import] = []
    /// Type index of each function *defined* by the module (not imported).
    public var functions: [TypeIndex] = []
    public var tables: [Table] = []
    public var memories: [Memory] = []
    public var globals: [Global] = []
    /// Exception tags defined by the module (their type indices).
    public var tags: [Tag] = []
    public var exports: [Export] = []
    public var start: FunctionIndex?
    public var elements: [ElementSegment] = []
    public var dataCount: UInt32?
    public var bodies: [Body] = []
    public var data: [DataSegment] = []
    /// Names from the `name` custom section, by function index (imports first).
    public var functionNames: [UInt32: String] = [:]
    public var moduleName: String?

    public init() {}

    // MARK: Index spaces (imports come first in each)

    public var importedFunctionTypes: [TypeIndex] {
        imports.compactMap { if case .function(let t) = $0.descriptor { t } else { nil } }
    }
    public var importedTables: [TableType] {
        imports.compactMap { if case .table(let t) = $0.descriptor { t } else { nil } }
    }
    public var importedMemories: [MemoryType] {
        imports.compactMap { if case .memory(let t) = $0.descriptor { t } else { nil } }
    }
    public var importedTags: [TypeIndex] {
        imports.compactMap { if case .tag(let t) = $0.descriptor { t } else { nil } }
    }
    public var importedGlobals: [GlobalType] {
        imports.compactMap { if case .global(let t) = $0.descriptor { t } else { nil } }
    }

    /// Type index of every function in the function index space.
    public var allFunctionTypeIndices: [TypeIndex] { importedFunctionTypes + functions }
    public var allTables: [TableType] { importedTables + tables.map(\.type) }
    public var allMemories: [MemoryType] { importedMemories + memories.map(\.type) }
    public var allGlobals: [GlobalType] { importedGlobals + globals.map(\.type) }
    /// Type index of every tag in the tag index space.
    public var allTagTypeIndices: [TypeIndex] { importedTags + tags.map(\.type) }

    /// Names for profilers, debuggers and backtraces: the name section's, else the first export name.
    public var displayNames: [UInt32: String] {
        var names = functionNames
        for e in exports {
            if case .function(let f) = e.descriptor, names[f] == nil { names[f] = e.name }
        }
        return names
    }
}
