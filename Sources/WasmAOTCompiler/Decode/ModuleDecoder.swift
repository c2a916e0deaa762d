import WAT
import WasmParser
import WasmTypes

/// Errors from reading the input: a malformed binary or text module.
public struct DecodeError: Error, CustomStringConvertible, Sendable {
    public var message: String
    /// Byte offset in the binary, where known.
    public var offset: Int?
    public var description: String {
        if let offset { return "malformed module at offset 0x\(String(offset, radix: 16)): \(message)" }
        return "malformed module: \(message)"
    }
}

/// The wasm features the decoder accepts: WebAssembly 2.0 (SIMD decodes so that
/// validation can name it as unsupported). Enabling multi-memory or memory64
/// here would change how 2.0 binaries decode (reserved zero bytes, limit flags).
let decoderFeatures: WasmFeatureSet = [.referenceTypes, .simd]

/// Decodes wasm binaries (and `.wat` text) into a ``WasmModule`` using WasmKit's parser.
public enum ModuleDecoder {
    /// Decodes a binary module. Every function body is decoded into instructions.
    public static func decode(_ bytes: [UInt8]) throws(DecodeError) -> WasmModule {
        var module = WasmModule()
        var codes: [Code] = []
        var parser = Parser(bytes: bytes, features: decoderFeatures)
        do {
            while let payload = try parser.parseNext() {
                switch payload {
                case .header: break
                case .customSection(let section):
                    if section.name == "name" { readNames(section, into: &module) }
                case .typeSection(let groups):
                    for group in groups {
                        for sub in group.types {
                            guard case .function(let type) = sub.body else {
                                throw DecodeError(message: "GC struct/array types are not supported", offset: parser.offset)
                            }
                            module.types.append(type)
                        }
                    }
                case .importSection(let imports): module.imports = imports
                case .functionSection(let types): module.functions = types
                case .tableSection(let tables): module.tables = tables
                case .memorySection(let memories): module.memories = memories
                case .globalSection(let globals): module.globals = globals
                case .tagSection:
                    throw DecodeError(message: "exception-handling tags are not supported", offset: parser.offset)
                case .exportSection(let exports): module.exports = exports
                case .startSection(let start): module.start = start
                case .elementSection(let elements): module.elements = elements
                case .dataCount(let count): module.dataCount = count
                case .codeSection(let code): codes = code
                case .dataSection(let data): module.data = data
                }
            }
        } catch let error as DecodeError {
            throw error
        } catch let error as WasmParserError {
            throw DecodeError(message: "\(error)", offset: nil)
        } catch {
            throw DecodeError(message: "\(error)", offset: nil)
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
                throw DecodeError(message: "\(error)", offset: expression.offset)
            }
            guard case .end = ops.last?.instruction else {
                throw DecodeError(message: "function body must end with 'end'", offset: expression.offset)
            }
            module.bodies.append(.init(locals: code.locals, ops: ops, offset: start))
        }
        return module
    }

    /// Converts WebAssembly text (`.wat`) to a binary with WasmKit's `WAT`.
    public static func wat2wasm(_ text: String) throws(DecodeError) -> [UInt8] {
        do {
            return try WAT.wat2wasm(text, features: decoderFeatures, options: .init(nameSection: true))
        } catch {
            throw DecodeError(message: "\(error)", offset: nil)
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
