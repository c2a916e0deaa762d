import Foundation
import Testing
import WasmAOTCompiler

/// Golden tests of the emitted C: every module `Tests/Golden/NAME.wat` is translated
/// (no clang) and its C compared with `NAME.c`, and with `NAME.VARIANT.c` for each
/// variant the module names on a line `;; golden variants: bounds-explicit interruptible`.
/// `WASMAOT_UPDATE_GOLDEN=1` rewrites the expected files instead (see `Tests/Golden/README.md`).
@Suite("Golden C")
struct GoldenTests {
    /// Options beyond the defaults that a module can ask to be translated with.
    enum Variant: String, CaseIterable, Sendable {
        case boundsExplicit = "bounds-explicit"
        case interruptible

        func apply(to options: inout CompileOptions) {
            switch self {
            case .boundsExplicit: options.bounds = .explicit
            case .interruptible: options.interruptible = true
            }
        }
    }

    struct Case: Sendable, CustomTestStringConvertible {
        /// The module's base name: `NAME` of `NAME.wat`.
        var module: String
        var variant: Variant?
        var expectedFile: String { module + (variant.map { "." + $0.rawValue } ?? "") + ".c" }
        var testDescription: String { expectedFile }
    }

    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Golden").path

    /// The `.incbin` path written into the C. `Compiler.compile` passes a file in its
    /// temporary work directory; a fixed one keeps the text independent of where that is.
    static let metadataPath = "module.meta"

    static let updating = ProcessInfo.processInfo.environment["WASMAOT_UPDATE_GOLDEN"] == "1"

    static let modules: [String] = {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return files.filter { $0.hasSuffix(".wat") }.map { String($0.dropLast(4)) }.sorted()
    }()

    /// The variants a module lists on a `;; golden variants:` line.
    static func variants(of module: String) throws -> [Variant] {
        let text = try String(contentsOfFile: "\(directory)/\(module).wat", encoding: .utf8)
        let prefix = ";; golden variants:"
        guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix(prefix) }) else { return [] }
        return try line.dropFirst(prefix.count).split(separator: " ").map { name in
            guard let variant = Variant(rawValue: String(name)) else {
                throw GoldenError("\(module).wat: unknown golden variant '\(name)' (known: \(Variant.allCases.map(\.rawValue)))")
            }
            return variant
        }
    }

    static let cases: [Case] = modules.flatMap { module in
        [Case(module: module, variant: nil)]
            + ((try? variants(of: module)) ?? []).map { Case(module: module, variant: $0) }
    }

    /// The C units of a module, as `Compiler.compile` would hand them to clang.
    static func translate(_ golden: Case) throws -> String {
        let text = try String(contentsOfFile: "\(directory)/\(golden.module).wat", encoding: .utf8)
        var options = CompileOptions()
        golden.variant?.apply(to: &options)
        let translation = try Compiler.translate(
            wasm: try ModuleDecoder.wat2wasm(text), metadataPath: metadataPath, options: options)
        // Small modules are one unit; should one ever be split, each unit is shown in turn.
        if translation.cUnits.count == 1 { return translation.cUnits[0] }
        return translation.cUnits.enumerated().map { "/* ---- unit \($0.offset) ---- */\n" + $0.element }.joined()
    }

    @Test("the C emitted for each golden module is the reviewed one", arguments: cases)
    func emittedC(_ golden: Case) throws {
        let actual = try Self.translate(golden)
        let path = "\(Self.directory)/\(golden.expectedFile)"
        if Self.updating {
            if FileManager.default.contents(atPath: path) != Data(actual.utf8) {
                try Data(actual.utf8).write(to: URL(fileURLWithPath: path))
                print("golden: updated \(golden.expectedFile)")
            }
            return
        }
        guard let expected = try? String(contentsOfFile: path, encoding: .utf8) else {
            Issue.record("no \(golden.expectedFile): review the C and write it with WASMAOT_UPDATE_GOLDEN=1")
            return
        }
        if let difference = Self.firstDifference(expected: expected, actual: actual) {
            Issue.record(
                """
                the C of \(golden.module).wat\(golden.variant.map { " (\($0.rawValue))" } ?? "") differs from \
                \(golden.expectedFile):
                \(difference)
                If the change is intended, rewrite the expected files with WASMAOT_UPDATE_GOLDEN=1 and review their diff.
                """)
        }
    }

    @Test("the golden directory has a dozen modules and no expected file without its module or variant")
    func inventory() throws {
        #expect(Self.modules.count >= 12, "\(Self.modules.count) modules in \(Self.directory)")
        for module in Self.modules { _ = try Self.variants(of: module) }  // unknown variant names fail here
        let expected = Set(Self.cases.map(\.expectedFile))
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.directory).filter { $0.hasSuffix(".c") }
        for file in files where !expected.contains(file) {
            Issue.record("\(file) is no module's golden file (remove it, or list its variant in the module)")
        }
    }

    /// The first line where the texts differ, with its neighbours, or nil if they are equal.
    static func firstDifference(expected: String, actual: String) -> String? {
        if expected == actual { return nil }
        let old = expected.split(separator: "\n", omittingEmptySubsequences: false)
        let new = actual.split(separator: "\n", omittingEmptySubsequences: false)
        let line = zip(old, new).prefix { $0 == $1 }.count
        func excerpt(_ lines: [Substring]) -> String {
            let range = max(0, line - 2)..<min(lines.count, line + 3)
            return range.map { "\($0 == line ? ">" : " ") \($0 + 1): \(lines[$0])" }.joined(separator: "\n")
        }
        return "first difference at line \(line + 1) (expected \(old.count) lines, got \(new.count))\n"
            + "expected:\n\(excerpt(old))\nactual:\n\(excerpt(new))"
    }
}

struct GoldenError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
