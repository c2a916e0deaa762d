import Foundation
import WasmAOTFormat
import WasmAOTRuntime

/// A compiled module (`.so` produced by `wasmaot compile`), loaded and checked.
///
/// Loading reads the file, checks the ELF header and the metadata section —
/// format and ABI versions, every length and index — and only then `dlopen`s
/// it and cross-checks the loaded root symbol against the file. The code stays
/// mapped for the life of the process (function references may outlive instances).
///
/// ```swift
/// let module = try Module(loading: "fib.so")
/// let instance = try module.instantiate()
/// let fib = try instance.exports.function("fib", ((Int32) -> Int32).self)
/// print(try fib(30))   // 832040
/// ```
public final class Module: @unchecked Sendable {
    /// The module's metadata: types, imports, exports, limits, segments.
    public let metadata: ModuleMetadata
    /// Path the module was loaded from.
    public let path: String
    let descriptor: UnsafePointer<wasmaot_module_desc>
    /// Code address of each defined function that can become a funcref or is
    /// called by the loader (ModuleMetadata.referenceableFunctions); nil for the others.
    let functionCode: [UnsafeRawPointer?]
    /// Tail entry of each defined function (see `wasmaot_abi.h`), where it has one and may
    /// become a funcref; nil for the others, and all nil when the module makes no tail calls.
    let tailCode: [UnsafeRawPointer?]
    /// The host thunk of each imported function (`wasmaot_abi.h`).
    let hostThunks: [UnsafeRawPointer]
    /// Cells each instance needs for the parameters of tail entries (0: no tail entries).
    let tailArgumentCells: Int
    /// What the module's constant expressions may refer to, and their rules.
    let constants: ConstExprContext
    /// Interned type id of each module type.
    let typeIDs: UnsafeMutablePointer<UInt32>
    /// Each module type as the API states types: a concrete reference names a type id.
    let resolvedTypes: [FuncType]
    /// The data segments' bytes, at a stable address.
    let dataBlob: UnsafeMutableRawBufferPointer
    /// Per defined memory (in order, imports not counted): its initial contents when
    /// every active data segment that targets it can be applied ahead of time (constant
    /// offsets, in bounds), which instances map copy-on-write instead of copying the
    /// segments; nil for a memory without such an image.
    let memoryImages: [OpaquePointer?]

    /// Whether the code polls for ``Instance/interrupt()`` (compiled with
    /// `wasmaot compile --interruptible`).
    public var isInterruptible: Bool { descriptor.pointee.flags & WASMAOT_MODULE_INTERRUPTIBLE != 0 }

    /// Whether the file at `path` starts like an ELF object — as a compiled module does — rather
    /// than like a `.wasm` or `.wat` module. Reads four bytes; says nothing of the file's validity.
    public static func isObjectFile(atPath path: String) -> Bool {
        guard let file = FileHandle(forReadingAtPath: path) else { return false }
        defer { try? file.close() }
        return (try? file.read(upToCount: 4)).map { [UInt8]($0) == ELFSection.magic } ?? false
    }

    /// The runtime ABI this loader accepts.
    public static let runtimeABIVersion: UInt32 = WASMAOT_ABI_VERSION

    /// Loads and verifies a compiled module.
    public init(loading path: String) throws(LoadError) {
        self.path = path
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .unreadable(path: path, reason: FileManager.default.fileExists(atPath: path) ? "permission denied" : "no such file")
        }
        let bytes = [UInt8](data)
        let section = try ELFSection.read(WASMAOT_METADATA_SECTION, in: bytes, path: path)
        let metadata: ModuleMetadata
        do { metadata = try ModuleMetadata.decode(Array(section)) } catch { throw .invalidMetadata(path: path, error) }
        guard metadata.abiVersion == WASMAOT_ABI_VERSION else {
            throw .abiMismatch(
                path: path, compiler: metadata.compilerVersion, moduleABI: metadata.abiVersion, runtimeABI: WASMAOT_ABI_VERSION)
        }
        for type in metadata.types where type.params.count > WASMAOT_MAX_ARITY || type.results.count > WASMAOT_MAX_ARITY {
            throw .inconsistent(
                path: path,
                reason: "function type \(type) is not supported by this runtime "
                    + "(at most \(WASMAOT_MAX_ARITY) parameters and \(WASMAOT_MAX_ARITY) results)")
        }
        self.metadata = metadata
        self.constants = ConstExprContext(metadata)

        // Only now is the object mapped and its (absent) constructors run.
        guard let handle = dlopen(path.contains("/") ? path : "./" + path, RTLD_NOW | RTLD_LOCAL) else {
            throw .dlopenFailed(path: path, message: String(cString: dlerror()))
        }
        guard let symbol = dlsym(handle, WASMAOT_ROOT_SYMBOL) else {
            throw .inconsistent(path: path, reason: "no \(WASMAOT_ROOT_SYMBOL) symbol")
        }
        let desc = symbol.assumingMemoryBound(to: wasmaot_module_desc.self)
        guard desc.pointee.magic == WASMAOT_MODULE_MAGIC else { throw .inconsistent(path: path, reason: "bad magic in the root symbol") }
        guard desc.pointee.abi_version == WASMAOT_ABI_VERSION else {
            throw .abiMismatch(
                path: path, compiler: metadata.compilerVersion, moduleABI: desc.pointee.abi_version, runtimeABI: WASMAOT_ABI_VERSION)
        }
        guard let loadedMeta = desc.pointee.metadata, desc.pointee.metadata_size == UInt64(section.count),
            memcmp(loadedMeta, Array(section), section.count) == 0
        else { throw .inconsistent(path: path, reason: "the loaded metadata differs from the file's") }
        guard Int(desc.pointee.function_count) == metadata.functions.count, let table = desc.pointee.functions else {
            throw .inconsistent(
                path: path, reason: "root symbol lists \(desc.pointee.function_count) functions, metadata \(metadata.functions.count)")
        }
        let referenceable = metadata.referenceableFunctions
        let importCount = metadata.importedFunctionCount
        var code: [UnsafeRawPointer?] = []
        for i in 0..<metadata.functions.count {
            let f = table[i]
            if f == nil && referenceable.contains(UInt32(importCount + i)) {
                throw .inconsistent(path: path, reason: "function \(importCount + i) is exported or in a table but has no code")
            }
            code.append(f)
        }
        var tail = [UnsafeRawPointer?](repeating: nil, count: metadata.functions.count)
        var tailCells = 0
        if desc.pointee.flags & WASMAOT_MODULE_TAIL_ENTRIES != 0 {
            for i in 0..<metadata.functions.count { tail[i] = table[metadata.functions.count + i] }
            // Any function may have a tail entry (also one no funcref names): room for the longest list.
            tailCells = max(1, metadata.types.map(\.params.count).max() ?? 0)
        }
        var thunks: [UnsafeRawPointer] = []
        if importCount > 0 {
            guard let list = desc.pointee.host_thunks else {
                throw .inconsistent(path: path, reason: "the root symbol lists no host thunks")
            }
            for i in 0..<importCount {
                guard let thunk = list[i] else { throw .inconsistent(path: path, reason: "imported function \(i) has no host thunk") }
                thunks.append(thunk)
            }
        }
        guard desc.pointee.entries != nil || metadata.types.isEmpty else {
            throw .inconsistent(path: path, reason: "the root symbol lists no entries")
        }
        self.hostThunks = thunks
        self.descriptor = UnsafePointer(desc)
        self.functionCode = code
        self.tailCode = tail
        self.tailArgumentCells = tailCells

        // A type's id interns its canonical form, in which the types it names are the ids of
        // earlier types (or itself): equal ids for equal types of any module.
        let ids = UnsafeMutablePointer<UInt32>.allocate(capacity: max(metadata.types.count, 1))
        for (i, t) in metadata.types.enumerated() {
            ids[i] = TypeRegistry.shared.id(for: TypeClasses.canonical(t, at: i) { ids[$0] })
        }
        typeIDs = ids
        if let entries = desc.pointee.entries {
            for i in metadata.types.indices {
                if let entry = entries[i] { TypeRegistry.shared.register(entry: entry, for: ids[i]) }
            }
        }
        resolvedTypes = metadata.types.map { t in
            FuncType(params: t.params.map { Module.resolve($0, ids) }, results: t.results.map { Module.resolve($0, ids) })
        }
        let blob = UnsafeMutableRawBufferPointer.allocate(byteCount: max(metadata.dataBlob.count, 1), alignment: 16)
        metadata.dataBlob.withUnsafeBytes { blob.copyMemory(from: $0) }
        dataBlob = blob
        let (meta, constants) = (metadata, constants)
        memoryImages = meta.memories.indices.map {
            Module.makeMemoryImage(defined: $0, meta, constants: constants, blob: UnsafeRawBufferPointer(blob))
        }
        CodeRegistry.shared.register(
            base: wasmaot_object_base(UInt(bitPattern: symbol)), functions: ELFSection.wasmFunctionSymbols(in: bytes, path: path),
            names: metadata.functionNames)
    }

    /// `type` of the metadata as the API states types: a concrete reference names a type id
    /// (``HeapType/concrete(_:)``) rather than an index of this module's type section.
    func resolve(_ type: ValType) -> ValType { Module.resolve(type, typeIDs) }

    private static func resolve(_ type: ValType, _ ids: UnsafeMutablePointer<UInt32>) -> ValType {
        guard case .ref(var reference) = type, case .concrete(let index) = reference.heap else { return type }
        reference.heap = .concrete(ids[Int(index)])
        return .ref(reference)
    }

    deinit {
        typeIDs.deallocate()
        dataBlob.deallocate()
        for case let image? in memoryImages { wasmaot_memory_image_free(image) }
    }

    /// The contents of defined memory `defined` after the active data segments that target
    /// it, if every one has a constant offset and all fit in its initial size; else nil (its
    /// segments are then copied at instantiation). Applying them ahead of the module's other
    /// segments is unobservable: the memory is the new instance's own, and a failed
    /// instantiation shows it to nobody. `blob` holds the segments' bytes (the module's copy
    /// of `meta.dataBlob`).
    static func makeMemoryImage(
        defined: Int, _ meta: ModuleMetadata, constants: ConstExprContext, blob: UnsafeRawBufferPointer
    ) -> OpaquePointer? {
        let limits = meta.memories[defined]
        let index = UInt32(meta.importedMemoryCount + defined)
        let initialBytes = limits.min * UInt64(WASMAOT_PAGE_SIZE)
        var pieces: [wasmaot_image_segment] = []
        for (i, segment) in meta.data.enumerated() {
            guard case .active(let memory, let expr) = segment.mode, memory == index else { continue }
            // An offset that reads a global has no value before instantiation.
            let value = try? constants.evaluate(
                expr, produces: limits.is64 ? .i64 : .i32, at: .dataOffset(segment: i), global: { _ -> Value? in nil },
                function: { _ in nil })
            guard let offset = value?.address, offset <= initialBytes, segment.length <= initialBytes - offset else { return nil }
            guard segment.length > 0 else { continue }
            let bytes = blob.baseAddress!.advanced(by: Int(segment.blobOffset)).assumingMemoryBound(to: UInt8.self)
            pieces.append(wasmaot_image_segment(offset: UInt64(offset), bytes: bytes, length: segment.length))
        }
        guard !pieces.isEmpty, pieces.count <= Int(UInt32.max) else { return nil }
        return wasmaot_memory_image_create(pieces, UInt32(pieces.count))
    }

    /// Imports the module needs, in order.
    public var imports: [Import] { metadata.imports }
    /// Exports the module provides.
    public var exports: [Export] { metadata.exports }

    /// Instantiates the module, binding imports by module and field name.
    public func instantiate(imports: Imports = [:]) throws(InstantiationError) -> Instance {
        try Instance(module: self, imports: imports)
    }
}
