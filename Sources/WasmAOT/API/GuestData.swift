import Foundation
import WasmAOTFormat
import WasmAOTRuntime

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
        let address: UInt64
        switch functions {
        case .mallocFree(let malloc, _):
            address = try malloc.callWithWords(is64, [UInt64(count)])
        case .realloc(let realloc):
            address = try realloc.callWithWords(is64, [0, 0, UInt64(alignment), UInt64(count)])
        }
        guard address != 0 || count == 0 else { throw UsageError("the guest could not allocate \(count) bytes") }
        guard address <= UInt64(Int.max) else { throw UsageError("the guest allocated \(count) bytes at \(address), out of bounds") }
        try memory.check(Int(address), count, "allocation")
        return address
    }

    /// Gives back memory ``allocate(_:alignment:)`` returned (with the same size and alignment).
    public func free(_ address: UInt64, count: Int, alignment: Int = 8) throws {
        switch functions {
        case .mallocFree(_, let free):
            _ = try free.callWithWords(is64, [address])
        case .realloc(let realloc):
            _ = try realloc.callWithWords(is64, [address, UInt64(count), UInt64(alignment), 0])
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

    /// Whether addresses and sizes are i64.
    fileprivate var wide: Bool { is64 }
}

extension Function {
    /// Calls a function whose parameters are all addresses or sizes (i64 when `is64`, else i32),
    /// without boxing them; returns its first result as an address (0 without results).
    fileprivate func callWithWords(_ is64: Bool, _ words: [UInt64]) throws -> UInt64 {
        try withUnsafeTemporaryAllocation(of: wasmaot_value.self, capacity: cellCount) { buffer in
            let cells = buffer.baseAddress!
            for (i, word) in words.enumerated() { cells[i] = Function.cell(word, is64) }
            try invoke(cells)
            guard !type.results.isEmpty else { return 0 }
            return is64 ? cells[0].i64 : UInt64(cells[0].i32)
        }
    }

    fileprivate static func cell(_ word: UInt64, _ is64: Bool) -> wasmaot_value {
        var cell = wasmaot_value()
        if is64 { cell.i64 = word } else { cell.i32 = UInt32(truncatingIfNeeded: word) }
        return cell
    }
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
        try allocator(malloc: malloc, free: free, realloc: realloc, function: function(at:))
    }

    /// The allocator of `call(_:passing:…)` without one: the default names, found once.
    private func ownAllocator() throws(UsageError) -> GuestAllocator {
        if let allocator = defaultAllocator.withLock({ $0 }) { return allocator }
        let allocator = try allocator(malloc: "malloc", free: "free", realloc: "cabi_realloc", function: ownFunction(at:))
        defaultAllocator.withLock { $0 = allocator }
        return allocator
    }

    private func allocator(
        malloc: String, free: String, realloc: String, function: (UInt32) -> Function
    ) throws(UsageError) -> GuestAllocator {
        guard let memory = defaultMemory else { throw UsageError("the module has no memory to pass data in") }
        let functions = Dictionary(
            exports.filter { $0.kind == .function }.map { ($0.name, $0.index) }, uniquingKeysWith: { first, _ in first })
        if let m = functions[malloc], let f = functions[free] {
            return try GuestAllocator(memory: memory, malloc: function(m), free: function(f))
        }
        if let r = functions[realloc] { return try GuestAllocator(memory: memory, realloc: function(r)) }
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
        try withInputs(name, inputs, extra, allocator) { function, cells, allocator in
            // The results as addresses and lengths (nil: not an integer).
            let results = function.type.results.indices.map { Value(cell: cells[$0], type: function.type.results[$0]).address }
            return try read(returning, of: name, function.type, results, freeingResult: freeingResult, allocator)
        }
    }

    /// Like ``call(_:passing:extra:returning:freeingResult:allocator:)``, returning the export's
    /// results as values (`count_vowels(address, length) -> i32`, say).
    public func call(
        _ name: String, passing inputs: [some ContiguousBytes], extra: [Value] = [], allocator: GuestAllocator? = nil
    ) throws -> [Value] {
        try withInputs(name, inputs, extra, allocator) { function, cells, _ in
            function.type.results.indices.map { Value(cell: cells[$0], type: function.type.results[$0]) }
        }
    }

    /// Copies `inputs` in, calls `name` with their `(address, length)` pairs and `extra`, and runs
    /// `body` on the result cells; frees the inputs afterwards, also when something throws.
    private func withInputs<R>(
        _ name: String, _ inputs: [some ContiguousBytes], _ extra: [Value], _ allocator: GuestAllocator?,
        _ body: (Function, UnsafeMutablePointer<wasmaot_value>, GuestAllocator) throws -> R
    ) throws -> R {
        let allocator = try allocator ?? ownAllocator()
        let function = ownFunction(at: try exports.find(name, .function))
        let wide = allocator.wide
        let addressType: ValType = wide ? .i64 : .i32
        let expected = Array(repeating: addressType, count: 2 * inputs.count) + extra.map(\.type)
        guard function.type.params.count == expected.count,
            zip(extra, function.type.params.suffix(extra.count)).allSatisfy({ $0.conforms(to: $1) }),
            function.type.params.prefix(2 * inputs.count).allSatisfy({ $0 == addressType })
        else {
            throw UsageError(
                "\(name) has type \(function.type); passing \(inputs.count) inputs and \(extra.count) more values needs (\(expected.map(\.description).joined(separator: ", ")))"
            )
        }
        var copied: [(address: UInt64, count: Int)] = []
        copied.reserveCapacity(inputs.count)
        defer { for (address, count) in copied.reversed() { try? allocator.free(address, count: count) } }
        for input in inputs {
            let count = input.withUnsafeBytes(\.count)
            copied.append((try allocator.copy(input), count))
        }
        return try withUnsafeTemporaryAllocation(of: wasmaot_value.self, capacity: function.cellCount) { buffer in
            let cells = buffer.baseAddress!
            for (i, input) in copied.enumerated() {
                cells[2 * i] = Function.cell(input.address, wide)
                cells[2 * i + 1] = Function.cell(UInt64(input.count), wide)
            }
            for (i, value) in extra.enumerated() { cells[2 * copied.count + i] = value.cell }
            try function.invoke(cells)
            return try body(function, cells, allocator)
        }
    }

    /// The data an export returned as `returning` describes (`results` are its results as
    /// addresses, nil where not an integer), freed with `freeingResult`.
    private func read(
        _ returning: ReturnedData, of name: String, _ type: FuncType, _ results: [UInt64?], freeingResult: Bool,
        _ allocator: GuestAllocator
    ) throws -> [UInt8] {
        let wide = allocator.wide
        let memory = allocator.memory
        func result(_ i: Int) throws -> Int {
            guard i < results.count, let n = results[i], n <= UInt64(Int.max) else {
                throw UsageError("\(name) returned \(results.count) values of type \(type.results), expected \(returning)")
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
