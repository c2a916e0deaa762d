/// Why a `wasmaot` command stops: the message printed after `error: ` and the exit status.
public struct CommandFailure: Error, CustomStringConvertible, Sendable, Equatable {
    public var message: String
    /// 1 for usage and load errors, 134 after a wasm trap (wasmtime's convention).
    public var status: Int32

    public init(_ message: String, status: Int32 = 1) {
        self.message = message
        self.status = status
    }

    public var description: String { message }

    /// The status of a run that trapped.
    public static let trapStatus: Int32 = 134
}

/// The arguments after the command's own flags, without the `--` that may separate them.
func withoutSeparator(_ arguments: [String]) -> [String] {
    arguments.first == "--" ? Array(arguments.dropFirst()) : arguments
}
