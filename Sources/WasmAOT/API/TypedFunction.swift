import WasmAOTFormat
import WasmAOTRuntime

/// A Swift type that maps to one wasm value type.
public protocol WasmValue {
    static var wasmType: ValType { get }
    init(wasmValue: Value)
    var wasmValue: Value { get }
}

extension Int32: WasmValue {
    public static var wasmType: ValType { .i32 }
    public init(wasmValue: Value) { if case .i32(let v) = wasmValue { self = Int32(bitPattern: v) } else { self = 0 } }
    public var wasmValue: Value { .i32(UInt32(bitPattern: self)) }
}
extension UInt32: WasmValue {
    public static var wasmType: ValType { .i32 }
    public init(wasmValue: Value) { if case .i32(let v) = wasmValue { self = v } else { self = 0 } }
    public var wasmValue: Value { .i32(self) }
}
extension Int64: WasmValue {
    public static var wasmType: ValType { .i64 }
    public init(wasmValue: Value) { if case .i64(let v) = wasmValue { self = Int64(bitPattern: v) } else { self = 0 } }
    public var wasmValue: Value { .i64(UInt64(bitPattern: self)) }
}
extension UInt64: WasmValue {
    public static var wasmType: ValType { .i64 }
    public init(wasmValue: Value) { if case .i64(let v) = wasmValue { self = v } else { self = 0 } }
    public var wasmValue: Value { .i64(self) }
}
extension Float: WasmValue {
    public static var wasmType: ValType { .f32 }
    public init(wasmValue: Value) { if case .f32(let v) = wasmValue { self = Float(bitPattern: v) } else { self = 0 } }
    public var wasmValue: Value { .f32(bitPattern) }
}
extension Double: WasmValue {
    public static var wasmType: ValType { .f64 }
    public init(wasmValue: Value) { if case .f64(let v) = wasmValue { self = Double(bitPattern: v) } else { self = 0 } }
    public var wasmValue: Value { .f64(bitPattern) }
}
/// A v128 as its 16 bytes in lane order (see ``Value/v128(_:)``).
extension SIMD16: WasmValue where Scalar == UInt8 {
    public static var wasmType: ValType { .v128 }
    public init(wasmValue: Value) { if case .v128(let v) = wasmValue { self = v } else { self = .zero } }
    public var wasmValue: Value { .v128(self) }
}

/// The result of a typed call: nothing (`Void`) or one ``WasmValue``.
public protocol WasmResult {
    static var wasmTypes: [ValType] { get }
    init(wasmValues: [Value])
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
}

/// `Void` results, via a wrapper since tuples cannot conform to protocols.
public struct NoResult: WasmResult, Sendable {
    public static var wasmTypes: [ValType] { [] }
    public init(wasmValues: [Value]) {}
}

extension Exports {
    /// An exported function as a typed Swift closure; its wasm type is checked once, here.
    ///
    /// ```swift
    /// let fib = try instance.exports.function("fib", ((Int32) -> Int32).self)
    /// let n: Int32 = try fib(30)
    /// ```
    public func function<each P: WasmValue, R: WasmResult>(
        _ name: String, _ signature: ((repeat each P) -> R).Type
    ) throws(UsageError) -> (repeat each P) throws -> R {
        let function = try self.function(name)
        var params: [ValType] = []
        for p in repeat (each P).self { params.append(p.wasmType) }
        let want = FuncType(params: params, results: R.wasmTypes)
        guard function.type == want else {
            throw UsageError("export '\(name)' has type \(function.type), not \(want)")
        }
        return { (args: repeat each P) throws -> R in
            var cells: [wasmaot_value] = []
            for a in repeat each args { cells.append(a.wasmValue.cell) }
            let results = try function.invoke(cells: cells)
            return R(wasmValues: zip(results, want.results).map { Value(cell: $0, type: $1) })
        }
    }

    /// Like ``function(_:_:)`` for functions without results.
    public func function<each P: WasmValue>(
        _ name: String, _ signature: ((repeat each P) -> Void).Type
    ) throws(UsageError) -> (repeat each P) throws -> Void {
        let call = try function(name, ((repeat each P) -> NoResult).self)
        return { (args: repeat each P) throws in _ = try call(repeat each args) }
    }
}
