import WasmAOTFormat
import WasmAOTRuntime

/// A WebAssembly value. Floats are kept as bit patterns so NaN payloads survive.
///
/// ```swift
/// let v: Value = .i32(42)
/// print(v)            // 42 : i32
/// ```
public enum Value: Hashable, Sendable, CustomStringConvertible {
    case i32(UInt32)
    case i64(UInt64)
    case f32(UInt32)
    case f64(UInt64)
    /// A function reference: the address of a runtime funcref, or nil for null.
    case funcref(UInt?)
    /// A host value passed through wasm, or nil for null. Payloads must be below `UInt.max`.
    case externref(UInt?)

    public static func float(_ v: Float) -> Value { .f32(v.bitPattern) }
    public static func double(_ v: Double) -> Value { .f64(v.bitPattern) }
    public static func int32(_ v: Int32) -> Value { .i32(UInt32(bitPattern: v)) }
    public static func int64(_ v: Int64) -> Value { .i64(UInt64(bitPattern: v)) }

    public var type: ValType {
        switch self {
        case .i32: return .i32
        case .i64: return .i64
        case .f32: return .f32
        case .f64: return .f64
        case .funcref: return .funcref
        case .externref: return .externref
        }
    }

    /// Typed rendering, e.g. `832040 : i32`, `-1.5 : f64`, `null : externref`.
    public var description: String {
        switch self {
        case .i32(let v): return "\(Int32(bitPattern: v)) : i32"
        case .i64(let v): return "\(Int64(bitPattern: v)) : i64"
        case .f32(let v): return "\(Float(bitPattern: v)) : f32"
        case .f64(let v): return "\(Double(bitPattern: v)) : f64"
        case .funcref(let r): return r.map { "func@0x\(String($0, radix: 16))" } ?? "null" + " : funcref"
        case .externref(let r): return (r.map { "\($0)" } ?? "null") + " : externref"
        }
    }

    // MARK: Cells

    init(cell: wasmaot_value, type: ValType) {
        switch type {
        case .i32: self = .i32(cell.i32)
        case .i64: self = .i64(cell.i64)
        case .f32: self = .f32(cell.i32)
        case .f64: self = .f64(cell.i64)
        case .funcref: self = .funcref(cell.ref.map { UInt(bitPattern: $0) })
        case .externref: self = .externref(cell.ref.map { UInt(bitPattern: $0) - 1 })
        case .v128: self = .i64(cell.i64)  // not reachable: v128 is rejected at compile time for now
        }
    }

    var cell: wasmaot_value {
        var c = wasmaot_value()
        switch self {
        case .i32(let v): c.i32 = v
        case .i64(let v): c.i64 = v
        case .f32(let v): c.i32 = v
        case .f64(let v): c.i64 = v
        case .funcref(let r): c.ref = r.flatMap { UnsafeMutableRawPointer(bitPattern: $0) }
        case .externref(let r): c.ref = r.flatMap { $0 == UInt.max ? nil : UnsafeMutableRawPointer(bitPattern: $0 + 1) }
        }
        return c
    }
}

extension ValType: CustomStringConvertible {
    public var description: String {
        switch self {
        case .i32: return "i32"
        case .i64: return "i64"
        case .f32: return "f32"
        case .f64: return "f64"
        case .v128: return "v128"
        case .funcref: return "funcref"
        case .externref: return "externref"
        }
    }
}

extension FuncType: CustomStringConvertible {
    public var description: String {
        "(\(params.map(\.description).joined(separator: ", "))) -> (\(results.map(\.description).joined(separator: ", ")))"
    }
}
