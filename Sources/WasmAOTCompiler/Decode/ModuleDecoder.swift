import WAT
import WasmParser
import WasmTypes

/// Errors from reading the input: a malformed binary or text module, or a well-formed one
/// that uses a proposal the compiler does not implement (``feature``).
public struct DecodeError: Error, CustomStringConvertible, Sendable {
    public var message: String
    /// Byte offset in the binary, where known.
    public var offset: Int?
    /// The proposal the module uses, when it is well-formed but not supported.
    public var feature: ValidatorFeature?

    public init(message: String, offset: Int?, feature: ValidatorFeature? = nil) {
        self.message = message
        self.offset = offset
        self.feature = feature
    }

    public var description: String {
        let at = offset.map { " at offset 0x\(String($0, radix: 16))" } ?? ""
        if let feature { return "unsupported feature: \(feature.rawValue)\(at): \(message)" }
        return "malformed module\(at): \(message)"
    }

    /// An error of WasmParser (or WAT) in its own words, at `offset` or else at the parser's.
    /// WasmKit 0.4.2's `description` prints a parser message as the debug form of its struct
    /// (`"Message(text: …)"`), and the fields are not public: the text and offset are read by
    /// reflection, on this error path only.
    init(_ error: any Error, offset: Int?) {
        let fields = Mirror(reflecting: error)
        if error is WasmParserError, let text = fields.descendant("kind", "message", "text") as? String {
            self.init(message: text, offset: offset ?? fields.descendant("location") as? Int)
        } else {
            self.init(message: "\(error)", offset: offset)  // the other kinds word themselves
        }
    }
}

extension WebAssemblyVersion {
    /// What WasmParser decodes for this edition: 3.0 without GC. Threads, exception handling and
    /// typed function references are decoded under 2.0 too, so that validation names them as unsupported rather than
    /// malformed. Under 2.0 the memory index of `memory.size`/`memory.grow` is a zero byte and
    /// 64-bit limit flags are malformed; 3.0 reads a memory index and 64-bit memories.
    var decoderFeatures: WasmFeatureSet { decoderFeatures(adding: []) }

    /// The same, with `proposals` added to 2.0 (multi-memory and memory64 change its decoding).
    func decoderFeatures(adding proposals: Set<ValidatorFeature>) -> WasmFeatureSet {
        var features: WasmFeatureSet = [.referenceTypes, .simd, .exceptionHandling, .functionReferences, .threads]
        if self == .v3 || proposals.contains(.memory64) { features.insert(.memory64) }
        if self == .v3 || proposals.contains(.multiMemory) { features.insert(.multiMemory) }
        return features
    }
}

/// Decodes wasm binaries (and `.wat` text) into a ``WasmModule`` using WasmKit's parser.
public enum ModuleDecoder {
    /// With typed function references, WasmParser types a segment of function indices as
    /// non-null `(ref func)`, as WebAssembly 3.0 does. WebAssembly 2.0 has no such type and calls
    /// the segment `funcref`: without typed function references, it is read as one.
    static func nullableFunctionSegment(_ segment: ElementSegment) -> ElementSegment {
        guard segment.type == ReferenceType(isNullable: false, heapType: .funcRef) else { return segment }
        return ElementSegment(type: .funcRef, initializer: segment.initializer, mode: segment.mode)
    }

    /// Decodes a binary module of the given edition. Every function body is decoded into instructions.
    /// `proposals`: with `version` 2.0, later proposals whose encodings are read as well.
    public static func decode(
        _ bytes: [UInt8], version: WebAssemblyVersion = .v3, proposals: Set<ValidatorFeature> = []
    ) throws(DecodeError) -> WasmModule {
        if bytes.starts(with: [0x00, 0x61, 0x73, 0x6D]), bytes.dropFirst(6).starts(with: [0x01, 0x00]), bytes.count >= 8, bytes[4] != 0x01 {
            throw DecodeError(message: "a component, not a core module", offset: 4, feature: .components)
        }
        var module = WasmModule()
        var codes: [Code] = []
        var parser = Parser(bytes: bytes, features: version.decoderFeatures(adding: proposals))
        do {
            var sectionStart = parser.offset
            while let payload = try parser.parseNext() {
                defer { sectionStart = parser.offset }
                switch payload {
                case .header: break
                case .customSection(let section):
                    if section.name == "name" { readNames(section, into: &module) }
                case .typeSection(let groups):
                    for group in groups {
                        for sub in group.types {
                            guard case .function(let type) = sub.body else {
                                throw DecodeError(message: "a struct or array type", offset: parser.offset, feature: .gc)
                            }
                            module.types.append(type)
                        }
                    }
                case .importSection(let imports):
                    for case .table(let type) in imports.map(\.descriptor) { try checkNotShared(type, at: parser.offset) }
                    module.imports = imports
                case .functionSection(let types): module.functions = types
                case .tableSection(let tables):
                    for table in tables { try checkNotShared(table.type, at: parser.offset) }
                    module.tables = tables
                case .memorySection(let memories): module.memories = memories
                case .globalSection(let globals): module.globals = globals
                case .tagSection(let tags): module.tags = tags
                case .exportSection(let exports): module.exports = exports
                case .startSection(let start): module.start = start
                case .elementSection(let elements):
                    try ElementFlags.check(bytes, section: sectionStart, end: parser.offset)
                    let typed = version == .v3 || proposals.contains(.functionReferences)
                    module.elements = typed ? elements : elements.map(Self.nullableFunctionSegment)
                case .dataCount(let count): module.dataCount = count
                case .codeSection(let code): codes = code
                case .dataSection(let data): module.data = data
                }
            }
        } catch let error as DecodeError {
            throw error
        } catch {
            throw DecodeError(error, offset: nil)
        }
        guard codes.count == module.functions.count else {
            throw DecodeError(message: "function and code section have inconsistent lengths", offset: nil)
        }
        if let count = module.dataCount, Int(count) != module.data.count {
            throw DecodeError(message: "data count and data section have inconsistent lengths", offset: nil)
        }
        module.bodies.reserveCapacity(codes.count)
        for code in codes {
            var ops: [WasmModule.Op] = []
            var expression = ExpressionParser(code: code)
            let start = expression.offset
            do {
                var collector = OpCollector()
                while let visit = try expression.parse() {
                    visit(visitor: &collector)
                }
                ops = collector.ops
            } catch {
                let failure = DecodeError(error, offset: expression.offset)
                if let legacy = LegacyExceptionDecoding.decode(code, start: start, failure: failure, version: version) {
                    ops = try legacy.get()
                } else {
                    guard let repaired = PrefixedOpcodeRepair.decode(code, start: start, failure: failure, version: version) else {
                        throw failure
                    }
                    ops = repaired
                }
            }
            guard case .end = ops.last?.instruction else {
                throw DecodeError(message: "function body must end with 'end'", offset: expression.offset)
            }
            module.bodies.append(.init(locals: code.locals, ops: ops, offset: start))
        }
        return module
    }

    /// Only memories can be shared: decoding threads (for honest "unsupported" errors) lets
    /// WasmParser accept the shared flag on a table's limits too, where it is malformed.
    private static func checkNotShared(_ table: TableType, at offset: Int) throws(DecodeError) {
        if table.limits.shared { throw DecodeError(message: "malformed table limits flag: a table cannot be shared", offset: offset) }
    }

    /// Converts WebAssembly text (`.wat`) to a binary with WasmKit's `WAT`.
    public static func wat2wasm(_ text: String) throws(DecodeError) -> [UInt8] {
        do {
            return try WAT.wat2wasm(text, features: WebAssemblyVersion.v3.decoderFeatures, options: .init(nameSection: true))
        } catch {
            throw DecodeError(error, offset: nil)
        }
    }

    private static func readNames(_ section: CustomSection, into module: inout WasmModule) {
        // A malformed name section is ignored, as the spec requires for custom sections.
        var names = NameSectionParser(stream: StaticByteStreamSource(bytes: section.bytes))
        guard let parsed = try? names.parseAll() else { return }
        for entry in parsed {
            switch entry {
            case .functions(let map): module.functionNames = map
            case .moduleName(let name): module.moduleName = name
            default: break
            }
        }
    }
}

/// Collects every instruction of a body with its offset.
struct OpCollector: AnyInstructionVisitor {
    typealias VisitorError = Never
    var binaryOffset: Int = 0
    var ops: [WasmModule.Op] = []
    mutating func visit(_ instruction: Instruction) {
        ops.append(.init(instruction: instruction, offset: binaryOffset))
    }
}

/// A workaround for one WasmParser 0.4.2 bug, confined to the body that hits it: the
/// sub-opcode after a `0xFC` prefix is a u32 LEB128 and may be non-minimal (`fc 80 00` is
/// `i32.trunc_sat_f32_s`), but WasmParser reads it as one byte and rejects it as an illegal
/// opcode. When a body fails exactly that way, the offending sub-opcode (located by the
/// parser's own error offset, so immediates are never touched) is rewritten minimally and the
/// body decoded again by WasmParser, wrapped in a module of its own. Anything else fails as before.
enum PrefixedOpcodeRepair {
    static func decode(_ code: Code, start: Int, failure: DecodeError, version: WebAssemblyVersion) -> [WasmModule.Op]? {
        guard let locals = encodeLocals(code.locals) else { return nil }
        var bytes = Array(code.expression)
        var failure = failure
        for _ in 0..<64 {
            // The parser stops right after the prefix byte and the first byte of the sub-opcode.
            guard let offset = failure.offset else { return nil }
            let prefix = offset - start - 2
            guard prefix >= 0, prefix + 1 < bytes.count, bytes[prefix] == 0xFC, bytes[prefix + 1] & 0x80 != 0 else { return nil }
            var value: UInt32 = 0
            var length = 0
            while true {
                let index = prefix + 1 + length
                guard index < bytes.count, length < 5 else { return nil }
                if length == 4, bytes[index] & 0x70 != 0 { return nil }  // bits past 32: malformed, as the parser says
                value |= UInt32(bytes[index] & 0x7F) << (7 * UInt32(length))
                length += 1
                if bytes[index] & 0x80 == 0 { break }
            }
            guard value < 0x80 else { return nil }  // every 0xFC opcode fits one byte when minimal
            bytes.replaceSubrange((prefix + 1)..<(prefix + 1 + length), with: [UInt8(value)])
            switch decodeAlone(locals: locals, expression: bytes, version: version) {
            case .success(let (ops, syntheticStart)):
                return ops.map { .init(instruction: $0.instruction, offset: start + $0.offset - syntheticStart) }
            case .failure(let next):
                guard let at = next.offset else { return nil }
                failure = DecodeError(message: next.message, offset: start + at)
            }
        }
        return nil
    }

    /// Decodes one body in a module that holds only its code section; offsets relative to the expression.
    static func decodeAlone(
        locals: [UInt8], expression: [UInt8], version: WebAssemblyVersion
    ) -> Result<([WasmModule.Op], Int), DecodeError> {
        let body = locals + expression
        let section = leb(1) + leb(UInt32(body.count)) + body
        let module: [UInt8] = [0x00, 0x61, 0x73, 0x6D, 0x01, 0x00, 0x00, 0x00, 0x0A] + leb(UInt32(section.count)) + section
        var parser = Parser(bytes: module, features: version.decoderFeatures)
        do {
            while let payload = try parser.parseNext() {
                guard case .codeSection(let codes) = payload, let code = codes.first else { continue }
                var expression = ExpressionParser(code: code)
                let start = expression.offset
                var collector = OpCollector()
                do {
                    while let visit = try expression.parse() { visit(visitor: &collector) }
                } catch {
                    return .failure(DecodeError(error, offset: expression.offset - start))
                }
                return .success((collector.ops, start))
            }
        } catch {
            return .failure(DecodeError(error, offset: nil))
        }
        return .failure(DecodeError(message: "no code", offset: nil))
    }

    /// The locals declaration of a body: runs of equal types as (count, type).
    static func encodeLocals(_ locals: [ValueType]) -> [UInt8]? {
        var runs: [(UInt32, UInt8)] = []
        for local in locals {
            let code: UInt8
            switch local {
            case .i32: code = 0x7F
            case .i64: code = 0x7E
            case .f32: code = 0x7D
            case .f64: code = 0x7C
            case .v128: code = 0x7B
            case .ref(let r) where r == .funcRef: code = 0x70
            case .ref(let r) where r == .externRef: code = 0x6F
            default: return nil
            }
            if let last = runs.last, last.1 == code { runs[runs.count - 1].0 += 1 } else { runs.append((1, code)) }
        }
        return leb(UInt32(runs.count)) + runs.flatMap { leb($0.0) + [$0.1] }
    }

    static func leb(_ value: UInt32) -> [UInt8] {
        var value = value
        var out: [UInt8] = []
        repeat {
            let byte = UInt8(value & 0x7F)
            value >>= 7
            out.append(value == 0 ? byte : byte | 0x80)
        } while value != 0
        return out
    }
}
