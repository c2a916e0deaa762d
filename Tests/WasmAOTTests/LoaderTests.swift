import Foundation
import Testing
@testable import WasmAOT
import WasmAOTFormat
import WasmAOTRuntime

/// The loader checks a `.so` before running anything from it, and binds
/// imports by (module, name, type) with errors that say what is wrong.
@Suite("Loader errors")
struct LoaderTests {
    static let wat = """
        (module
          (import "env" "log" (func $log (param i32)))
          (import "env" "mem" (memory 1 2))
          (import "env" "g" (global (mut i64)))
          (func (export "run") (call $log (i32.const 1)))
        )
        """

    /// A compiled copy of `wat` in a fresh scratch directory: (directory, .so path).
    func compiled(_ source: String = wat) throws -> (String, String) {
        let dir = try makeScratch()
        let so = (dir as NSString).appendingPathComponent("module.so")
        try compile(wat: source, to: so)
        return (dir, so)
    }

    func loadError(_ path: String, sourceLocation: SourceLocation = #_sourceLocation) -> LoadError? {
        do {
            _ = try Module(loading: path)
            Issue.record("expected a load error", sourceLocation: sourceLocation)
            return nil
        } catch {
            return error
        }
    }

    @Test("function types of up to WASMAOT_MAX_ARITY parameters load and run; one more is refused")
    func arityLimit() throws {
        let limit = Int(WASMAOT_MAX_ARITY)
        func module(params: Int) -> String {
            let types = Array(repeating: "i32", count: params).joined(separator: " ")
            return "(module (func (export \"f\") (param \(types)) (result i32) (i32.sub (local.get 0) (local.get \(params - 1)))))"
        }
        let instance = try instantiate(wat: module(params: limit))
        let arguments = (0..<limit).map { Value.i32(UInt32($0) * 2 + 1) }
        #expect(try instance.exports.function("f").call(arguments) == [.int32(1 - Int32(2 * limit - 1))])

        let (dir, so) = try compiled(module(params: limit + 1))
        defer { removeScratch(dir) }
        guard case .inconsistent(_, let reason)? = loadError(so) else { Issue.record("expected .inconsistent"); return }
        #expect(reason.contains("at most \(limit) parameters and \(limit) results"), "\(reason)")
    }

    @Test func missingFile() {
        let error = loadError("/nonexistent/dir/module.so")
        guard case .unreadable(let path, let reason)? = error else { Issue.record("got \(String(describing: error))"); return }
        #expect(path == "/nonexistent/dir/module.so")
        #expect(reason == "no such file")
    }

    @Test func notELF() throws {
        let dir = try makeScratch()
        defer { removeScratch(dir) }
        let path = (dir as NSString).appendingPathComponent("text.so")
        try Data("(module)".utf8).write(to: URL(fileURLWithPath: path))
        let error = loadError(path)
        guard case .notAModule(_, let reason)? = error else { Issue.record("got \(String(describing: error))"); return }
        #expect(reason == "not an ELF file")
    }

    @Test(arguments: [16, 64, 1000, -100])
    func truncated(keep: Int) throws {
        let (dir, so) = try compiled()
        defer { removeScratch(dir) }
        var bytes = try Data(contentsOf: URL(fileURLWithPath: so))
        bytes = bytes.prefix(keep >= 0 ? keep : bytes.count + keep)
        try bytes.write(to: URL(fileURLWithPath: so))
        let error = loadError(so)
        guard case .notAModule(_, let reason)? = error else { Issue.record("got \(String(describing: error))"); return }
        #expect(!reason.isEmpty)
    }

    @Test("a shared object not made by wasmaot is refused before dlopen")
    func foreignSharedObject() throws {
        let dir = try makeScratch()
        defer { removeScratch(dir) }
        let c = (dir as NSString).appendingPathComponent("evil.c")
        let so = (dir as NSString).appendingPathComponent("evil.so")
        let marker = (dir as NSString).appendingPathComponent("constructor-ran")
        // A constructor that would leave a file behind if the object were ever dlopen'ed.
        try Data(
            """
            #include <stdio.h>
            __attribute__((constructor)) static void ran(void) { FILE *f = fopen("\(marker)", "w"); if (f) fclose(f); }
            const int wasmaot_module = 1;
            """.utf8
        ).write(to: URL(fileURLWithPath: c))
        let clang = ["/opt/swift/usr/bin/clang", "/usr/bin/clang"].first { FileManager.default.isExecutableFile(atPath: $0) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try #require(clang))
        process.arguments = ["-shared", "-fPIC", "-o", so, c]
        try process.run()
        process.waitUntilExit()
        try #require(process.terminationStatus == 0)
        let error = loadError(so)
        guard case .notAModule(_, let reason)? = error else { Issue.record("got \(String(describing: error))"); return }
        #expect(reason.contains("no .wasmaot_meta section"))
        #expect(!FileManager.default.fileExists(atPath: marker))
    }

    /// Rewrites the metadata section of `so` in place (the change must keep its length).
    func patchMetadata(_ so: String, _ change: (inout ModuleMetadata) -> Void) throws {
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: so)))
        let section = try ELFSection.read(".wasmaot_meta", in: bytes, path: so)
        var metadata = try ModuleMetadata.decode(Array(section))
        change(&metadata)
        let encoded = metadata.encode()
        try #require(encoded.count == section.count)
        bytes.replaceSubrange(section.startIndex..<section.endIndex, with: encoded)
        try Data(bytes).write(to: URL(fileURLWithPath: so))
    }

    @Test("an object built for another runtime ABI gets a message naming both versions")
    func wrongABI() throws {
        let (dir, so) = try compiled()
        defer { removeScratch(dir) }
        try patchMetadata(so) { $0.abiVersion = Module.runtimeABIVersion + 1 }
        let error = loadError(so)
        guard case .abiMismatch(_, let compiler, let moduleABI, let runtimeABI)? = error else {
            Issue.record("got \(String(describing: error))")
            return
        }
        #expect(moduleABI == Module.runtimeABIVersion + 1)
        #expect(runtimeABI == Module.runtimeABIVersion)
        #expect(compiler.hasPrefix("wasmaot "))
        #expect(error!.description.contains("with ABI \(moduleABI); this runtime accepts ABI \(runtimeABI)"))
    }

    @Test("corrupt metadata is refused with the offset of the problem")
    func corruptMetadata() throws {
        let (dir, so) = try compiled()
        defer { removeScratch(dir) }
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: so)))
        let section = try ELFSection.read(".wasmaot_meta", in: bytes, path: so)
        bytes[section.startIndex + 7] = UInt8(ascii: "X")  // "WAOTMETA" → "WAOTMETX"
        try Data(bytes).write(to: URL(fileURLWithPath: so))
        let error = loadError(so)
        guard case .invalidMetadata? = error else { Issue.record("got \(String(describing: error))"); return }
        #expect(error!.description.contains("WAOTMETA"))
    }

    @Test("metadata whose indices do not fit the module is refused")
    func inconsistentMetadata() throws {
        let (dir, so) = try compiled()
        defer { removeScratch(dir) }
        // Point the export at a function index past the end (same encoded length).
        try patchMetadata(so) { $0.exports[0].index = 99 }
        let error = loadError(so)
        guard case .invalidMetadata? = error else { Issue.record("got \(String(describing: error))"); return }
    }

    // MARK: Import binding

    func imports(log: (any Extern)? = nil, mem: (any Extern)? = nil, g: (any Extern)? = nil) throws -> Imports {
        let defaultMemory = try Memory(limits: Limits(min: 1, max: 2))
        let defaultGlobal = try Global(type: GlobalType(type: .i64, mutable: true), value: .i64(0))
        return [
            "env": [
                "log": log ?? HostFunction(params: [.i32]) { _, _ in [] },
                "mem": mem ?? defaultMemory,
                "g": g ?? defaultGlobal,
            ]
        ]
    }

    func instantiationError(_ imports: Imports, sourceLocation: SourceLocation = #_sourceLocation) throws -> InstantiationError? {
        let (dir, so) = try compiled()
        defer { removeScratch(dir) }
        let module = try Module(loading: so)
        do {
            _ = try module.instantiate(imports: imports)
            Issue.record("expected an instantiation error", sourceLocation: sourceLocation)
            return nil
        } catch {
            return error
        }
    }

    @Test func allImportsBound() throws {
        let (dir, so) = try compiled()
        defer { removeScratch(dir) }
        _ = try Module(loading: so).instantiate(imports: try imports())
    }

    @Test func missingImport() throws {
        var provided = try imports()
        provided["env"]!["log"] = nil
        let error = try instantiationError(provided)
        guard case .missingImport(let module, let name, let expected)? = error else {
            Issue.record("got \(String(describing: error))"); return
        }
        #expect(module == "env" && name == "log")
        #expect(expected == "function (i32) -> ()")
        #expect(error!.description == "unknown import: env.log is not provided (expected function (i32) -> ())")
    }

    @Test func functionOfTheWrongType() throws {
        let error = try instantiationError(try imports(log: HostFunction(params: [.i64]) { _, _ in [] }))
        guard case .incompatibleImport(_, let name, _, let actual)? = error else {
            Issue.record("got \(String(describing: error))"); return
        }
        #expect(name == "log")
        #expect(actual == "function (i64) -> ()")
    }

    @Test func memoryWhereAFunctionIsExpected() throws {
        let error = try instantiationError(try imports(log: try Memory(limits: Limits(min: 1))))
        guard case .incompatibleImport(_, "log", _, "memory")? = error else { Issue.record("got \(String(describing: error))"); return }
    }

    @Test func memoryWithoutTheRequiredMaximum() throws {
        let error = try instantiationError(try imports(mem: try Memory(limits: Limits(min: 1))))
        guard case .incompatibleImport(_, "mem", let expected, let actual)? = error else {
            Issue.record("got \(String(describing: error))"); return
        }
        #expect(expected == "memory {min 1, max 2}")
        #expect(actual == "memory {min 1}")
    }

    @Test func immutableGlobalForAMutableImport() throws {
        let g = try Global(type: GlobalType(type: .i64, mutable: false), value: .i64(1))
        let error = try instantiationError(try imports(g: g))
        guard case .incompatibleImport(_, "g", "global mut i64", "global i64")? = error else {
            Issue.record("got \(String(describing: error))")
            return
        }
    }

    @Test("a data segment out of bounds traps at instantiation, before the start function")
    func segmentOutOfBounds() throws {
        let module = try load(
            wat: """
                (module (memory 1) (data (i32.const 65535) "ab")
                  (func $start unreachable) (start $start))
                """)
        do {
            _ = try module.instantiate()
            Issue.record("expected a trap")
        } catch {
            guard case .trapped(let trap) = error else { Issue.record("got \(error)"); return }
            #expect(trap.kind == .memoryOutOfBounds)
        }
    }

    @Test("a trapping start function fails instantiation with the trap")
    func startTraps() throws {
        let module = try load(wat: "(module (func $start (drop (i32.div_u (i32.const 1) (i32.const 0)))) (start $start))")
        do {
            _ = try module.instantiate()
            Issue.record("expected a trap")
        } catch {
            guard case .trapped(let trap) = error else { Issue.record("got \(error)"); return }
            #expect(trap.kind == .divideByZero)
        }
    }
}
