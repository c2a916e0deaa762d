import WasmAOTFormat
import WasmParser
import WasmTypes

// WasmParser's types and instructions as the metadata format's (WasmAOTFormat) types, for the
// validator (which checks constant expressions with WasmAOTFormat's ``ConstExprContext``) and
// the metadata builder. Only the conversion lives here: the rules are ConstExprContext's.

extension ValType {
    /// The format's type for a value type; nil for the GC reference types (`anyref`, `i31ref`,
    /// structs …), which validation rejects.
    init?(_ type: ValueType) {
        switch type {
        case .i32: self = .i32
        case .i64: self = .i64
        case .f32: self = .f32
        case .f64: self = .f64
        case .v128: self = .v128
        case .ref(let reference):
            guard let heap = WasmAOTFormat.HeapType(reference.heapType) else { return nil }
            self = .ref(RefType(nullable: reference.isNullable, heap: heap))
        }
    }
}

extension WasmAOTFormat.HeapType {
    /// The format's heap type; nil for the GC heap types.
    init?(_ heapType: WasmTypes.HeapType) {
        switch heapType {
        case .abstract(.funcRef): self = .func
        case .abstract(.externRef): self = .extern
        case .abstract(.exnRef): self = .exn
        case .abstract(.noFunc): self = .nofunc
        case .abstract(.noExtern): self = .noextern
        case .abstract(.noExn): self = .noexn
        case .concrete(let index): self = .concrete(index)
        case .abstract: return nil
        }
    }
}

extension FuncType {
    /// The format's function type; nil when a parameter or result has no format type.
    init?(_ type: FunctionType) {
        var params: [ValType] = [], results: [ValType] = []
        for t in type.parameters {
            guard let v = ValType(t) else { return nil }
            params.append(v)
        }
        for t in type.results {
            guard let v = ValType(t) else { return nil }
            results.append(v)
        }
        self.init(params: params, results: results)
    }
}

extension WasmAOTFormat.GlobalType {
    /// The format's global type; nil when the value type has no format type.
    init?(_ type: WasmParser.GlobalType) {
        guard let valueType = ValType(type.valueType) else { return nil }
        self.init(type: valueType, mutable: type.mutability == .variable)
    }
}

extension ConstInstr {
    /// The constant instruction `instruction` is; nil for any instruction with no
    /// ``ConstInstr`` case (not constant, or `ref.null` of a later proposal's type) and for `end`.
    init?(_ instruction: Instruction) {
        switch instruction {
        case .i32Const(let v): self = .i32Const(UInt32(bitPattern: v))
        case .i64Const(let v): self = .i64Const(UInt64(bitPattern: v))
        case .f32Const(let v): self = .f32Const(v.bitPattern)
        case .f64Const(let v): self = .f64Const(v.bitPattern)
        case .v128Const(let v): self = .v128Const(v.bytes)
        case .globalGet(let index): self = .globalGet(index)
        case .refNull(let heapType):
            guard let heap = WasmAOTFormat.HeapType(heapType) else { return nil }
            self = .refNull(.ref(RefType(nullable: true, heap: heap)))
        case .refFunc(let index): self = .refFunc(index)
        case .binary(.i32Add): self = .i32Add
        case .binary(.i32Sub): self = .i32Sub
        case .binary(.i32Mul): self = .i32Mul
        case .binary(.i64Add): self = .i64Add
        case .binary(.i64Sub): self = .i64Sub
        case .binary(.i64Mul): self = .i64Mul
        default: return nil
        }
    }
}
