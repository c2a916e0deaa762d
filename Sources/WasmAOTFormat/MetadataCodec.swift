// The binary encoding of ``ModuleMetadata``.
//
//     metadata   := magic:"WAOTMETA" formatVersion:u32 field*      (fields in `visitFields` order)
//     u32, u64   := unsigned LEB128, minimal length (at most 5 / 10 bytes)
//     u8, tag    := one byte
//     bool       := 0x00 | 0x01
//     string     := length:u64 utf8-bytes
//     [T]        := count:u64 T*            ([UInt8] is therefore length-prefixed raw bytes)
//     T?         := 0x00 | 0x01 T
//
// Every type writes itself with `encode(to:)` and reads itself back with `init(from:)`,
// next to each other below; the top-level field order is listed once, in `visitFields`.
// The encoding is deterministic: equal values always encode to identical bytes, and any
// accepted input re-encodes to exactly the same bytes.

// MARK: - Writer

/// Appends the primitive encodings of the metadata format to a byte array.
public struct ByteWriter: Sendable {
    /// The bytes written so far.
    public internal(set) var bytes: [UInt8] = []

    /// Creates an empty writer.
    public init() {}

    /// Appends one byte (a tag or a `UInt8` value).
    public mutating func writeU8(_ value: UInt8) {
        bytes.append(value)
    }

    /// Appends `value` as a minimal unsigned LEB128.
    public mutating func writeLEB128(_ value: UInt64) {
        var value = value
        repeat {
            let low = UInt8(value & 0x7F)
            value >>= 7
            bytes.append(value == 0 ? low : low | 0x80)
        } while value != 0
    }

    /// Appends a length-prefixed byte array.
    public mutating func writeByteArray(_ value: some Collection<UInt8>) {
        writeLEB128(UInt64(value.count))
        bytes.append(contentsOf: value)
    }

    /// Appends a length-prefixed UTF-8 string.
    public mutating func writeString(_ value: String) {
        writeByteArray(value.utf8)
    }

    /// Appends the encoding of any value of the format.
    mutating func write<T: MetadataCodable>(_ value: T) {
        value.encode(to: &self)
    }
}

// MARK: - Reader

/// Reads the primitive encodings of the metadata format, checking every bound.
///
/// Every read either returns a value or throws a ``MetadataError`` naming the field being
/// read and the byte offset; it never traps, whatever the input. After an error the reader's
/// position is unspecified.
public struct ByteReader: Sendable {
    /// The bytes being read.
    public let bytes: [UInt8]
    /// Position of the next byte to read.
    public private(set) var offset: Int = 0

    /// The field being read, for error messages: `exports[3].name`.
    var path: [PathComponent] = []
    /// Where each top-level field and each item of a top-level list starts, for the
    /// offsets of validation errors.
    var locations = MetadataLocations()

    /// Creates a reader at the start of `bytes`.
    public init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    /// Number of bytes not read yet.
    public var remaining: Int { bytes.count - offset }

    /// Whether every byte has been read.
    public var isAtEnd: Bool { offset == bytes.count }

    /// An error about the current field, found at `offset` (default: the current position).
    public func error(_ message: String, at offset: Int? = nil) -> MetadataError {
        let field = PathComponent.render(path)
        return MetadataError(field.isEmpty ? message : "\(field): \(message)", offset: offset ?? self.offset)
    }

    /// Reads one byte.
    public mutating func readU8() throws(MetadataError) -> UInt8 {
        guard offset < bytes.count else { throw error("unexpected end of data (expected 1 more byte)") }
        defer { offset += 1 }
        return bytes[offset]
    }

    /// Reads a minimal unsigned LEB128 of at most `bitWidth` bits (1...64).
    ///
    /// Rejects truncated and over-long encodings, values that do not fit in `bitWidth`
    /// bits, and non-minimal encodings (a redundant final `0x00` byte).
    public mutating func readLEB128(bitWidth: Int) throws(MetadataError) -> UInt64 {
        precondition((1...64).contains(bitWidth))
        let start = offset
        var result: UInt64 = 0
        var shift = 0
        while true {
            guard offset < bytes.count else {
                throw error("unexpected end of data inside a LEB128 integer", at: start)
            }
            let byte = bytes[offset]
            offset += 1
            let payload = UInt64(byte & 0x7F)
            let continues = byte & 0x80 != 0
            if shift + 7 >= bitWidth {  // last byte a \(bitWidth)-bit integer may have
                if continues {
                    throw error(
                        "over-long LEB128 integer (more than \((bitWidth + 6) / 7) bytes for \(bitWidth) bits)",
                        at: start)
                }
                if payload >> (bitWidth - shift) != 0 {
                    throw error("LEB128 integer does not fit in \(bitWidth) bits", at: start)
                }
            }
            result |= payload << shift
            if !continues {
                if byte == 0 && shift > 0 {
                    throw error("non-minimal LEB128 integer (redundant trailing zero byte)", at: start)
                }
                return result
            }
            shift += 7
        }
    }

    /// Reads a LEB128 `UInt32`.
    public mutating func readU32() throws(MetadataError) -> UInt32 {
        UInt32(try readLEB128(bitWidth: 32))
    }

    /// Reads a LEB128 `UInt64`.
    public mutating func readU64() throws(MetadataError) -> UInt64 {
        try readLEB128(bitWidth: 64)
    }

    /// Reads a length or a count of items that each take at least one byte, and checks
    /// that it does not exceed the bytes remaining (so no huge allocation can be requested).
    public mutating func readLength(of what: String) throws(MetadataError) -> Int {
        let start = offset
        let length = try readU64()
        guard length <= UInt64(remaining) else {
            throw error("\(what) \(length) exceeds the \(remaining) remaining bytes", at: start)
        }
        return Int(length)
    }

    /// Reads `count` raw bytes.
    public mutating func readRawBytes(_ count: Int) throws(MetadataError) -> ArraySlice<UInt8> {
        guard count >= 0, count <= remaining else {
            throw error("unexpected end of data (expected \(count) more bytes, \(remaining) remain)")
        }
        defer { offset += count }
        return bytes[offset..<offset + count]
    }

    /// Reads a length-prefixed byte array.
    public mutating func readByteArray() throws(MetadataError) -> [UInt8] {
        Array(try readRawBytes(try readLength(of: "byte array length")))
    }

    /// Reads a length-prefixed string, which must be valid UTF-8.
    public mutating func readString() throws(MetadataError) -> String {
        let start = offset
        let utf8 = try readRawBytes(try readLength(of: "string length"))
        guard let string = String(validating: utf8, as: UTF8.self) else {
            throw error("string is not valid UTF-8", at: start)
        }
        return string
    }

    /// Reads a one-byte tag and maps it with `decode`; unknown tags are an error naming `what`.
    public mutating func readTag<T>(_ what: String, _ decode: (UInt8) -> T?) throws(MetadataError) -> T {
        let start = offset
        let tag = try readU8()
        guard let value = decode(tag) else { throw error("unknown \(what) tag \(hex(tag))", at: start) }
        return value
    }

    /// Throws unless every byte has been read.
    public func expectEnd() throws(MetadataError) {
        guard isAtEnd else {
            throw error("\(remaining) unexpected trailing byte\(remaining == 1 ? "" : "s") after the metadata")
        }
    }

    /// Reads any value of the format, as the field `name` of the value being read.
    mutating func read<T: MetadataCodable>(_ name: StaticString) throws(MetadataError) -> T {
        path.append(.field(name))
        let value = try T(from: &self)
        path.removeLast()
        return value
    }

    /// Reads a top-level field of ``ModuleMetadata``, recording where it starts.
    mutating func read<T: MetadataCodable>(_ field: MetadataField) throws(MetadataError) -> T {
        locations.fields[field] = offset
        path.append(.top(field))
        let value = try T(from: &self)
        path.removeLast()
        return value
    }

    /// Reads item `index` of a list, recording where items of top-level lists start.
    mutating func readItem<T: MetadataCodable>(_ index: Int) throws(MetadataError) -> T {
        if path.count == 1, case .top(let field) = path[0] {
            locations.items[field, default: []].append(offset)
        }
        path.append(.index(index))
        let value = try T(from: &self)
        path.removeLast()
        return value
    }
}

/// One step of the path to the field being read.
enum PathComponent: Sendable {
    case top(MetadataField)
    case field(StaticString)
    case index(Int)

    /// `exports[3].name`
    static func render(_ path: [PathComponent]) -> String {
        var text = ""
        for component in path {
            switch component {
            case .top(let field): text += "\(field)"
            case .field(let name): text += text.isEmpty ? "\(name)" : ".\(name)"
            case .index(let index): text += "[\(index)]"
            }
        }
        return text
    }
}

/// Where top-level fields and the items of top-level lists start in an encoding.
struct MetadataLocations: Sendable {
    var fields: [MetadataField: Int] = [:]
    var items: [MetadataField: [Int]] = [:]
}

/// 0 → false, 1 → true, anything else → nil.
func boolFromTag(_ tag: UInt8) -> Bool? {
    switch tag {
    case 0: false
    case 1: true
    default: nil
    }
}

func hex(_ byte: UInt8) -> String {
    let digits = String(byte, radix: 16, uppercase: true)
    return "0x" + (digits.count == 1 ? "0" + digits : digits)
}

// MARK: - Top level

/// The top-level fields of ``ModuleMetadata`` that are encoded, used to name them in errors.
enum MetadataField: Hashable, Sendable {
    case abiVersion, compilerVersion, wasmSHA256, compileSettings
    case types, imports, functions, tables, memories, globals, exports, start
    case elements, data, functionNames, dataBlob, tags, features, tableInitializers
}

/// Something that visits each encoded field of ``ModuleMetadata`` in encoding order.
protocol MetadataFieldVisitor {
    associatedtype Failure: Error
    mutating func visit<T: MetadataCodable>(_ field: MetadataField, _ value: inout T) throws(Failure)
}

extension ModuleMetadata {
    /// The encoded fields, in encoding order: the single list both the encoder and the
    /// decoder follow. (Append new fields at the end and bump ``formatVersion``.)
    mutating func visitFields<V: MetadataFieldVisitor>(_ v: inout V) throws(V.Failure) {
        try v.visit(.abiVersion, &abiVersion)
        try v.visit(.compilerVersion, &compilerVersion)
        try v.visit(.wasmSHA256, &wasmSHA256)
        try v.visit(.compileSettings, &compileSettings)
        try v.visit(.types, &types)
        try v.visit(.imports, &imports)
        try v.visit(.functions, &functions)
        try v.visit(.tables, &tables)
        try v.visit(.memories, &memories)
        try v.visit(.globals, &globals)
        try v.visit(.exports, &exports)
        try v.visit(.start, &start)
        try v.visit(.elements, &elements)
        try v.visit(.data, &data)
        try v.visit(.functionNames, &functionNames)
        try v.visit(.dataBlob, &dataBlob)
        try v.visit(.tags, &tags)
        try v.visit(.features, &features)
        try v.visit(.tableInitializers, &tableInitializers)
    }

    /// The binary encoding, starting with ``magic`` and ``formatVersion``. Deterministic.
    ///
    /// Encoding does not validate; ``decode(_:)`` does.
    public func encode() -> [UInt8] {
        struct Encoder: MetadataFieldVisitor {
            var writer = ByteWriter()
            mutating func visit<T: MetadataCodable>(_ field: MetadataField, _ value: inout T) {
                writer.write(value)
            }
        }
        var encoder = Encoder()
        encoder.writer.bytes.append(contentsOf: Self.magic)
        encoder.writer.write(Self.formatVersion)
        var copy = self  // shares storage; visiting does not modify it
        copy.visitFields(&encoder)
        return encoder.writer.bytes
    }

    /// Decodes and validates an encoding produced by ``encode()``.
    ///
    /// Never traps on malformed input: every problem (bad magic, other format version,
    /// truncation, over-long or non-minimal LEB128, invalid UTF-8, unknown tag, trailing
    /// bytes, or a ``validate()`` failure) is thrown as a ``MetadataError``.
    public static func decode(_ bytes: [UInt8]) throws(MetadataError) -> ModuleMetadata {
        struct Decoder: MetadataFieldVisitor {
            var reader: ByteReader
            mutating func visit<T: MetadataCodable>(_ field: MetadataField, _ value: inout T) throws(MetadataError) {
                value = try reader.read(field)
            }
        }
        guard bytes.starts(with: magic) else {
            throw MetadataError(
                "not WasmAOT metadata: the first \(magic.count) bytes are not the magic 'WAOTMETA'", offset: 0)
        }
        var decoder = Decoder(reader: ByteReader(bytes))
        _ = try decoder.reader.readRawBytes(magic.count)
        let versionOffset = decoder.reader.offset
        let version = try decoder.reader.readU32()
        guard version == formatVersion else {
            throw MetadataError(
                "unsupported metadata format version \(version) (this build reads version \(formatVersion))",
                offset: versionOffset)
        }
        var metadata = ModuleMetadata(abiVersion: 0, compilerVersion: "", wasmSHA256: [], compileSettings: "")
        try metadata.visitFields(&decoder)
        try decoder.reader.expectEnd()
        try metadata.validate(locations: decoder.reader.locations)
        return metadata
    }
}

// MARK: - Values

/// A value with an encoding in the metadata format.
protocol MetadataCodable {
    func encode(to w: inout ByteWriter)
    init(from r: inout ByteReader) throws(MetadataError)
}

extension UInt8: MetadataCodable {
    func encode(to w: inout ByteWriter) { w.writeU8(self) }
    init(from r: inout ByteReader) throws(MetadataError) { self = try r.readU8() }
}

extension UInt32: MetadataCodable {
    func encode(to w: inout ByteWriter) { w.writeLEB128(UInt64(self)) }
    init(from r: inout ByteReader) throws(MetadataError) { self = try r.readU32() }
}

extension UInt64: MetadataCodable {
    func encode(to w: inout ByteWriter) { w.writeLEB128(self) }
    init(from r: inout ByteReader) throws(MetadataError) { self = try r.readU64() }
}

extension Bool: MetadataCodable {
    func encode(to w: inout ByteWriter) { w.writeU8(self ? 1 : 0) }
    init(from r: inout ByteReader) throws(MetadataError) {
        self = try r.readTag("boolean", boolFromTag)
    }
}

extension String: MetadataCodable {
    func encode(to w: inout ByteWriter) { w.writeString(self) }
    init(from r: inout ByteReader) throws(MetadataError) { self = try r.readString() }
}

extension Optional: MetadataCodable where Wrapped: MetadataCodable {
    func encode(to w: inout ByteWriter) {
        if let value = self {
            w.writeU8(1)
            w.write(value)
        } else {
            w.writeU8(0)
        }
    }
    init(from r: inout ByteReader) throws(MetadataError) {
        let present = try r.readTag("optional", boolFromTag)
        self = present ? try Wrapped(from: &r) : nil
    }
}

extension Array: MetadataCodable where Element: MetadataCodable {
    func encode(to w: inout ByteWriter) {
        w.writeLEB128(UInt64(count))
        for element in self { w.write(element) }
    }
    init(from r: inout ByteReader) throws(MetadataError) {
        // Every element takes at least one byte, so the count is bounded by the input size.
        let count = try r.readLength(of: "item count")
        if Element.self == UInt8.self {  // byte arrays: one copy
            self = unsafeBitCast(Array<UInt8>(try r.readRawBytes(count)), to: [Element].self)
            return
        }
        self = []
        reserveCapacity(count)
        for index in 0..<count { append(try r.readItem(index)) }
    }
}

// As in WebAssembly's binary format: one byte for a number, a vector or a nullable abstract
// reference (`funcref`); 0x64 (`ref`) or 0x63 (`ref null`) then the heap type, an abstract one's
// byte or 0x00 and the LEB128 type index of a concrete one.
extension ValType: MetadataCodable {
    func encode(to w: inout ByteWriter) {
        switch self {
        case .ref(let reference):
            if reference.nullable, let code = reference.heap.code, reference.heap == reference.heap.top {
                w.writeU8(code)
                return
            }
            w.writeU8(reference.nullable ? 0x63 : 0x64)
            if let code = reference.heap.code {
                w.writeU8(code)
            } else if case .concrete(let index) = reference.heap {
                w.writeU8(0)
                w.write(index)
            }
        default: w.writeU8(storageCode)
        }
    }
    init(from r: inout ByteReader) throws(MetadataError) {
        enum Lead { case type(ValType), reference(nullable: Bool) }
        let lead = try r.readTag("value type") { code -> Lead? in
            switch code {
            case 0x7F: .type(.i32)
            case 0x7E: .type(.i64)
            case 0x7D: .type(.f32)
            case 0x7C: .type(.f64)
            case 0x7B: .type(.v128)
            case 0x63, 0x64: .reference(nullable: code == 0x63)
            default: HeapType(code: code).flatMap { $0 == $0.top ? .type(.ref(RefType(nullable: true, heap: $0))) : nil }
            }
        }
        switch lead {
        case .type(let type): self = type
        case .reference(let nullable):
            // 0 announces a type index; nil (an unknown byte) is an error.
            let heap: HeapType? = try r.readTag("heap type") { code -> HeapType?? in
                code == 0 ? .some(nil) : HeapType(code: code).map { .some($0) }
            }
            if let heap {
                self = .ref(RefType(nullable: nullable, heap: heap))
            } else {
                self = .ref(RefType(nullable: nullable, heap: .concrete(try r.read("type index"))))
            }
        }
    }
}

extension ExternKind: MetadataCodable {
    func encode(to w: inout ByteWriter) { w.writeU8(rawValue) }
    init(from r: inout ByteReader) throws(MetadataError) { self = try r.readTag("extern kind", ExternKind.init(rawValue:)) }
}

extension FuncType: MetadataCodable {
    func encode(to w: inout ByteWriter) {
        w.write(params)
        w.write(results)
    }
    init(from r: inout ByteReader) throws(MetadataError) {
        self.init(params: try r.read("params"), results: try r.read("results"))
    }
}

extension Limits: MetadataCodable {
    func encode(to w: inout ByteWriter) {
        w.write(min)
        w.write(max)
        w.write(is64)
    }
    init(from r: inout ByteReader) throws(MetadataError) {
        self.init(min: try r.read("min"), max: try r.read("max"), is64: try r.read("is64"))
    }
}

extension TableType: MetadataCodable {
    func encode(to w: inout ByteWriter) {
        w.write(element)
        w.write(limits)
    }
    init(from r: inout ByteReader) throws(MetadataError) {
        self.init(element: try r.read("element"), limits: try r.read("limits"))
    }
}

extension GlobalType: MetadataCodable {
    func encode(to w: inout ByteWriter) {
        w.write(type)
        w.write(mutable)
    }
    init(from r: inout ByteReader) throws(MetadataError) {
        self.init(type: try r.read("type"), mutable: try r.read("mutable"))
    }
}

extension ImportDesc: MetadataCodable {
    func encode(to w: inout ByteWriter) {
        w.write(kind)
        switch self {
        case .function(let typeIndex): w.write(typeIndex)
        case .table(let table): w.write(table)
        case .memory(let limits): w.write(limits)
        case .global(let global): w.write(global)
        case .tag(let typeIndex): w.write(typeIndex)
        }
    }
    init(from r: inout ByteReader) throws(MetadataError) {
        switch try r.read("kind") as ExternKind {
        case .function: self = .function(typeIndex: try r.read("typeIndex"))
        case .table: self = .table(try r.read("table"))
        case .memory: self = .memory(try r.read("memory"))
        case .global: self = .global(try r.read("global"))
        case .tag: self = .tag(typeIndex: try r.read("typeIndex"))
        }
    }
}

extension Import: MetadataCodable {
    func encode(to w: inout ByteWriter) {
        w.write(module)
        w.write(name)
        w.write(desc)
    }
    init(from r: inout ByteReader) throws(MetadataError) {
        self.init(module: try r.read("module"), name: try r.read("name"), desc: try r.read("desc"))
    }
}

extension Export: MetadataCodable {
    func encode(to w: inout ByteWriter) {
        w.write(name)
        w.write(kind)
        w.write(index)
    }
    init(from r: inout ByteReader) throws(MetadataError) {
        self.init(name: try r.read("name"), kind: try r.read("kind"), index: try r.read("index"))
    }
}

extension ConstInstr: MetadataCodable {
    /// Tags are the WebAssembly opcodes (`0xFD` stands for the `v128.const` prefix).
    private enum Opcode: UInt8 {
        case i32Const = 0x41, i64Const = 0x42, f32Const = 0x43, f64Const = 0x44, v128Const = 0xFD
        case globalGet = 0x23, refNull = 0xD0, refFunc = 0xD2
        case i32Add = 0x6A, i32Sub = 0x6B, i32Mul = 0x6C, i64Add = 0x7C, i64Sub = 0x7D, i64Mul = 0x7E
    }

    func encode(to w: inout ByteWriter) {
        switch self {
        case .i32Const(let v): w.writeU8(Opcode.i32Const.rawValue); w.write(v)
        case .i64Const(let v): w.writeU8(Opcode.i64Const.rawValue); w.write(v)
        case .f32Const(let v): w.writeU8(Opcode.f32Const.rawValue); w.write(v)
        case .f64Const(let v): w.writeU8(Opcode.f64Const.rawValue); w.write(v)
        case .v128Const(let v): w.writeU8(Opcode.v128Const.rawValue); w.write(v)
        case .globalGet(let v): w.writeU8(Opcode.globalGet.rawValue); w.write(v)
        case .refNull(let v): w.writeU8(Opcode.refNull.rawValue); w.write(v)
        case .refFunc(let v): w.writeU8(Opcode.refFunc.rawValue); w.write(v)
        case .i32Add: w.writeU8(Opcode.i32Add.rawValue)
        case .i32Sub: w.writeU8(Opcode.i32Sub.rawValue)
        case .i32Mul: w.writeU8(Opcode.i32Mul.rawValue)
        case .i64Add: w.writeU8(Opcode.i64Add.rawValue)
        case .i64Sub: w.writeU8(Opcode.i64Sub.rawValue)
        case .i64Mul: w.writeU8(Opcode.i64Mul.rawValue)
        }
    }
    init(from r: inout ByteReader) throws(MetadataError) {
        switch try r.readTag("constant instruction", Opcode.init(rawValue:)) {
        case .i32Const: self = .i32Const(try r.read("value"))
        case .i64Const: self = .i64Const(try r.read("value"))
        case .f32Const: self = .f32Const(try r.read("bits"))
        case .f64Const: self = .f64Const(try r.read("bits"))
        case .v128Const: self = .v128Const(try r.read("bytes"))
        case .globalGet: self = .globalGet(try r.read("global"))
        case .refNull: self = .refNull(try r.read("type"))
        case .refFunc: self = .refFunc(try r.read("function"))
        case .i32Add: self = .i32Add
        case .i32Sub: self = .i32Sub
        case .i32Mul: self = .i32Mul
        case .i64Add: self = .i64Add
        case .i64Sub: self = .i64Sub
        case .i64Mul: self = .i64Mul
        }
    }
}

extension Global: MetadataCodable {
    func encode(to w: inout ByteWriter) {
        w.write(type)
        w.write(initializer)
    }
    init(from r: inout ByteReader) throws(MetadataError) {
        self.init(type: try r.read("type"), initializer: try r.read("initializer"))
    }
}

extension ElementSegment.Mode: MetadataCodable {
    func encode(to w: inout ByteWriter) {
        switch self {
        case .active(let table, let offset): w.writeU8(0); w.write(table); w.write(offset)
        case .passive: w.writeU8(1)
        case .declarative: w.writeU8(2)
        }
    }
    init(from r: inout ByteReader) throws(MetadataError) {
        switch try r.readTag("element mode", { $0 <= 2 ? $0 : nil }) {
        case 0: self = .active(table: try r.read("table"), offset: try r.read("offset"))
        case 1: self = .passive
        default: self = .declarative
        }
    }
}

extension ElementSegment: MetadataCodable {
    func encode(to w: inout ByteWriter) {
        w.write(mode)
        w.write(elementType)
        w.write(items)
    }
    init(from r: inout ByteReader) throws(MetadataError) {
        self.init(mode: try r.read("mode"), elementType: try r.read("elementType"), items: try r.read("items"))
    }
}

extension DataSegment.Mode: MetadataCodable {
    func encode(to w: inout ByteWriter) {
        switch self {
        case .active(let memory, let offset): w.writeU8(0); w.write(memory); w.write(offset)
        case .passive: w.writeU8(1)
        }
    }
    init(from r: inout ByteReader) throws(MetadataError) {
        switch try r.readTag("data mode", { $0 <= 1 ? $0 : nil }) {
        case 0: self = .active(memory: try r.read("memory"), offset: try r.read("offset"))
        default: self = .passive
        }
    }
}

extension DataSegment: MetadataCodable {
    func encode(to w: inout ByteWriter) {
        w.write(mode)
        w.write(blobOffset)
        w.write(length)
    }
    init(from r: inout ByteReader) throws(MetadataError) {
        self.init(mode: try r.read("mode"), blobOffset: try r.read("blobOffset"), length: try r.read("length"))
    }
}
