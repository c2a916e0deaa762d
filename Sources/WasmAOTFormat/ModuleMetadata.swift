// The metadata model stored in every object compiled by WasmAOT.
//
// The compiler fills a ``ModuleMetadata`` from the WebAssembly module it compiled and
// embeds ``ModuleMetadata/encode()`` in the shared object; the loader reads it back with
// ``ModuleMetadata/decode(_:)``, which also runs ``ModuleMetadata/validate()``, before it
// runs any code from the object.
//
// Index spaces follow WebAssembly: in each of the function, table, memory and global
// index spaces the imported entities come first (in import order), followed by the ones
// the module defines.

// MARK: - Types

/// A WebAssembly value type: a number, a vector, or a reference.
public enum ValType: Sendable, Hashable {
    /// 32-bit integer.
    case i32
    /// 64-bit integer.
    case i64
    /// 32-bit IEEE 754 float.
    case f32
    /// 64-bit IEEE 754 float.
    case f64
    /// 128-bit SIMD vector.
    case v128
    /// A reference (``RefType``).
    case ref(RefType)

    /// Nullable reference to a function.
    public static let funcref = ValType.ref(RefType(nullable: true, heap: .func))
    /// Nullable opaque host reference.
    public static let externref = ValType.ref(RefType(nullable: true, heap: .extern))
    /// Nullable reference to a wasm exception (exception handling).
    public static let exnref = ValType.ref(RefType(nullable: true, heap: .exn))

    /// Whether this is a reference type, the only types a table may hold and `ref.null` may produce.
    public var isReference: Bool { if case .ref = self { true } else { false } }

    /// How a value of this type is stored: the type itself for numbers and vectors; for a
    /// reference, the nullable top type of its hierarchy (``funcref``, ``externref`` or ``exnref``),
    /// which shares its representation.
    public var storage: ValType {
        guard case .ref(let reference) = self else { return self }
        return .ref(RefType(nullable: true, heap: reference.heap.top))
    }

    /// The binary encoding of ``storage`` (0x7F for i32 … 0x70 for funcref): how the runtime's C
    /// interface names a value's representation.
    public var storageCode: UInt8 {
        switch self {
        case .i32: 0x7F
        case .i64: 0x7E
        case .f32: 0x7D
        case .f64: 0x7C
        case .v128: 0x7B
        case .ref(let reference): reference.heap.top.code!
        }
    }
}

/// A reference type: `(ref null? heaptype)`.
public struct RefType: Sendable, Hashable {
    /// Whether null is a value of the type.
    public var nullable: Bool
    /// What the reference points to.
    public var heap: HeapType

    /// Creates a reference type.
    public init(nullable: Bool, heap: HeapType) {
        self.nullable = nullable
        self.heap = heap
    }
}

/// What a reference may point to: an abstract heap type, or a function type defined by a module.
public enum HeapType: Sendable, Hashable {
    /// Any function.
    case `func`
    /// Any host value.
    case extern
    /// Any exception.
    case exn
    /// No function: only null has a type with this heap type (the bottom of `func`'s hierarchy).
    case nofunc
    /// No host value (the bottom of `extern`'s hierarchy).
    case noextern
    /// No exception (the bottom of `exn`'s hierarchy).
    case noexn
    /// Functions of one defined function type. In metadata, its index in the module's type
    /// section; in the types of a loaded module's API objects (`Function.type`, `Table.type` …),
    /// the process-wide id of that type, equal for equal types of any module.
    case concrete(UInt32)

    /// The top of the hierarchy this heap type belongs to: `func`, `extern` or `exn`.
    public var top: HeapType {
        switch self {
        case .func, .nofunc, .concrete: .func
        case .extern, .noextern: .extern
        case .exn, .noexn: .exn
        }
    }

    /// The WebAssembly binary encoding of an abstract heap type; nil for ``concrete(_:)``.
    public var code: UInt8? {
        switch self {
        case .func: 0x70
        case .extern: 0x6F
        case .exn: 0x69
        case .nofunc: 0x73
        case .noextern: 0x72
        case .noexn: 0x74
        case .concrete: nil
        }
    }

    /// The abstract heap type encoded as `code` in WebAssembly's binary format.
    public init?(code: UInt8) {
        switch code {
        case 0x70: self = .func
        case 0x6F: self = .extern
        case 0x69: self = .exn
        case 0x73: self = .nofunc
        case 0x72: self = .noextern
        case 0x74: self = .noexn
        default: return nil
        }
    }
}

/// A function signature.
public struct FuncType: Hashable, Sendable {
    /// Parameter types, in order.
    public var params: [ValType]
    /// Result types, in order.
    public var results: [ValType]

    /// Creates a signature from its parameter and result types.
    public init(params: [ValType], results: [ValType]) {
        self.params = params
        self.results = results
    }
}

/// Size limits of a table (in elements) or a memory (in 64 KiB pages).
public struct Limits: Equatable, Sendable {
    /// Initial size.
    public var min: UInt64
    /// Maximum size, or `nil` when unbounded.
    public var max: UInt64?
    /// Indexed with 64-bit addresses (a memory64 memory or a table64 table), not 32-bit ones.
    public var is64: Bool

    /// Creates limits; validation requires `min <= max` when `max` is present.
    public init(min: UInt64, max: UInt64? = nil, is64: Bool = false) {
        self.min = min
        self.max = max
        self.is64 = is64
    }
}

/// The type of a table.
public struct TableType: Equatable, Sendable {
    /// What the table holds; must be a reference type (``ValType/isReference``).
    public var element: ValType
    /// Size limits, in elements.
    public var limits: Limits

    /// Creates a table type.
    public init(element: ValType, limits: Limits) {
        self.element = element
        self.limits = limits
    }
}

/// The type of a global variable.
public struct GlobalType: Equatable, Sendable {
    /// The type of the stored value.
    public var type: ValType
    /// Whether `global.set` may change the value.
    public var mutable: Bool

    /// Creates a global type.
    public init(type: ValType, mutable: Bool) {
        self.type = type
        self.mutable = mutable
    }
}

// MARK: - Imports and exports

/// The kind of an imported or exported entity. The raw value is its WebAssembly encoding.
public enum ExternKind: UInt8, Sendable {
    /// A function.
    case function = 0
    /// A table.
    case table = 1
    /// A memory.
    case memory = 2
    /// A global.
    case global = 3
    /// An exception tag.
    case tag = 4
}

/// What an import brings into the module.
public enum ImportDesc: Equatable, Sendable {
    /// A function with the signature `types[typeIndex]`.
    case function(typeIndex: UInt32)
    /// A table of the given type.
    case table(TableType)
    /// A memory with the given limits, in pages.
    case memory(Limits)
    /// A global of the given type.
    case global(GlobalType)
    /// An exception tag whose payload has the parameters of `types[typeIndex]` (no results).
    case tag(typeIndex: UInt32)

    /// The kind of entity imported.
    public var kind: ExternKind {
        switch self {
        case .function: .function
        case .table: .table
        case .memory: .memory
        case .global: .global
        case .tag: .tag
        }
    }
}

/// One import of the module.
public struct Import: Equatable, Sendable {
    /// The module name the import is resolved in.
    public var module: String
    /// The name of the item within that module.
    public var name: String
    /// What is imported.
    public var desc: ImportDesc

    /// Creates an import.
    public init(module: String, name: String, desc: ImportDesc) {
        self.module = module
        self.name = name
        self.desc = desc
    }
}

/// One export of the module.
public struct Export: Equatable, Sendable {
    /// The export name; unique within the module.
    public var name: String
    /// The index space ``index`` refers to.
    public var kind: ExternKind
    /// Index in the index space of ``kind`` (imports first).
    public var index: UInt32

    /// Creates an export.
    public init(name: String, kind: ExternKind, index: UInt32) {
        self.name = name
        self.kind = kind
        self.index = index
    }
}

// MARK: - Constant expressions

/// One instruction of a constant expression (global initializers, segment offsets and
/// element items), including the extended-const arithmetic.
public enum ConstInstr: Equatable, Sendable {
    /// `i32.const`, as the bit pattern of the value.
    case i32Const(UInt32)
    /// `i64.const`, as the bit pattern of the value.
    case i64Const(UInt64)
    /// `f32.const`, as the IEEE 754 bit pattern.
    case f32Const(UInt32)
    /// `f64.const`, as the IEEE 754 bit pattern.
    case f64Const(UInt64)
    /// `v128.const`; must hold exactly 16 bytes (little-endian lane order).
    case v128Const([UInt8])
    /// `global.get` of a global in the global index space (imports first).
    case globalGet(UInt32)
    /// `ref.null` of a reference type.
    case refNull(ValType)
    /// `ref.func` of a function in the function index space (imports first).
    case refFunc(UInt32)
    /// `i32.add` (extended-const).
    case i32Add
    /// `i32.sub` (extended-const).
    case i32Sub
    /// `i32.mul` (extended-const).
    case i32Mul
    /// `i64.add` (extended-const).
    case i64Add
    /// `i64.sub` (extended-const).
    case i64Sub
    /// `i64.mul` (extended-const).
    case i64Mul
}

/// A constant expression: instructions evaluated on a stack, without the final `end`.
/// A valid expression leaves exactly one value of the expected type; ``ConstExprContext``
/// holds the rules, and type-checks and evaluates expressions.
public typealias ConstExpr = [ConstInstr]

// MARK: - Definitions

/// A global defined by the module.
public struct Global: Equatable, Sendable {
    /// The global's type.
    public var type: GlobalType
    /// Computes the initial value; may only read imported globals and globals defined
    /// before this one.
    public var initializer: ConstExpr

    /// Creates a global definition.
    public init(type: GlobalType, initializer: ConstExpr) {
        self.type = type
        self.initializer = initializer
    }
}

/// An element segment.
public struct ElementSegment: Equatable, Sendable {
    /// How the segment is used at instantiation.
    public enum Mode: Equatable, Sendable {
        /// Copied into table `table` (table index space) at the `i32` position `offset`
        /// when the module is instantiated.
        case active(table: UInt32, offset: ConstExpr)
        /// Only available to `table.init`.
        case passive
        /// Only declares functions for `ref.func`; dropped at instantiation.
        case declarative
    }

    /// How the segment is used.
    public var mode: Mode
    /// The reference type of every item (``ValType/isReference``).
    public var elementType: ValType
    /// One constant expression per element, each producing an ``elementType`` value.
    public var items: [ConstExpr]

    /// Creates an element segment.
    public init(mode: Mode, elementType: ValType, items: [ConstExpr]) {
        self.mode = mode
        self.elementType = elementType
        self.items = items
    }
}

/// A data segment. Its bytes are stored once, in ``ModuleMetadata/dataBlob``.
public struct DataSegment: Equatable, Sendable {
    /// How the segment is used at instantiation.
    public enum Mode: Equatable, Sendable {
        /// Copied into memory `memory` (memory index space) at the `i32` address `offset`
        /// when the module is instantiated.
        case active(memory: UInt32, offset: ConstExpr)
        /// Only available to `memory.init`.
        case passive
    }

    /// How the segment is used.
    public var mode: Mode
    /// The bytes are `dataBlob[blobOffset ..< blobOffset + length]`.
    public var blobOffset: UInt64
    /// Number of bytes in the segment.
    public var length: UInt64

    /// Creates a data segment referring to a range of the module's data blob.
    public init(mode: Mode, blobOffset: UInt64, length: UInt64) {
        self.mode = mode
        self.blobOffset = blobOffset
        self.length = length
    }
}

// MARK: - Module

/// Everything the loader needs to know about a compiled module, besides its code.
///
/// Create one with the memberwise initializer (compiler) or ``decode(_:)`` (loader). A
/// value obtained from ``decode(_:)`` has passed ``validate()``; the index-space helpers
/// (``functionType(at:)`` and friends) require a validated value and an index in range.
public struct ModuleMetadata: Equatable, Sendable {
    /// The first 8 bytes of every encoding.
    public static let magic: [UInt8] = Array("WAOTMETA".utf8)
    /// The encoding version written after ``magic`` (as LEB128); ``decode(_:)`` rejects
    /// any other value.
    public static let formatVersion: UInt32 = 5
    /// The largest number of 64 KiB pages a 32-bit memory may have.
    public static let maxMemoryPages: UInt64 = 65536
    /// The largest number of 64 KiB pages a 64-bit memory may declare (2^48: its size in
    /// bytes fits 64 bits). This runtime gives it at most ``maxMemoryPages`` (the loader's
    /// reservation), so growing past that fails as wasm allows.
    public static let maxMemory64Pages: UInt64 = 1 << 48

    /// The runtime ABI the code was compiled for (checked by the loader, not by ``decode(_:)``).
    public var abiVersion: UInt32
    /// The compiler that produced the object, e.g. `"wasmaot 0.1.0"`.
    public var compilerVersion: String
    /// SHA-256 of the WebAssembly binary; exactly 32 bytes.
    public var wasmSHA256: [UInt8]
    /// The settings the code was compiled with, e.g. `"-O2 -march=x86-64-v2 bounds=guard-pages"`.
    public var compileSettings: String
    /// The type section.
    public var types: [FuncType]
    /// All imports, in order; they come first in their index spaces.
    public var imports: [Import]
    /// Type index of each *defined* function (imported functions are not listed).
    public var functions: [UInt32]
    /// Defined tables (imported ones come first in the table index space).
    public var tables: [TableType]
    /// Defined memories, limits in pages (imported ones come first in the memory index space).
    public var memories: [Limits]
    /// Defined globals (imported ones come first in the global index space).
    public var globals: [Global]
    /// All exports.
    public var exports: [Export]
    /// The start function (function index space), if any; its type is `() -> ()`.
    public var start: UInt32?
    /// All element segments.
    public var elements: [ElementSegment]
    /// All data segments.
    public var data: [DataSegment]
    /// Either empty, or exactly one name per function in the function index space
    /// (`""` where unknown).
    public var functionNames: [String]
    /// The concatenated bytes of all data segments.
    public var dataBlob: [UInt8]
    /// Type index of each *defined* exception tag (imported ones come first in the tag index space).
    public var tags: [UInt32]
    /// The WebAssembly proposals beyond 2.0 the module uses, by name ("memory64", "tail calls",
    /// …), sorted; empty for a WebAssembly 2.0 module. Informational (`wasmaot inspect`).
    public var features: [String]
    /// Either empty (every defined table starts out null), or exactly one entry per defined
    /// table: the constant expression that gives each of its elements its first value (nil: null).
    public var tableInitializers: [ConstExpr?]

    /// Creates metadata from all its fields.
    public init(
        abiVersion: UInt32,
        compilerVersion: String,
        wasmSHA256: [UInt8],
        compileSettings: String,
        types: [FuncType] = [],
        imports: [Import] = [],
        functions: [UInt32] = [],
        tables: [TableType] = [],
        memories: [Limits] = [],
        globals: [Global] = [],
        exports: [Export] = [],
        start: UInt32? = nil,
        elements: [ElementSegment] = [],
        data: [DataSegment] = [],
        functionNames: [String] = [],
        dataBlob: [UInt8] = [],
        tags: [UInt32] = [],
        features: [String] = [],
        tableInitializers: [ConstExpr?] = []
    ) {
        self.abiVersion = abiVersion
        self.compilerVersion = compilerVersion
        self.wasmSHA256 = wasmSHA256
        self.compileSettings = compileSettings
        self.types = types
        self.imports = imports
        self.functions = functions
        self.tables = tables
        self.memories = memories
        self.globals = globals
        self.exports = exports
        self.start = start
        self.elements = elements
        self.data = data
        self.functionNames = functionNames
        self.dataBlob = dataBlob
        self.tags = tags
        self.features = features
        self.tableInitializers = tableInitializers
    }
}

// MARK: - Index spaces

extension ModuleMetadata {
    /// Number of imported functions. O(number of imports).
    public var importedFunctionCount: Int { imports.count { $0.desc.kind == .function } }
    /// Number of imported tables. O(number of imports).
    public var importedTableCount: Int { imports.count { $0.desc.kind == .table } }
    /// Number of imported memories. O(number of imports).
    public var importedMemoryCount: Int { imports.count { $0.desc.kind == .memory } }
    /// Number of imported globals. O(number of imports).
    public var importedGlobalCount: Int { imports.count { $0.desc.kind == .global } }

    /// Size of the function index space (imported + defined).
    public var totalFunctionCount: Int { importedFunctionCount + functions.count }
    /// Size of the table index space (imported + defined).
    public var totalTableCount: Int { importedTableCount + tables.count }
    /// Size of the memory index space (imported + defined).
    public var totalMemoryCount: Int { importedMemoryCount + memories.count }
    /// Size of the global index space (imported + defined).
    public var totalGlobalCount: Int { importedGlobalCount + globals.count }

    /// The functions (function index space) whose code can be reached other than by a
    /// direct call: exports, the start function, the items of every element segment
    /// (active, passive or declarative) and `ref.func` in global and table initializers. Validation
    /// lets a `ref.func` in a function body name only these (the spec's C.refs), so no
    /// other function ever becomes a funcref: a compiled module gives only these
    /// addresses to the loader, and clang may optimise the rest as purely internal.
    public var referenceableFunctions: Set<UInt32> {
        var result = Set<UInt32>()
        func collect(_ expr: ConstExpr) {
            for case .refFunc(let f) in expr { result.insert(f) }
        }
        for export in exports where export.kind == .function { result.insert(export.index) }
        if let start { result.insert(start) }
        for segment in elements { segment.items.forEach(collect) }
        for global in globals { collect(global.initializer) }
        for case let initializer? in tableInitializers { collect(initializer) }
        return result
    }

    /// The size of the index space of `kind`.
    public func totalCount(of kind: ExternKind) -> Int {
        switch kind {
        case .function: totalFunctionCount
        case .table: totalTableCount
        case .memory: totalMemoryCount
        case .global: totalGlobalCount
        case .tag: totalTagCount
        }
    }

    /// Number of imported tags. O(number of imports).
    public var importedTagCount: Int { imports.count { $0.desc.kind == .tag } }
    /// Size of the tag index space.
    public var totalTagCount: Int { importedTagCount + tags.count }

    /// The type index of tag `index` in the tag index space (imports first).
    ///
    /// - Precondition: the metadata is valid and `index < totalTagCount`.
    public func tagTypeIndex(at index: UInt32) -> UInt32 {
        entity(at: index, defined: tags) {
            if case .tag(let t) = $0 { t } else { nil }
        }
    }

    /// The signature of function `index` in the function index space (imports first).
    ///
    /// - Precondition: the metadata is valid and `index < totalFunctionCount`.
    public func functionType(at index: UInt32) -> FuncType {
        types[Int(functionTypeIndex(at: index))]
    }

    /// The type index of function `index` in the function index space (imports first).
    ///
    /// - Precondition: the metadata is valid and `index < totalFunctionCount`.
    public func functionTypeIndex(at index: UInt32) -> UInt32 {
        entity(at: index, defined: functions) {
            if case .function(let t) = $0 { t } else { nil }
        }
    }

    /// The type of global `index` in the global index space (imports first).
    ///
    /// - Precondition: the metadata is valid and `index < totalGlobalCount`.
    public func globalType(at index: UInt32) -> GlobalType {
        entity(at: index, defined: globals.lazy.map(\.type)) {
            if case .global(let g) = $0 { g } else { nil }
        }
    }

    /// The type of table `index` in the table index space (imports first).
    ///
    /// - Precondition: the metadata is valid and `index < totalTableCount`.
    public func tableType(at index: UInt32) -> TableType {
        entity(at: index, defined: tables) {
            if case .table(let t) = $0 { t } else { nil }
        }
    }

    /// The limits (in pages) of memory `index` in the memory index space (imports first).
    ///
    /// - Precondition: the metadata is valid and `index < totalMemoryCount`.
    public func memoryLimits(at index: UInt32) -> Limits {
        entity(at: index, defined: memories) {
            if case .memory(let m) = $0 { m } else { nil }
        }
    }

    /// The bytes of a data segment of this module.
    ///
    /// - Precondition: the metadata is valid and `segment` is one of its ``data`` segments.
    public func bytes(of segment: DataSegment) -> ArraySlice<UInt8> {
        let start = Int(segment.blobOffset)
        return dataBlob[start..<start + Int(segment.length)]
    }

    /// Entry `index` of an index space made of the imports `extract` accepts, then `defined`.
    private func entity<T, Defined: Collection<T>>(
        at index: UInt32, defined: Defined, _ extract: (ImportDesc) -> T?
    ) -> T where Defined.Index == Int {
        var remaining = Int(index)
        for entry in imports {
            guard let value = extract(entry.desc) else { continue }
            if remaining == 0 { return value }
            remaining -= 1
        }
        precondition(remaining < defined.count, "index \(index) is out of range of its index space")
        return defined[defined.startIndex + remaining]
    }
}

// MARK: - Errors

/// Why metadata could not be decoded or is invalid.
///
/// Every failure of ``ModuleMetadata/decode(_:)`` and ``ModuleMetadata/validate()`` is a
/// `MetadataError` naming the offending field; when known, ``offset`` is the byte offset in
/// the encoding where the problem was found (for validation failures: where the offending
/// item starts).
public struct MetadataError: Error, CustomStringConvertible, Sendable, Equatable {
    /// What is wrong, naming the field.
    public var message: String
    /// The byte offset in the encoding, if known.
    public var offset: Int?

    /// Creates an error.
    public init(_ message: String, offset: Int? = nil) {
        self.message = message
        self.offset = offset
    }

    /// For example `invalid metadata at byte 123: export 4 ('foo') refers to function 17
    /// but the module has 12 functions`.
    public var description: String {
        if let offset { "invalid metadata at byte \(offset): \(message)" } else { "invalid metadata: \(message)" }
    }
}
