import Glibc
import Synchronization
import WasmAOTFormat
import WasmAOTRuntime

/// Process-wide interning of function types: `call_indirect` compares these
/// small ids, and each type has one libffi signature shared by every caller.
final class TypeRegistry: Sendable {
    static let shared = TypeRegistry()

    private struct State {
        var ids: [FuncType: UInt32] = [:]
        /// The type of each id (index id - 1), as interned.
        var types: [FuncType] = []
        var signatures: [FuncType: UnsafeMutableRawPointer] = [:]
        /// A loaded module's entry for each type id that has one (modules are never unloaded).
        var entries: [UInt32: wasmaot_entry] = [:]
    }
    private let state = Mutex(State())

    /// The interned id of a type (ids start at 1; 0 never matches).
    func id(for type: FuncType) -> UInt32 {
        state.withLock { s in
            if let id = s.ids[type] { return id }
            let id = UInt32(s.ids.count + 1)
            s.ids[type] = id
            s.types.append(type)
            return id
        }
    }

    /// The type interned as `id` (a module's type in its canonical form: a self-reference names
    /// `UInt32.max`). `id` must be one ``id(for:)`` returned.
    func type(for id: UInt32) -> FuncType {
        state.withLock { $0.types[Int(id) - 1] }
    }

    /// Records a module's entry for type `id` (the first one stays: all entries of a type do the same).
    func register(entry: wasmaot_entry, for id: UInt32) {
        state.withLock { s in
            if s.entries[id] == nil { s.entries[id] = entry }
        }
    }

    /// An entry for type `id`, if a loaded module has one: calls of that type need no libffi.
    func entry(for id: UInt32) -> wasmaot_entry? {
        state.withLock { $0.entries[id] }
    }

    /// The native call signature of a type (never freed: types are few).
    func signature(for type: FuncType) throws(UsageError) -> OpaquePointer {
        let pointer: UnsafeMutableRawPointer? = state.withLock { s in
            if let sig = s.signatures[type] { return sig }
            let params = type.params.map(\.storageCode)
            let results = type.results.map(\.storageCode)
            guard let sig = wasmaot_signature_create(params, UInt32(params.count), results, UInt32(results.count)) else {
                return nil
            }
            let raw = UnsafeMutableRawPointer(sig)
            s.signatures[type] = raw
            return raw
        }
        guard let pointer else {
            throw UsageError("cannot build a native signature for \(type) (more than \(WASMAOT_MAX_ARITY) parameters or results?)")
        }
        return OpaquePointer(pointer)
    }
}

/// The error a host function threw, carried across the C frames to the
/// `wasmaot_invoke` that reports the trap (one slot per thread).
enum PendingHostError {
    private final class Box { var error: (any Error)? }
    nonisolated(unsafe) private static var key: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key) { pointer in
            if let pointer { Unmanaged<AnyObject>.fromOpaque(pointer).release() }
        }
        return key
    }()

    private static var box: Box {
        if let pointer = pthread_getspecific(key) {
            return Unmanaged<Box>.fromOpaque(pointer).takeUnretainedValue()
        }
        let box = Box()
        pthread_setspecific(key, Unmanaged.passRetained(box).toOpaque())
        return box
    }

    static func set(_ error: any Error) { box.error = error }
    static func take() -> (any Error)? {
        let b = box
        defer { b.error = nil }
        return b.error
    }
}
