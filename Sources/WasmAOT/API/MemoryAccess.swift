/// Typed access to a linear memory: little-endian numbers, strings and byte windows, each
/// checked against the memory's size at the time of the access (a guest may grow its memory
/// between two calls; the base address never moves).
extension Memory {
    /// Loads a little-endian integer at `offset`.
    ///
    /// ```swift
    /// try memory.store(UInt32(0xCAFE), at: 16)
    /// let value = try memory.load(UInt32.self, at: 16)   // 0xCAFE
    /// ```
    public func load<T: FixedWidthInteger>(_ type: T.Type = T.self, at offset: Int) throws(UsageError) -> T {
        try check(offset, MemoryLayout<T>.size, "load of \(T.self)")
        return T(littleEndian: (baseAddress + offset).loadUnaligned(as: T.self))
    }

    /// Stores a little-endian integer at `offset`.
    public func store<T: FixedWidthInteger>(_ value: T, at offset: Int) throws(UsageError) {
        try check(offset, MemoryLayout<T>.size, "store of \(T.self)")
        (baseAddress + offset).storeBytes(of: value.littleEndian, as: T.self)
    }

    /// Loads an IEEE 754 `f32` at `offset` (every bit of a NaN kept).
    public func load(_ type: Float.Type, at offset: Int) throws(UsageError) -> Float {
        Float(bitPattern: try load(UInt32.self, at: offset))
    }

    /// Loads an IEEE 754 `f64` at `offset` (every bit of a NaN kept).
    public func load(_ type: Double.Type, at offset: Int) throws(UsageError) -> Double {
        Double(bitPattern: try load(UInt64.self, at: offset))
    }

    /// Stores an IEEE 754 `f32` at `offset`.
    public func store(_ value: Float, at offset: Int) throws(UsageError) { try store(value.bitPattern, at: offset) }

    /// Stores an IEEE 754 `f64` at `offset`.
    public func store(_ value: Double, at offset: Int) throws(UsageError) { try store(value.bitPattern, at: offset) }

    /// The UTF-8 text of `count` bytes at `offset` (an ill-formed sequence reads as U+FFFD).
    public func readString(at offset: Int, count: Int) throws(UsageError) -> String {
        String(decoding: try read(at: offset, count: count), as: UTF8.self)
    }

    /// The NUL-terminated UTF-8 string at `offset`, without its NUL. Searches at most `limit`
    /// bytes (default: to the end of the memory); a string that does not end before is an error.
    ///
    /// ```swift
    /// try memory.write(Array("hi\0".utf8), at: 64)
    /// try memory.readString(at: 64)   // "hi"
    /// ```
    public func readString(at offset: Int, limit: Int? = nil) throws(UsageError) -> String {
        try check(offset, 0, "string read")
        let available = byteCount - offset
        let window = UnsafeRawBufferPointer(start: baseAddress + offset, count: min(available, max(limit ?? available, 0)))
        guard let end = window.firstIndex(of: 0) else {
            throw UsageError("no NUL within \(window.count) bytes of the string at \(offset) (memory size \(byteCount))")
        }
        return String(decoding: window[..<end], as: UTF8.self)
    }

    /// Calls `body` with the `count` bytes at `offset`. The pointer is valid only inside `body`,
    /// which must not call into the guest (a call may grow or write the memory).
    public func withUnsafeBytes<R>(
        at offset: Int, count: Int, _ body: (UnsafeRawBufferPointer) throws -> R
    ) throws -> R {
        try check(offset, count, "access")
        return try body(UnsafeRawBufferPointer(start: baseAddress + offset, count: count))
    }

    /// Calls `body` with the `count` bytes at `offset`, writable. The same rules as
    /// ``withUnsafeBytes(at:count:_:)``.
    public func withUnsafeMutableBytes<R>(
        at offset: Int, count: Int, _ body: (UnsafeMutableRawBufferPointer) throws -> R
    ) throws -> R {
        try check(offset, count, "access")
        return try body(UnsafeMutableRawBufferPointer(start: baseAddress + offset, count: count))
    }

    /// Throws unless `offset ..< offset + count` lies in the memory as it is now.
    func check(_ offset: Int, _ count: Int, _ what: String) throws(UsageError) {
        let size = byteCount
        guard offset >= 0, count >= 0, offset <= size, count <= size - offset else {
            throw UsageError("memory \(what) of \(count) bytes at \(offset) is out of bounds (size \(size))")
        }
    }
}
