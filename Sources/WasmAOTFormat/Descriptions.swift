/// How types and limits read in messages and reports — one rendering, used by the loader's
/// import errors and by `wasmaot inspect` alike.

extension ValType: CustomStringConvertible {
    /// As in the text format: `i32`, `funcref`, `nullexternref`, `(ref func)`, `(ref null $3)`.
    public var description: String {
        switch self {
        case .i32: return "i32"
        case .i64: return "i64"
        case .f32: return "f32"
        case .f64: return "f64"
        case .v128: return "v128"
        case .ref(let reference): return reference.description
        }
    }
}

extension RefType: CustomStringConvertible {
    /// `funcref` for `(ref null func)` and the other nullable abstract types; `(ref $3)` otherwise.
    public var description: String {
        switch (nullable, heap) {
        case (true, .func): "funcref"
        case (true, .extern): "externref"
        case (true, .exn): "exnref"
        case (true, .nofunc): "nullfuncref"
        case (true, .noextern): "nullexternref"
        case (true, .noexn): "nullexnref"
        default: "(ref \(nullable ? "null " : "")\(heap))"
        }
    }
}

extension HeapType: CustomStringConvertible {
    /// `func`, `noextern`, `$3` (a type index, or a process-wide type id in a loaded module's types).
    public var description: String {
        switch self {
        case .func: "func"
        case .extern: "extern"
        case .exn: "exn"
        case .nofunc: "nofunc"
        case .noextern: "noextern"
        case .noexn: "noexn"
        case .concrete(let index): "$\(index)"
        }
    }
}

extension FuncType: CustomStringConvertible {
    /// `(i32, i64) -> (f64)`.
    public var description: String {
        "(\(params.map(\.description).joined(separator: ", "))) -> (\(results.map(\.description).joined(separator: ", ")))"
    }
}

extension Limits: CustomStringConvertible {
    /// `{min 1, max 2}`, or `{min 1}` when unbounded; `i64 {min 1}` for 64-bit addresses.
    public var description: String {
        (is64 ? "i64 " : "") + (max.map { "{min \(min), max \($0)}" } ?? "{min \(min)}")
    }
}

extension TableType: CustomStringConvertible {
    /// `funcref {min 1, max 2}`.
    public var description: String { "\(element) \(limits)" }
}

extension GlobalType: CustomStringConvertible {
    /// `mut i32`, or `i32` when immutable.
    public var description: String { (mutable ? "mut " : "") + type.description }
}

extension ModuleMetadata {
    /// What an import of this module expects, e.g. `function (i32) -> ()` or `memory {min 1}`.
    public func describe(_ desc: ImportDesc) -> String {
        switch desc {
        case .function(let t): return "function \(types[Int(t)])"
        case .memory(let l): return "memory \(l)"
        case .table(let t): return "table \(t)"
        case .global(let g): return "global \(g)"
        case .tag(let t): return "tag \(types[Int(t)])"
        }
    }
}
