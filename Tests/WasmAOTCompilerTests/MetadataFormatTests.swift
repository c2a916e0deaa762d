import Testing
@testable import WasmAOTFormat

// MARK: - Fixtures

/// A module exercising every case of the model. Index spaces:
/// functions 0 (import, type 1), 1 (import, type 0), 2 (type 0), 3 (type 2), 4 (type 1);
/// tables 0 (import, funcref), 1 (externref); memories 0 (import), 1;
/// globals 0 (import i32), 1 i64 mut, 2 i32, 3 f32, 4 f64, 5 v128, 6 funcref, 7 externref, 8 i64.
private func richModule() -> ModuleMetadata {
    ModuleMetadata(
        abiVersion: 3,
        compilerVersion: "wasmaot 0.1.0 ✓",
        wasmSHA256: Array(0..<32),
        compileSettings: "-O2 -march=x86-64-v2 bounds=guard-pages",
        types: [
            FuncType(params: [], results: []),
            FuncType(params: [.i32, .i64], results: [.f32]),
            FuncType(params: [.f64, .v128, .funcref, .externref], results: [.i32, .i64]),
        ],
        imports: [
            Import(module: "env", name: "log", desc: .function(typeIndex: 1)),
            Import(module: "env", name: "table", desc: .table(TableType(element: .funcref, limits: Limits(min: 1, max: 10)))),
            Import(module: "env", name: "memory", desc: .memory(Limits(min: 1))),
            Import(module: "env", name: "g", desc: .global(GlobalType(type: .i32, mutable: false))),
            Import(module: "wasi", name: "h", desc: .function(typeIndex: 0)),
        ],
        functions: [0, 2, 1],
        tables: [TableType(element: .externref, limits: Limits(min: 0, max: UInt64(UInt32.max)))],
        memories: [Limits(min: 2, max: 65536)],
        globals: [
            Global(type: GlobalType(type: .i64, mutable: true), initializer: [.i64Const(.max)]),
            Global(
                type: GlobalType(type: .i32, mutable: false),
                initializer: [.globalGet(0), .i32Const(16), .i32Mul, .i32Const(4), .i32Add, .i32Const(1), .i32Sub]),
            Global(type: GlobalType(type: .f32, mutable: false), initializer: [.f32Const(0x3F80_0000)]),
            Global(type: GlobalType(type: .f64, mutable: true), initializer: [.f64Const(0x4000_0000_0000_0000)]),
            Global(type: GlobalType(type: .v128, mutable: false), initializer: [.v128Const(Array(100..<116))]),
            Global(type: GlobalType(type: .funcref, mutable: false), initializer: [.refFunc(3)]),
            Global(type: GlobalType(type: .externref, mutable: true), initializer: [.refNull(.externref)]),
            Global(
                type: GlobalType(type: .i64, mutable: false),
                initializer: [.i64Const(5), .i64Const(6), .i64Add, .i64Const(2), .i64Sub, .i64Const(3), .i64Mul]),
        ],
        exports: [
            Export(name: "main", kind: .function, index: 2),
            Export(name: "table", kind: .table, index: 1),
            Export(name: "memory", kind: .memory, index: 1),
            Export(name: "counter", kind: .global, index: 1),
            Export(name: "", kind: .function, index: 0),
        ],
        start: 2,
        elements: [
            ElementSegment(
                mode: .active(table: 0, offset: [.i32Const(0)]), elementType: .funcref,
                items: [[.refFunc(0)], [.refFunc(4)], [.refNull(.funcref)]]),
            ElementSegment(
                mode: .active(table: 1, offset: [.globalGet(2)]), elementType: .externref,
                items: [[.refNull(.externref)]]),
            ElementSegment(mode: .passive, elementType: .funcref, items: [[.refFunc(1)], [.globalGet(6)]]),
            ElementSegment(mode: .declarative, elementType: .funcref, items: [[.refFunc(3)]]),
        ],
        data: [
            DataSegment(mode: .active(memory: 0, offset: [.i32Const(1024)]), blobOffset: 0, length: 5),
            DataSegment(mode: .passive, blobOffset: 5, length: 3),
            DataSegment(mode: .active(memory: 1, offset: [.globalGet(2)]), blobOffset: 8, length: 0),
        ],
        functionNames: ["log", "h", "main", "", "helper ü"],
        dataBlob: Array("hello".utf8) + [0, 0xFF, 0x80],
        tableInitializers: [[.refNull(.externref)]]
    )
}

/// The smallest valid module; its encoding ends with the one-byte fields
/// `start`, `elements`, `data`, `functionNames`, `dataBlob`, `tags`, `tableInitializers`.
private func minimalModule() -> ModuleMetadata {
    ModuleMetadata(abiVersion: 1, compilerVersion: "", wasmSHA256: Array(repeating: 0, count: 32), compileSettings: "")
}

/// The error `decode` throws, or nil if it succeeds.
private func decodeError(_ bytes: [UInt8]) -> MetadataError? {
    do {
        _ = try ModuleMetadata.decode(bytes)
        return nil
    } catch {
        return error
    }
}

/// Position of the first occurrence of `pattern` in `bytes`.
private func find(_ pattern: [UInt8], in bytes: [UInt8]) -> Int? {
    guard pattern.count <= bytes.count else { return nil }
    return (0...bytes.count - pattern.count).first { bytes[$0..<$0 + pattern.count].elementsEqual(pattern) }
}

/// Small deterministic PRNG (xorshift64*), so that failures reproduce.
private struct XorShift: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state ^= state >> 12
        state ^= state << 25
        state ^= state >> 27
        return state &* 0x2545_F491_4F6C_DD1D
    }
}

// MARK: - Round trip

@Suite struct MetadataFormatTests {
    @Test("digests print as lower-case hex, two digits a byte")
    func hexDigits() {
        #expect([0x0f, 0xa0].hexDigits == "0fa0")
        #expect([UInt8]().hexDigits == "")
        let all = (0...255).map { UInt8($0) }.hexDigits
        #expect(all.count == 512 && all.hasPrefix("000102") && all.hasSuffix("fdfeff"))
    }

    @Test func roundTripOfRichModule() throws {
        let module = richModule()
        try module.validate()
        let bytes = module.encode()
        #expect(Array(bytes.prefix(8)) == ModuleMetadata.magic)
        #expect(bytes[8] == UInt8(ModuleMetadata.formatVersion))
        let decoded = try ModuleMetadata.decode(bytes)
        #expect(decoded == module)
        #expect(decoded.encode() == bytes)
        #expect(module.encode() == bytes)  // deterministic
    }

    @Test("subtyping of references, and equal types of a type section")
    func subtyping() {
        let t = HeapType.concrete(0)
        func ref(_ nullable: Bool, _ heap: HeapType) -> ValType { .ref(RefType(nullable: nullable, heap: heap)) }
        #expect(ref(false, t).matches(ref(true, t)))
        #expect(!ref(true, t).matches(ref(false, t)))
        #expect(ref(false, t).matches(.funcref) && ref(false, t).matches(ref(false, .func)))
        #expect(ref(true, .nofunc).matches(ref(true, t)) && ref(true, .nofunc).matches(.funcref))
        #expect(!ValType.funcref.matches(ref(true, t)) && !ref(true, t).matches(.externref))
        #expect(ref(true, .noextern).matches(.externref) && !ref(true, .noextern).matches(.funcref))
        #expect(ref(false, .noexn).matches(.exnref) && !ValType.exnref.matches(ref(true, .noexn)))
        #expect(!ref(false, .concrete(0)).matches(ref(false, .concrete(1))))
        #expect(ref(false, .concrete(0)).matches(ref(false, .concrete(1)), same: { _, _ in true }))
        #expect(ValType.i32.matches(.i32) && !ValType.i32.matches(.i64))

        // 0 and 2 are `(func)`; 1 and 3 take a reference to themselves; 4 takes one to 1, which
        // is another type than 1 and 3 (its own recursion group), and 5 one to a later type.
        let types = [
            FuncType(params: [], results: []),
            FuncType(params: [ref(true, .concrete(1))], results: []),
            FuncType(params: [], results: []),
            FuncType(params: [ref(true, .concrete(3))], results: []),
            FuncType(params: [ref(true, .concrete(1))], results: []),
            FuncType(params: [ref(true, .concrete(6))], results: []),
            FuncType(params: [], results: []),
        ]
        let classes = TypeClasses(types)
        #expect(classes.classes == [0, 1, 0, 1, 4, 5, 0])
        #expect(classes.same(0, 2) && classes.same(1, 3) && !classes.same(1, 4) && !classes.same(0, 9))
    }

    @Test("typed references round-trip; their type indices are checked")
    func roundTripOfTypedReferences() throws {
        func ref(_ nullable: Bool, _ heap: HeapType) -> ValType { .ref(RefType(nullable: nullable, heap: heap)) }
        var m = minimalModule()
        m.types = [
            FuncType(params: [ref(false, .concrete(0)), ref(true, .nofunc), ref(true, .noextern)], results: [ref(false, .extern)]),
            FuncType(params: [ref(true, .noexn), ref(false, .exn), ref(false, .func), .exnref], results: [ref(true, .concrete(0))]),
        ]
        m.globals = [
            Global(type: GlobalType(type: ref(true, .concrete(1)), mutable: false), initializer: [.refNull(ref(true, .nofunc))])
        ]
        m.tables = [TableType(element: ref(true, .concrete(0)), limits: Limits(min: 1))]
        #expect(try ModuleMetadata.decode(m.encode()) == m)

        var forward = m
        forward.types[0].params[0] = ref(false, .concrete(1))
        #expect(decodeError(forward.encode())?.message.contains("type 0 refers to type 1, which is not defined before it") == true)
        var unknown = m
        unknown.globals[0].type.type = ref(true, .concrete(2))
        #expect(decodeError(unknown.encode())?.message.contains("has type index 2 but the module has 2 types") == true)
        var nonNull = m
        nonNull.tables[0].element = ref(false, .concrete(0))
        #expect(decodeError(nonNull.encode())?.message.contains("which has no null, but has no initializer") == true)
        nonNull.tableInitializers = [[.refNull(ref(true, .concrete(0)))]]
        #expect(decodeError(nonNull.encode())?.message.contains("must produce one (ref $0) value") == true)
    }

    @Test func roundTripOfMinimalModule() throws {
        let module = minimalModule()
        let bytes = module.encode()
        #expect(try ModuleMetadata.decode(bytes) == module)
        #expect(Array(bytes.suffix(5)) == [0, 0, 0, 0, 0])
    }

    @Test func indexSpaceConveniences() {
        let m = richModule()
        #expect(m.importedFunctionCount == 2)
        #expect(m.importedTableCount == 1)
        #expect(m.importedMemoryCount == 1)
        #expect(m.importedGlobalCount == 1)
        #expect(m.totalFunctionCount == 5)
        #expect(m.totalTableCount == 2)
        #expect(m.totalMemoryCount == 2)
        #expect(m.totalGlobalCount == 9)
        #expect(m.functionType(at: 0) == FuncType(params: [.i32, .i64], results: [.f32]))
        #expect(m.functionType(at: 1) == FuncType(params: [], results: []))
        #expect(m.functionType(at: 3) == m.types[2])
        #expect(m.functionType(at: 4) == m.types[1])
        #expect(m.globalType(at: 0) == GlobalType(type: .i32, mutable: false))
        #expect(m.globalType(at: 1) == GlobalType(type: .i64, mutable: true))
        #expect(m.globalType(at: 8) == GlobalType(type: .i64, mutable: false))
        #expect(m.tableType(at: 0).element == .funcref)
        #expect(m.tableType(at: 1).element == .externref)
        #expect(m.memoryLimits(at: 0) == Limits(min: 1, max: nil))
        #expect(m.memoryLimits(at: 1) == Limits(min: 2, max: 65536))
        #expect(Array(m.bytes(of: m.data[0])) == Array("hello".utf8))
        #expect(Array(m.bytes(of: m.data[1])) == [0, 0xFF, 0x80])
        #expect(m.bytes(of: m.data[2]).isEmpty)
    }

    @Test func leb128() throws {
        for value: UInt64 in [0, 1, 127, 128, 300, 16383, 16384, UInt64(UInt32.max), 1 << 63, .max] {
            var writer = ByteWriter()
            writer.writeLEB128(value)
            var reader = ByteReader(writer.bytes)
            #expect(try reader.readU64() == value)
            #expect(reader.isAtEnd)
        }
        var writer = ByteWriter()
        writer.writeLEB128(624_485)
        #expect(writer.bytes == [0xE5, 0x8E, 0x26])
    }

    @Test func errorDescription() {
        #expect(
            "\(MetadataError("export 4 ('foo') refers to function 17", offset: 123))"
                == "invalid metadata at byte 123: export 4 ('foo') refers to function 17")
        #expect("\(MetadataError("oops"))" == "invalid metadata: oops")
    }

    // MARK: - Framing

    @Test func badMagicIsRejected() throws {
        var bytes = richModule().encode()
        bytes[0] = UInt8(ascii: "X")
        let error = try #require(decodeError(bytes))
        #expect(error.message.contains("magic"))
        #expect(error.offset == 0)
        #expect(decodeError([]) != nil)
        #expect(decodeError(Array("ELF".utf8)) != nil)
    }

    @Test("tags: imported and defined, exported, each type without results")
    func tagsRoundTripAndAreChecked() throws {
        var module = minimalModule()
        module.types = [FuncType(params: [.i32, .exnref], results: []), FuncType(params: [], results: [.i32])]
        module.imports = [Import(module: "env", name: "e", desc: .tag(typeIndex: 0))]
        module.tags = [0]
        module.exports = [Export(name: "t", kind: .tag, index: 1)]
        try module.validate()
        #expect(module.totalTagCount == 2 && module.tagTypeIndex(at: 1) == 0)
        #expect(try ModuleMetadata.decode(module.encode()) == module)
        module.tags = [1]
        #expect(throws: MetadataError.self) { try module.validate() }
        module.tags = [0]
        module.exports[0].index = 2
        #expect(throws: MetadataError.self) { try module.validate() }
    }

    @Test func otherFormatVersionIsRejected() throws {
        var bytes = richModule().encode()
        bytes[8] = UInt8(ModuleMetadata.formatVersion) + 1
        let error = try #require(decodeError(bytes))
        #expect(error.message.contains("format version \(ModuleMetadata.formatVersion + 1)"))
        #expect(error.offset == 8)
    }

    @Test func everyTruncationIsRejected() throws {
        let bytes = richModule().encode()
        for length in 0..<bytes.count {
            let error = try #require(decodeError(Array(bytes.prefix(length))), "prefix of \(length) bytes was accepted")
            let offset = try #require(error.offset)
            #expect(offset <= length, "prefix \(length): \(error)")
        }
    }

    @Test func trailingBytesAreRejected() throws {
        let bytes = richModule().encode()
        let error = try #require(decodeError(bytes + [0]))
        #expect(error.message.contains("trailing"))
        #expect(error.offset == bytes.count)
        #expect(decodeError(bytes + Array(repeating: 0xAB, count: 100)) != nil)
    }

    // MARK: - Primitives

    @Test func overLongLEB128IsRejected() throws {
        let bytes = richModule().encode()
        #expect(bytes[9] == 3)  // abiVersion
        var patched = bytes
        patched.replaceSubrange(9...9, with: [0x83, 0x80, 0x80, 0x80, 0x80, 0x00])
        var error = try #require(decodeError(patched))
        #expect(error.message.contains("abiVersion"))
        #expect(error.message.contains("over-long"))
        #expect(error.offset == 9)

        // Does not fit in 32 bits.
        patched = bytes
        patched.replaceSubrange(9...9, with: [0xFF, 0xFF, 0xFF, 0xFF, 0x1F])
        error = try #require(decodeError(patched))
        #expect(error.message.contains("does not fit in 32 bits"))

        // Non-minimal (a padded 3).
        patched = bytes
        patched.replaceSubrange(9...9, with: [0x83, 0x00])
        error = try #require(decodeError(patched))
        #expect(error.message.contains("non-minimal"))

        // Format version itself.
        error = try #require(decodeError(ModuleMetadata.magic + [0x81, 0x80, 0x80, 0x80, 0x80, 0x00]))
        #expect(error.message.contains("over-long"))
        #expect(error.offset == 8)

        // 64-bit: an 11th byte, and a 10th byte above 1.
        var reader = ByteReader(Array(repeating: 0x80, count: 10) + [0x00])
        #expect(throws: MetadataError.self) { try reader.readU64() }
        reader = ByteReader(Array(repeating: 0xFF, count: 9) + [0x02])
        #expect(throws: MetadataError.self) { try reader.readU64() }
        reader = ByteReader(Array(repeating: 0xFF, count: 9) + [0x01])
        #expect(try reader.readU64() == .max)
    }

    @Test func invalidUTF8IsRejected() throws {
        var bytes = richModule().encode()
        let start = try #require(find(Array("wasmaot".utf8), in: bytes))
        bytes[start] = 0xFF
        let error = try #require(decodeError(bytes))
        #expect(error.message.contains("compilerVersion"))
        #expect(error.message.contains("UTF-8"))
        #expect(error.offset == start - 1)  // the string's length prefix

        // A truncated multi-byte sequence ("✓" is E2 9C 93) inside a name.
        bytes = richModule().encode()
        let check = try #require(find([0xE2, 0x9C, 0x93], in: bytes))
        bytes[check + 2] = UInt8(ascii: "x")
        #expect(try #require(decodeError(bytes)).message.contains("UTF-8"))
    }

    @Test func lengthsBeyondTheInputAreRejected() throws {
        var bytes = minimalModule().encode()
        bytes[bytes.count - 4] = 5  // dataBlob length (then the empty tags, features and tableInitializers lists)
        var error = try #require(decodeError(bytes))
        #expect(error.message.contains("dataBlob"))
        #expect(error.message.contains("exceeds"))

        // A count near 2^64 must be rejected before anything is allocated.
        bytes = minimalModule().encode()
        bytes.replaceSubrange((bytes.count - 5)..., with: Array(repeating: 0xFF, count: 9) + [0x01])
        error = try #require(decodeError(bytes))
        #expect(error.message.contains("functionNames"))
        #expect(error.message.contains("exceeds"))

        // String length.
        bytes = minimalModule().encode()
        #expect(bytes[10] == 0)  // compilerVersion length
        bytes[10] = 0x7F
        error = try #require(decodeError(bytes))
        #expect(error.message.contains("compilerVersion: string length 127 exceeds"))
        #expect(error.offset == 10)
    }

    @Test func unknownTagsAreRejected() throws {
        let rich = richModule().encode()
        // Export "counter": name, then the kind tag.
        let counter = try #require(find([7] + Array("counter".utf8), in: rich)) + 8
        #expect(rich[counter] == ExternKind.global.rawValue)
        // Import env.g: module, name, kind tag 3, value type, mutability.
        let g = try #require(find([3] + Array("env".utf8) + [1, UInt8(ascii: "g"), 3], in: rich)) + 7
        #expect(rich[g] == ValType.i32.storageCode)
        // Global 1's initializer: i64.const UINT64_MAX.
        let i64Const = try #require(find([0x42] + Array(repeating: 0xFF, count: 9) + [0x01], in: rich))

        let minimal = minimalModule().encode()
        var withElement = minimalModule()
        withElement.elements = [ElementSegment(mode: .passive, elementType: .funcref, items: [])]
        let element = withElement.encode()
        var withData = minimalModule()
        withData.data = [DataSegment(mode: .passive, blobOffset: 0, length: 0)]
        let data = withData.encode()

        let cases: [(bytes: [UInt8], at: Int, value: UInt8, expected: String)] = [
            (rich, counter, 7, "exports[3].kind: unknown extern kind tag 0x07"),
            (rich, g - 1, 9, "imports[3].desc.kind: unknown extern kind tag 0x09"),
            (rich, g, 0x55, "imports[3].desc.global.type: unknown value type tag 0x55"),
            (rich, g + 1, 2, "imports[3].desc.global.mutable: unknown boolean tag 0x02"),
            (rich, i64Const, 0x99, "globals[0].initializer[0]: unknown constant instruction tag 0x99"),
            (minimal, minimal.count - 8, 2, "start: unknown optional tag 0x02"),
            (element, element.count - 9, 3, "elements[0].mode: unknown element mode tag 0x03"),
            (element, element.count - 8, 0x7F, "not a reference type"),  // i32 decodes, but validation rejects it
            (data, data.count - 8, 2, "data[0].mode: unknown data mode tag 0x02"),
        ]
        for c in cases {
            var bytes = c.bytes
            bytes[c.at] = c.value
            let error = try #require(decodeError(bytes), "patching byte \(c.at) to \(c.value) was accepted")
            #expect(error.message.contains(c.expected), "\(error)")
            if c.value != 0x7F { #expect(error.offset == c.at) }
        }
    }

    /// Random single- and multi-byte corruptions must be rejected or decode to a value that
    /// re-encodes to exactly the same bytes (the encoding is canonical); never crash.
    @Test func randomCorruptionNeverCrashes() {
        let bytes = richModule().encode()
        var rng = XorShift(state: 0x9E37_79B9_7F4A_7C15)
        var accepted = 0
        for _ in 0..<3000 {
            var corrupt = bytes
            for _ in 0..<Int.random(in: 1...3, using: &rng) {
                switch Int.random(in: 0..<4, using: &rng) {
                case 0: corrupt[Int.random(in: 0..<corrupt.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng)
                case 1: corrupt[Int.random(in: 0..<corrupt.count, using: &rng)] ^= 1 << UInt8.random(in: 0..<8, using: &rng)
                case 2: corrupt.remove(at: Int.random(in: 8..<corrupt.count, using: &rng))
                default: corrupt.insert(UInt8.random(in: 0...255, using: &rng), at: Int.random(in: 8..<corrupt.count, using: &rng))
                }
            }
            if let decoded = try? ModuleMetadata.decode(corrupt) {
                accepted += 1
                #expect(decoded.encode() == corrupt)
            }
        }
        #expect(accepted < 3000)
    }

    // MARK: - Validation

    struct Corruption: Sendable, CustomTestStringConvertible {
        var testDescription: String
        var expected: String
        var mutate: @Sendable (inout ModuleMetadata) -> Void
        init(_ name: String, _ expected: String, _ mutate: @escaping @Sendable (inout ModuleMetadata) -> Void) {
            self.testDescription = name
            self.expected = expected
            self.mutate = mutate
        }
    }

    static let corruptions: [Corruption] = [
        Corruption("SHA length", "wasmSHA256 has 31 bytes but a SHA-256 has 32") { $0.wasmSHA256.removeLast() },
        Corruption("import type index", "import 4 ('wasi'.'h', function 1) has type index 3 but the module has 3 types") {
            $0.imports[4].desc = .function(typeIndex: 3)
        },
        Corruption("function type index", "function 3 (defined function 1) has type index 7 but the module has 3 types") {
            $0.functions[1] = 7
        },
        Corruption("export function index", "export 0 ('main') refers to function 5 but the module has 5 functions") {
            $0.exports[0].index = 5
        },
        Corruption("export table index", "export 1 ('table') refers to table 2 but the module has 2 tables") {
            $0.exports[1].index = 2
        },
        Corruption("export memory index", "export 2 ('memory') refers to memory 9 but the module has 2 memories") {
            $0.exports[2].index = 9
        },
        Corruption("export global index", "export 3 ('counter') refers to global 9 but the module has 9 globals") {
            $0.exports[3].index = 9
        },
        Corruption("duplicate export", "export 4 ('main') has the same name as export 0") { $0.exports[4].name = "main" },
        Corruption("start index", "the start function 5 is out of range: the module has 5 functions") { $0.start = 5 },
        Corruption("start type", "the start function 3 has type (f64, v128, funcref, externref) -> (i32, i64)") {
            $0.start = 3
        },
        Corruption(
            "global.get index", "the initializer of global 2, instruction 0 (global.get) refers to global 9 but the module has 9 globals"
        ) {
            $0.globals[1].initializer[0] = .globalGet(9)
        },
        Corruption("global.get of a later global", "refers to global 2, which is not initialized yet") {
            $0.globals[1].initializer = [.globalGet(2)]
        },
        Corruption("global.get in data offset", "the offset of data segment 2, instruction 0 (global.get) refers to global 100") {
            $0.data[2].mode = .active(memory: 1, offset: [.globalGet(100)])
        },
        Corruption(
            "ref.func index", "item 1 of element segment 0, instruction 0 (ref.func) refers to function 5 but the module has 5 functions"
        ) {
            $0.elements[0].items[1] = [.refFunc(5)]
        },
        Corruption("ref.func in global", "the initializer of global 6, instruction 0 (ref.func) refers to function 77") {
            $0.globals[5].initializer = [.refFunc(77)]
        },
        Corruption("v128.const length", "v128.const) has 15 bytes but a v128 has 16") {
            $0.globals[4].initializer = [.v128Const(Array(repeating: 0, count: 15))]
        },
        Corruption("ref.null type", "ref.null) has type i32, which is not a nullable reference type") {
            $0.elements[2].items[0] = [.refNull(.i32)]
        },
        Corruption("const expr type", "the initializer of global 1 must produce one i64 value but produces [i32]") {
            $0.globals[0].initializer = [.i32Const(1)]
        },
        Corruption("const expr underflow", "(i32.add) needs two i32 operands but the stack is [i32]") {
            $0.globals[1].initializer = [.i32Const(1), .i32Add]
        },
        Corruption("empty const expr", "the offset of element segment 0 must produce one i32 value but produces []") {
            $0.elements[0].mode = .active(table: 0, offset: [])
        },
        Corruption("element table index", "element segment 1 refers to table 2 but the module has 2 tables") {
            $0.elements[1].mode = .active(table: 2, offset: [.i32Const(0)])
        },
        Corruption("element table type", "element segment 1 has element type externref but table 0 holds funcref") {
            $0.elements[1].mode = .active(table: 0, offset: [.i32Const(0)])
        },
        Corruption("element type", "element segment 3 has element type i64, which is not a reference type") {
            $0.elements[3].elementType = .i64
        },
        Corruption("item type", "item 0 of element segment 2 must produce one externref value but produces [(ref $0)]") {
            $0.elements[2].elementType = .externref
        },
        Corruption("data memory index", "data segment 0 refers to memory 2 but the module has 2 memories") {
            $0.data[0].mode = .active(memory: 2, offset: [.i32Const(0)])
        },
        Corruption("data blob range", "data segment 1 covers bytes 5 ..< 9 of the data blob, which has 8 bytes") {
            $0.data[1].length = 4
        },
        Corruption("data blob overflow", "data segment 1 covers bytes 18446744073709551615 ..< (overflow)") {
            $0.data[1].blobOffset = .max
        },
        Corruption("functionNames count", "functionNames has 4 entries but the module has 5 functions (expected 0 or 5)") {
            $0.functionNames.removeLast()
        },
        Corruption("tableInitializers count", "tableInitializers has 2 entries but the module defines 1 table (expected 0 or 1)") {
            $0.tableInitializers.append(nil)
        },
        Corruption("table initializer type", "the initializer of table 1 must produce one externref value but produces [(ref $1)]") {
            $0.tableInitializers[0] = [.refFunc(0)]
        },
        Corruption(
            "table initializer reads a defined global",
            "the initializer of table 1, instruction 0 (global.get) refers to global 7, which is not initialized yet"
        ) {
            $0.tableInitializers[0] = [.globalGet(7)]
        },
        Corruption("table element type", "table 1 has element type i32, which is not a reference type") {
            $0.tables[0].element = .i32
        },
        Corruption("imported table limits", "import 1 ('env'.'table', table 0) has minimum 11 greater than its maximum 10") {
            $0.imports[1].desc = .table(TableType(element: .funcref, limits: Limits(min: 11, max: 10)))
        },
        Corruption("table maximum", "table 1 has maximum 4294967296, more than the limit of 4294967295 elements") {
            $0.tables[0].limits.max = 1 << 32
        },
        Corruption("memory pages", "memory 1 has maximum 65537, more than the limit of 65536 pages") {
            $0.memories[0].max = 65537
        },
        Corruption("imported memory pages", "import 2 ('env'.'memory', memory 0) has minimum 70000, more than the limit of 65536 pages") {
            $0.imports[2].desc = .memory(Limits(min: 70000))
        },
        Corruption("64-bit memory pages", "memory 1 has maximum 281474976710657, more than the limit of 281474976710656 pages") {
            $0.memories[0] = Limits(min: 0, max: (1 << 48) + 1, is64: true)
        },
        Corruption("data offset of a 64-bit memory", "data segment 2") {
            $0.memories[0].is64 = true  // segment 2 reads an i32 global; memory 1 now takes i64 addresses
        },
    ]

    @Test(arguments: corruptions)
    func invalidCrossReferenceIsRejected(_ corruption: Corruption) throws {
        var module = richModule()
        corruption.mutate(&module)

        // Direct validation: no offset.
        do {
            try module.validate()
            Issue.record("validate() accepted it")
        } catch {
            #expect(error.message.contains(corruption.expected), "\(error)")
            #expect(error.offset == nil)
        }

        // Decoding: the same message, with the offset of the offending item.
        let bytes = module.encode()
        let error = try #require(decodeError(bytes))
        #expect(error.message.contains(corruption.expected), "\(error)")
        let offset = try #require(error.offset)
        #expect(offset > 8 && offset < bytes.count)
    }

    @Test func validationErrorPointsAtTheItem() throws {
        var module = richModule()
        module.exports[3].index = 42
        let bytes = module.encode()
        let error = try #require(decodeError(bytes))
        let offset = try #require(error.offset)
        #expect(Array(bytes[offset..<offset + 8]) == [7] + Array("counter".utf8))
        #expect(error.description.hasPrefix("invalid metadata at byte \(offset): export 3 ('counter') refers to global 42"))
    }
}
