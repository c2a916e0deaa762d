import Foundation
import Testing
import WasmAOT
import WasmAOTCompiler

/// The getting-started article's code (Sources/WasmAOT/WasmAOT.docc/GettingStarted.md) is the
/// code between the markers below, line for line, and it runs.
@Suite("Documentation")
struct DocumentationTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The lines of `text` between `from` and `to` (exclusive), without their common indentation.
    static func lines(_ text: String, from: String, to: String) -> [String] {
        let all = text.components(separatedBy: "\n")
        guard let start = all.firstIndex(where: { $0.trimmingCharacters(in: .whitespaces) == from }),
            let end = all[(start + 1)...].firstIndex(where: { $0.trimmingCharacters(in: .whitespaces) == to })
        else { return [] }
        let body = Array(all[(start + 1)..<end])
        let indent = body.filter { !$0.isEmpty }.map { $0.prefix { $0 == " " }.count }.min() ?? 0
        return body.map { String($0.dropFirst(min(indent, $0.count))) }
    }

    @Test("the getting-started article: a string in, a string out, a typed host function, on the C guest")
    func gettingStarted() throws {
        let wasmPath = WASITests.programDirectory.appendingPathComponent("guest_api.wasm").path
        guard FileManager.default.fileExists(atPath: wasmPath) else {
            Issue.record("missing \(wasmPath): run Tests/wasi/build.sh \(WASITests.programDirectory.path) (make test does)")
            return
        }
        // article: begin
        let module = try Module(compiling: wasmPath)
        var logged: [String] = []
        let log = HostFunction { (caller: Caller, text: UInt32, length: UInt32) in
            logged.append(try caller.memory!.readString(at: Int(text), count: Int(length)))
        }
        let wasi = try WASI(WASIConfiguration())
        var imports = wasi.imports
        imports["host"] = ["log": log]
        let instance = try module.instantiate(imports: imports)
        let shouted = try instance.call(
            "shout", passing: [Array("hello".utf8)], returning: .record, freeingResult: true)
        print(String(decoding: shouted, as: UTF8.self))  // HELLO!
        // article: end
        #expect(String(decoding: shouted, as: UTF8.self) == "HELLO!")
        #expect(logged == ["HELLO!"])

        let article = try String(
            contentsOf: Self.root.appendingPathComponent("Sources/WasmAOT/WasmAOT.docc/GettingStarted.md"), encoding: .utf8)
        let articleCode = Self.lines(article, from: "```swift", to: "```").filter { !$0.hasPrefix("import ") && !$0.isEmpty }
        let testCode = Self.lines(try String(contentsOfFile: #filePath, encoding: .utf8), from: "// article: begin", to: "// article: end")
        #expect(!testCode.isEmpty)
        #expect(articleCode == testCode, "the article's code and this test's differ: keep them the same")
    }
}
