// Subtyping of value types with typed function references (WebAssembly 3.0 without GC), stated
// once for the compiler's validator, the metadata checks and the loader's import matching:
// `(ref $t) <: (ref null $t) <: (ref null func)`, `(ref $t) <: (ref func)`, `nofunc`, `noextern`
// and `noexn` below everything of their hierarchy, and nothing between distinct hierarchies.
// Every defined type is a function type, final, without supertypes, in a recursion group of its
// own: two defined types are related only when they are the same type, which the caller decides
// (equal classes of ``TypeClasses`` in a module, equal ids across modules).

extension ValType {
    /// Whether a value of this type may be used where `other` is expected; `same` says whether
    /// two concrete heap types denote the same function type.
    public func matches(_ other: ValType, same: (UInt32, UInt32) -> Bool = { $0 == $1 }) -> Bool {
        switch (self, other) {
        case (.ref(let a), .ref(let b)): a.matches(b, same: same)
        default: self == other
        }
    }
}

extension RefType {
    /// Whether a reference of this type may be used where `other` is expected.
    public func matches(_ other: RefType, same: (UInt32, UInt32) -> Bool = { $0 == $1 }) -> Bool {
        (other.nullable || !nullable) && heap.matches(other.heap, same: same)
    }
}

extension HeapType {
    /// Whether this heap type is a subtype of `other`.
    public func matches(_ other: HeapType, same: (UInt32, UInt32) -> Bool = { $0 == $1 }) -> Bool {
        switch (self, other) {
        case (.concrete(let i), .concrete(let j)): same(i, j)
        case (.concrete, _): other == .func
        case (_, .concrete): self == .nofunc
        default: self == other || (top == other && self == bottom)
        }
    }

    /// The bottom of this heap type's hierarchy.
    public var bottom: HeapType {
        switch top {
        case .extern: .noextern
        case .exn: .noexn
        default: .nofunc
        }
    }
}

/// The equivalence classes of a module's type indices: two indices denote the same type when
/// their function types are equal once each type index inside is replaced by its class (the
/// canonical form of singleton recursion groups, in which a type may name itself). A type may
/// name only itself and earlier types; a later index never equals anything.
public struct TypeClasses: Sendable, Equatable {
    /// The class of each type index: the first index of an equal type.
    public private(set) var classes: [Int] = []

    /// Classifies the types of a module's type section.
    public init(_ types: [FuncType]) {
        var known: [FuncType: Int] = [:]
        for (i, type) in types.enumerated() {
            let key = Self.canonical(type, at: i) { UInt32(classes[$0]) }
            if let existing = known[key] {
                classes.append(existing)
            } else {
                known[key] = i
                classes.append(i)
            }
        }
    }

    /// Whether type indices `a` and `b` denote the same type.
    public func same(_ a: UInt32, _ b: UInt32) -> Bool {
        a == b || (Int(a) < classes.count && Int(b) < classes.count && classes[Int(a)] == classes[Int(b)])
    }

    /// `type` (at index `index` of its type section) with each earlier type index `k` inside
    /// replaced by `name(k)`, itself by `UInt32.max` and any later index by one no name takes
    /// (`UInt32.max - 1`). Two types of any modules are equal exactly when their canonical forms
    /// are, given names that are equal exactly for equal types.
    public static func canonical(_ type: FuncType, at index: Int, name: (Int) -> UInt32) -> FuncType {
        func replace(_ t: ValType) -> ValType {
            guard case .ref(var reference) = t, case .concrete(let k) = reference.heap else { return t }
            let named = Int(k) < index ? name(Int(k)) : Int(k) == index ? UInt32.max : UInt32.max - 1
            reference.heap = .concrete(named)
            return .ref(reference)
        }
        return FuncType(params: type.params.map(replace), results: type.results.map(replace))
    }
}
