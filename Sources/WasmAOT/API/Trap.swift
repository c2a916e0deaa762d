import WasmAOTRuntime

/// The kind of a WebAssembly trap.
public enum TrapKind: UInt32, Sendable, CustomStringConvertible {
    case unreachable = 1
    case memoryOutOfBounds = 2
    case divideByZero = 3
    case integerOverflow = 4
    case invalidConversion = 5
    case indirectCallTypeMismatch = 6
    case undefinedElement = 7
    case uninitializedElement = 8
    case stackExhausted = 9
    case tableOutOfBounds = 10
    case nullReference = 11
    case hostError = 12
    case exit = 13
    /// ``Instance/interrupt()`` stopped the code (compiled with `wasmaot compile --interruptible`).
    case interrupted = 14

    /// The wording of the WebAssembly spec tests.
    public var description: String {
        switch self {
        case .unreachable: return "unreachable"
        case .memoryOutOfBounds: return "out of bounds memory access"
        case .divideByZero: return "integer divide by zero"
        case .integerOverflow: return "integer overflow"
        case .invalidConversion: return "invalid conversion to integer"
        case .indirectCallTypeMismatch: return "indirect call type mismatch"
        case .undefinedElement: return "undefined element"
        case .uninitializedElement: return "uninitialized element"
        case .stackExhausted: return "call stack exhausted"
        case .tableOutOfBounds: return "out of bounds table access"
        case .nullReference: return "null reference"
        case .hostError: return "host function failed"
        case .exit: return "exit"
        case .interrupted: return "interrupted"
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
