import Foundation
import WasmAOT
import WasmKit
import WasmKitWASI

/// WasmKit's interpreter, driven with the same inputs as our AOT engine: the
/// benchmark baseline (`wasmaot bench`) and the oracle of differential tests.
public enum Interpreter {
    /// A module parsed for the interpreter (parsing is done once, outside timings).
    public struct Program: @unchecked Sendable {
        let module: WasmKit.Module
        let engine: Engine
    }

    /// Parses a wasm binary for the interpreter.
    public static func prepare(wasm: [UInt8]) throws -> Program {
        Program(module: try parseWasm(bytes: wasm), engine: Engine())
    }

    /// Runs `_start` of a WASI command with WasmKit's own WASI binding, set up
    /// from the same ``WASIConfiguration`` (and so the same host streams) as
    /// ``WASI/runCommand(_:_:)`` uses.
    public static func runCommand(_ program: Program, _ configuration: WASIConfiguration) throws -> WASICommandOutcome {
        let stdio = try WASIStdio(configuration)
        let wasi = try configuration.makeBridge(stdio: stdio)
        return try wasi.runAndClose { wasi in
            let store = Store(engine: program.engine)
            var imports = WasmKit.Imports()
            wasi.link(to: &imports, store: store)
            let instance = try program.module.instantiate(store: store, imports: imports)
            let ending: WASICommandOutcome.Ending
            var message: String?
            do {
                ending = .exited(Int32(bitPattern: try wasi.start(instance)))
            } catch let trap as WasmKit.Trap {
                ending = .trapped
                message = trap.description
            }
            return WASICommandOutcome(ending: ending, stdout: stdio.output(1), stderr: stdio.output(2), trapMessage: message)
        }
    }

    /// A closure that instantiates the module (in a fresh store, with WASI
    /// imports if it needs them) and discards the instance: for timing
    /// instantiation alone. The WASI environment is made once, beforehand.
    /// `finish` closes the WASI environment.
    public static func instantiation(
        _ program: Program, wasi configuration: WASIConfiguration
    ) throws -> (instantiate: () throws -> Void, finish: () -> Void) {
        let needsWASI = program.module.imports.contains { $0.module == WasmAOT.WASI.moduleName }
        let stdio = try WASIStdio(configuration)
        let bridge = needsWASI ? try configuration.makeBridge(stdio: stdio) : nil
        let instantiate = {
            _ = stdio  // the bridge borrows its descriptors
            let store = Store(engine: program.engine)
            var imports = WasmKit.Imports()
            bridge?.link(to: &imports, store: store)
            _ = try program.module.instantiate(store: store, imports: imports)
        }
        return (instantiate, { try? bridge?.close() })
    }

    /// Calls an export with numeric arguments (the `--invoke` form of `wasmaot bench`).
    /// Whether an error thrown by ``invoke(_:_:_:)`` is a wasm trap.
    public static func isTrap(_ error: any Error) -> Bool { error is WasmKit.Trap }

    public static func invoke(_ program: Program, _ name: String, _ arguments: [WasmAOT.Value]) throws -> [WasmAOT.Value] {
        let store = Store(engine: program.engine)
        let instance = try program.module.instantiate(store: store, imports: WasmKit.Imports())
        guard let function = instance.exports[function: name] else {
            throw UsageError("no exported function '\(name)'")
        }
        let results = try function(arguments.map(\.wasmTypesValue))
        return try results.map { result in
            guard let value = WasmAOT.Value(result) else { throw UsageError("result \(result) has a type WasmAOT does not exchange") }
            return value
        }
    }
}
