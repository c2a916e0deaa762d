import Foundation
import Testing
import WasmAOT
import WasmAOTFormat

/// Linear memories at run time: data images mapped copy-on-write (sparse, and
/// segments that cannot be applied ahead of time copied at instantiation),
/// pooled reservations reset between instances, huge-page advice.
@Suite("Memories and data images")
struct MemoryTests {
    static let dataWat = """
        (module
          (memory (export "memory") 2)
          (data (i32.const 100) "hello")
          (data (i32.const 65530) "across a page boundary")
          (func (export "load") (param i32) (result i32) (i32.load8_u (local.get 0)))
          (func (export "store") (param i32 i32) (i32.store8 (local.get 0) (local.get 1))))
        """

    @Test("data segments mapped copy-on-write: every instance starts from the image, writes stay private")
    func memoryImage() throws {
        let module = try load(wat: Self.dataWat)
        let a = try module.instantiate()
        let b = try module.instantiate()
        let memory = try a.exports.memory("memory")
        #expect(try memory.read(at: 100, count: 5) == Array("hello".utf8))
        #expect(try memory.read(at: 65530, count: 22) == Array("across a page boundary".utf8))
        #expect(try memory.read(at: 0, count: 100) == [UInt8](repeating: 0, count: 100))
        #expect(try memory.read(at: 65552, count: 1000) == [UInt8](repeating: 0, count: 1000))
        _ = try a.exports.function("store").call([.i32(100), .i32(UInt32(UInt8(ascii: "J")))])
        #expect(try a.exports.function("load").call([.i32(100)]) == [.i32(UInt32(UInt8(ascii: "J")))])
        #expect(try b.exports.function("load").call([.i32(100)]) == [.i32(UInt32(UInt8(ascii: "h")))])
        let c = try module.instantiate()
        #expect(try c.exports.memory("memory").read(at: 100, count: 5) == Array("hello".utf8))
        // Growing past the image keeps it and adds zeroed pages.
        #expect(try c.exports.memory("memory").grow(by: 1) == 2)
        #expect(try c.exports.function("load").call([.i32(65536 * 2 + 5)]) == [.i32(0)])
        #expect(try c.exports.function("load").call([.i32(101)]) == [.i32(UInt32(UInt8(ascii: "e")))])
    }

    @Test("a pooled memory comes back as new: image restored, written and grown pages gone")
    func pooledMemoriesAreReset() throws {
        let module = try load(wat: Self.dataWat)
        let page = 65536
        for round in 0..<6 {
            // Freed at the end of each round: its reservation goes back to the pool.
            let instance = try module.instantiate()
            let memory = try instance.exports.memory("memory")
            #expect(memory.pages == 2, "round \(round)")
            #expect(try memory.read(at: 100, count: 5) == Array("hello".utf8), "round \(round)")
            #expect(try memory.read(at: 0, count: 100) == [UInt8](repeating: 0, count: 100), "round \(round)")
            #expect(try memory.read(at: 65552, count: 1000) == [UInt8](repeating: 0, count: 1000), "round \(round)")
            // Dirty the image page, a zero page, then grow and dirty the new page.
            try memory.write([0xAA, 0xBB], at: 100)
            try memory.write([0xCC], at: 70000)
            #expect(memory.grow(by: 2) == 2)
            try memory.write([0xDD], at: 3 * page + 7)
            #expect(try instance.exports.function("load").call([.i32(UInt32(3 * page + 7))]) == [.i32(0xDD)])
        }
        // Out of bounds again after the reset: the grown pages are gone.
        let fresh = try module.instantiate()
        #expect(trapKind { try fresh.exports.function("load").call([.i32(UInt32(3 * page + 7))]) } == .memoryOutOfBounds)
        // Live instances never share a slot.
        let others = try (0..<4).map { _ in try module.instantiate() }
        try others[0].exports.memory("memory").write([1], at: 100)
        for other in others.dropFirst() {
            #expect(try other.exports.memory("memory").read(at: 100, count: 1) == [UInt8(ascii: "h")])
        }
        // Standalone memories (no image) are pooled the same way: zeros again.
        for _ in 0..<3 {
            let standalone = try Memory(limits: Limits(min: 1, max: nil))
            #expect(try standalone.read(at: 0, count: page) == [UInt8](repeating: 0, count: page))
            #expect(throws: UsageError.self) { try standalone.read(at: page, count: 1) }
            try standalone.write([0xEE, 0xEE], at: page - 2)
        }
    }

    /// A /proc file, read to its end (procfs reports a size of 0).
    static func procFile(_ path: String) throws -> String {
        let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: path))
        defer { try? handle.close() }
        return String(decoding: try handle.readToEnd() ?? Data(), as: UTF8.self)
    }

    /// The regions of /proc/self/maps that lie in `[base, base + length)`:
    /// (start, end, the mapped file's name or "").
    static func mappings(in base: UnsafeRawPointer, length: UInt64) throws -> [(start: UInt, end: UInt, file: String)] {
        let low = UInt(bitPattern: base), high = low + UInt(length)
        return try procFile("/proc/self/maps").split(separator: "\n").compactMap { line in
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            let bounds = fields[0].split(separator: "-").compactMap { UInt($0, radix: 16) }
            guard bounds.count == 2, bounds[0] < high, bounds[1] > low else { return nil }
            return (bounds[0], bounds[1], fields.count > 5 ? fields[5...].joined(separator: " ") : "")
        }
    }

    @Test("a data image holds only the pages segments touch: a stack-first layout maps its data pages, not 16 MiB")
    func sparseMemoryImage() throws {
        // The layout of wasm-ld with a 16 MiB stack first (zig's default): data far above zero.
        let module = try load(
            wat: """
                (module
                  (memory (export "memory") 300)
                  (data (i32.const 100) "hello")
                  (data (i32.const 200) "aaaa")
                  (data (i32.const 202) "bb")
                  (data (i32.const 8190) "spans two host pages")
                  (data (i32.const 16777216) "far data")
                  (data (i32.const 9000000) ""))
                """)
        for round in 0..<3 {  // the second and third take the pooled memory of the first
            let instance = try module.instantiate()
            let memory = try instance.exports.memory("memory")
            #expect(try memory.read(at: 100, count: 5) == Array("hello".utf8), "round \(round)")
            #expect(try memory.read(at: 200, count: 4) == Array("aabb".utf8), "later segments win")
            #expect(try memory.read(at: 8190, count: 20) == Array("spans two host pages".utf8))
            #expect(try memory.read(at: 16_777_216, count: 8) == Array("far data".utf8))
            let zeros = try memory.read(at: 12288, count: 16_777_216 - 12288)
            #expect(zeros.allSatisfy { $0 == 0 }, "round \(round)")
            #expect(try memory.read(at: 16_777_224, count: 65536).allSatisfy { $0 == 0 })
            // The host pages up to the end of "spans two host pages" (8210) and the one at
            // 16 MiB (4 pages of 4 KiB), mapped from the image file; the rest is anonymous.
            let page = UInt(sysconf(Int32(_SC_PAGESIZE)))
            let images = try Self.mappings(in: UnsafeRawPointer(memory.baseAddress), length: UInt64(memory.byteCount))
                .filter { $0.file.contains("wasmaot-memory-image") }
            #expect(images.reduce(0) { $0 + $1.end - $1.start } == (8210 + page - 1) / page * page + page, "\(images)")
            try memory.write(Array("HELLO".utf8), at: 100)
            try memory.write([1], at: 5_000_000)
        }
    }

    @Test("an image of scattered segments is at most 16 mappings; the gaps it covers read as zeros")
    func scatteredImageSegments() throws {
        let page = 65536
        let scattered = (0..<40).map { i in "(data (i32.const \(i * 3 * page + i)) \"seg\(i)\")" }.joined(separator: "\n")
        let module = try load(
            wat: """
                (module (memory (export "memory") 130)
                  \(scattered)
                  (data (i32.const \(3 * page)) "overwrites seg1's start"))
                """)
        let memory = try module.instantiate().exports.memory("memory")
        #expect(try memory.read(at: 3 * page, count: 23) == Array("overwrites seg1's start".utf8))
        for i in [0, 2, 17, 39] {
            let text = Array("seg\(i)".utf8)
            #expect(try memory.read(at: i * 3 * page + i, count: text.count) == text)
            #expect(try memory.read(at: i * 3 * page + i + text.count, count: 3 * page - 100).allSatisfy { $0 == 0 })
        }
        let images = try Self.mappings(in: UnsafeRawPointer(memory.baseAddress), length: UInt64(memory.byteCount))
            .filter { $0.file.contains("wasmaot-memory-image") }
        #expect(!images.isEmpty && images.count <= 16, "\(images.count) image mappings")
    }

    /// The VmFlags (/proc/self/smaps) of the mapping holding `address`.
    static func vmFlags(at address: UnsafeRawPointer) throws -> [String] {
        let target = UInt(bitPattern: address)
        var inside = false
        for line in try procFile("/proc/self/smaps").split(separator: "\n") {
            if let dash = line.firstIndex(of: "-"), let start = UInt(line[..<dash], radix: 16),
                let end = UInt(line[line.index(after: dash)...].prefix { $0 != " " }, radix: 16)
            {
                inside = start <= target && target < end
            } else if inside, line.hasPrefix("VmFlags:") {
                return line.split(separator: " ").dropFirst().map(String.init)
            }
        }
        return []
    }

    @Test("memories are 2 MiB-aligned; pages grown into are advised for huge pages, the initial ones not")
    func hugePageAdvice() throws {
        let setting = (try? String(contentsOfFile: "/sys/kernel/mm/transparent_hugepage/enabled", encoding: .utf8)) ?? ""
        // Without kernel support (or with THP off) the advice is refused and nothing changes.
        let advised =
            (setting.contains("[always]") || setting.contains("[madvise]"))
            && ProcessInfo.processInfo.environment["WASMAOT_HUGE_PAGES"] != "0"
        for round in 0..<3 {  // later rounds take the pooled reservation of the first
            let memory = try Memory(limits: Limits(min: 64, max: nil))  // 4 MiB
            #expect(UInt(bitPattern: memory.baseAddress) % (2 << 20) == 0)
            #expect(memory.grow(by: 64) == 64)
            guard advised else { continue }
            let initial = try Self.vmFlags(at: memory.baseAddress + 4096)
            let grown = try Self.vmFlags(at: memory.baseAddress + (6 << 20))
            #expect(initial.contains("nh") && !initial.contains("hg"), "round \(round): initial pages \(initial)")
            #expect(grown.contains("hg"), "round \(round): grown pages \(grown)")
        }
    }

    @Test("segments that cannot be applied ahead of time are still copied at instantiation")
    func segmentsWithGlobalOffsets() throws {
        let instance = try instantiate(
            wat: """
                (module
                  (import "env" "base" (global i32))
                  (memory (export "memory") 1)
                  (data (global.get 0) "abc")
                  (data (i32.const 10) "xyz"))
                """,
            imports: ["env": ["base": try Global(type: GlobalType(type: .i32, mutable: false), value: .i32(200))]])
        let memory = try instance.exports.memory("memory")
        #expect(try memory.read(at: 200, count: 3) == Array("abc".utf8))
        #expect(try memory.read(at: 10, count: 3) == Array("xyz".utf8))
    }

    @Test("typed access: little-endian numbers as wasm reads them, strings, windows; all checked against the current size")
    func typedAccess() throws {
        let instance = try instantiate(
            wat: """
                (module
                  (memory (export "memory") 1)
                  (data (i32.const 64) "hi\\00there")
                  (func (export "i64") (param i32) (result i64) (i64.load (local.get 0)))
                  (func (export "f32") (param i32) (result f32) (f32.load (local.get 0)))
                  (func (export "grow") (result i32) (memory.grow (i32.const 1))))
                """)
        let memory = try instance.exports.memory("memory")
        try memory.store(UInt64(0x0102_0304_0506_0708), at: 8)
        #expect(try instance.exports.function("i64").call([.i32(8)]) == [.i64(0x0102_0304_0506_0708)])
        #expect(try memory.load(UInt8.self, at: 8) == 0x08)  // little-endian, as wasm stores
        #expect(try memory.load(Int16.self, at: 14) == 0x0102)
        try memory.store(Int32(-2), at: 20)
        #expect(try memory.load(UInt32.self, at: 20) == 0xFFFF_FFFE)
        let nan = Float(bitPattern: 0x7FA0_0001)  // a signalling NaN with a payload
        try memory.store(nan, at: 24)
        #expect(try instance.exports.function("f32").call([.i32(24)]) == [.f32(0x7FA0_0001)])
        #expect(try memory.load(Float.self, at: 24).bitPattern == 0x7FA0_0001)
        try memory.store(-0.5, at: 32)
        #expect(try memory.load(Double.self, at: 32) == -0.5)

        #expect(try memory.readString(at: 64) == "hi")
        #expect(try memory.readString(at: 67, count: 5) == "there")
        #expect(throws: UsageError.self) { try memory.readString(at: 67, limit: 5) }  // no NUL in 5 bytes
        try memory.write(Data("ok".utf8), at: 200)
        #expect(try memory.withUnsafeBytes(at: 200, count: 2) { Array($0) } == Array("ok".utf8))
        try memory.withUnsafeMutableBytes(at: 200, count: 1) { $0[0] = UInt8(ascii: "O") }
        #expect(try memory.readString(at: 200, count: 2) == "Ok")

        // The end of the memory, before and after the guest grows it.
        let end = memory.byteCount
        #expect(throws: UsageError.self) { try memory.load(UInt32.self, at: end - 3) }
        #expect(throws: UsageError.self) { try memory.store(UInt16(1), at: -1) }
        #expect(throws: UsageError.self) { try memory.withUnsafeBytes(at: end, count: 1) { _ in } }
        #expect(throws: UsageError.self) { try memory.readString(at: Int.max) }
        #expect(try instance.exports.function("grow").call([]) == [.i32(1)])
        try memory.store(UInt32(7), at: end - 3)
        #expect(try memory.load(UInt32.self, at: end - 3) == 7)
        #expect(try memory.readString(at: 2 * end - 1) == "")  // the last byte, a NUL
        try memory.store(UInt8(ascii: "x"), at: 2 * end - 1)
        #expect(throws: UsageError.self) { try memory.readString(at: 2 * end - 1) }  // no NUL before the end
    }
}
