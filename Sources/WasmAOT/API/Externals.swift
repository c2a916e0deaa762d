import Foundation
import Synchronization
import WasmAOTFormat
import WasmAOTRuntime

/// Something that can be supplied as an import: a ``Function`` (including a
/// ``HostFunction``), ``Memory``, ``Table`` or ``Global``.
public protocol Extern: AnyObject, Sendable {}

/// Imports by module name, then field name.
///
/// ```swift
/// let log = HostFunction(params: [.i32]) { _, args in print(args[0]); return [] }
/// let instance = try module.instantiate(imports: ["env": ["log": log]])
/// ```
public typealias Imports = [String: [String: any Extern]]

/// A callable wasm function: an export of an instance, or a host function.
public class Function: Extern, @unchecked Sendable {
    /// The function's type.
    public let type: FuncType
    /// The runtime function reference, at a stable address.
    @usableFromInline let funcref: UnsafeMutablePointer<wasmaot_funcref>
    /// Keeps the code and context alive.
    let owner: AnyObject?
    /// A loaded module's entry for this function's type: calls without libffi (`wasmaot_abi.h`).
    @usableFromInline let entry: wasmaot_entry?
    /// Cells a call needs: one per parameter and per result, at least one.
    @usableFromInline let cellCount: Int
    /// The results that are exnrefs, which the host keeps (pinned) once it has them.
    private let exnrefResults: [UInt32]
    /// Whether a call can go straight through ``entry`` (there is one, and no exnref result to pin).
    @usableFromInline let direct: Bool

    init(type: FuncType, funcref: UnsafeMutablePointer<wasmaot_funcref>, owner: AnyObject?) {
        self.type = type
        self.funcref = funcref
        self.owner = owner
        self.entry = TypeRegistry.shared.entry(for: funcref.pointee.type_id)
        self.cellCount = max(type.params.count, type.results.count, 1)
        self.exnrefResults = type.results.indices.filter { type.results[$0].storageCode == UInt8(WASMAOT_EXNREF) }.map(UInt32.init)
        self.direct = entry != nil && exnrefResults.isEmpty
    }

    /// Calls the function with dynamically typed arguments.
    ///
    /// ```swift
    /// let results = try instance.exports.function("add").call([.i32(2), .i32(3)])   // [5 : i32]
    /// ```
    public func call(_ arguments: [Value]) throws -> [Value] {
        let params = type.params
        guard arguments.count == params.count else {
            throw UsageError("expected \(params.count) arguments for \(type), got \(arguments.count)")
        }
        return try withUnsafeTemporaryAllocation(of: wasmaot_value.self, capacity: cellCount) { buffer in
            let cells = buffer.baseAddress!
            for i in params.indices {
                guard arguments[i].conforms(to: params[i]) else {
                    throw UsageError("argument \(i) has type \(arguments[i].type), expected \(params[i])")
                }
                cells[i] = arguments[i].cell
            }
            try invoke(cells)
            let results = type.results
            return [Value](unsafeUninitializedCapacity: results.count) { buffer, count in
                for i in results.indices { (buffer.baseAddress! + i).initialize(to: Value(cell: cells[i], type: results[i])) }
                count = results.count
            }
        }
    }

    /// Calls with the arguments in `cells` (``cellCount`` of them), which receive the results:
    /// the core of every call path. Inlinable, so that a typed call of the caller's module goes
    /// straight to `wasmaot_call`.
    @inlinable @inline(__always) final func invoke(_ cells: UnsafeMutablePointer<wasmaot_value>) throws {
        if direct, let ctx = funcref.pointee.ctx, let code = funcref.pointee.fn, let entry {
            let status = wasmaot_call(ctx, code, entry, cells, nil, 0)
            if status != 0 { throw Function.failure(status) }
            return
        }
        try invokeIndirectly(cells)
    }

    /// ``invoke(_:)`` for the other cases: results to pin, no entry (libffi), no code.
    @usableFromInline final func invokeIndirectly(_ cells: UnsafeMutablePointer<wasmaot_value>) throws {
        let f = funcref.pointee
        guard let ctx = f.ctx, let code = f.fn else { throw UsageError("function has no code") }
        let status: UInt32
        if let entry {
            if exnrefResults.isEmpty {
                status = wasmaot_call(ctx, code, entry, cells, nil, 0)
            } else {
                status = exnrefResults.withUnsafeBufferPointer {
                    wasmaot_call(ctx, code, entry, cells, $0.baseAddress, UInt32($0.count))
                }
            }
        } else {
            status = wasmaot_invoke(ctx, code, try TypeRegistry.shared.signature(for: type), cells, cells)
        }
        if status != 0 { throw Function.failure(status) }
    }

    /// The error for a call that ended with `status`: an uncaught wasm exception or a trap.
    @usableFromInline static func failure(_ status: UInt32) -> any Error {
        if status == WASMAOT_TRAP_EXCEPTION.rawValue, let exception = wasmaot_last_exception() {
            return WasmException(exception)
        }
        return currentTrap(status)
    }

    /// The trap just reported by `wasmaot_invoke` on this thread.
    static func currentTrap(_ status: UInt32) -> any Error {
        let info = wasmaot_last_trap()!.pointee
        let kind = TrapKind(code: status)
        var frames: [UInt] = []
        withUnsafeBytes(of: info.frames) { raw in
            let all = raw.bindMemory(to: UInt.self)
            for i in 0..<Int(min(info.frame_count, UInt32(WASMAOT_MAX_BACKTRACE))) { frames.append(all[i]) }
        }
        var backtrace = CodeRegistry.shared.symbolicate(frames)
        // An explicit trap names its site: clang may have moved the trap path out of
        // the function's code, where no return address can name it.
        if info.function != 0, let host = info.instance?.pointee.host {
            let instance = Unmanaged<Instance>.fromOpaque(host).takeUnretainedValue()
            let name = CodeRegistry.displayName(Int(info.function - 1), instance.module.metadata.functionNames)
            if backtrace.first != name { backtrace.insert(name, at: 0) }
        }
        if kind == .hostError || kind == .exit, let error = PendingHostError.take() {
            if let trap = error as? Trap { return trap }
            return Trap(kind: kind, backtrace: backtrace, underlying: error)
        }
        return Trap(kind: kind, backtrace: backtrace)
    }
}

/// Access to the calling instance from a host function (its memory, its exports).
public struct Caller {
    /// The calling instance's runtime record (nil for a call straight from Swift).
    private let raw: UnsafeMutablePointer<wasmaot_instance>?

    init(raw: UnsafeMutablePointer<wasmaot_instance>?) { self.raw = raw }

    /// The instance whose code called the host function, if it is a wasmaot instance.
    public var instance: Instance? {
        raw.flatMap { $0.pointee.host }.map { Unmanaged<Instance>.fromOpaque($0).takeUnretainedValue() }
    }

    /// The caller's memory: its export named "memory", else its memory 0.
    public var memory: Memory? { instance?.defaultMemory }
}

/// A function implemented in Swift, callable from wasm, in one of two forms.
///
/// Typed: the closure's parameter and result types (`Int32`, `UInt32`, `Int64`, `UInt64`,
/// `Float`, `Double`, `SIMD16<UInt8>`; one result or none) give the wasm type, and a call
/// passes the values as they are, without boxing them:
///
/// ```swift
/// let scale = HostFunction { (caller: Caller, x: Int32, factor: Double) -> Double in
///     Double(x) * factor
/// }
/// let tick = HostFunction { (n: Int64) in print("tick", n) }
/// ```
///
/// Dynamic: the type is given, and the values travel as arrays of ``Value``:
///
/// ```swift
/// let add = HostFunction(params: [.i32, .i32], results: [.i32]) { _, args in
///     guard case .i32(let a) = args[0], case .i32(let b) = args[1] else { return [] }
///     return [.i32(a &+ b)]
/// }
/// ```
/// Throwing from the body traps the wasm caller with ``TrapKind/hostError``;
/// the thrown error reaches the Swift code that called into wasm. Throwing a
/// ``WasmException`` throws it into the wasm caller instead.
public final class HostFunction: Function, @unchecked Sendable {
    public typealias Body = (Caller, [Value]) throws -> [Value]
    /// The body as the runtime calls it: parameters in the cells, results written back there.
    @usableFromInline typealias CellBody = (Caller, UnsafeMutablePointer<wasmaot_value>) throws -> Void
    let cellBody: CellBody
    /// The runtime's host function: what an importing instance's host thunk calls, and native
    /// code with the wasm calling convention (a libffi closure) for everything else.
    private(set) var native: OpaquePointer?

    @usableFromInline init(type: FuncType, cellBody: @escaping CellBody) {
        self.cellBody = cellBody
        let ref = UnsafeMutablePointer<wasmaot_funcref>.allocate(capacity: 1)
        ref.initialize(to: wasmaot_funcref())
        ref.pointee.type_id = TypeRegistry.shared.id(for: type)
        ref.pointee.func_index = UInt32.max
        super.init(type: type, funcref: ref, owner: nil)
        if let signature = try? TypeRegistry.shared.signature(for: type),
            let closure = wasmaot_host_func_create(signature, hostTrampoline, Unmanaged.passUnretained(self).toOpaque())
        {
            native = closure
            ref.pointee.fn = wasmaot_host_func_code(closure)
            // Called directly from Swift, the host function gets a context-less instance.
            ref.pointee.ctx = HostFunction.detachedContext
        }
    }

    /// A host function of `type` whose body takes and returns ``Value`` arrays.
    public convenience init(type: FuncType, body: @escaping Body) {
        self.init(
            type: type,
            cellBody: { caller, cells in
                let params = type.params
                let args = [Value](unsafeUninitializedCapacity: params.count) { buffer, count in
                    for i in params.indices { (buffer.baseAddress! + i).initialize(to: Value(cell: cells[i], type: params[i])) }
                    count = params.count
                }
                let results = try body(caller, args)
                guard results.count == type.results.count else {
                    throw UsageError("host function returned \(results.count) values, its type \(type) has \(type.results.count)")
                }
                for (i, (r, t)) in zip(results, type.results).enumerated() {
                    guard r.type == t else { throw UsageError("host function result \(i) has type \(r.type), expected \(t)") }
                    cells[i] = r.cell
                }
            })
    }

    public convenience init(params: [ValType] = [], results: [ValType] = [], body: @escaping Body) {
        self.init(type: FuncType(params: params, results: results), body: body)
    }

    deinit {
        if let native { wasmaot_host_func_free(native) }
        funcref.deallocate()
    }

    /// A funcref for this host function as imported by `instance` (so that it sees its
    /// caller): the importing module's host thunk for the import, which calls ``native``.
    func binding(for instance: UnsafeMutablePointer<wasmaot_instance>, thunk: UnsafeRawPointer) -> wasmaot_funcref {
        var ref = funcref.pointee
        ref.fn = thunk
        ref.ctx = instance
        return ref
    }

    /// An instance with no memories or tables, for host functions called straight from Swift.
    nonisolated(unsafe) static let detachedContext: UnsafeMutablePointer<wasmaot_instance> = {
        let p = UnsafeMutablePointer<wasmaot_instance>.allocate(capacity: 1)
        p.initialize(to: wasmaot_instance())
        p.pointee.rt = wasmaot_runtime_services()
        return p
    }()
}

/// Entered from a host thunk or the libffi closure with the parameters in `cells`; writes
/// the results back.
private let hostTrampoline: wasmaot_host_callback = { context, caller, cells in
    guard let context, let cells else { return WASMAOT_TRAP_HOST.rawValue }
    do {
        // The host function outlives the instances that import it: no retain per call.
        try Unmanaged<HostFunction>.fromOpaque(context)._withUnsafeGuaranteedRef { try $0.cellBody(Caller(raw: caller), cells) }
        return 0
    } catch let exception as WasmException {
        // Thrown into the wasm caller by the C trampoline, once this callback has returned.
        guard let raw = exception.makeRuntimeException() else {
            PendingHostError.set(UsageError("out of memory for a wasm exception"))
            return WASMAOT_TRAP_HOST.rawValue
        }
        wasmaot_set_pending_exception(raw)
        return WASMAOT_TRAP_EXCEPTION.rawValue
    } catch let exit as HostExit {
        PendingHostError.set(exit)
        return WASMAOT_TRAP_EXIT.rawValue
    } catch {
        PendingHostError.set(error)
        return WASMAOT_TRAP_HOST.rawValue
    }
}

/// Thrown by a host function to end the wasm program with an exit code (WASI `proc_exit`).
public struct HostExit: Error, CustomStringConvertible, Sendable {
    public var code: Int32
    public init(code: Int32) { self.code = code }
    public var description: String { "exit with code \(code)" }
}

/// A linear memory.
public final class Memory: Extern, @unchecked Sendable {
    let raw: UnsafeMutablePointer<wasmaot_memory>
    public let limits: Limits

    /// Creates a standalone memory (e.g. to import into several instances).
    public convenience init(limits: Limits) throws(InstantiationError) {
        try self.init(limits: limits, image: nil)
    }

    /// A memory starting with a module's data image (copy-on-write; see `wasmaot_memory_create_with_image`).
    init(limits: Limits, image: OpaquePointer?) throws(InstantiationError) {
        guard let m = wasmaot_memory_create_with_image(limits.min, limits.max ?? UInt64(WASMAOT_MAX_PAGES), image) else {
            throw .resourceExhausted("memory of \(limits.min) pages")
        }
        raw = m
        self.limits = limits
    }

    deinit { wasmaot_memory_free(raw) }

    /// Current size in 64 KiB pages.
    public var pages: UInt64 { raw.pointee.size / UInt64(WASMAOT_PAGE_SIZE) }
    /// Current size in bytes.
    public var byteCount: Int { Int(raw.pointee.size) }
    /// Base address (stable for the memory's lifetime).
    public var baseAddress: UnsafeMutableRawPointer { UnsafeMutableRawPointer(raw.pointee.base) }

    /// Grows by `delta` pages; returns the old size, or nil if it cannot grow.
    @discardableResult public func grow(by delta: UInt64) -> UInt64? {
        let old = wasmaot_memory_grow(raw, delta)
        return old == UInt32.max ? nil : UInt64(old)
    }

    /// Reads `count` bytes at `offset`, bounds-checked.
    public func read(at offset: Int, count: Int) throws(UsageError) -> [UInt8] {
        try check(offset, count, "read")
        return Array(UnsafeRawBufferPointer(start: baseAddress + offset, count: count))
    }

    /// Writes bytes (`[UInt8]`, `Data`, any `ContiguousBytes`) at `offset`, bounds-checked.
    public func write(_ bytes: some ContiguousBytes, at offset: Int) throws(UsageError) {
        let failure: UsageError? = bytes.withUnsafeBytes { raw in
            do throws(UsageError) { try check(offset, raw.count, "write") } catch { return error }
            if let source = raw.baseAddress { (baseAddress + offset).copyMemory(from: source, byteCount: raw.count) }
            return nil
        }
        if let failure { throw failure }
    }
}

/// A table of references.
public final class Table: Extern, @unchecked Sendable {
    let raw: UnsafeMutablePointer<wasmaot_table>
    public let type: TableType
    /// Instances whose function references may be stored in this table.
    var keepAlive: [AnyObject] = []

    public init(type: TableType) throws(InstantiationError) {
        let max = type.limits.max.map { UInt32(clamping: $0) } ?? UInt32.max
        guard type.limits.min <= UInt64(UInt32.max),
            let t = wasmaot_table_create(UInt32(type.limits.min), max, type.element.storageCode)
        else {
            throw .resourceExhausted("table of \(type.limits.min) elements")
        }
        raw = t
        self.type = type
    }

    deinit { wasmaot_table_free(raw) }

    public var size: UInt32 { raw.pointee.size }
}

/// A global variable.
public final class Global: Extern, @unchecked Sendable {
    let cell: UnsafeMutablePointer<wasmaot_value>
    public let type: GlobalType
    var keepAlive: [AnyObject] = []

    public init(type: GlobalType, value: Value) throws(UsageError) {
        guard value.conforms(to: type.type) else { throw UsageError("global of type \(type.type) initialised with \(value.type)") }
        cell = .allocate(capacity: 1)
        cell.initialize(to: value.cell)
        self.type = type
    }

    deinit { cell.deallocate() }

    /// The current value.
    public var value: Value { Value(cell: cell.pointee, type: type.type) }

    /// Sets a mutable global.
    public func set(_ value: Value) throws(UsageError) {
        guard type.mutable else { throw UsageError("global is immutable") }
        guard value.conforms(to: type.type) else { throw UsageError("global of type \(type.type) cannot hold \(value.type)") }
        cell.pointee = value.cell
    }
}

/// An exception tag: the identity a `throw` and a `catch` agree on, and the types of the
/// payload. Modules import and export tags; two instances share an exception kind by
/// sharing the `Tag` object.
public final class Tag: Extern, @unchecked Sendable {
    /// The payload types are the parameters; a tag type has no results.
    public let type: FuncType
    /// The runtime's tag, of which this object holds one reference (exceptions hold others).
    let raw: UnsafeMutablePointer<wasmaot_tag>

    public convenience init(type: FuncType) throws(UsageError) {
        guard type.results.isEmpty else { throw UsageError("a tag type has no results, \(type) has") }
        guard let raw = wasmaot_tag_create(TypeRegistry.shared.id(for: type)) else {
            throw UsageError("out of memory creating a tag")
        }
        self.init(type: type, adopting: raw)
        TagObjects.register(self)
    }

    /// A tag of a type already known to have no results (a module's, checked by the loader),
    /// whose interned id is `id`; nil when out of memory.
    convenience init?(validType type: FuncType, id: UInt32) {
        guard let raw = wasmaot_tag_create(id) else { return nil }
        self.init(type: type, adopting: raw)
        TagObjects.register(self)
    }

    /// Takes over one reference to `raw`; the caller registers the object.
    fileprivate init(type: FuncType, adopting raw: UnsafeMutablePointer<wasmaot_tag>) {
        self.type = type
        self.raw = raw
    }

    public convenience init(params: [ValType]) throws(UsageError) {
        try self.init(type: FuncType(params: params, results: []))
    }

    deinit {
        TagObjects.unregister(raw)
        wasmaot_tag_release(raw)
    }
}

/// The host object of each runtime tag, by address: an exception's tag finds its ``Tag``, or a new
/// one when the first is gone (an exception, kept in a table or global, may outlive it: the runtime
/// tag lives on, and so does its identity for `catch`).
private enum TagObjects {
    private final class Weak {
        weak var tag: Tag?
        init(_ tag: Tag) { self.tag = tag }
    }
    private static let objects = Mutex<[UInt: Weak]>([:])

    static func register(_ tag: Tag) {
        objects.withLock { $0[UInt(bitPattern: tag.raw)] = Weak(tag) }
    }

    /// A tag object is going away: forget it, unless another object took over its runtime tag.
    static func unregister(_ raw: UnsafeMutablePointer<wasmaot_tag>) {
        objects.withLock { objects in
            let key = UInt(bitPattern: raw)
            if objects[key]?.tag == nil { objects[key] = nil }
        }
    }

    static func object(for raw: UnsafePointer<wasmaot_tag>) -> Tag {
        let mutableRaw = UnsafeMutablePointer(mutating: raw)
        return objects.withLock { objects in
            let key = UInt(bitPattern: raw)
            if let tag = objects[key]?.tag { return tag }
            wasmaot_tag_retain(mutableRaw)
            let tag = Tag(type: TypeRegistry.shared.type(for: raw.pointee.type_id), adopting: mutableRaw)
            objects[key] = Weak(tag)
            return tag
        }
    }
}

/// A wasm exception as the host sees it: an exception thrown by wasm and caught by no wasm
/// handler reaches Swift as this error, and a host function throws it to raise the
/// exception in its wasm caller (where a `catch` of the same tag catches it).
public struct WasmException: Error, CustomStringConvertible, @unchecked Sendable {
    public let tag: Tag
    public let values: [Value]

    public init(tag: Tag, values: [Value]) throws(UsageError) {
        guard values.count == tag.type.params.count else {
            throw UsageError("tag \(tag.type) carries \(tag.type.params.count) values, got \(values.count)")
        }
        for (i, (v, t)) in zip(values, tag.type.params).enumerated() where !v.conforms(to: t) {
            throw UsageError("exception value \(i) has type \(v.type), the tag expects \(t)")
        }
        self.tag = tag
        self.values = values
    }

    /// Reads an exception of the runtime; its tag belongs to a live instance or to the host.
    init(_ exception: UnsafePointer<wasmaot_exception>) {
        let tag = TagObjects.object(for: exception.pointee.tag)
        self.tag = tag
        let payload = UnsafeRawPointer(exception).advanced(by: MemoryLayout<wasmaot_exception>.size)
            .assumingMemoryBound(to: wasmaot_value.self)
        values = tag.type.params.enumerated().map { Value(cell: payload[$0.offset], type: $0.element) }
    }

    /// A new runtime exception with this tag and payload, for the runtime to throw.
    func makeRuntimeException() -> UnsafeMutablePointer<wasmaot_exception>? {
        guard let raw = wasmaot_exception_create(tag.raw, UInt32(values.count)) else { return nil }
        let payload = UnsafeMutableRawPointer(raw).advanced(by: MemoryLayout<wasmaot_exception>.size)
            .assumingMemoryBound(to: wasmaot_value.self)
        for (i, v) in values.enumerated() { payload[i] = v.cell }
        return raw
    }

    public var description: String {
        "uncaught wasm exception: tag \(tag.type)" + (values.isEmpty ? "" : " with \(values.map(\.description).joined(separator: ", "))")
    }
}
