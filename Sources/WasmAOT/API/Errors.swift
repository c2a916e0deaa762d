import WasmAOTFormat

/// Why a compiled module could not be loaded. Nothing from the object has run
/// when any of these is thrown before `dlopen`.
public enum LoadError: Error, CustomStringConvertible, Sendable {
    case unreadable(path: String, reason: String)
    case notAModule(path: String, reason: String)
    case invalidMetadata(path: String, MetadataError)
    case abiMismatch(path: String, compiler: String, moduleABI: UInt32, runtimeABI: UInt32)
    case dlopenFailed(path: String, message: String)
    case inconsistent(path: String, reason: String)

    public var description: String {
        switch self {
        case .unreadable(let path, let reason): return "cannot read '\(path)': \(reason)"
        case .notAModule(let path, let reason): return "'\(path)' is not a wasmaot module: \(reason)"
        case .invalidMetadata(let path, let error): return "'\(path)': \(error)"
        case .abiMismatch(let path, let compiler, let moduleABI, let runtimeABI):
            return
                "'\(path)' was compiled by \(compiler) with ABI \(moduleABI); this runtime accepts ABI \(runtimeABI) — recompile it with this version of wasmaot"
        case .dlopenFailed(let path, let message): return "cannot load '\(path)': \(message)"
        case .inconsistent(let path, let reason): return "'\(path)' is inconsistent with its metadata: \(reason)"
        }
    }
}

/// Why instantiation failed: an import could not be bound, a resource could
/// not be allocated, or initialisation (segments, start function) trapped.
public enum InstantiationError: Error, CustomStringConvertible, Sendable {
    case missingImport(module: String, name: String, expected: String)
    case incompatibleImport(module: String, name: String, expected: String, actual: String)
    case resourceExhausted(String)
    /// A constant expression (global initializer, segment offset or element item) broke a rule.
    /// Metadata is checked when loaded, so this means the loader and the checks disagree.
    case invalidConstantExpression(ConstExprError)
    case trapped(Trap)

    public var description: String {
        switch self {
        case .missingImport(let module, let name, let expected):
            return "unknown import: \(module).\(name) is not provided (expected \(expected))"
        case .incompatibleImport(let module, let name, let expected, let actual):
            return "incompatible import type for \(module).\(name): expected \(expected), got \(actual)"
        case .resourceExhausted(let what): return "cannot allocate \(what)"
        case .invalidConstantExpression(let error): return "invalid constant expression: \(error)"
        case .trapped(let trap): return "instantiation trapped: \(trap)"
        }
    }
}

/// Misuse of the embedding API (wrong argument count or types, unknown export).
public struct UsageError: Error, CustomStringConvertible, Sendable, Equatable {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
