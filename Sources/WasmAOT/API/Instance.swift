import Synchronization
import WasmAOTFormat
import WasmAOTRuntime

/// An instantiated module: its memories, tables, globals and functions, laid
/// out in the `wasmaot_instance` the generated code reads.
public final class Instance: @unchecked Sendable {
    public let module: Module
    let raw: UnsafeMutablePointer<wasmaot_instance>
    private(set) var memories: [Memory] = []
    private(set) var tables: [Table] = []
    private(set) var globals: [Global] = []
    private(set) var tags: [Tag] = []
    private let funcs: UnsafeMutablePointer<wasmaot_funcref>
    /// Per imported function: the host function its host thunk calls, or nil.
    private let hostFuncs: UnsafeMutablePointer<OpaquePointer?>
    private let memoryPointers: UnsafeMutablePointer<UnsafeMutablePointer<wasmaot_memory>?>
    private let tablePointers: UnsafeMutablePointer<UnsafeMutablePointer<wasmaot_table>?>
    private let globalPointers: UnsafeMutablePointer<UnsafeMutablePointer<wasmaot_value>?>
    private let tagPointers: UnsafeMutablePointer<UnsafePointer<wasmaot_tag>?>
    private let dataSegments: UnsafeMutablePointer<wasmaot_segment>
    private let elemSegments: UnsafeMutablePointer<wasmaot_segment>
    /// Where tail calls pass parameters to this instance's tail entries (nil without any).
    private let tailArguments: UnsafeMutablePointer<wasmaot_value>?
    private var elemItems: [UnsafeMutablePointer<UnsafeMutableRawPointer?>] = []
    /// ``ownFunction(at:)``'s objects.
    private let functionObjects = Mutex<[UInt32: Function]>([:])
    /// The allocator ``call(_:passing:extra:returning:freeingResult:allocator:)`` uses when given
    /// none, found once (of ``ownFunction(at:)``s).
    let defaultAllocator = Mutex<GuestAllocator?>(nil)
    /// Imported objects (and their owners) kept alive with this instance.
    private var retained: [AnyObject] = []

    /// The instance's exports.
    public var exports: Exports { Exports(instance: self) }

    init(module: Module, imports: Imports) throws(InstantiationError) {
        self.module = module
        let meta = module.metadata
        raw = .allocate(capacity: 1)
        raw.initialize(to: wasmaot_instance())
        funcs = .allocate(capacity: max(meta.totalFunctionCount, 1))
        hostFuncs = .allocate(capacity: max(meta.importedFunctionCount, 1))
        hostFuncs.initialize(repeating: nil, count: max(meta.importedFunctionCount, 1))
        memoryPointers = .allocate(capacity: max(meta.totalMemoryCount, 1))
        tablePointers = .allocate(capacity: max(meta.totalTableCount, 1))
        globalPointers = .allocate(capacity: max(meta.totalGlobalCount, 1))
        tagPointers = .allocate(capacity: max(meta.totalTagCount, 1))
        dataSegments = .allocate(capacity: max(meta.data.count, 1))
        elemSegments = .allocate(capacity: max(meta.elements.count, 1))
        if module.tailArgumentCells > 0 {
            let cells = UnsafeMutablePointer<wasmaot_value>.allocate(capacity: module.tailArgumentCells)
            cells.initialize(repeating: wasmaot_value(), count: module.tailArgumentCells)
            tailArguments = cells
        } else {
            tailArguments = nil
        }
        raw.pointee.rt = wasmaot_runtime_services()
        raw.pointee.funcs = funcs
        raw.pointee.host_funcs = UnsafePointer(hostFuncs)
        raw.pointee.memories = memoryPointers
        raw.pointee.tables = tablePointers
        raw.pointee.globals = globalPointers
        raw.pointee.tags = tagPointers
        raw.pointee.type_ids = UnsafePointer(module.typeIDs)
        raw.pointee.data_segments = dataSegments
        raw.pointee.elem_segments = elemSegments
        raw.pointee.host = Unmanaged.passUnretained(self).toOpaque()
        raw.pointee.tail_args = tailArguments

        try bindImports(imports)
        try createDefinitions()
        if !memories.isEmpty { raw.pointee.memory0 = memories[0].raw.pointee.base }
        try initialize()
    }

    deinit {
        funcs.deallocate()
        hostFuncs.deallocate()
        memoryPointers.deallocate()
        tablePointers.deallocate()
        globalPointers.deallocate()
        tagPointers.deallocate()
        dataSegments.deallocate()
        elemSegments.deallocate()
        tailArguments?.deallocate()
        for items in elemItems { items.deallocate() }
        raw.deallocate()
    }

    // MARK: Linking

    private func bindImports(_ imports: Imports) throws(InstantiationError) {
        let meta = module.metadata
        var f = 0
        for imp in meta.imports {
            let expected = meta.describe(imp.desc)
            guard let provided = imports[imp.module]?[imp.name] else {
                throw .missingImport(module: imp.module, name: imp.name, expected: expected)
            }
            func mismatch(_ actual: String) -> InstantiationError {
                .incompatibleImport(module: imp.module, name: imp.name, expected: expected, actual: actual)
            }
            switch imp.desc {
            case .function(let typeIndex):
                guard let function = provided as? Function else { throw mismatch(kindName(provided)) }
                guard function.funcref.pointee.type_id == module.typeIDs[Int(typeIndex)] else {
                    throw mismatch("function \(function.type)")
                }
                if let host = function as? HostFunction {
                    guard let native = host.native else { throw mismatch("host function without native code") }
                    funcs[f] = host.binding(for: raw, thunk: module.hostThunks[f])
                    hostFuncs[f] = native
                } else {
                    funcs[f] = function.funcref.pointee
                }
                retained.append(function)
                f += 1
            case .memory(let want):
                guard let memory = provided as? Memory else { throw mismatch(kindName(provided)) }
                let actual = Limits(min: memory.pages, max: memory.limits.max, is64: memory.limits.is64)
                guard limitsMatch(actual: actual, required: want) else { throw mismatch("memory \(actual)") }
                memoryPointers[memories.count] = memory.raw
                memories.append(memory)
            case .table(let want):
                guard let table = provided as? Table else { throw mismatch(kindName(provided)) }
                let actual = Limits(min: UInt64(table.size), max: table.type.limits.max, is64: table.type.limits.is64)
                guard table.type.element == module.resolve(want.element), limitsMatch(actual: actual, required: want.limits) else {
                    throw mismatch("table \(TableType(element: table.type.element, limits: actual))")
                }
                tablePointers[tables.count] = table.raw
                tables.append(table)
                table.keepAlive.append(self)  // our funcrefs may be stored in it
            case .global(let want):
                guard let global = provided as? Global else { throw mismatch(kindName(provided)) }
                // A mutable global's type must be the same; an immutable one's may be a subtype.
                let wanted = module.resolve(want.type)
                guard global.type.mutable == want.mutable,
                    want.mutable ? global.type.type == wanted : global.type.type.matches(wanted)
                else {
                    throw mismatch("global \(global.type)")
                }
                globalPointers[globals.count] = global.cell
                globals.append(global)
                if want.type.isReference && want.mutable { global.keepAlive.append(self) }
            case .tag(let typeIndex):
                guard let tag = provided as? Tag else { throw mismatch(kindName(provided)) }
                guard tag.raw.pointee.type_id == module.typeIDs[Int(typeIndex)] else { throw mismatch("tag \(tag.type)") }
                tagPointers[tags.count] = UnsafePointer(tag.raw)
                tags.append(tag)
            }
        }
    }

    private func createDefinitions() throws(InstantiationError) {
        let meta = module.metadata
        let importedFunctions = meta.importedFunctionCount
        for (i, typeIndex) in meta.functions.enumerated() {
            var ref = wasmaot_funcref()
            ref.fn = module.functionCode[i]
            ref.tail = module.tailCode[i]
            ref.ctx = raw
            ref.type_id = module.typeIDs[Int(typeIndex)]
            ref.func_index = UInt32(importedFunctions + i)
            funcs[importedFunctions + i] = ref
        }
        for (i, limits) in meta.memories.enumerated() {
            // A memory with a data image starts as that image (its segments are then done).
            let memory = try Memory(limits: limits, image: module.memoryImages[i])
            memoryPointers[memories.count] = memory.raw
            memories.append(memory)
        }
        for (i, type) in meta.tables.enumerated() {
            let table = try Table(type: TableType(element: module.resolve(type.element), limits: type.limits))
            // An initializer reads imported globals only: the defined ones do not exist yet.
            if i < meta.tableInitializers.count, let initializer = meta.tableInitializers[i] {
                let value = try evaluate(initializer, type: type.element, at: .tableInitializer(table: tables.count))
                for k in 0..<Int(table.size) { table.raw.pointee.elements[k] = value.cell.ref }
            }
            tablePointers[tables.count] = table.raw
            tables.append(table)
        }
        for typeIndex in meta.tags {
            guard let tag = Tag(validType: module.resolvedTypes[Int(typeIndex)], id: module.typeIDs[Int(typeIndex)]) else {
                throw .resourceExhausted("tag")
            }
            tagPointers[tags.count] = UnsafePointer(tag.raw)
            tags.append(tag)
        }
        for global in meta.globals {
            let value = try evaluate(global.initializer, type: global.type.type, at: .globalInitializer(global: globals.count))
            let type = GlobalType(type: module.resolve(global.type.type), mutable: global.type.mutable)
            guard let g = try? Global(type: type, value: value) else {
                throw .resourceExhausted("global")
            }
            globalPointers[globals.count] = g.cell
            globals.append(g)
        }
    }

    /// Element and data segments in order, then the start function.
    private func initialize() throws(InstantiationError) {
        let meta = module.metadata
        for (i, segment) in meta.elements.enumerated() {
            let items = UnsafeMutablePointer<UnsafeMutableRawPointer?>.allocate(capacity: max(segment.items.count, 1))
            elemItems.append(items)
            for (j, item) in segment.items.enumerated() {
                items[j] = try evaluate(item, type: segment.elementType, at: .elementItem(segment: i, item: j)).cell.ref
            }
            elemSegments[i] = wasmaot_segment(items: UnsafeRawPointer(items), length: UInt64(segment.items.count))
        }
        for (i, segment) in meta.data.enumerated() {
            dataSegments[i] = wasmaot_segment(
                items: UnsafeRawPointer(module.dataBlob.baseAddress! + Int(segment.blobOffset)), length: segment.length)
        }
        for (i, segment) in meta.elements.enumerated() {
            switch segment.mode {
            case .active(let table, let offsetExpr):
                let t = tables[Int(table)]
                let address: ValType = t.type.limits.is64 ? .i64 : .i32
                guard let offset = try evaluate(offsetExpr, type: address, at: .elementOffset(segment: i)).address else {
                    continue
                }
                let n = UInt64(segment.items.count)
                guard offset <= UInt64(t.size), n <= UInt64(t.size) - offset else {
                    throw .trapped(Trap(kind: .tableOutOfBounds))
                }
                for j in 0..<Int(n) { t.raw.pointee.elements[Int(offset) + j] = elemItems[i][j] }
                elemSegments[i].length = 0
            case .declarative:
                elemSegments[i].length = 0
            case .passive:
                break
            }
        }
        for (i, segment) in meta.data.enumerated() {
            guard case .active(let memoryIndex, let offsetExpr) = segment.mode else { continue }
            let defined = Int(memoryIndex) - meta.importedMemoryCount
            if defined >= 0, module.memoryImages[defined] != nil {
                dataSegments[i].length = 0  // in the memory's image, mapped when the memory was made
                continue
            }
            let memory = memories[Int(memoryIndex)]
            let address: ValType = memory.limits.is64 ? .i64 : .i32
            guard let offset = try evaluate(offsetExpr, type: address, at: .dataOffset(segment: i)).address else { continue }
            guard offset <= UInt64(memory.byteCount), segment.length <= UInt64(memory.byteCount) - offset else {
                throw .trapped(Trap(kind: .memoryOutOfBounds))
            }
            if segment.length > 0 {
                (memory.baseAddress + Int(offset)).copyMemory(
                    from: module.dataBlob.baseAddress! + Int(segment.blobOffset), byteCount: Int(segment.length))
            }
            dataSegments[i].length = 0
        }
        if let start = meta.start {
            do {
                var cell = wasmaot_value()
                try function(at: start).invoke(&cell)
            } catch let trap as Trap {
                throw .trapped(trap)
            } catch {
                throw .trapped(Trap(kind: .hostError, underlying: error))
            }
        }
    }

    /// Evaluates a constant expression (checked at load time) with the module's rules: its
    /// `global.get` reads this instance's globals, its `ref.func` this instance's functions.
    private func evaluate(_ expr: ConstExpr, type: ValType, at site: ConstExprSite) throws(InstantiationError) -> Value {
        do {
            return try module.constants.evaluate(
                expr, produces: type, at: site,
                global: { [globals] index in Int(index) < globals.count ? globals[Int(index)].value : nil },
                function: { [funcs] index in .funcref(UInt(bitPattern: funcs + Int(index))) })
        } catch {
            throw .invalidConstantExpression(error)
        }
    }

    // MARK: Interruption

    /// Stops this instance's wasm code, from any thread: code running in it
    /// traps with ``TrapKind/interrupted`` at its next function entry or loop
    /// head, and so does every call made later, until ``clearInterrupt()``.
    /// The module must have been compiled interruptible (`wasmaot compile
    /// --interruptible`; see ``Module/isInterruptible``). A host function the
    /// guest is in, or another instance's code it called, runs on: the guest
    /// traps once it is back in its own code. (A start function runs during
    /// instantiation, before there is an instance to interrupt.)
    ///
    /// ```swift
    /// let instance = try Module(loading: "spin.so").instantiate()
    /// DispatchQueue.global().asyncAfter(deadline: .now() + 1) { try? instance.interrupt() }
    /// do { _ = try instance.exports.function("spin").call([]) } catch let trap as Trap {
    ///     print(trap.kind)  // interrupted
    /// }
    /// ```
    public func interrupt() throws(UsageError) {
        guard module.isInterruptible else {
            throw UsageError("'\(module.path)' was compiled without interruption checks: compile it with `wasmaot compile --interruptible`")
        }
        wasmaot_set_interrupt(raw, 1)
    }

    /// Lets the instance run again after ``interrupt()``.
    public func clearInterrupt() { wasmaot_set_interrupt(raw, 0) }

    // MARK: Access

    /// The function at `index` of the function index space.
    func function(at index: UInt32) -> Function {
        Function(type: module.resolvedTypes[Int(module.metadata.functionTypeIndex(at: index))], funcref: funcs + Int(index), owner: self)
    }

    /// The function at `index` for the instance's own use, made once: it does not hold the
    /// instance (the instance holds it), so it must not be handed out.
    func ownFunction(at index: UInt32) -> Function {
        functionObjects.withLock { objects in
            if let function = objects[index] { return function }
            let type = module.resolvedTypes[Int(module.metadata.functionTypeIndex(at: index))]
            let function = Function(type: type, funcref: funcs + Int(index), owner: nil)
            objects[index] = function
            return function
        }
    }

    var defaultMemory: Memory? {
        if let export = module.metadata.exports.first(where: { $0.kind == .memory && $0.name.utf8.elementsEqual("memory".utf8) }) {
            return memories[Int(export.index)]
        }
        return memories.first
    }

    func memory(at index: UInt32) -> Memory { memories[Int(index)] }
    func table(at index: UInt32) -> Table { tables[Int(index)] }
    func global(at index: UInt32) -> Global { globals[Int(index)] }
    func tag(at index: UInt32) -> Tag { tags[Int(index)] }

    private func kindName(_ e: any Extern) -> String {
        switch e {
        case let f as Function: return "function \(f.type)"
        case is Memory: return "memory"
        case is Table: return "table"
        case is Global: return "global"
        case let t as Tag: return "tag \(t.type)"
        default: return "unknown"
        }
    }
}

private func limitsMatch(actual: Limits, required: Limits) -> Bool {
    guard actual.is64 == required.is64, actual.min >= required.min else { return false }
    if let requiredMax = required.max {
        guard let actualMax = actual.max, actualMax <= requiredMax else { return false }
    }
    return true
}

/// The exports of an instance, by name.
public struct Exports: Sequence {
    let instance: Instance

    /// Export names and kinds, in declaration order.
    public func makeIterator() -> IndexingIterator<[Export]> { instance.module.metadata.exports.makeIterator() }

    func find(_ name: String, _ kind: ExternKind) throws(UsageError) -> UInt32 {
        guard let e = instance.module.metadata.exports.first(where: { $0.name.utf8.elementsEqual(name.utf8) }) else {
            throw UsageError("no export named '\(name)'")
        }
        guard e.kind == kind else { throw UsageError("export '\(name)' is a \(e.kind), not a \(kind)") }
        return e.index
    }

    /// An exported function, called with ``Value``s.
    public func function(_ name: String) throws(UsageError) -> Function {
        instance.function(at: try find(name, .function))
    }
    public func memory(_ name: String) throws(UsageError) -> Memory { instance.memory(at: try find(name, .memory)) }
    public func table(_ name: String) throws(UsageError) -> Table { instance.table(at: try find(name, .table)) }
    public func global(_ name: String) throws(UsageError) -> Global { instance.global(at: try find(name, .global)) }
    public func tag(_ name: String) throws(UsageError) -> Tag { instance.tag(at: try find(name, .tag)) }

    /// Any export, for passing as an import to another instance.
    public subscript(_ name: String) -> (any Extern)? {
        guard let e = instance.module.metadata.exports.first(where: { $0.name.utf8.elementsEqual(name.utf8) }) else { return nil }
        switch e.kind {
        case .function: return instance.function(at: e.index)
        case .memory: return instance.memory(at: e.index)
        case .table: return instance.table(at: e.index)
        case .global: return instance.global(at: e.index)
        case .tag: return instance.tag(at: e.index)
        }
    }
}
