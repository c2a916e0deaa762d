import Foundation
import Testing
import WasmAOT
import WasmAOTCompiler
import WasmAOTOracle

/// The WASI test programs of `Tests/wasi` (C built to wasm32-wasi by
/// `Tests/wasi/build.sh`, which `make test` runs first), each case run on our
/// AOT engine and on the WasmKit interpreter with the same arguments,
/// environment, stdin and a fresh sandbox directory: stdout, stderr and the
/// exit code (or trap) must be identical, and equal to the case's expectation.
@Suite("WASI programs")
struct WASITests {
    struct Case: Decodable, CustomTestStringConvertible, Sendable {
        var name: String
        var program: String
        var args: [String]
        var env: [String: String]
        var stdin: String
        var preopen: Bool
        var expectExit: ExpectedEnding
        var expectStdout: String?
        var expectStderr: String?
        var expectStdoutContains: String?
        /// False where the interpreter's WASI is known to be wrong (the case says why).
        var compareWithInterpreter: Bool?
        var testDescription: String { name }

        enum CodingKeys: String, CodingKey {
            case name, program, args, env, stdin, preopen
            case expectExit = "expect_exit", expectStdout = "expect_stdout", expectStderr = "expect_stderr"
            case expectStdoutContains = "expect_stdout_contains", compareWithInterpreter = "compare_with_interpreter"
        }
    }

    /// `expect_exit`: an exit code, or the string "trap".
    enum ExpectedEnding: Decodable, Sendable {
        case exit(Int32)
        case trap
        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let code = try? container.decode(Int32.self) { self = .exit(code); return }
            guard try container.decode(String.self) == "trap" else {
                throw DecodingError.dataCorruptedError(in: container, debugDescription: "expected an exit code or \"trap\"")
            }
            self = .trap
        }
        var ending: WASICommandOutcome.Ending {
            switch self {
            case .exit(let code): return .exited(code)
            case .trap: return .trapped
            }
        }
    }

    static let sourceDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("wasi")
    /// Where `Tests/wasi/build.sh` put the programs: `$WASMAOT_WASI_PROGRAMS`, else `.build-out/wasi`.
    static let programDirectory: URL = {
        if let dir = ProcessInfo.processInfo.environment["WASMAOT_WASI_PROGRAMS"], !dir.isEmpty {
            return URL(fileURLWithPath: dir)
        }
        return sourceDirectory.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent(".build-out/wasi")
    }()

    static let cases: [Case] = {
        guard let data = try? Data(contentsOf: sourceDirectory.appendingPathComponent("cases.json")) else { return [] }
        return (try? JSONDecoder().decode([Case].self, from: data)) ?? []
    }()

    /// Compiled modules, one per program, shared by the cases that run it.
    static let modules = ModuleCache()

    final class ModuleCache: @unchecked Sendable {
        private var loaded: [String: Module] = [:]
        private let lock = NSLock()
        func module(_ program: String, wasm: [UInt8]) throws -> Module {
            lock.lock()
            defer { lock.unlock() }
            if let m = loaded[program] { return m }
            let dir = try makeScratch()
            defer { removeScratch(dir) }
            let so = (dir as NSString).appendingPathComponent("\(program).so")
            _ = try Compiler.compile(wasm: wasm, to: so)
            let m = try Module(loading: so)
            loaded[program] = m
            return m
        }
    }

    @Test("cases.json lists the programs") func casesPresent() {
        #expect(Self.cases.count >= 10)
    }

    @Test("same result on WasmAOT and the WasmKit interpreter", arguments: cases)
    func differential(_ c: Case) throws {
        let wasmURL = Self.programDirectory.appendingPathComponent("\(c.program).wasm")
        guard let wasm = try? [UInt8](Data(contentsOf: wasmURL)) else {
            Issue.record("missing \(wasmURL.path): run Tests/wasi/build.sh \(Self.programDirectory.path) (make test does)")
            return
        }
        let module = try Self.modules.module(c.program, wasm: wasm)
        let program = try Interpreter.prepare(wasm: wasm)

        func run(_ body: (WASIConfiguration) throws -> WASICommandOutcome) throws -> WASICommandOutcome {
            // A fresh sandbox inside an otherwise empty parent: nothing may appear beside it.
            let parent = try makeScratch()
            defer { removeScratch(parent) }
            let sandbox = (parent as NSString).appendingPathComponent("sandbox")
            try FileManager.default.createDirectory(atPath: sandbox, withIntermediateDirectories: false)
            let configuration = WASIConfiguration(
                args: c.args, env: c.env, preopens: c.preopen ? [.init(guestPath: "/sandbox", hostPath: sandbox)] : [],
                stdin: .bytes(Array(c.stdin.utf8)), stdout: .capture, stderr: .capture)
            let outcome = try body(configuration)
            #expect(try FileManager.default.contentsOfDirectory(atPath: parent) == ["sandbox"], "\(c.name) wrote outside its sandbox")
            return outcome
        }
        let aot = try run { try WASI.runCommand(module, $0) }
        func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }
        #expect(aot.ending == c.expectExit.ending, "\(text(aot.stdout))\(text(aot.stderr))\(aot.trapMessage ?? "")")
        if c.compareWithInterpreter ?? true {
            let interpreted = try run { try Interpreter.runCommand(program, $0) }
            #expect(aot.ending == interpreted.ending)
            #expect(text(aot.stdout) == text(interpreted.stdout))
            #expect(text(aot.stderr) == text(interpreted.stderr))
        }
        if let expected = c.expectStdoutContains { #expect(text(aot.stdout).contains(expected), "\(text(aot.stdout))") }
        if let expected = c.expectStdout { #expect(text(aot.stdout) == expected) }
        if let expected = c.expectStderr { #expect(text(aot.stderr) == expected) }
        if case .trapped = aot.ending { #expect(aot.trapMessage?.contains("wasm trap: unreachable") == true) }
    }
}
