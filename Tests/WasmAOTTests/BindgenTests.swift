import Foundation
import Testing
import WasmAOT
@testable import WasmAOTCommands
import WasmAOTCompiler

/// `wasmaot bindgen`: the bindings of `Bindings/calc.wat` are generated into
/// `Bindings/CalcBindings.swift`, compiled with these tests (so a wrong name or type there fails
/// the build) and called through.
@Suite("Bindings")
struct BindgenTests {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Bindings")

    /// The host side of calc.wat's imports, through the generated protocol.
    final class Host: CalcImports, @unchecked Sendable {
        var logged: [Int32] = []
        func envLog(_ caller: Caller, _ p0: Int32) throws { logged.append(p0) }
        func envNow(_ caller: Caller) throws -> Int64 { 1_000 }
        func envPair(_ caller: Caller) throws -> (Int32, Int32) { (40, 2) }
    }

    @Test("the checked-in bindings are what bindgen writes for calc.wat")
    func upToDate() throws {
        let wat = Self.directory.appendingPathComponent("calc.wat").path
        let generated = try Bindgen.run(module: wat, output: nil, name: nil)
        let checkedIn = try String(contentsOf: Self.directory.appendingPathComponent("CalcBindings.swift"), encoding: .utf8)
        #expect(
            generated == checkedIn,
            "regenerate: wasmaot bindgen Tests/WasmAOTTests/Bindings/calc.wat -o Tests/WasmAOTTests/Bindings/CalcBindings.swift")
    }

    @Test("calls through the generated bindings: typed methods, tuples, values, properties, imports")
    func callThrough() throws {
        let module = try Module(compiling: Self.directory.appendingPathComponent("calc.wat").path, cacheDirectory: nil)
        let host = Host()
        let wasi = try WASI(WASIConfiguration())
        let calc = try Calc(module.instantiate(imports: host.imports.merging(wasi.imports) { mine, _ in mine }))
        #expect(try calc.add(2, 40) == 42)
        #expect(try calc.scale(1.5, 4) == 6)
        let (wide, narrow) = try calc.swap(7, 1 << 40)
        #expect(wide == 1 << 40 && narrow == 7)
        #expect(try calc.idRef(.externref(99)) == [.externref(99)])
        #expect(try calc.toUpper(97) == 65)
        #expect(try calc.default() == 7)
        #expect(try calc._2fast() == 2)
        try calc.tick()
        try calc.tick()
        #expect(host.logged == [1, 2])
        #expect(try calc.count.value == .i32(2))
        #expect(try calc.later(5) == 1_005)
        #expect(try calc.sumPair() == 42)
        #expect(try calc.memory.pages == 1)
    }

    @Test("bindings refuse an instance whose exports differ")
    func mismatch() throws {
        let other = try instantiate(wat: #"(module (func (export "add") (param i64 i64) (result i64) (local.get 0)))"#)
        #expect(throws: UsageError.self) { try Calc(other) }
    }

    @Test("wasm names become Swift identifiers; type names come from file names")
    func names() {
        #expect(Bindgen.identifier("to_upper") == "toUpper")
        #expect(Bindgen.identifier("sum-pair") == "sumPair")
        #expect(Bindgen.identifier("2fast") == "_2fast")
        #expect(Bindgen.identifier("default") == "`default`")
        #expect(Bindgen.identifier("instance") == "instance_")
        #expect(Bindgen.identifier("héllo wörld") == "hLloWRld")
        #expect(Bindgen.identifier("") == "_")
        #expect(Bindgen.typeName(forFile: "dir/graph-lib.wasm") == "GraphLib")
        #expect(Bindgen.typeName(forFile: "3d.wasm") == "Module3d")
    }
}
