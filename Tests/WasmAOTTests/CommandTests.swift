import Foundation
import Testing
import WasmAOT
import WasmAOTCommands
import WasmAOTCompiler
import WasmAOTSpecTest

/// What the `wasmaot` commands do (the CLI only parses flags into these requests).
@Suite("Commands")
struct CommandTests {
    static let wat = """
        (module
          (import "env" "log" (func (param i32)))
          (memory (export "mem") 1 2)
          (table (export "tab") 2 funcref)
          (global (export "g") (mut i64) (i64.const 7))
          (data (i32.const 0) "hi")
          (func $add (export "add") (param i32 i64) (result i64) (i64.add (i64.extend_i32_s (local.get 0)) (local.get 1)))
          (func (export "div") (param i32 i32) (result i32) (i32.div_s (local.get 0) (local.get 1)))
        )
        """
    static let standalone = """
        (module
          (func (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))
          (func (export "div") (param i32 i32) (result i32) (i32.div_s (local.get 0) (local.get 1)))
          (func (export "spin") (loop $l (br $l)))
          (func (export "v") (param v128) (result v128) (local.get 0)))
        """
    static let exiting = """
        (module
          (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
          (memory (export "memory") 1)
          (func (export "_start") (call $exit (i32.const 3))))
        """

    /// Writes `text` to `name` in a new scratch directory; returns the directory and the file.
    func scratchFile(_ name: String, _ text: String) throws -> (dir: String, path: String) {
        let dir = try makeScratch()
        let path = (dir as NSString).appendingPathComponent(name)
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return (dir, path)
    }

    @Test("values parse as the command line writes them")
    func parseValues() throws {
        #expect(Value(parsing: "-1", as: .i32) == .i32(0xFFFF_FFFF))
        #expect(Value(parsing: "4294967295", as: .i32) == .i32(0xFFFF_FFFF))
        #expect(Value(parsing: "4294967296", as: .i32) == nil)
        #expect(Value(parsing: "-9223372036854775808", as: .i64) == .i64(1 << 63))
        #expect(Value(parsing: "1.5", as: .f64) == .double(1.5))
        #expect(Value(parsing: "x", as: .f32) == nil)
        #expect(Value(parsing: "null", as: .externref) == .externref(nil))
        #expect(Value(parsing: "\(UInt.max)", as: .externref) == nil)
        #expect(Value(parsing: "null", as: .funcref) == .funcref(nil))
        #expect(Value(parsing: "1", as: .funcref) == nil)
        var bytes = SIMD16<UInt8>()
        bytes[0] = 0x10
        bytes[15] = 0xAB
        #expect(Value(parsing: "0xab000000000000000000000000000010", as: .v128) == .v128(bytes))
        #expect(Value(parsing: "0xab", as: .v128) == nil)
        #expect(try Value.parse(["2", "3"], as: [.i32, .i64]) == [.i32(2), .i64(3)])
        #expect(throws: UsageError("expected 2 arguments, got 1")) { try Value.parse(["2"], as: [.i32, .i64]) }
        #expect(throws: UsageError("cannot parse 'x' as i64")) { try Value.parse(["2", "x"], as: [.i32, .i64]) }
    }

    @Test("a WASI configuration from flags: argv[0] the file name, KEY=VALUE pairs, HOST::GUEST directories")
    func wasiConfiguration() throws {
        let c = try WASIConfiguration(
            program: "build/app.wasm", arguments: ["a", "b"], dirs: ["./data::/d", "/tmp"], env: ["K=V=W", "E="])
        #expect(c.args == ["app.wasm", "a", "b"])
        #expect(c.env == ["K": "V=W", "E": ""])
        #expect(c.preopens == [.init(guestPath: "/d", hostPath: "./data"), .init(guestPath: "/tmp", hostPath: "/tmp")])
        #expect(throws: UsageError("--env expects KEY=VALUE, got '=x'")) {
            try WASIConfiguration(program: "app", arguments: [], env: ["=x"])
        }
    }

    @Test("compile writes beside the input by default; a module is told from an object by content")
    func compileAndSniff() throws {
        let (dir, wat) = try scratchFile("m.wat", Self.standalone)
        defer { removeScratch(dir) }
        var options = CompileOptions(optimization: 1)
        options.unitCache = dir
        let result = try CompileModule.run(input: wat, options: options)
        #expect(result.outputPath.hasSuffix("/m.so"))
        #expect(Module.isObjectFile(atPath: result.outputPath))
        #expect(!Module.isObjectFile(atPath: wat))
        #expect(!Module.isObjectFile(atPath: dir + "/missing"))
        let summary = CompileModule.summary(result, options: options).split(separator: "\n")
        #expect(summary.count == 2 && summary[0].contains("clang") && summary[1].hasSuffix("(1 unit, 0 from the unit cache)"))
        #expect(throws: CommandFailure("\(dir)/missing.wat: cannot read '\(dir)/missing.wat'")) {
            try CompileModule.run(input: dir + "/missing.wat", options: options)
        }
    }

    @Test("a .wat runs through the compile cache: compiled once, a damaged entry rebuilt")
    func loadThroughCache() throws {
        let (dir, wat) = try scratchFile("m.wat", Self.standalone)
        defer { removeScratch(dir) }
        let cache = (dir as NSString).appendingPathComponent("cache")
        // A damaged entry (one not loaded in this process: a loaded object is never rewritten),
        // still starting like an ELF file, is rebuilt, not reported.
        let (entry, hit) = try CompileCache(directory: cache).object(for: try Compiler.readModule(path: wat), options: CompileOptions())
        #expect(!hit)
        try Data(ELFStart.bytes).write(to: URL(fileURLWithPath: entry), options: .atomic)
        let first = try ModuleSource.load(wat, cacheDirectory: cache)
        #expect(first.path == entry && first.exports.count == 4)
        // A hit is not rebuilt: the same file (a rebuild renames a new one into place).
        let inode = try FileManager.default.attributesOfItem(atPath: entry)[.systemFileNumber] as? Int
        let second = try ModuleSource.load(wat, cacheDirectory: cache)
        #expect(second.path == entry)
        #expect(try FileManager.default.attributesOfItem(atPath: entry)[.systemFileNumber] as? Int == inode)
        let uncached = try ModuleSource.load(wat, cache: false)
        #expect(!FileManager.default.fileExists(atPath: uncached.path))
        #expect(throws: CommandFailure.self) { try ModuleSource.load(dir + "/nothing.wasm", cacheDirectory: cache) }
    }

    @Test("run --invoke prints each result; bad arguments and traps are failures with their status")
    func runInvoke() throws {
        let (dir, wat) = try scratchFile("m.wat", Self.standalone)
        defer { removeScratch(dir) }
        var request = RunRequest(module: wat)
        request.cacheDirectory = dir
        request.invoke = "add"
        request.arguments = ["--", "2", "-5"]
        var printed: [String] = []
        #expect(try request.run(output: { printed.append($0) }, stuck: { _ in }) == 0)
        #expect(printed == ["-3 : i32"])
        request.arguments = ["2"]
        #expect(throws: CommandFailure("'add' has type (i32, i32) -> (i32): expected 2 arguments, got 1")) {
            try request.run(stuck: { _ in })
        }
        request.invoke = "v"
        request.arguments = ["0x000102030405060708090a0b0c0d0e0f"]
        printed = []
        _ = try request.run(output: { printed.append($0) }, stuck: { _ in })
        #expect(printed == ["0x0c0d0e0f 0x08090a0b 0x04050607 0x00010203 : v128"])
        request.invoke = "div"
        request.arguments = ["1", "0"]
        do {
            _ = try request.run(stuck: { _ in })
            Issue.record("div by zero returned")
        } catch {
            #expect(error.status == CommandFailure.trapStatus)
            #expect(error.message.hasPrefix("wasm trap: integer divide by zero"))
        }
        request.invoke = "nope"
        #expect(throws: CommandFailure("\(wat): no export named 'nope'")) { try request.run(stuck: { _ in }) }
    }

    @Test("run drives a library: data through its allocator (text and @FILE), data results, --preload")
    func runLibrary() throws {
        let (dir, wat) = try scratchFile("lib.wat", GuestDataTests.wat)
        defer { removeScratch(dir) }
        try "from a file".write(toFile: dir + "/in.txt", atomically: true, encoding: .utf8)
        var request = RunRequest(module: wat)
        request.cacheDirectory = dir
        request.invoke = "to_upper"
        request.data = [.init(commandLine: "hello, library")]
        request.returning = .addressAndLength
        var written: [UInt8] = []
        #expect(try request.run(write: { written += $0 }, stuck: { _ in }) == 0)
        #expect(String(decoding: written, as: UTF8.self) == "HELLO, LIBRARY")
        request.data = [.init(commandLine: "@" + dir + "/in.txt")]
        written = []
        _ = try request.run(write: { written += $0 }, stuck: { _ in })
        #expect(String(decoding: written, as: UTF8.self) == "FROM A FILE")
        #expect(RunRequest.DataArgument(commandLine: "@@x") == .text("@x"))
        // Two inputs, a record result; data and a numeric result.
        (request.invoke, request.returning) = ("concat", .record)
        request.data = [.init(commandLine: "ab"), .init(commandLine: "cd")]
        written = []
        _ = try request.run(write: { written += $0 }, stuck: { _ in })
        #expect(written == Array("abcd".utf8))
        (request.invoke, request.returning, request.data) = ("sum", nil, [.text("\u{1}\u{2}")])
        var printed: [String] = []
        _ = try request.run(output: { printed.append($0) }, stuck: { _ in })
        #expect(printed == ["3 : i32"])
        request.data = [.file(dir + "/missing")]
        let missing = #expect(throws: CommandFailure.self) { try request.run(stuck: { _ in }) }
        #expect(missing?.message.hasSuffix("cannot read '\(dir)/missing'") == true)

        // --preload: the module imports another one's exports by name.
        let main = dir + "/main.wat"
        try
            (#"(module (import "lib" "sum" (func $sum (param i32 i32) (result i32))) (import "lib" "memory" (memory 1))"#
            + #"(data (i32.const 2000) "\05\06") (func (export "f") (result i32) (call $sum (i32.const 2000) (i32.const 2))))"#)
            .write(toFile: main, atomically: true, encoding: .utf8)
        var linked = RunRequest(module: main)
        linked.cacheDirectory = dir
        linked.invoke = "f"
        linked.preloads = [("lib", wat)]
        printed = []
        _ = try linked.run(output: { printed.append($0) }, stuck: { _ in })
        #expect(printed == ["11 : i32"])
        linked.preloads = []
        #expect(throws: CommandFailure.self) { try linked.run(stuck: { _ in }) }
    }

    @Test("run: the guest's proc_exit code is the status; --timeout interrupts a guest that never ends")
    func runCommandAndTimeout() throws {
        let (dir, wat) = try scratchFile("exit.wat", Self.exiting)
        defer { removeScratch(dir) }
        var request = RunRequest(module: wat)
        request.cacheDirectory = dir
        #expect(try request.run(stuck: { _ in }) == 3)

        let spin = (dir as NSString).appendingPathComponent("spin.wat")
        try Self.standalone.write(toFile: spin, atomically: true, encoding: .utf8)
        var looping = RunRequest(module: spin)
        (looping.cacheDirectory, looping.invoke, looping.timeout) = (dir, "spin", 0.2)
        do {
            _ = try looping.run(stuck: { _ in })
            Issue.record("the endless loop returned")
        } catch {
            #expect(error.status == CommandFailure.trapStatus)
            #expect(error.message.hasPrefix("wasm trap: interrupted (--timeout 0.2 s)"))
        }
        // An object compiled without polls cannot honour a timeout.
        let so = try CompileModule.run(input: spin, options: CompileOptions(optimization: 1)).outputPath
        var plain = RunRequest(module: so)
        (plain.invoke, plain.timeout) = ("spin", 1)
        #expect(
            throws: CommandFailure(
                "\(so): --timeout needs code that polls for interruption: compile it with `wasmaot compile --interruptible`")
        ) {
            try plain.run(stuck: { _ in })
        }
    }

    @Test("bench: both engines agree, times per run, text and JSON reports")
    func bench() throws {
        let (dir, wat) = try scratchFile("m.wat", Self.standalone)
        defer { removeScratch(dir) }
        var request = BenchRequest(module: wat)
        (request.cacheDirectory, request.invoke, request.arguments, request.runs) = (dir, "add", ["20", "22"], 3)
        let report = try request.run()
        #expect(report.aot.times.count == 3 && report.wasmkit?.times.count == 1)
        #expect(report.aot.last.outcome == "[42 : i32]" && report.disagreement == nil)
        #expect(report.text.contains("speed-up"), "\(report.text)")
        #expect(report.text.hasPrefix("wasmaot  median "), "\(report.text)")
        let json = try JSONSerialization.jsonObject(with: Data(report.json.utf8)) as? [String: Any]
        #expect((json?["aot"] as? [String: Any])?["outcome"] as? String == "[42 : i32]")
        #expect(json?["speedup"] is Double)

        request.invoke = "div"
        request.arguments = ["1", "0"]
        #expect(try request.run().aot.last.outcome == "trap")

        var instantiation = BenchRequest(module: wat)
        (instantiation.cacheDirectory, instantiation.instantiate, instantiation.runs) = (dir, true, 4)
        let timed = try instantiation.run()
        #expect(timed.measuresInstantiation && timed.aot.times.count == 4 && timed.teardown.count == 3)
        #expect(timed.text.contains("µs"))

        #expect(median([3, 1, 2]) == 2 && median([4, 1, 3, 2]) == 3 && median([]) == 0)
        instantiation.runs = 0
        #expect(throws: CommandFailure.self) { try instantiation.run() }
    }

    @Test("inspect reports imports, exports and limits as the loader's messages write them")
    func inspect() throws {
        let module = try load(wat: Self.wat)
        let lines = Inspect.report(module).split(separator: "\n").map(String.init)
        #expect(lines.contains("functions:   1 imported, 2 defined"))
        #expect(lines.contains("  env.log: function (i32) -> ()"))
        #expect(lines.contains("  mem: memory 0 {min 1, max 2}"))
        #expect(lines.contains("  tab: table 0 funcref {min 2}"))
        #expect(lines.contains("  g: global 0 mut i64"))
        #expect(lines.contains("  add: function 1 (i32, i64) -> (i64)"))
        #expect(lines.contains("memory 0: {min 1, max 2} pages"))
        #expect(lines.contains("data segments: 1 (2 bytes), element segments: 0"))
        #expect(
            lines.contains {
                $0.hasPrefix("format:")
                    && $0.hasSuffix("runtime ABI \(Module.runtimeABIVersion) (this runtime: \(Module.runtimeABIVersion))")
            })
        #expect(lines.contains("features:    none beyond WebAssembly 2.0"))
    }

    @Test("inspect lists the proposals beyond 2.0 a module uses")
    func inspectFeatures() throws {
        let module = try load(
            wat: """
                (module
                  (memory 1) (memory $big i64 1)
                  (func $f (param i64) (result i32) (return_call $g (i32.load8_u $big (local.get 0))))
                  (func $g (param i32) (result i32) (local.get 0)))
                """)
        let lines = Inspect.report(module).split(separator: "\n").map(String.init)
        #expect(lines.contains("features:    memory64, multi-memory, tail calls"), "\(lines)")
        #expect(lines.contains("memory 1: i64 {min 1} pages"))
    }

    @Test("spec tests: a child's result line, the expectations file, regressions and known failures")
    func specTestSuite() throws {
        let ok = SpecTestSuite.parseChild(name: "a.wast", output: "  a.wast: x\nRESULT\ta.wast\t5\t2\t1\n", status: 0)
        #expect(ok == SpecFileResult(file: "a.wast", passed: 5, failed: 2, skipped: 1, failures: ["  a.wast: x"]))
        let died = SpecTestSuite.parseChild(name: "b.wast", output: "partial", status: 139)
        #expect(died.failed == 1 && died.failures == ["  runner died (status 139)"])
        let expected = SpecTestSuite.parseExpectations("# comment\na.wast 5 needs GC\nc.wast 3\nbad line\n")
        #expect(expected == ["a.wast": 5, "c.wast": 3])
        let results = [ok, died, SpecFileResult(file: "c.wast", passed: 2, failed: 1), SpecFileResult(file: "d.wast", passed: 9)]
        let (regressions, known) = SpecTestSuite.check(results, against: expected)
        #expect(regressions == ["b.wast: 1 failed, expected to pass fully", "c.wast: 2 passed, expected at least 3"])
        #expect(known == 2)

        let (dir, wast) = try scratchFile(
            "t.wast",
            """
            (module (func (export "f") (result i32) (i32.const 1)))
            (assert_return (invoke "f") (i32.const 1))
            (assert_return (invoke "f") (i32.const 2))
            """)
        defer { removeScratch(dir) }
        var printed: [String] = []
        SpecTestSuite.runSingle(wast, compile: CompileOptions(optimization: 0), verbose: true) { printed.append($0) }
        #expect(printed.last == "RESULT\tt.wast\t2\t1\t0")  // the module and one assertion pass
        #expect(printed.count == 2)
        let suite = SpecTestSuite(executable: "/nonexistent")
        #expect(throws: CommandFailure("no such file or folder: \(dir)/none")) { try suite.run([dir + "/none"]) }
    }

    @Test("spec tests: a failed `either` names its options as values, in a form people read")
    func specTestEither() throws {
        let (dir, wast) = try scratchFile(
            "either.wast",
            """
            (module (func (export "id") (param v128) (result v128) (local.get 0)))
            (assert_return (invoke "id" (v128.const i32x4 1 2 3 4))
              (either (v128.const i32x4 1 2 3 5) (v128.const f32x4 nan:canonical 1.5 -0 0) (v128.const f64x2 1 nan:arithmetic)))
            (assert_return (invoke "id" (v128.const i32x4 1 2 3 4)) (either (v128.const i32x4 0 0 0 0) (v128.const i32x4 1 2 3 4)))
            """)
        defer { removeScratch(dir) }
        var printed: [String] = []
        SpecTestSuite.runSingle(wast, compile: CompileOptions(optimization: 0), verbose: true) { printed.append($0) }
        #expect(printed.last == "RESULT\teither.wast\t2\t1\t0")  // the second `either` matches its second option
        let failure = try #require(printed.first { $0.contains("line 2") })
        #expect(
            failure.hasSuffix(
                "invoke id(0x00000001 0x00000002 0x00000003 0x00000004 : v128): expected either("
                    + "0x00000001 0x00000002 0x00000003 0x00000005 : v128 | f32x4 nan 1.5 -0.0 0.0 : v128 | "
                    + "f64x2 1.0 nan : v128), got 0x00000001 0x00000002 0x00000003 0x00000004 : v128"),
            "\(failure)")
    }
}

/// The first bytes of an ELF file, and nothing a loader can use.
enum ELFStart {
    static let bytes: [UInt8] = [0x7F, 0x45, 0x4C, 0x46] + [UInt8](repeating: 0, count: 60)
}
