import WasmTypes

/// Conversions to and from WasmKit's value type (`WasmTypes.Value`), for the
/// parts of this package that drive WasmKit's libraries (WASI, the interpreter oracle).
extension Value {
    /// WasmKit's spelling of a value. An externref keeps its host value; a non-null
    /// funcref of ours means nothing to WasmKit and is passed as null (only null
    /// function references are ever handed to the interpreter oracle).
    package var wasmTypesValue: WasmTypes.Value {
        switch self {
        case .i32(let x): return .i32(x)
        case .i64(let x): return .i64(x)
        case .f32(let x): return .f32(x)
        case .f64(let x): return .f64(x)
        case .funcref: return .ref(.function(nil))
        case .exnref: return .ref(.exception(nil))
        case .externref(let x): return .ref(.extern(x.map { Int(bitPattern: $0) }))
        case .v128(let bytes): return .v128(V128(bytes: (0..<16).map { bytes[$0] }))
        }
    }

    /// A WasmKit value; nil for exception and GC references. Non-null references keep
    /// WasmKit's own address (meaningful to WasmKit only; null-ness compares across engines).
    package init?(_ value: WasmTypes.Value) {
        switch value {
        case .i32(let x): self = .i32(x)
        case .i64(let x): self = .i64(x)
        case .f32(let x): self = .f32(x)
        case .f64(let x): self = .f64(x)
        case .ref(.function(let address)): self = .funcref(address.map { UInt(bitPattern: $0) })
        case .ref(.extern(let address)): self = .externref(address.map { UInt(bitPattern: $0) })
        case .v128(let v): self = .v128(SIMD16(v.bytes))
        default: return nil
        }
    }
}
