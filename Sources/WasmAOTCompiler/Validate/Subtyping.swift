import WasmParser
import WasmTypes

// Subtyping of value types with typed function references (WebAssembly 3.0 without GC):
// `(ref $t) <: (ref null $t) <: (ref null func)`, `(ref $t) <: (ref func)`, `nofunc` and
// `noextern` below everything of their hierarchy, and nothing between distinct hierarchies.
// Every defined type is a function type, final, without supertypes: two type indices are
// related only when they denote the same type.

/// The equivalence classes of a module's type indices: two indices denote the same type when
/// their function types are equal once each type index inside is replaced by its class
/// (the canonical form of singleton recursion groups; a type may name itself).
struct TypeClasses: Sendable {
    /// The class of each type index; equal classes are equal types.
    private(set) var classes: [Int] = []

    init(_ types: [FunctionType]) {
        var known: [FunctionType: Int] = [:]
        for (i, type) in types.enumerated() {
            // Index i itself is spelled as an index no earlier type has: `types.count`.
            func canonical(_ t: ValueType) -> ValueType {
                guard case .ref(let r) = t, case .concrete(let k) = r.heapType else { return t }
                let index = Int(k) < i ? classes[Int(k)] : Int(k) == i ? types.count : Int(k) + types.count + 1
                return .ref(ReferenceType(isNullable: r.isNullable, heapType: .concrete(typeIndex: UInt32(index))))
            }
            let key = FunctionType(parameters: type.parameters.map(canonical), results: type.results.map(canonical))
            if let existing = known[key] {
                classes.append(existing)
            } else {
                known[key] = i
                classes.append(i)
            }
        }
    }

    func same(_ a: UInt32, _ b: UInt32) -> Bool {
        a == b || (Int(a) < classes.count && Int(b) < classes.count && classes[Int(a)] == classes[Int(b)])
    }
}

extension ValidationContext {
    /// Whether a value of type `a` may be used where `b` is expected.
    func matches(_ a: ValueType, _ b: ValueType) -> Bool {
        switch (a, b) {
        case (.ref(let x), .ref(let y)): matches(x, y)
        default: a == b
        }
    }

    func matches(_ a: ReferenceType, _ b: ReferenceType) -> Bool {
        (b.isNullable || !a.isNullable) && matches(a.heapType, b.heapType)
    }

    func matches(_ a: HeapType, _ b: HeapType) -> Bool {
        switch (a, b) {
        case (.concrete(let i), .concrete(let j)): typeClasses.same(i, j)
        case (.concrete, .abstract(let top)): top == .funcRef
        case (.abstract(let bottom), .concrete): bottom == .noFunc
        case (.abstract(let x), .abstract(let y)):
            x == y || (x == .noFunc && y == .funcRef) || (x == .noExtern && y == .externRef)
        }
    }
}
