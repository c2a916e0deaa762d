import WasmAOTFormat
import WasmAOTRuntime

/// A Swift type that maps to one wasm value type.
///
/// The built-in conformances (`Int32`, `UInt32`, `Int64`, `UInt64`, `Float`, `Double`,
/// `SIMD16<UInt8>`) move their bytes straight between Swift and wasm; another conforming
/// type goes through ``wasmValue``.
public protocol WasmValue {
    static var wasmType: ValType { get }
    init(wasmValue: Value)
    var wasmValue: Value { get }
    /// Reads the value from a 16-byte call cell (little-endian, at its start).
    static func load(cell: UnsafeRawPointer) -> Self
    /// Writes the value into a 16-byte call cell.
    func store(cell: UnsafeMutableRawPointer)
}

extension WasmValue {
    public static func load(cell: UnsafeRawPointer) -> Self {
        Self(wasmValue: Value(cell: cell.load(as: wasmaot_value.self), type: wasmType))
    }
    public func store(cell: UnsafeMutableRawPointer) { cell.storeBytes(of: wasmValue.cell, as: wasmaot_value.self) }
}

/// The values whose bytes are the wasm value's bytes (the built-in ``WasmValue`` types).
public protocol _BitwiseWasmValue: WasmValue {}
extension _BitwiseWasmValue {
    @inlinable public static func load(cell: UnsafeRawPointer) -> Self { cell.loadUnaligned(as: Self.self) }
    @inlinable public func store(cell: UnsafeMutableRawPointer) { cell.storeBytes(of: self, as: Self.self) }
}

extension Int32: _BitwiseWasmValue {
    public static var wasmType: ValType { .i32 }
    public init(wasmValue: Value) { if case .i32(let v) = wasmValue { self = Int32(bitPattern: v) } else { self = 0 } }
    public var wasmValue: Value { .i32(UInt32(bitPattern: self)) }
}
extension UInt32: _BitwiseWasmValue {
    public static var wasmType: ValType { .i32 }
    public init(wasmValue: Value) { if case .i32(let v) = wasmValue { self = v } else { self = 0 } }
    public var wasmValue: Value { .i32(self) }
}
extension Int64: _BitwiseWasmValue {
    public static var wasmType: ValType { .i64 }
    public init(wasmValue: Value) { if case .i64(let v) = wasmValue { self = Int64(bitPattern: v) } else { self = 0 } }
    public var wasmValue: Value { .i64(UInt64(bitPattern: self)) }
}
extension UInt64: _BitwiseWasmValue {
    public static var wasmType: ValType { .i64 }
    public init(wasmValue: Value) { if case .i64(let v) = wasmValue { self = v } else { self = 0 } }
    public var wasmValue: Value { .i64(self) }
}
extension Float: _BitwiseWasmValue {
    public static var wasmType: ValType { .f32 }
    public init(wasmValue: Value) { if case .f32(let v) = wasmValue { self = Float(bitPattern: v) } else { self = 0 } }
    public var wasmValue: Value { .f32(bitPattern) }
}
extension Double: _BitwiseWasmValue {
    public static var wasmType: ValType { .f64 }
    public init(wasmValue: Value) { if case .f64(let v) = wasmValue { self = Double(bitPattern: v) } else { self = 0 } }
    public var wasmValue: Value { .f64(bitPattern) }
}
/// A v128 as its 16 bytes in lane order (see ``Value/v128(_:)``).
extension SIMD16: WasmValue, _BitwiseWasmValue where Scalar == UInt8 {
    public static var wasmType: ValType { .v128 }
    public init(wasmValue: Value) { if case .v128(let v) = wasmValue { self = v } else { self = .zero } }
    public var wasmValue: Value { .v128(self) }
}

/// The result of a typed call: nothing (`Void`) or one ``WasmValue``.
public protocol WasmResult {
    static var wasmTypes: [ValType] { get }
    init(wasmValues: [Value])
    /// Reads the result from the call's cells (the first one holds a single result).
    static func load(results: UnsafeRawPointer) -> Self
    /// Writes the result into the call's cells.
    func store(results: UnsafeMutableRawPointer)
}
extension Int32: WasmResult {}
extension UInt32: WasmResult {}
extension Int64: WasmResult {}
extension UInt64: WasmResult {}
extension Float: WasmResult {}
extension Double: WasmResult {}
extension SIMD16: WasmResult where Scalar == UInt8 {}
extension WasmResult where Self: WasmValue {
    public static var wasmTypes: [ValType] { [wasmType] }
    public init(wasmValues: [Value]) { self.init(wasmValue: wasmValues[0]) }
    @inlinable public static func load(results: UnsafeRawPointer) -> Self { load(cell: results) }
    @inlinable public func store(results: UnsafeMutableRawPointer) { store(cell: results) }
}

/// `Void` results, via a wrapper since tuples cannot conform to protocols.
public struct NoResult: WasmResult, Sendable {
    public static var wasmTypes: [ValType] { [] }
    public init(wasmValues: [Value]) {}
    public init() {}
    @inlinable public static func load(results: UnsafeRawPointer) -> NoResult { NoResult() }
    @inlinable public func store(results: UnsafeMutableRawPointer) {}
}

/// Walks the cells of a call, one value after the other. (The typed paths are inlinable so
/// that the caller's compiler specializes them for its types: unspecialized, every call would
/// look up the metadata of its parameter pack.)
@usableFromInline struct CellCursor {
    @usableFromInline var cell: UnsafeMutableRawPointer
    @inlinable init(cell: UnsafeMutableRawPointer) { self.cell = cell }
    @inlinable mutating func store<T: WasmValue>(_ value: T) {
        value.store(cell: cell)
        cell += MemoryLayout<wasmaot_value>.stride
    }
    @inlinable mutating func load<T: WasmValue>(_ type: T.Type) -> T {
        defer { cell += MemoryLayout<wasmaot_value>.stride }
        return T.load(cell: cell)
    }
}

@usableFromInline func wasmTypes<each P: WasmValue>(of _: repeat (each P).Type) -> [ValType] {
    var types: [ValType] = []
    for p in repeat (each P).self { types.append(p.wasmType) }
    return types
}

/// The bytes from one call cell to the next.
@usableFromInline let cellStride = MemoryLayout<wasmaot_value>.stride

extension Exports {
    /// Export `name`, checked to be a function of type `params -> results` (once, when a typed
    /// closure is made).
    @usableFromInline func typedFunction(_ name: String, _ params: [ValType], _ results: [ValType]) throws(UsageError) -> Function {
        let function = try self.function(name)
        let want = FuncType(params: params, results: results)
        guard function.type == want else {
            throw UsageError("export '\(name)' has type \(function.type), not \(want)")
        }
        return function
    }

    /// An exported function as a typed Swift closure; its wasm type is checked once, here.
    /// A call moves the arguments and the result as they are, without boxing them or
    /// allocating. (This variadic form serves any number of parameters; up to four,
    /// the overloads in TypedArities.swift take its place and cost less per call.)
    ///
    /// ```swift
    /// let fib = try instance.exports.function("fib", ((Int32) -> Int32).self)
    /// let n: Int32 = try fib(30)
    /// ```
    @inlinable public func function<each P: WasmValue, R: WasmResult>(
        _ name: String, _ signature: ((repeat each P) -> R).Type
    ) throws(UsageError) -> (repeat each P) throws -> R {
        let function = try typedFunction(name, wasmTypes(of: repeat (each P).self), R.wasmTypes)
        return { (args: repeat each P) throws -> R in
            try function.callTyped(R.self) { cells in
                var cursor = CellCursor(cell: cells)
                repeat cursor.store(each args)
            }
        }
    }

    /// Like ``function(_:_:)`` for functions without results.
    @inlinable public func function<each P: WasmValue>(
        _ name: String, _ signature: ((repeat each P) -> Void).Type
    ) throws(UsageError) -> (repeat each P) throws -> Void {
        let call = try function(name, ((repeat each P) -> NoResult).self)
        return { (args: repeat each P) throws in _ = try call(repeat each args) }
    }
}

extension Function {
    /// A call whose arguments `store` writes into the cells, and whose result is read back as `R`.
    @inlinable @inline(__always) @discardableResult final func callTyped<R: WasmResult>(
        _: R.Type, _ store: (UnsafeMutableRawPointer) -> Void
    ) throws -> R {
        // Up to four cells (the fixed-arity forms) live in a fixed-size local: no dynamic stack allocation.
        if cellCount <= 4 {
            var four = (wasmaot_value(), wasmaot_value(), wasmaot_value(), wasmaot_value())
            return try withUnsafeMutableBytes(of: &four) { raw in
                let cells = raw.baseAddress!.assumingMemoryBound(to: wasmaot_value.self)
                store(raw.baseAddress!)
                try invoke(cells)
                return R.load(results: cells)
            }
        }
        return try withUnsafeTemporaryAllocation(of: wasmaot_value.self, capacity: cellCount) { buffer in
            let cells = buffer.baseAddress!
            store(UnsafeMutableRawPointer(cells))
            try invoke(cells)
            return R.load(results: cells)
        }
    }
}

extension HostFunction {
    /// A host function whose wasm type is its closure's: `(Caller, P...) -> R`.
    ///
    /// ```swift
    /// let scale = HostFunction { (caller: Caller, x: Int32, factor: Double) -> Double in
    ///     Double(x) * factor
    /// }
    /// ```
    @inlinable public convenience init<each P: WasmValue, R: WasmResult>(_ body: @escaping (Caller, repeat each P) throws -> R) {
        let type = FuncType(params: wasmTypes(of: repeat (each P).self), results: R.wasmTypes)
        self.init(
            type: type,
            cellBody: { caller, cells in
                var cursor = CellCursor(cell: UnsafeMutableRawPointer(cells))
                let result = try body(caller, repeat cursor.load((each P).self))
                result.store(results: cells)
            })
    }

    /// A host function whose wasm type is its closure's, without the ``Caller``: `(P...) -> R`.
    @inlinable public convenience init<each P: WasmValue, R: WasmResult>(_ body: @escaping (repeat each P) throws -> R) {
        self.init { (_: Caller, args: repeat each P) throws -> R in try body(repeat each args) }
    }

    /// A typed host function without results: `(Caller, P...) -> Void`.
    @inlinable public convenience init<each P: WasmValue>(_ body: @escaping (Caller, repeat each P) throws -> Void) {
        self.init { (caller: Caller, args: repeat each P) throws -> NoResult in
            try body(caller, repeat each args)
            return NoResult()
        }
    }

    /// A typed host function without results or ``Caller``: `(P...) -> Void`.
    @inlinable public convenience init<each P: WasmValue>(_ body: @escaping (repeat each P) throws -> Void) {
        self.init { (_: Caller, args: repeat each P) throws -> NoResult in
            try body(repeat each args)
            return NoResult()
        }
    }
}
