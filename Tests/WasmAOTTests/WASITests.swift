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

/// WASI calls whose sandboxing is ours rather than WasmKit's (`WASI.sandboxed`), made directly
/// from a small module against a preopened temporary directory.
@Suite("WASI sandbox")
struct WASISandboxTests {
    /// `readlink(name)` in the preopen (fd 3): the errno, and the target in memory at 256.
    static let wat = """
        (module
          (import "wasi_snapshot_preview1" "path_readlink"
            (func $readlink (param i32 i32 i32 i32 i32 i32) (result i32)))
          (memory (export "memory") 1)
          (func (export "readlink") (param $name i32) (param $length i32) (param $capacity i32) (result i32)
            (call $readlink (i32.const 3) (local.get $name) (local.get $length) (i32.const 256) (local.get $capacity) (i32.const 512)))
          (func (export "used") (result i32) (i32.load (i32.const 512))))
        """

    @Test("readlink of a link to a host path is EPERM, as in wasmtime; a relative target reads back")
    func readlinkHidesHostPaths() throws {
        let dir = try makeScratch()
        defer { removeScratch(dir) }
        let sandbox = (dir as NSString).appendingPathComponent("sandbox")
        try FileManager.default.createDirectory(atPath: sandbox, withIntermediateDirectories: false)
        try FileManager.default.createSymbolicLink(atPath: sandbox + "/abs", withDestinationPath: "/etc/passwd")
        try FileManager.default.createSymbolicLink(atPath: sandbox + "/rel", withDestinationPath: "sub/file.txt")
        let wasi = try WASI(WASIConfiguration(preopens: [.init(guestPath: "/sandbox", hostPath: sandbox)]))
        let instance = try instantiate(wat: Self.wat, imports: wasi.imports)
        let memory = try instance.exports.memory("memory")
        let readlink = try instance.exports.function("readlink")
        func call(_ name: String, capacity: UInt32 = 64) throws -> UInt32 {
            try memory.write(Array(name.utf8), at: 0)
            guard case .i32(let errno)? = try readlink.call([.i32(0), .i32(UInt32(name.utf8.count)), .i32(capacity)]).first else {
                return .max
            }
            return errno
        }
        #expect(try call("abs") == 63)  // EPERM
        #expect(try memory.read(at: 256, count: 4) == [0, 0, 0, 0])  // nothing of the host path reached the guest
        #expect(try call("rel") == 0)
        let used = try instance.exports.function("used").call([])
        #expect(used == [.i32(12)])
        #expect(try memory.read(at: 256, count: 12) == Array("sub/file.txt".utf8))
        #expect(try call("rel", capacity: 3) == 0)  // truncated, as readlink(2) does
        #expect(try instance.exports.function("used").call([]) == [.i32(3)])
        #expect(try call("missing") != 0)
    }
}
