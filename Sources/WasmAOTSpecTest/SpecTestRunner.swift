import Foundation
import WAT
import WasmAOT
import WasmAOTCompiler
import WasmAOTFormat
import WasmParser

/// The outcome of one `.wast` file.
public struct SpecFileResult: Sendable, Equatable {
    public var file: String
    public var passed = 0
    public var failed = 0
    /// Directives that could not be checked: `assert_invalid` text modules that
    /// WasmKit's WAT encoder refuses (e.g. out-of-range indices) when no
    /// `wasm-tools` is available to encode them instead.
    public var skipped = 0
    /// One line per failure: directive line, expected and actual.
    public var failures: [String] = []

    public init(file: String, passed: Int = 0, failed: Int = 0, skipped: Int = 0, failures: [String] = []) {
        (self.file, self.passed, self.failed, self.skipped, self.failures) = (file, passed, failed, skipped, failures)
    }
}

/// Runs `.wast` scripts through the real AOT path: every valid module is
/// compiled to C, built by clang into a `.so` at the given optimisation level,
/// loaded by the loader and instantiated. No interpreter anywhere.
public final class SpecTestRunner {
    public struct Options: Sendable {
        /// Every module is compiled as users compile it, except that a clang warning
        /// fails it: the generated C must be warning-free.
        public var compile: CompileOptions = {
            var options = CompileOptions(optimization: 2)
            options.extraClangFlags = ["-Werror"]
            return options
        }()
        public var verbose = false
        /// `wasm-tools`, to encode `assert_invalid` text modules that WasmKit's WAT
        /// refuses to encode (it resolves every index; the spec's invalid modules
        /// use out-of-range ones). Default: `$WASM_TOOLS`, `.venv/bin/wasm-tools`, PATH.
        public var wasmTools: String? = SpecTestRunner.findWasmTools()
        public init() {}
    }

    let options: Options
    let work: String
    private var moduleCounter = 0

    // Per-file state.
    private var source: [Substring] = []
    private var instances: [String: Instance] = [:]
    private var current: Instance?
    private var registered: [String: Instance] = [:]
    /// `(module definition $M …)` binaries, for `(module instance $I $M)`; nil names the latest.
    private var definitions: [String?: [UInt8]] = [:]
    private var spectest: [String: any Extern] = [:]

    public init(options: Options = .init()) {
        self.options = options
        work = FileManager.default.temporaryDirectory.appendingPathComponent("wasmaot-spec-\(UUID().uuidString)").path
        try? FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: work) }

    /// Runs one `.wast` file.
    public func run(file path: String) -> SpecFileResult {
        var result = SpecFileResult(file: (path as NSString).lastPathComponent)
        instances = [:]
        current = nil
        registered = [:]
        spectest = makeSpectestModule()
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            result.failed = 1
            result.failures.append("cannot read \(path)")
            return result
        }
        source = text.split(separator: "\n", omittingEmptySubsequences: false)
        var wast: WAST
        do { wast = try parseWAST(text, features: .all) } catch {
            result.failed = 1
            result.failures.append("cannot parse: \(error)")
            return result
        }
        while let (directive, location) = wast.nextDirectiveResult() {
            let line = location.computeLineAndColumn().line
            switch directive {
            case .failure(let error):
                result.failed += 1
                result.failures.append("line \(line): cannot parse directive: \(error.error)")
                if error.module != nil { current = nil }
            case .success(let d):
                let outcome = execute(d, line: line, column: location.computeLineAndColumn().column)
                switch outcome {
                case .pass: result.passed += 1
                case .fail(let why):
                    result.failed += 1
                    result.failures.append("line \(line): \(why)")
                case .ignore: break
                case .skip(let why):
                    result.skipped += 1
                    if options.verbose { print("  line \(line): skipped: \(why)") }
                }
                if options.verbose, case .fail(let why) = outcome { print("  line \(line): \(why)") }
            }
        }
        return result
    }

    enum Outcome {
        case pass
        case fail(String)
        case skip(String)
        case ignore
    }

    // MARK: Directives

    private func execute(_ directive: WASTDirective, line: Int, column: Int) -> Outcome {
        switch directive {
        case .module(let m):
            if m.isDefinition {
                do {
                    let bytes = try binary(of: m.source, line: line, column: column)
                    definitions[m.id] = bytes
                    definitions[nil] = bytes
                    return .ignore
                } catch {
                    return .fail("module definition failed: \(error)")
                }
            }
            do {
                let instance = try instantiate(try binary(of: m.source, line: line, column: column))
                current = instance
                if let id = m.id { instances[id] = instance }
                return .pass
            } catch {
                current = nil
                return .fail("module failed: \(error)")
            }
        case .register(let name, let id):
            guard let instance = id.map({ instances[$0] }) ?? current else { return .fail("register: unknown module \(id ?? "(current)")") }
            registered[name] = instance
            return .ignore
        case .invoke(let invoke):
            do {
                _ = try perform(.invoke(invoke))
                return .pass
            } catch { return .fail("invoke \(invoke.name) failed: \(error)") }
        case .assertReturn(let execute, let expected):
            do {
                let actual = try perform(execute)
                guard actual.count == expected.count else {
                    return .fail("\(describe(execute)): expected \(expected.count) results, got \(actual)")
                }
                for (a, e) in zip(actual, expected) where !matches(a, e) {
                    return .fail(
                        "\(describe(execute)): expected \(expected.map(describe).joined(separator: ", ")), got \(actual.map(\.description).joined(separator: ", "))"
                    )
                }
                return .pass
            } catch {
                return .fail("\(describe(execute)): expected \(expected.map(describe).joined(separator: ", ")), got error: \(error)")
            }
        case .assertTrap(let execute, let message):
            do {
                let actual = try perform(execute)
                return .fail("\(describe(execute)): expected trap '\(message)', got \(actual)")
            } catch let trap as Trap {
                return trapMatches(trap.kind, message)
                    ? .pass : .fail("\(describe(execute)): expected trap '\(message)', got '\(trap.kind)'")
            } catch InstantiationError.trapped(let trap) {
                return trapMatches(trap.kind, message)
                    ? .pass : .fail("\(describe(execute)): expected trap '\(message)', got '\(trap.kind)'")
            } catch {
                return .fail("\(describe(execute)): expected trap '\(message)', got error: \(error)")
            }
        case .assertExhaustion(let call, let message):
            do {
                let actual = try perform(.invoke(call))
                return .fail("invoke \(call.name): expected '\(message)', got \(actual)")
            } catch let trap as Trap {
                return trap.kind == .stackExhausted ? .pass : .fail("invoke \(call.name): expected stack exhaustion, got '\(trap.kind)'")
            } catch {
                return .fail("invoke \(call.name): expected stack exhaustion, got error: \(error)")
            }
        case .assertInvalid(let module, let message):
            return expectRejected(module.source, message: message, invalid: true, line: line, column: column)
        case .assertMalformed(let module, let message):
            return expectRejected(module.source, message: message, invalid: false, line: line, column: column)
        case .assertUnlinkable(let wat, let message):
            do {
                let copy = wat
                let bytes = try copy.encode()
                _ = try instantiate(bytes)
                return .fail("expected unlinkable module ('\(message)'), but it instantiated")
            } catch is InstantiationError {
                return .pass
            } catch {
                return .fail("expected unlinkable module ('\(message)'), got: \(error)")
            }
        case .assertException(let execute):
            do {
                let actual = try perform(execute)
                return .fail("\(describe(execute)): expected an exception, got \(actual)")
            } catch is WasmException {
                return .pass
            } catch {
                return .fail("\(describe(execute)): expected an exception, got error: \(error)")
            }
        case .moduleInstance(let id, let module):
            // Each instance of a definition has its own entities (its tags are distinct).
            guard let bytes = definitions[module] else { return .fail("module instance: unknown definition \(module ?? "(latest)")") }
            do {
                let instance = try instantiate(bytes)
                current = instance
                if let id { instances[id] = instance }
                return .pass
            } catch {
                return .fail("module instance failed: \(error)")
            }
        case .assertFuel, .assertOutOfFuel:
            return .fail("unsupported directive \(directive)")
        }
    }

    private func expectRejected(_ source: ModuleSource, message: String, invalid: Bool, line: Int, column: Int) -> Outcome {
        var bytes: [UInt8]
        do { bytes = try binary(of: source) } catch {
            // Malformed text is rejected before our decoder, as it should be.
            guard invalid else { return .pass }
            // A well-formed but invalid module WAT cannot encode: encode its text with wasm-tools.
            guard case .text = source else { return .fail("cannot encode invalid module: \(error)") }
            guard let wasmTools = options.wasmTools else {
                return .skip("invalid text module ('\(message)') not encodable by WAT (\(error)) and no wasm-tools to encode it")
            }
            do {
                guard let text = moduleText(line: line, column: column) else {
                    return .fail("cannot find the module text of the directive")
                }
                bytes = try encodeWithWasmTools(text, wasmTools)
            } catch {
                return .fail("cannot encode invalid module with wasm-tools: \(error)")
            }
        }
        do {
            _ = try Compiler.translate(wasm: bytes, metadataPath: "/dev/null", options: options.compile)
            return .fail("expected \(invalid ? "invalid" : "malformed") module ('\(message)'), but it was accepted")
        } catch {
            switch error {
            case .malformed, .invalid: return .pass
            default: return .fail("expected \(invalid ? "invalid" : "malformed") ('\(message)'), got \(error)")
            }
        }
    }

    // MARK: Modules

    /// The text of the first `(module …)` at or after a directive's position
    /// (1-based line, 0-based column), matched by parentheses outside strings and comments.
    private func moduleText(line: Int, column: Int) -> String? {
        guard line >= 1, line <= source.count else { return nil }
        var text = Array(source[line - 1].unicodeScalars.dropFirst(column))
        for l in source[line...] { text.append("\n"); text += l.unicodeScalars }
        var i = 0, start: Int?, depth = 0
        func at(_ offset: Int, _ s: String) -> Bool {
            let scalars = Array(s.unicodeScalars)
            return offset + scalars.count <= text.count && Array(text[offset..<offset + scalars.count]) == scalars
        }
        while i < text.count {
            if at(i, ";;") { while i < text.count, text[i] != "\n" { i += 1 }; continue }
            if at(i, "(;") {
                var nesting = 0
                repeat {
                    if at(i, "(;") { nesting += 1; i += 2 } else if at(i, ";)") { nesting -= 1; i += 2 } else { i += 1 }
                } while nesting > 0 && i < text.count
                continue
            }
            if text[i] == "\"" {
                i += 1
                while i < text.count, text[i] != "\"" { i += text[i] == "\\" ? 2 : 1 }
                i += 1
                continue
            }
            if start == nil, at(i, "(module") { start = i }
            if start != nil {
                if text[i] == "(" { depth += 1 }
                if text[i] == ")" {
                    depth -= 1
                    if depth == 0 {
                        var s = String.UnicodeScalarView()
                        s.append(contentsOf: text[start!...i])
                        return String(s)
                    }
                }
            }
            i += 1
        }
        return nil
    }

    /// Encodes a module text WAT cannot: with `wasm-tools parse`, else (the legacy exception
    /// instructions in folded form, which wasm-tools does not read) with wabt's `wat2wasm
    /// --no-check` beside it, which also encodes invalid modules.
    private func encodeWithWasmTools(_ text: String, _ wasmTools: String) throws -> [UInt8] {
        let input = (work as NSString).appendingPathComponent("invalid.wat")
        let output = (work as NSString).appendingPathComponent("invalid.wasm")
        try Data(text.utf8).write(to: URL(fileURLWithPath: input))
        var failure = ""
        let wat2wasm = ((wasmTools as NSString).deletingLastPathComponent as NSString).appendingPathComponent("wat2wasm")
        for (tool, arguments) in [(wasmTools, ["parse", input, "-o", output]), (wat2wasm, ["--no-check", input, "-o", output])] {
            guard FileManager.default.isExecutableFile(atPath: tool) else { continue }
            let process = Process()
            process.executableURL = URL(fileURLWithPath: tool)
            process.arguments = arguments
            let pipe = Pipe()
            process.standardError = pipe
            process.standardOutput = FileHandle.nullDevice
            try process.run()
            let diagnostics = pipe.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            if process.terminationStatus == 0 { return [UInt8](try Data(contentsOf: URL(fileURLWithPath: output))) }
            failure += "\((tool as NSString).lastPathComponent): \(String(decoding: diagnostics, as: UTF8.self))"
        }
        throw UsageError(failure)
    }

    /// `$WASM_TOOLS`, else `.venv/bin/wasm-tools` in the current directory, else `wasm-tools` on PATH.
    public static func findWasmTools() -> String? {
        let env = ProcessInfo.processInfo.environment
        var candidates: [String] = []
        if let explicit = env["WASM_TOOLS"], !explicit.isEmpty { candidates.append(explicit) }
        candidates.append(FileManager.default.currentDirectoryPath + "/.venv/bin/wasm-tools")
        for dir in (env["PATH"] ?? "").split(separator: ":") { candidates.append("\(dir)/wasm-tools") }
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// A module directive's binary; a text module WAT cannot encode (the legacy exception
    /// instructions) is encoded from the directive's text by the external tools.
    private func binary(of source: ModuleSource, line: Int, column: Int) throws -> [UInt8] {
        do {
            return try binary(of: source)
        } catch {
            // (from a column before the directive's: a module directive's own position is its `(`)
            guard case .text = source, let wasmTools = options.wasmTools, let text = moduleText(line: line, column: max(column - 1, 0))
            else {
                throw error
            }
            return try encodeWithWasmTools(text, wasmTools)
        }
    }

    private func binary(of source: ModuleSource) throws -> [UInt8] {
        switch source {
        case .text(let wat): return try wat.encode(options: .init(nameSection: true))
        case .binary(let bytes): return bytes
        case .quote(let text): return try ModuleDecoder.wat2wasm(String(decoding: text, as: UTF8.self))
        }
    }

    private func instantiate(_ wasm: [UInt8]) throws -> Instance {
        moduleCounter += 1
        let so = (work as NSString).appendingPathComponent("m\(moduleCounter).so")
        _ = try Compiler.compile(wasm: wasm, to: so, options: options.compile)
        let module = try Module(loading: so)
        try? FileManager.default.removeItem(atPath: so)
        return try module.instantiate(imports: importsForLinking())
    }

    private func importsForLinking() -> Imports {
        var imports: Imports = ["spectest": spectest]
        for (name, instance) in registered {
            var fields: [String: any Extern] = [:]
            for export in instance.exports {
                if let e = instance.exports[export.name] { fields[export.name] = e }
            }
            imports[name] = fields
        }
        return imports
    }

    private func makeSpectestModule() -> [String: any Extern] {
        var m: [String: any Extern] = [:]
        let printers: [(String, [ValType])] = [
            ("print", []), ("print_i32", [.i32]), ("print_i64", [.i64]), ("print_f32", [.f32]),
            ("print_f64", [.f64]), ("print_i32_f32", [.i32, .f32]), ("print_f64_f64", [.f64, .f64]),
        ]
        for (name, params) in printers {
            m[name] = HostFunction(params: params) { _, _ in [] }
        }
        m["global_i32"] = try? Global(type: GlobalType(type: .i32, mutable: false), value: .i32(666))
        m["global_i64"] = try? Global(type: GlobalType(type: .i64, mutable: false), value: .i64(666))
        m["global_f32"] = try? Global(type: GlobalType(type: .f32, mutable: false), value: .float(666.6))
        m["global_f64"] = try? Global(type: GlobalType(type: .f64, mutable: false), value: .double(666.6))
        m["table"] = try? Table(type: TableType(element: .funcref, limits: Limits(min: 10, max: 20)))
        m["table64"] = try? Table(type: TableType(element: .funcref, limits: Limits(min: 10, max: 20, is64: true)))
        m["memory"] = try? Memory(limits: Limits(min: 1, max: 2))
        return m
    }

    // MARK: Execution

    private func perform(_ execute: WASTExecute) throws -> [WasmAOT.Value] {
        switch execute {
        case .invoke(let invoke):
            guard let instance = invoke.module.map({ instances[$0] }) ?? current else {
                throw UsageError("no module for invoke \(invoke.name)")
            }
            let function = try instance.exports.function(invoke.name)
            return try function.call(try invoke.args.map(value))
        case .get(let module, let name):
            guard let instance = module.map({ instances[$0] }) ?? current else { throw UsageError("no module for get \(name)") }
            return [try instance.exports.global(name).value]
        case .wat(let wat):
            _ = try instantiate(try wat.encode())
            return []
        }
    }

    private func value(_ c: WASTConstValue) throws -> WasmAOT.Value {
        switch c {
        case .i32(let v): return .i32(v)
        case .i64(let v): return .i64(v)
        case .f32(let v): return .f32(v)
        case .f64(let v): return .f64(v)
        case .refNull(let heap):
            switch heap {
            case .funcRef: return .funcref(nil)
            case .exnRef: return .exnref(nil)
            default: return .externref(nil)
            }
        case .refExtern(let v): return .externref(UInt(v))
        case .v128(let v): return .v128(SIMD16(v.bytes))
        case .refFunc, .refHost: throw UsageError("unsupported argument \(c)")
        }
    }

    private func matches(_ actual: WasmAOT.Value, _ expected: WASTExpectValue) -> Bool {
        switch (actual, expected) {
        case (.i32(let a), .i32(let e)): return a == e
        case (.i64(let a), .i64(let e)): return a == e
        case (.f32(let a), .f32(let e)): return a == e
        case (.f64(let a), .f64(let e)): return a == e
        case (.f32(let a), .f32CanonicalNaN): return a & 0x7FFF_FFFF == 0x7FC0_0000
        case (.f32(let a), .f32ArithmeticNaN): return a & 0x7FC0_0000 == 0x7FC0_0000
        case (.f64(let a), .f64CanonicalNaN): return a & 0x7FFF_FFFF_FFFF_FFFF == 0x7FF8_0000_0000_0000
        case (.f64(let a), .f64ArithmeticNaN): return a & 0x7FF8_0000_0000_0000 == 0x7FF8_0000_0000_0000
        case (.funcref(let a), .refNull): return a == nil
        case (.externref(let a), .refNull): return a == nil
        case (.exnref(let a), .refNull): return a == nil
        case (.funcref(let a), .refFunc): return a != nil
        case (.externref(let a), .refExtern(let v)): return a != nil && (v == nil || a == UInt(v!))
        case (.v128(let a), .v128(let e)): return (0..<16).allSatisfy { a[$0] == e.bytes[$0] }
        case (.v128(let a), .v128Pattern(let e)): return Self.matches(a, e)
        case (_, .either(let options)): return options.contains { matches(actual, $0) }
        default: return false
        }
    }

    /// A v128 against per-lane expectations: float lanes marked NaN must hold a
    /// NaN (the pattern does not tell canonical from arithmetic), every other
    /// byte must be equal.
    private static func matches(_ actual: SIMD16<UInt8>, _ expected: V128Expectation) -> Bool {
        let laneBytes = expected.shape == .f64x2 ? 8 : 4
        for lane in 0..<(16 / laneBytes) {
            let range = lane * laneBytes..<(lane + 1) * laneBytes
            if expected.shape != nil, expected.nanLaneMask & (1 << lane) != 0 {
                let bits = range.reversed().reduce(UInt64(0)) { $0 << 8 | UInt64(actual[$1]) }
                let isNaN =
                    laneBytes == 4
                    ? Float(bitPattern: UInt32(truncatingIfNeeded: bits)).isNaN : Double(bitPattern: bits).isNaN
                if !isNaN { return false }
            } else if !range.allSatisfy({ actual[$0] == expected.bytes[$0] }) {
                return false
            }
        }
        return true
    }

    private func trapMatches(_ kind: TrapKind, _ message: String) -> Bool {
        // The spec's messages start with our wording ("uninitialized element 2", "unreachable executed").
        message.hasPrefix(kind.description)
    }

    private func describe(_ execute: WASTExecute) -> String {
        switch execute {
        case .invoke(let i): return "invoke \(i.name)(\(i.args.map(describe).joined(separator: ", ")))"
        case .get(_, let name): return "get \(name)"
        case .wat: return "module"
        }
    }

    // Values read as `Value.description` prints the actual ones: `5 : i32`, v128 as four
    // 32-bit lanes in hex (or in its float shape when the script gives one).

    private func describe(_ c: WASTConstValue) -> String {
        switch c {
        case .i32(let v): return describe(WASTExpectValue.i32(v))
        case .i64(let v): return describe(WASTExpectValue.i64(v))
        case .f32(let v): return describe(WASTExpectValue.f32(v))
        case .f64(let v): return describe(WASTExpectValue.f64(v))
        case .v128(let v): return describe(WASTExpectValue.v128(v))
        case .refNull(let heap): return "ref.null \(heap)"
        case .refFunc(let index): return "ref.func \(index)"
        case .refExtern(let v): return "ref.extern \(v)"
        case .refHost(let v): return "ref.host \(v)"
        }
    }

    private func describe(_ e: WASTExpectValue) -> String {
        switch e {
        case .i32(let v): return "\(Int32(bitPattern: v)) : i32"
        case .i64(let v): return "\(Int64(bitPattern: v)) : i64"
        case .f32(let v): return "\(Float(bitPattern: v)) (0x\(String(v, radix: 16))) : f32"
        case .f64(let v): return "\(Double(bitPattern: v)) (0x\(String(v, radix: 16))) : f64"
        case .v128(let v): return Self.lanes(v.bytes, shape: nil, nanLaneMask: 0)
        case .v128Pattern(let p): return Self.lanes(p.bytes, shape: p.shape, nanLaneMask: p.nanLaneMask)
        case .refNull(let heap): return heap.map { "ref.null \($0)" } ?? "ref.null"
        case .refFunc(let index): return index.map { "ref.func \($0)" } ?? "ref.func"
        case .refExtern(let v): return v.map { "ref.extern \($0)" } ?? "ref.extern"
        case .refI31: return "ref.i31"
        case .refStruct: return "ref.struct"
        case .refArray: return "ref.array"
        case .refEq: return "ref.eq"
        case .refHost(let v): return "ref.host \(v)"
        case .f32CanonicalNaN: return "nan:canonical : f32"
        case .f32ArithmeticNaN: return "nan:arithmetic : f32"
        case .f64CanonicalNaN: return "nan:canonical : f64"
        case .f64ArithmeticNaN: return "nan:arithmetic : f64"
        case .either(let options): return "either(\(options.map(describe).joined(separator: " | ")))"
        }
    }

    /// `0x00000001 0x000000ff 0xdeadbeef 0x00000000 : v128`, or `f32x4 nan 1.5 -0.0 inf : v128`.
    static func lanes(_ bytes: [UInt8], shape: V128Expectation.Shape?, nanLaneMask: UInt8) -> String {
        let width = shape == .f64x2 ? 8 : 4
        let words = stride(from: 0, to: 16, by: width).map { start in
            bytes[start..<start + width].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        }
        let text = words.enumerated().map { lane, word -> String in
            switch shape {
            case nil:
                let hex = String(word, radix: 16)
                return "0x" + String(repeating: "0", count: max(0, 8 - hex.count)) + hex
            case _ where nanLaneMask & (1 << lane) != 0: return "nan"
            case .f32x4: return "\(Float(bitPattern: UInt32(truncatingIfNeeded: word)))"
            case .f64x2: return "\(Double(bitPattern: word))"
            }
        }
        let prefix = shape.map { $0 == .f32x4 ? "f32x4 " : "f64x2 " } ?? ""
        return prefix + text.joined(separator: " ") + " : v128"
    }
}
