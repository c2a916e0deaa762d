import Foundation

/// How a WASI command ended and what it wrote: the unit of comparison between
/// engines (see `WasmAOTOracle`) and what `wasmaot run` reports.
public struct WASICommandOutcome: Sendable, Equatable {
    public enum Ending: Sendable, Equatable, CustomStringConvertible {
        /// `_start` returned (code 0) or the program called `proc_exit`.
        case exited(Int32)
        /// Execution trapped; the message is engine-specific and not compared.
        case trapped
        public var description: String {
            switch self {
            case .exited(let code): return "exit \(code)"
            case .trapped: return "trap"
            }
        }
    }

    public var ending: Ending
    /// Captured standard output and error (empty when not captured).
    public var stdout: [UInt8]
    public var stderr: [UInt8]
    /// The trap's description, when the command trapped.
    public var trapMessage: String?

    public init(ending: Ending, stdout: [UInt8], stderr: [UInt8], trapMessage: String? = nil) {
        self.ending = ending
        self.stdout = stdout
        self.stderr = stderr
        self.trapMessage = trapMessage
    }

    public static func == (a: Self, b: Self) -> Bool {
        a.ending == b.ending && a.stdout == b.stdout && a.stderr == b.stderr
    }
}

extension WASI {
    /// Instantiates `module` with a WASI environment made from `configuration`
    /// and runs its `_start`. Traps end the command (they are not thrown);
    /// errors that prevent running at all (setup, linking) are thrown.
    ///
    /// ```swift
    /// let outcome = try WASI.runCommand(module, WASIConfiguration(args: ["hello"], stdout: .capture))
    /// print(outcome.ending, String(decoding: outcome.stdout, as: UTF8.self))
    /// ```
    public static func runCommand(_ module: Module, _ configuration: WASIConfiguration) throws -> WASICommandOutcome {
        let wasi = try WASI(configuration)
        defer { wasi.close() }
        let instance = try module.instantiate(imports: wasi.imports)
        let ending: WASICommandOutcome.Ending
        var message: String?
        do {
            ending = .exited(try wasi.start(instance))
        } catch let trap as Trap {
            ending = .trapped
            message = trap.description
        }
        return WASICommandOutcome(ending: ending, stdout: wasi.output(.stdout), stderr: wasi.output(.stderr), trapMessage: message)
    }
}
