import Testing
import WasmAOT
import WasmAOTFormat
import WasmAOTRuntime

/// The Swift side names what the C ABI header (`wasmaot_abi.h`) defines: these tests check
/// that the two agree, so that a code added on one side fails here rather than in the field.
@Suite("ABI mirrors")
struct ABIMirrorTests {
    /// Every C trap code from 1 to WASMAOT_TRAP_COUNT - 1 maps to its own kind and back, and
    /// there are as many kinds as codes.
    @Test func trapKindsMatchTheCTrapCodes() {
        let codes = Array(1..<WASMAOT_TRAP_COUNT.rawValue)
        var kinds: [TrapKind] = []
        for code in codes {
            let kind = TrapKind(code: code)
            #expect(kind != .unknown(code: code), "C trap code \(code) has no TrapKind")
            #expect(kind.code == code, "\(kind)")
            kinds.append(kind)
        }
        #expect(Set(kinds).count == codes.count, "two codes map to the same kind")
        #expect(kinds == TrapKind.known, "TrapKind.known lists the kinds in code order")
        #expect(TrapKind.known.count == codes.count)
        #expect(Set(TrapKind.known.map(\.description)).count == TrapKind.known.count)
    }

    /// A code with no kind stays visible instead of passing for another kind.
    @Test func unknownTrapCodesAreKept() {
        for code: UInt32 in [WASMAOT_TRAP_NONE.rawValue, WASMAOT_TRAP_COUNT.rawValue, 0xFF] {
            let kind = TrapKind(code: code)
            #expect(kind == .unknown(code: code))
            #expect(kind.code == code)
            #expect(kind.description.contains("\(code)"))
            #expect(Trap(kind: kind).description.contains("unknown trap code \(code)"))
        }
    }

    /// Value types travel to the runtime as their storage codes (signatures, table element types);
    /// a typed reference as its hierarchy's top.
    @Test func valueTypeCodes() {
        let pairs: [(ValType, Int32)] = [
            (.i32, Int32(WASMAOT_I32)), (.i64, Int32(WASMAOT_I64)), (.f32, Int32(WASMAOT_F32)),
            (.f64, Int32(WASMAOT_F64)), (.v128, Int32(WASMAOT_V128)), (.funcref, Int32(WASMAOT_FUNCREF)),
            (.externref, Int32(WASMAOT_EXTERNREF)), (.exnref, Int32(WASMAOT_EXNREF)),
            (.ref(RefType(nullable: false, heap: .concrete(7))), Int32(WASMAOT_FUNCREF)),
            (.ref(RefType(nullable: true, heap: .nofunc)), Int32(WASMAOT_FUNCREF)),
            (.ref(RefType(nullable: false, heap: .noextern)), Int32(WASMAOT_EXTERNREF)),
            (.ref(RefType(nullable: true, heap: .noexn)), Int32(WASMAOT_EXNREF)),
        ]
        for (type, code) in pairs { #expect(Int32(type.storageCode) == code, "\(type)") }
    }

    /// The loader reads and writes an exception's payload right after the struct as Swift
    /// imports it (without the flexible array member): where the C header puts it.
    @Test func exceptionPayloadFollowsTheStruct() {
        #expect(MemoryLayout<wasmaot_exception>.size == 32)  // offsetof(wasmaot_exception, payload)
        #expect(MemoryLayout<wasmaot_value>.stride == 16)
        #expect(MemoryLayout<wasmaot_tag>.size == 16)
    }
}
