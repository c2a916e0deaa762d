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
    /// A 128-bit vector: its 16 bytes in lane order (lane 0 of any shape first,
    /// each lane little-endian), as wasm's memory would hold it.
    ///
    /// ```swift
    /// let ones: Value = .v128(SIMD16(repeating: 1))   // i8x16.splat 1
    /// print(ones)   // 0x01010101 0x01010101 0x01010101 0x01010101 : v128
    /// ```
    case v128(SIMD16<UInt8>)
    /// An exception reference: the address of a runtime exception, or nil for null. An
    /// exception the host holds a reference to is never freed (see docs/architecture.md).
    case exnref(UInt?)

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
        case .v128: return .v128
        case .exnref: return .exnref
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
        case .exnref(let r): return (r.map { "exn@0x\(String($0, radix: 16))" } ?? "null") + " : exnref"
        case .v128(let bytes):
            // As i32x4 lanes, the way wasm text writes a v128 without a shape.
            let lanes = (0..<4).map { lane in
                let word = (0..<4).reduce(UInt32(0)) { $0 | UInt32(bytes[lane * 4 + $1]) << (8 * $1) }
                let hex = String(word, radix: 16)
                return "0x" + String(repeating: "0", count: 8 - hex.count) + hex
            }
            return lanes.joined(separator: " ") + " : v128"
        }
    }

    // MARK: Cells

    init(cell: wasmaot_value, type: ValType) {
        switch type {
        case .i32: self = .i32(cell.i32)
        case .i64: self = .i64(cell.i64)
        case .f32: self = .f32(cell.i32)
        case .f64: self = .f64(cell.i64)
        case .ref(let reference) where reference.heap.top == .extern:
            self = .externref(cell.ref.map { UInt(bitPattern: $0) - 1 })
        case .ref(let reference) where reference.heap.top == .exn:
            wasmaot_exception_pin(cell.ref)
            self = .exnref(cell.ref.map { UInt(bitPattern: $0) })
        case .ref: self = .funcref(cell.ref.map { UInt(bitPattern: $0) })
        case .v128:
            var bytes = SIMD16<UInt8>()
            withUnsafeBytes(of: cell) { raw in for i in 0..<16 { bytes[i] = raw[i] } }
            self = .v128(bytes)
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
        case .v128(let bytes): withUnsafeMutableBytes(of: &c) { raw in for i in 0..<16 { raw[i] = bytes[i] } }
        case .exnref(let r): c.ref = r.flatMap { UnsafeMutableRawPointer(bitPattern: $0) }
        }
        return c
    }
}

// MARK: Typing

extension Value {
    /// Whether this value is of `type`, as the API states types (a concrete reference names a
    /// type id): the same representation, null only for a nullable type, and a function of the
    /// named type for a concrete one.
    public func conforms(to type: ValType) -> Bool {
        guard case .ref(let reference) = type else { return self.type == type }
        guard self.type == type.storage else { return false }
        switch self {
        case .funcref(nil), .externref(nil), .exnref(nil): return reference.nullable
        default: break
        }
        switch reference.heap {
        case .nofunc, .noextern, .noexn: return false
        case .concrete(let id):
            guard case .funcref(let address?) = self, let funcref = UnsafePointer<wasmaot_funcref>(bitPattern: address) else {
                return false
            }
            return funcref.pointee.type_id == id
        case .func, .extern, .exn: return true
        }
    }
}

// MARK: Text

extension Value {
    /// Parses a value of `type` as a command line writes it: a decimal integer (signed or
    /// unsigned), a float (`1.5`, `nan`, `inf`), `null` or a number for externref, `null` for
    /// funcref, and for v128 32 hex digits, most significant first (`0x…` of a 128-bit integer).
    ///
    /// ```swift
    /// print(Value(parsing: "-1", as: .i32)!)   // -1 : i32
    /// ```
    public init?(parsing text: String, as type: ValType) {
        switch type {
        case .i32:
            guard let v = Int32(text).map({ UInt32(bitPattern: $0) }) ?? UInt32(text) else { return nil }
            self = .i32(v)
        case .i64:
            guard let v = Int64(text).map({ UInt64(bitPattern: $0) }) ?? UInt64(text) else { return nil }
            self = .i64(v)
        case .f32:
            guard let v = Float(text) else { return nil }
            self = .f32(v.bitPattern)
        case .f64:
            guard let v = Double(text) else { return nil }
            self = .f64(v.bitPattern)
        case .ref(let reference):
            if reference.heap.top == .extern, reference.heap != .noextern, let v = UInt(text), v != .max {
                self = .externref(v)
                return
            }
            guard text == "null", reference.nullable else { return nil }
            self = .null(type)
        case .v128:
            var hex = Substring(text)
            if hex.hasPrefix("0x") { hex = hex.dropFirst(2) }
            guard hex.count == 32, hex.allSatisfy(\.isHexDigit) else { return nil }
            var bytes = SIMD16<UInt8>()
            for i in 0..<16 {
                let end = hex.index(hex.endIndex, offsetBy: -2 * i)
                guard let byte = UInt8(hex[hex.index(end, offsetBy: -2)..<end], radix: 16) else { return nil }
                bytes[i] = byte
            }
            self = .v128(bytes)
        }
    }

    /// Parses one text per parameter of a function type (see ``init(parsing:as:)``).
    ///
    /// ```swift
    /// let args = try Value.parse(["30"], as: fib.type.params)
    /// ```
    public static func parse(_ texts: [String], as types: [ValType]) throws(UsageError) -> [Value] {
        guard texts.count == types.count else {
            throw UsageError("expected \(types.count) argument\(types.count == 1 ? "" : "s"), got \(texts.count)")
        }
        var values: [Value] = []
        for (text, type) in zip(texts, types) {
            guard let v = Value(parsing: text, as: type) else { throw UsageError("cannot parse '\(text)' as \(type)") }
            values.append(v)
        }
        return values
    }
}

// MARK: Constant expressions

/// Instantiation evaluates constant expressions on `Value`s; the cases `i32` ... `v128` are
/// the protocol's constructors.
extension Value: ConstExprValue {
    public static func null(_ type: ValType) -> Value {
        switch type.storage {
        case .externref: .externref(nil)
        case .exnref: .exnref(nil)
        default: .funcref(nil)
        }
    }

    public var i32Bits: UInt32? { if case .i32(let bits) = self { bits } else { nil } }

    public var i64Bits: UInt64? { if case .i64(let bits) = self { bits } else { nil } }
    /// An address or size: an i32 or i64 value, unsigned.
    var address: UInt64? {
        switch self {
        case .i32(let bits): UInt64(bits)
        case .i64(let bits): bits
        default: nil
        }
    }
}
