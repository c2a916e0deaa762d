import WasmAOTRuntime

/// The kind of a WebAssembly trap. ``code`` is the C runtime's code for it
/// (`WASMAOT_TRAP_*` in `wasmaot_abi.h`), taken from the header, never repeated here.
public enum TrapKind: Hashable, Sendable, CustomStringConvertible {
    case unreachable
    case memoryOutOfBounds
    case divideByZero
    case integerOverflow
    case invalidConversion
    case indirectCallTypeMismatch
    case undefinedElement
    case uninitializedElement
    case stackExhausted
    case tableOutOfBounds
    case nullReference
    case hostError
    case exit
    /// ``Instance/interrupt()`` stopped the code (compiled with `wasmaot compile --interruptible`).
    case interrupted
    /// A wasm exception left the call uncaught (reported as a ``WasmException``).
    case uncaughtException
    /// `call_ref` or `return_call_ref` of a null reference.
    case nullFunctionReference
    /// A code the runtime reported that names no kind: the C runtime and this loader
    /// disagree (a bug). The code is kept, so that it shows.
    case unknown(code: UInt32)

    /// Every kind the runtime raises, in the order of their codes (without ``unknown(code:)``).
    public static let known: [TrapKind] = [
        .unreachable, .memoryOutOfBounds, .divideByZero, .integerOverflow, .invalidConversion,
        .indirectCallTypeMismatch, .undefinedElement, .uninitializedElement, .stackExhausted,
        .tableOutOfBounds, .nullReference, .hostError, .exit, .interrupted, .uncaughtException, .nullFunctionReference,
    ]

    /// The kind of the runtime's trap code `code`; ``unknown(code:)`` when no kind has it.
    public init(code: UInt32) {
        switch code {
        case WASMAOT_TRAP_UNREACHABLE.rawValue: self = .unreachable
        case WASMAOT_TRAP_MEMORY_OUT_OF_BOUNDS.rawValue: self = .memoryOutOfBounds
        case WASMAOT_TRAP_DIVIDE_BY_ZERO.rawValue: self = .divideByZero
        case WASMAOT_TRAP_INTEGER_OVERFLOW.rawValue: self = .integerOverflow
        case WASMAOT_TRAP_INVALID_CONVERSION.rawValue: self = .invalidConversion
        case WASMAOT_TRAP_INDIRECT_CALL_TYPE_MISMATCH.rawValue: self = .indirectCallTypeMismatch
        case WASMAOT_TRAP_UNDEFINED_ELEMENT.rawValue: self = .undefinedElement
        case WASMAOT_TRAP_UNINITIALIZED_ELEMENT.rawValue: self = .uninitializedElement
        case WASMAOT_TRAP_STACK_EXHAUSTED.rawValue: self = .stackExhausted
        case WASMAOT_TRAP_TABLE_OUT_OF_BOUNDS.rawValue: self = .tableOutOfBounds
        case WASMAOT_TRAP_NULL_REFERENCE.rawValue: self = .nullReference
        case WASMAOT_TRAP_HOST.rawValue: self = .hostError
        case WASMAOT_TRAP_EXIT.rawValue: self = .exit
        case WASMAOT_TRAP_INTERRUPTED.rawValue: self = .interrupted
        case WASMAOT_TRAP_EXCEPTION.rawValue: self = .uncaughtException
        case WASMAOT_TRAP_NULL_FUNCTION_REFERENCE.rawValue: self = .nullFunctionReference
        default: self = .unknown(code: code)
        }
    }

    /// The runtime's code for this kind.
    public var code: UInt32 {
        switch self {
        case .unreachable: WASMAOT_TRAP_UNREACHABLE.rawValue
        case .memoryOutOfBounds: WASMAOT_TRAP_MEMORY_OUT_OF_BOUNDS.rawValue
        case .divideByZero: WASMAOT_TRAP_DIVIDE_BY_ZERO.rawValue
        case .integerOverflow: WASMAOT_TRAP_INTEGER_OVERFLOW.rawValue
        case .invalidConversion: WASMAOT_TRAP_INVALID_CONVERSION.rawValue
        case .indirectCallTypeMismatch: WASMAOT_TRAP_INDIRECT_CALL_TYPE_MISMATCH.rawValue
        case .undefinedElement: WASMAOT_TRAP_UNDEFINED_ELEMENT.rawValue
        case .uninitializedElement: WASMAOT_TRAP_UNINITIALIZED_ELEMENT.rawValue
        case .stackExhausted: WASMAOT_TRAP_STACK_EXHAUSTED.rawValue
        case .tableOutOfBounds: WASMAOT_TRAP_TABLE_OUT_OF_BOUNDS.rawValue
        case .nullReference: WASMAOT_TRAP_NULL_REFERENCE.rawValue
        case .hostError: WASMAOT_TRAP_HOST.rawValue
        case .exit: WASMAOT_TRAP_EXIT.rawValue
        case .interrupted: WASMAOT_TRAP_INTERRUPTED.rawValue
        case .uncaughtException: WASMAOT_TRAP_EXCEPTION.rawValue
        case .nullFunctionReference: WASMAOT_TRAP_NULL_FUNCTION_REFERENCE.rawValue
        case .unknown(let code): code
        }
    }

    /// The wording of the WebAssembly spec tests.
    public var description: String {
        switch self {
        case .unreachable: "unreachable"
        case .memoryOutOfBounds: "out of bounds memory access"
        case .divideByZero: "integer divide by zero"
        case .integerOverflow: "integer overflow"
        case .invalidConversion: "invalid conversion to integer"
        case .indirectCallTypeMismatch: "indirect call type mismatch"
        case .undefinedElement: "undefined element"
        case .uninitializedElement: "uninitialized element"
        case .stackExhausted: "call stack exhausted"
        case .tableOutOfBounds: "out of bounds table access"
        case .nullReference: "null reference"
        case .hostError: "host function failed"
        case .exit: "exit"
        case .interrupted: "interrupted"
        case .uncaughtException: "uncaught exception"
        case .nullFunctionReference: "null function reference"
        case .unknown(let code): "unknown trap code \(code) (the runtime and the loader disagree)"
        }
    }
}

/// A trap raised while running wasm code, with the wasm functions on the
/// stack (innermost first) where they are known.
public struct Trap: Error, CustomStringConvertible, @unchecked Sendable {
    public var kind: TrapKind
    /// Wasm function names on the stack, innermost first.
    public var backtrace: [String]
    /// For `.hostError` and `.exit`: the error the host function threw.
    public var underlying: (any Error)?

    public init(kind: TrapKind, backtrace: [String] = [], underlying: (any Error)? = nil) {
        self.kind = kind
        self.backtrace = backtrace
        self.underlying = underlying
    }

    public var description: String {
        var text = "wasm trap: \(kind)"
        if let underlying { text += ": \(underlying)" }
        if !backtrace.isEmpty {
            text += "\nwasm backtrace:"
            // Runs of the same function (deep recursion) print once with a count.
            var i = 0
            while i < backtrace.count {
                var j = i + 1
                while j < backtrace.count, backtrace[j] == backtrace[i] { j += 1 }
                text += "\n  \(i): \(backtrace[i])" + (j - i > 1 ? " (\(j - i) frames)" : "")
                i = j
            }
        }
        return text
    }
}
