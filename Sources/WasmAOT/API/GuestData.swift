import Foundation
import WasmAOTFormat

/// A module's own allocator: how the host gets guest memory to pass data in — ask the guest for
/// memory, copy the bytes in, call with `(pointer, length)`, free. Found among the module's exports
/// (``Instance/allocator(malloc:free:realloc:)``): `malloc` and `free` (C, C++, Zig, Rust with an
/// exported allocator), else `cabi_realloc` (the component model's). Addresses are `UInt64`, for
/// 32-bit and 64-bit memories alike.
///
/// ```swift
/// let allocator = try instance.allocator()
/// let length = try allocator.withCopy(of: Array("hello".utf8)) { address, count in
///     try instance.exports.function("count_vowels").call([.i32(UInt32(address)), .i32(UInt32(count))])
/// }
/// ```
public struct GuestAllocator: Sendable {
    /// The memory the allocator hands out (the module's exported "memory", else its memory 0).
    public let memory: Memory
    private enum Functions: Sendable {
        case mallocFree(malloc: Function, free: Function)
        case realloc(Function)
    }
    private let functions: Functions
    /// Whether addresses and sizes are i64 (a 64-bit memory's allocator).
    private let is64: Bool

    fileprivate init(memory: Memory, malloc: Function, free: Function) throws(UsageError) {
        let is64 = memory.limits.is64
        let address: ValType = is64 ? .i64 : .i32
        guard malloc.type == FuncType(params: [address], results: [address]) else {
            throw UsageError("the allocator's malloc has type \(malloc.type), expected (\(address)) -> (\(address))")
        }
        guard free.type == FuncType(params: [address], results: []) else {
            throw UsageError("the allocator's free has type \(free.type), expected (\(address)) -> ()")
        }
        self.memory = memory
        self.functions = .mallocFree(malloc: malloc, free: free)
        self.is64 = is64
    }

    fileprivate init(memory: Memory, realloc: Function) throws(UsageError) {
        let is64 = memory.limits.is64
        let address: ValType = is64 ? .i64 : .i32
        guard realloc.type == FuncType(params: Array(repeating: address, count: 4), results: [address]) else {
            throw UsageError("cabi_realloc has type \(realloc.type), expected (\(address) ×4) -> (\(address))")
        }
        self.memory = memory
        self.functions = .realloc(realloc)
        self.is64 = is64
    }

    /// Asks the guest for `count` bytes aligned to `alignment`; returns their address.
    /// A null result (the guest is out of memory) and a range outside the memory are errors.
    public func allocate(_ count: Int, alignment: Int = 8) throws -> UInt64 {
        let results: [Value]
        switch functions {
        case .mallocFree(let malloc, _):
            results = try malloc.call([value(count)])
        case .realloc(let realloc):
            results = try realloc.call([value(0), value(0), value(alignment), value(count)])
        }
        guard let address = results.first?.address, address != 0 || count == 0 else {
            throw UsageError("the guest could not allocate \(count) bytes")
        }
        guard address <= UInt64(Int.max) else { throw UsageError("the guest allocated \(count) bytes at \(address), out of bounds") }
        try memory.check(Int(address), count, "allocation")
        return address
    }

    /// Gives back memory ``allocate(_:alignment:)`` returned (with the same size and alignment).
    public func free(_ address: UInt64, count: Int, alignment: Int = 8) throws {
        switch functions {
        case .mallocFree(_, let free):
            _ = try free.call([is64 ? .i64(address) : .i32(UInt32(truncatingIfNeeded: address))])
        case .realloc(let realloc):
            _ = try realloc.call([
                is64 ? .i64(address) : .i32(UInt32(truncatingIfNeeded: address)), value(count), value(alignment), value(0),
            ])
        }
    }

    /// Copies `bytes` into memory the guest allocates; the caller frees it.
    public func copy(_ bytes: some ContiguousBytes) throws -> UInt64 {
        let count = bytes.withUnsafeBytes(\.count)
        let address = try allocate(count)
        do {
            try memory.write(bytes, at: Int(address))
        } catch {
            try? free(address, count: count)
            throw error
        }
        return address
    }

    /// Copies `bytes` into guest memory, calls `body` with their address and length, and frees
    /// them afterwards — also when `body` throws (a trap of the guest included).
    public func withCopy<R>(of bytes: some ContiguousBytes, _ body: (_ address: UInt64, _ count: Int) throws -> R) throws -> R {
        let count = bytes.withUnsafeBytes(\.count)
        let address = try copy(bytes)
        do {
            let result = try body(address, count)
            try free(address, count: count)
            return result
        } catch {
            try? free(address, count: count)
            throw error
        }
    }

    /// A size or address as the allocator's functions take it.
    fileprivate func value(_ n: Int) -> Value { is64 ? .i64(UInt64(n)) : .i32(UInt32(truncatingIfNeeded: n)) }
}

/// How an export hands data back to the host (``Instance/call(_:passing:extra:returning:freeingResult:)``).
public enum ReturnedData: Sendable {
    /// Nothing: the results are ignored.
    case nothing
    /// Two results, the data's address and length.
    case addressAndLength
    /// One result: the address of a record of two little-endian words (the address and the
    /// length; 32-bit words for a 32-bit memory, 64-bit for a 64-bit one).
    case record
    /// One result: the address of a NUL-terminated string (returned without its NUL).
    case nulTerminated
}

extension Instance {
    /// The allocator the module exports: `malloc` and `free` (or the names given), else
    /// `cabi_realloc`. Throws a ``UsageError`` naming what is missing.
    public func allocator(
        malloc: String = "malloc", free: String = "free", realloc: String = "cabi_realloc"
    ) throws(UsageError) -> GuestAllocator {
        guard let memory = defaultMemory else { throw UsageError("the module has no memory to pass data in") }
        let functions = Dictionary(
            exports.filter { $0.kind == .function }.map { ($0.name, $0.index) }, uniquingKeysWith: { first, _ in first })
        if let m = functions[malloc], let f = functions[free] {
            return try GuestAllocator(memory: memory, malloc: function(at: m), free: function(at: f))
        }
        if let r = functions[realloc] { return try GuestAllocator(memory: memory, realloc: function(at: r)) }
        throw UsageError(
            "the module exports no allocator: neither \"\(malloc)\" and \"\(free)\" nor \"\(realloc)\" "
                + "(export the guest's allocator, or name its functions)")
    }

    /// Calls export `name` the way the seed's host interface does: each input is copied into
    /// memory from the module's allocator and passed as `(address, length)`, followed by `extra`;
    /// the data the export returns (`returning`) is read back; the inputs are freed — also when
    /// the call traps — and, with `freeingResult`, so is the returned data (when the guest hands
    /// over memory it allocated with the same allocator).
    ///
    /// ```swift
    /// let upper = try instance.call("to_upper", passing: [Array("hi".utf8)], returning: .addressAndLength,
    ///                               freeingResult: true)   // Array("HI".utf8)
    /// ```
    public func call(
        _ name: String, passing inputs: [some ContiguousBytes], extra: [Value] = [], returning: ReturnedData,
        freeingResult: Bool = false, allocator: GuestAllocator? = nil
    ) throws -> [UInt8] {
        let allocator = try allocator ?? self.allocator()
        let function = try exports.function(name)
        var copied: [(address: UInt64, count: Int)] = []
        defer { for (address, count) in copied.reversed() { try? allocator.free(address, count: count) } }
        var arguments: [Value] = []
        for input in inputs {
            let count = input.withUnsafeBytes(\.count)
            let address = try allocator.copy(input)
            copied.append((address, count))
            arguments += [allocator.value(Int(address)), allocator.value(count)]
        }
        let results = try function.call(arguments + extra)
        let memory = allocator.memory
        let wide = memory.limits.is64
        func result(_ i: Int) throws -> Int {
            guard i < results.count, let n = results[i].address, n <= UInt64(Int.max) else {
                throw UsageError("\(name) returned \(results), expected \(returning)")
            }
            return Int(n)
        }
        let (address, count): (Int, Int)
        switch returning {
        case .nothing: return []
        case .addressAndLength: (address, count) = (try result(0), try result(1))
        case .record:
            let record = try result(0)
            if wide {
                let (a, n) = (try memory.load(UInt64.self, at: record), try memory.load(UInt64.self, at: record + 8))
                guard a <= UInt64(Int.max), n <= UInt64(Int.max) else {
                    throw UsageError("\(name) returned the range \(a) + \(n), out of bounds")
                }
                (address, count) = (Int(a), Int(n))
            } else {
                (address, count) = (Int(try memory.load(UInt32.self, at: record)), Int(try memory.load(UInt32.self, at: record + 4)))
            }
        case .nulTerminated:
            let start = try result(0)
            try memory.check(start, 0, "string read")
            let length = try memory.withUnsafeBytes(at: start, count: memory.byteCount - start) { $0.firstIndex(of: 0) }
            guard let length else { throw UsageError("\(name) returned a string at \(start) with no NUL before the end of memory") }
            let data = try memory.read(at: start, count: length)
            if freeingResult { try allocator.free(UInt64(start), count: length + 1) }
            return data
        }
        let data = try memory.read(at: address, count: count)
        if freeingResult { try allocator.free(UInt64(address), count: count) }
        return data
    }
}
