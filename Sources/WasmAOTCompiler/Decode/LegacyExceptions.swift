import WasmParser
import WasmTypes

/// An instruction of the legacy exception-handling encoding, which LLVM still emits by
/// default and WasmParser does not decode: `try` (0x06), `catch` (0x07), `rethrow` (0x09),
/// `delegate` (0x18), `catch_all` (0x19). (`throw`, 0x08, is shared with the standard
/// encoding and decoded by WasmParser.)
public enum LegacyExceptionOp: Sendable, Equatable {
    case `try`(BlockType)
    case `catch`(tagIndex: UInt32)
    case catchAll
    /// Ends a `try` whose exceptions go to the handlers of label `labelIndex` (counted outside the `try`).
    case delegate(labelIndex: UInt32)
    /// Throws again the exception caught by the `catch` or `catch_all` of label `labelIndex`.
    case rethrow(labelIndex: UInt32)

    var mnemonic: String {
        switch self {
        case .try: "try"
        case .catch: "catch"
        case .catchAll: "catch_all"
        case .delegate: "delegate"
        case .rethrow: "rethrow"
        }
    }
}

/// Decodes a body that WasmParser refused at a legacy exception opcode: the runs of
/// instructions between legacy ones are decoded by WasmParser (each run in a module of its
/// own, as `PrefixedOpcodeRepair` does), the legacy instructions and their immediates here.
/// Only an "illegal opcode" failure exactly at one of the five legacy opcodes is taken over;
/// anything else fails as before.
enum LegacyExceptionDecoding {
    static func decode(
        _ code: Code, start: Int, failure: DecodeError, version: WebAssemblyVersion
    ) -> Result<[WasmModule.Op], DecodeError>? {
        let bytes = Array(code.expression)
        guard legacyOpcodePosition(failure, in: bytes, moduleStart: start) != nil else { return nil }
        var ops: [WasmModule.Op] = []
        var position = 0
        var legacyAt: Int?
        while true {
            if let at = legacyAt {
                switch readLegacy(bytes, at: at) {
                case .failure(let failure): return .failure(DecodeError(message: failure.message, offset: start + at))
                case .success(let (op, next)):
                    ops.append(.init(instruction: .nop, offset: start + at, legacy: op))
                    position = next
                    legacyAt = nil
                }
                if position >= bytes.count { return .success(ops) }
                continue
            }
            // The run up to the next legacy instruction: WasmParser stops there, after the
            // instructions before it.
            let segment = decodeSegment(Array(bytes[position...]), version: version)
            ops += segment.ops.map { .init(instruction: $0.instruction, offset: start + position + $0.offset) }
            guard let error = segment.error else { return .success(ops) }
            guard let at = segment.failureOffset, at >= 1, position + at - 1 < bytes.count,
                isLegacyOpcodeError(error, byte: bytes[position + at - 1])
            else {
                return .failure(DecodeError(message: error.message, offset: segment.failureOffset.map { start + position + $0 }))
            }
            legacyAt = position + at - 1
        }
    }

    private static let opcodes: Set<UInt8> = [0x06, 0x07, 0x09, 0x18, 0x19]

    private static func isLegacyOpcodeError(_ error: DecodeError, byte: UInt8) -> Bool {
        opcodes.contains(byte) && error.message == "Illegal opcode: [\(byte)]"
    }

    /// Where WasmParser stopped at a legacy opcode (its error offset is just past the opcode byte).
    private static func legacyOpcodePosition(_ failure: DecodeError, in bytes: [UInt8], moduleStart: Int) -> Int? {
        guard let offset = failure.offset else { return nil }
        let at = offset - moduleStart - 1
        guard at >= 0, at < bytes.count, isLegacyOpcodeError(failure, byte: bytes[at]) else { return nil }
        return at
    }

    /// One legacy instruction at `at`: the op and the position after it.
    private static func readLegacy(_ bytes: [UInt8], at: Int) -> Result<(LegacyExceptionOp, Int), LegacyFailure> {
        var i = at + 1
        switch bytes[at] {
        case 0x06:
            guard i < bytes.count else { return .failure(LegacyFailure("unexpected end of the body in a try block type")) }
            let byte = bytes[i]
            if byte == 0x40 { return .success((.try(.empty), i + 1)) }
            if let type = valueType(byte) { return .success((.try(.type(type)), i + 1)) }
            guard let index = readSignedLEB33(bytes, &i), index >= 0 else {
                return .failure(LegacyFailure("malformed block type of try"))
            }
            return .success((.try(.funcType(UInt32(index))), i))
        case 0x07:
            guard let tag = readLEB32(bytes, &i) else { return .failure(LegacyFailure("malformed tag index of catch")) }
            return .success((.catch(tagIndex: tag), i))
        case 0x09:
            guard let label = readLEB32(bytes, &i) else { return .failure(LegacyFailure("malformed label of rethrow")) }
            return .success((.rethrow(labelIndex: label), i))
        case 0x18:
            guard let label = readLEB32(bytes, &i) else { return .failure(LegacyFailure("malformed label of delegate")) }
            return .success((.delegate(labelIndex: label), i))
        default:
            return .success((.catchAll, i))
        }
    }

    struct LegacyFailure: Error {
        var message: String
        init(_ message: String) { self.message = message }
    }

    private static func valueType(_ byte: UInt8) -> ValueType? {
        switch byte {
        case 0x7F: .i32
        case 0x7E: .i64
        case 0x7D: .f32
        case 0x7C: .f64
        case 0x7B: .v128
        case 0x70: .ref(.funcRef)
        case 0x6F: .ref(.externRef)
        case 0x69: .ref(.exnRef)
        default: nil
        }
    }

    private static func readLEB32(_ bytes: [UInt8], _ i: inout Int) -> UInt32? {
        var value: UInt32 = 0
        for shift in stride(from: 0, to: 35, by: 7) {
            guard i < bytes.count else { return nil }
            let byte = bytes[i]
            i += 1
            if shift == 28, byte & 0x70 != 0 { return nil }  // bits past 32
            value |= UInt32(byte & 0x7F) << UInt32(shift)
            if byte & 0x80 == 0 { return value }
        }
        return nil
    }

    private static func readSignedLEB33(_ bytes: [UInt8], _ i: inout Int) -> Int64? {
        var value: Int64 = 0
        var shift: Int64 = 0
        while true {
            guard i < bytes.count, shift < 35 else { return nil }
            let byte = bytes[i]
            i += 1
            value |= Int64(byte & 0x7F) << shift
            shift += 7
            if byte & 0x80 == 0 {
                if shift < 64, byte & 0x40 != 0 { value |= -1 << shift }
                return value
            }
        }
    }

    /// Decodes one run of instructions in a module of its own; on failure, what decoded before
    /// it and the offset (relative to the run) where WasmParser stopped.
    private static func decodeSegment(
        _ expression: [UInt8], version: WebAssemblyVersion
    ) -> (ops: [WasmModule.Op], error: DecodeError?, failureOffset: Int?) {
        let leb = PrefixedOpcodeRepair.leb
        let body: [UInt8] = [0x00] + expression  // no locals: they do not affect decoding
        let section = leb(1) + leb(UInt32(body.count)) + body
        let module: [UInt8] = [0x00, 0x61, 0x73, 0x6D, 0x01, 0x00, 0x00, 0x00, 0x0A] + leb(UInt32(section.count)) + section
        var parser = Parser(bytes: module, features: version.decoderFeatures)
        var collector = OpCollector()
        do {
            while let payload = try parser.parseNext() {
                guard case .codeSection(let codes) = payload, let code = codes.first else { continue }
                var expressionParser = ExpressionParser(code: code)
                let start = expressionParser.offset
                do {
                    while let visit = try expressionParser.parse() { visit(visitor: &collector) }
                } catch {
                    let ops = collector.ops.map { WasmModule.Op(instruction: $0.instruction, offset: $0.offset - start) }
                    return (ops, DecodeError(error, offset: nil), expressionParser.offset - start)
                }
                return (collector.ops.map { .init(instruction: $0.instruction, offset: $0.offset - start) }, nil, nil)
            }
        } catch {
            return ([], DecodeError(error, offset: nil), nil)
        }
        return ([], DecodeError(message: "no code", offset: nil), nil)
    }
}
