import WasmAOTFormat
import WasmParser
import WasmTypes

// Subtyping in validation: WasmParser's types are converted to the format's, whose rules
// (WasmAOTFormat/Subtyping.swift) the metadata checks and the loader's import matching share.

extension ValidationContext {
    /// Whether a value of type `a` may be used where `b` is expected.
    func matches(_ a: ValueType, _ b: ValueType) -> Bool {
        guard case .ref(let x) = a, case .ref(let y) = b else { return a == b }
        return matches(x, y)
    }

    func matches(_ a: ReferenceType, _ b: ReferenceType) -> Bool {
        (b.isNullable || !a.isNullable) && matches(a.heapType, b.heapType)
    }

    func matches(_ a: WasmTypes.HeapType, _ b: WasmTypes.HeapType) -> Bool {
        // The GC heap types have no format type: validation has rejected them already.
        guard let x = WasmAOTFormat.HeapType(a), let y = WasmAOTFormat.HeapType(b) else { return a == b }
        return x.matches(y, same: typeClasses.same)
    }
}
