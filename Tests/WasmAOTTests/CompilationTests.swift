import Foundation
import Testing
import WasmAOT
@testable import WasmAOTCompiler
import WasmAOTFormat

/// How modules are built: bounds-check lowering, parallel translation units for
/// large modules, reproducible objects, the unit and compile caches. (Memories
/// at run time, data images included, are tested in `MemoryTests`.)
@Suite("Compilation and caches")
struct CompilationTests {
    /// A module of `count` functions, each calling the previous one, with enough
    /// arithmetic that the module is split into several translation units.
    /// `edited` changes one constant in that function.
    static func chain(_ count: Int, edited: Int? = nil) -> String {
        var wat = "(module\n"
        wat += "  (func $f0 (param i32) (result i32) (i32.add (local.get 0) (i32.const 1)))\n"
        for i in 1..<count {
            var body = "(local.get 0)"
            for k in 0..<30 { body = "(i32.xor (i32.add \(body) (i32.const \(i == edited && k == 7 ? 1007 : k))) (i32.const \(i)))" }
            wat += "  (func $f\(i) (param i32) (result i32) (call $f\(i - 1) (i32.sub \(body) \(body))))\n"
        }
        wat += "  (func (export \"run\") (param i32) (result i32) (call $f\(count - 1) (local.get 0))))\n"
        return wat
    }

    /// `--bounds explicit` reaches every access (stores, loads incl. dead ones, in
    /// every function), is recorded in the metadata, and keys the cache apart.
    @Test("explicit bounds checks guard every load and store; the choice is recorded")
    func explicitBoundsLowering() throws {
        let wasm = try ModuleDecoder.wat2wasm(
            """
            (module (memory 1)
              (func (param i32) (result i64)
                (i32.store8 offset=3 (local.get 0) (i32.const 1))
                (drop (f32.load (local.get 0)))
                (i64.load32_s offset=7 (local.get 0)))
              (func (param i32) (f64.store (i32.const 8) (f64.load (local.get 0)))))
            """)
        let accesses = #/wa_(i32|i64|f32|f64)_(load|store)[0-9a-z_]*\(/#
        var options = CompileOptions()
        for bounds in BoundsChecks.allCases {
            options.bounds = bounds
            let translation = try Compiler.translate(wasm: wasm, metadataPath: "/dev/null", options: options)
            let c = translation.cUnits.joined()
            let calls = c.matches(of: accesses).map { String($0.output.0) }
            #expect(calls.count == 5, "\(calls)")
            for call in calls { #expect(call.hasSuffix("_checked(") == (bounds == .explicit), "\(bounds): \(call)") }
            #expect(translation.module.compileSettings.contains("bounds=\(bounds.rawValue)"))
        }
        var guardPages = CompileOptions()
        guardPages.bounds = .guardPages
        #expect(CompileCache.key(for: wasm, options: guardPages) != CompileCache.key(for: wasm, options: options))
    }

    /// -O2 with guard pages leaves out the loop passes the wasm's producer already ran;
    /// explicit bounds checks (whose repeated checks constraint elimination removes) and
    /// -O3 keep clang's whole pipeline. The code is the same wasm either way.
    @Test("-O2 with guard pages leaves out unrolling and the vectorisers; explicit checks and -O3 keep them")
    func loopPassesAtO2() throws {
        let dir = try makeScratch()
        defer { removeScratch(dir) }
        let wat =
            "(module (memory 1) (data (i32.const 4) \"\\02\\00\\00\\00\\03\\00\\00\\00\")"
            + " (func (export \"sum\") (param i32) (result i32) (local i32)"
            + " (loop (local.set 1 (i32.add (local.get 1) (i32.load (local.get 0))))"
            + " (br_if 0 (local.tee 0 (i32.sub (local.get 0) (i32.const 4))))) (local.get 1)))"
        for (optimization, bounds, reduced) in [(2, BoundsChecks.guardPages, true), (2, .explicit, false), (3, .guardPages, false)] {
            let so = dir + "/O\(optimization)-\(bounds.rawValue).so"
            let command = try compile(wat: wat, to: so, optimization: optimization, bounds: bounds).clangCommand
            for flag in ["-fno-unroll-loops", "-fno-vectorize", "-fno-slp-vectorize"] {
                #expect(command.contains(flag) == reduced, "-O\(optimization) \(bounds): \(flag)")
            }
            let sum = try Module(loading: so).instantiate().exports.function("sum")
            #expect(try sum.call([.i32(8)]) == [.i32(5)])  // the words at 8 and at 4
        }
    }

    @Test("a large module is compiled as several units in parallel and behaves the same as one unit")
    func chunked() throws {
        let wasm = try ModuleDecoder.wat2wasm(Self.chain(200))
        let dir = try makeScratch()
        defer { removeScratch(dir) }
        var parallel = CompileOptions()
        parallel.jobs = 4
        var serial = CompileOptions()
        serial.jobs = 1
        var single = CompileOptions()
        single.chunking.minimum = 1 << 40
        let split = try Compiler.translate(wasm: wasm, metadataPath: "/dev/null", options: parallel)
        #expect(split.cUnits.count >= 3)  // ~50k instructions: units of functions, then the descriptor unit
        #expect(try Compiler.translate(wasm: wasm, metadataPath: "/dev/null", options: serial).cUnits == split.cUnits)
        #expect(try Compiler.translate(wasm: wasm, metadataPath: "/dev/null", options: single).cUnits.count == 1)
        let a = try Compiler.compile(wasm: wasm, to: dir + "/parallel.so", options: parallel)
        #expect(a.clangCommand.split(separator: "\n").count == split.cUnits.count + 1)  // a compile per unit and a link
        #expect(a.units == split.cUnits.count && a.unitsFromCache == 0)
        _ = try Compiler.compile(wasm: wasm, to: dir + "/serial.so", options: serial)
        _ = try Compiler.compile(wasm: wasm, to: dir + "/single.so", options: single)
        // The split does not depend on the number of jobs, so neither do the bytes.
        #expect(FileManager.default.contents(atPath: dir + "/parallel.so") == FileManager.default.contents(atPath: dir + "/serial.so"))
        let results = try ["parallel", "single"].map { name in
            try Module(loading: dir + "/\(name).so").instantiate().exports.function("run").call([.i32(5)])
        }
        #expect(results[0] == [.i32(1)])  // each link passes body - body = 0 down; f0(0) = 1
        #expect(results[0] == results[1])
    }

    /// A function unit's text depends only on its functions, so the unit cache
    /// rebuilds what an edit touched and links the rest from earlier objects.
    @Test("the unit cache recompiles only the units an edit touched, with the same bytes as a cold build")
    func unitCache() throws {
        let dir = try makeScratch()
        defer { removeScratch(dir) }
        var options = CompileOptions()
        options.chunking.minimum = 2_000  // many small units from a 50k-instruction module
        var cached = options
        cached.unitCache = dir + "/units"
        let original = try ModuleDecoder.wat2wasm(Self.chain(200))
        let edited = try ModuleDecoder.wat2wasm(Self.chain(200, edited: 100))

        let first = try Compiler.compile(wasm: original, to: dir + "/first.so", options: cached)
        #expect(first.units > 10 && first.unitsFromCache == 0)
        let again = try Compiler.compile(wasm: original, to: dir + "/again.so", options: cached)
        #expect(again.unitsFromCache == again.units - 1)  // all but the descriptor unit
        #expect(FileManager.default.contents(atPath: dir + "/first.so") == FileManager.default.contents(atPath: dir + "/again.so"))

        // The edit changes its function's unit; if its fingerprint moves a boundary, the
        // next unit too (content-defined boundaries resynchronise at the one after).
        let before = Set(try Compiler.translate(wasm: original, metadataPath: "/dev/null", options: options).cUnits.dropLast())
        let after = try Compiler.translate(wasm: edited, metadataPath: "/dev/null", options: options).cUnits.dropLast()
        let unchanged = after.filter { before.contains($0) }.count
        #expect(unchanged >= after.count - 2 && unchanged < after.count)
        let incremental = try Compiler.compile(wasm: edited, to: dir + "/incremental.so", options: cached)
        #expect(incremental.units == after.count + 1)
        #expect(incremental.unitsFromCache == unchanged)
        _ = try Compiler.compile(wasm: edited, to: dir + "/cold.so", options: options)
        #expect(FileManager.default.contents(atPath: dir + "/incremental.so") == FileManager.default.contents(atPath: dir + "/cold.so"))
        #expect(try Module(loading: dir + "/incremental.so").instantiate().exports.function("run").call([.i32(5)]) == [.i32(1)])

        // A damaged entry fails the link: its unit is compiled afresh and the entry mended.
        let entries = try FileManager.default.contentsOfDirectory(atPath: dir + "/units")
        // The original's function units and the edited ones; no partial files.
        #expect(entries.count == first.units - 1 + after.count - unchanged && entries.allSatisfy { $0.hasSuffix(".o") })
        for entry in entries { try Data("garbage".utf8).write(to: URL(fileURLWithPath: dir + "/units/" + entry)) }
        let mended = try Compiler.compile(wasm: edited, to: dir + "/mended.so", options: cached)
        #expect(mended.unitsFromCache == 0)
        #expect(FileManager.default.contents(atPath: dir + "/mended.so") == FileManager.default.contents(atPath: dir + "/cold.so"))
        let repaired = try Compiler.compile(wasm: edited, to: dir + "/repaired.so", options: cached)
        #expect(repaired.unitsFromCache == repaired.units - 1)
        #expect(FileManager.default.contents(atPath: dir + "/repaired.so") == FileManager.default.contents(atPath: dir + "/cold.so"))
    }

    /// The output path must not reach the object: the linker used to record it, which
    /// made builds differ by path and shifted all code by its length.
    @Test("a module builds to the same bytes wherever the output goes", arguments: [1, 2])
    func reproducible(jobs: Int) throws {
        let wasm = try ModuleDecoder.wat2wasm(Self.chain(200))
        let dir = try makeScratch()
        defer { removeScratch(dir) }
        var options = CompileOptions()
        options.jobs = jobs
        let paths = [dir + "/a.so", dir + "/a-much-longer-directory-name/and-a-longer-file-name.so"]
        try FileManager.default.createDirectory(atPath: dir + "/a-much-longer-directory-name", withIntermediateDirectories: true)
        for path in paths { _ = try Compiler.compile(wasm: wasm, to: path, options: options) }
        let bytes = try paths.map { try #require(FileManager.default.contents(atPath: $0)) }
        #expect(bytes[0] == bytes[1])
        #expect(try Module(loading: paths[1]).instantiate().exports.function("run").call([.i32(5)]) == [.i32(1)])
    }

    /// The C names the metadata file for the assembler (`WA_EMBED_METADATA`): a work directory
    /// with quotes, backslashes, `??/` (a trigraph in C11), spaces and non-ASCII must not break it.
    @Test("the metadata is embedded from a work directory of any name")
    func metadataPathEscaping() throws {
        let dir = try makeScratch()
        defer { removeScratch(dir) }
        var options = CompileOptions(optimization: 0)
        options.keepIntermediatesIn = dir + "/we\"ird\\ dir??/ é"
        options.extraClangFlags = ["-Werror"]
        let wasm = try ModuleDecoder.wat2wasm(#"(module (memory (export "m") 1) (data (i32.const 0) "ok"))"#)
        let result = try Compiler.compile(wasm: wasm, to: dir + "/m.so", options: options)
        let module = try Module(loading: result.outputPath)
        #expect(try module.instantiate().exports.memory("m").read(at: 0, count: 2) == Array("ok".utf8))
    }

    @Test("a cache directory stays under its limit: least recently used entries go, stale partial files too, other files stay")
    func cacheLimit() throws {
        let dir = try makeScratch()
        defer { removeScratch(dir) }
        let fm = FileManager.default
        try fm.createDirectory(atPath: dir + "/units", withIntermediateDirectories: true)
        let now = Date()
        func name(_ c: Character, _ suffix: String) -> String { String(repeating: c, count: 64) + suffix }
        func put(_ path: String, hoursAgo: Double) throws {
            try Data(count: 1000).write(to: URL(fileURLWithPath: dir + "/" + path))
            try fm.setAttributes([.modificationDate: now.addingTimeInterval(-hoursAgo * 3600)], ofItemAtPath: dir + "/" + path)
        }
        let (a, b, c, d, e) = (name("a", ".so"), "units/" + name("b", ".o"), name("c", ".so"), "units/" + name("d", ".o"), name("e", ".so"))
        for (path, hours) in [(a, 5.0), (b, 4), (c, 3), (d, 2), (e, 1)] { try put(path, hoursAgo: hours) }
        let stale = name("f", ".so.partial-1-abc")  // left by a killed compile
        let writing = "units/" + name("f", ".o.partial-1-def")  // a compile in progress
        try put(stale, hoursAgo: 2)
        try put(writing, hoursAgo: 0.1)
        try put("notes.txt", hoursAgo: 9)  // not the cache's: neither counted nor deleted
        #expect(CacheDirectory.enforce(directory: dir, limit: nil, now: now) == [dir + "/" + stale])
        CacheDirectory.touch(dir + "/" + a)  // a hit: the oldest entry becomes the newest, and is not evicted
        // 5000 bytes of entries over a 3500 limit: down to 3150, least recently used first.
        let removed = CacheDirectory.enforce(directory: dir, limit: 3500, now: now)
        #expect(Set(removed) == [dir + "/" + b, dir + "/" + c])
        for path in [a, d, e, writing, "notes.txt"] { #expect(fm.fileExists(atPath: dir + "/" + path), "\(path)") }
        #expect(CacheDirectory.enforce(directory: dir, limit: 3500, now: now).isEmpty)
    }

    @Test("unit boundaries are content-defined: runs of neighbours within bounds; an edit moves few of them")
    func contentDefinedUnits() {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next() -> UInt64 {  // splitmix64: a fixed pseudo-random sequence
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        var sizes = (0..<5000).map { _ in 20 + Int(next() % 300) }
        var fingerprints = sizes.map { _ in next() }
        let chunking = ModuleLowering.Chunking()
        let units = ModuleLowering.split(sizes, fingerprints: fingerprints, chunking)
        #expect(units.flatMap { $0 } == Array(0..<5000))  // every function once, in order
        let weights = units.map { $0.reduce(0) { $0 + sizes[$1] } }
        #expect(weights.dropLast().allSatisfy { $0 >= chunking.minimum && $0 < chunking.maximum + 320 })
        #expect(units.count > 20)
        // Edit one function in the middle (its size and fingerprint): the units
        // before it stay, and the units after it are the same from the next
        // boundary the fingerprints pick again.
        sizes[2500] += 700
        fingerprints[2500] = next()
        let after = ModuleLowering.split(sizes, fingerprints: fingerprints, chunking)
        let changed = Set(after.map { $0 }).symmetricDifference(Set(units.map { $0 }))
        #expect(changed.count <= 4, "\(changed.count) units differ")
        #expect(after.prefix { !$0.contains(2500) } == units.prefix { !$0.contains(2500) })
        // A module under twice the minimum is one unit (decided by the caller); a tiny split is one run.
        #expect(ModuleLowering.split([5, 5, 5], fingerprints: [0, 0, 0], chunking) == [[0, 1, 2]])
        #expect(
            ModuleLowering.fingerprint("w1") == ModuleLowering.fingerprint("w1")
                && ModuleLowering.fingerprint("w1") != ModuleLowering.fingerprint("w2"))
    }

    @Test("the compile cache builds once, keys on the options, and rebuilds a damaged entry")
    func cache() throws {
        let dir = try makeScratch()
        defer { removeScratch(dir) }
        let cache = CompileCache(directory: dir + "/cache")
        let wasm = try ModuleDecoder.wat2wasm("(module (func (export \"f\") (result i32) (i32.const 7)))")
        let (first, hit1) = try cache.object(for: wasm, options: CompileOptions())
        let (second, hit2) = try cache.object(for: wasm, options: CompileOptions())
        #expect(!hit1 && hit2 && first == second)
        let (other, hit3) = try cache.object(for: wasm, options: CompileOptions(optimization: 1))
        #expect(!hit3 && other != first)
        // No partial files are left behind.
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir + "/cache").allSatisfy { $0.hasSuffix(".so") })
        // A damaged entry (never loaded in this process) is refused by the loader and rebuilt.
        try FileManager.default.removeItem(atPath: first)
        try Data("garbage".utf8).write(to: URL(fileURLWithPath: first))
        #expect(throws: LoadError.self) { try Module(loading: first) }
        try cache.refresh(path: first, wasm: wasm, options: CompileOptions())
        #expect(try Module(loading: first).instantiate().exports.function("f").call([]) == [.i32(7)])
    }

    @Test("Module(compiling:) builds through the cache once, rebuilds a damaged entry, and without a cache leaves nothing")
    func compilingFromSwift() throws {
        let dir = try makeScratch()
        defer { removeScratch(dir) }
        let wasm = try ModuleDecoder.wat2wasm("(module (func (export \"f\") (result i32) (i32.const 41) (i32.const 1) (i32.add)))")
        let cache = dir + "/cache"
        let module = try Module(compiling: wasm, cacheDirectory: cache)
        #expect(try module.instantiate().exports.function("f").call([]) == [.i32(42)])
        let entries = try FileManager.default.contentsOfDirectory(atPath: cache).filter { $0.hasSuffix(".so") }
        #expect(entries.count == 1)
        let object = cache + "/" + entries[0]
        // A second start loads the cached object (a rebuild would rename a new file into place).
        let built = try FileManager.default.attributesOfItem(atPath: object)[.systemFileNumber] as? Int
        _ = try Module(compiling: wasm, cacheDirectory: cache)
        #expect(try FileManager.default.attributesOfItem(atPath: object)[.systemFileNumber] as? Int == built)
        // A damaged object (never loaded in this process under this name) is rebuilt.
        try FileManager.default.removeItem(atPath: object)
        try Data("garbage".utf8).write(to: URL(fileURLWithPath: object))
        #expect(try Module(compiling: wasm, cacheDirectory: cache).instantiate().exports.function("f").call([]) == [.i32(42)])
        // From a file, text format, without a cache: no object stays behind in the cache directory.
        let wat = dir + "/g.wat"
        try "(module (func (export \"g\") (result i32) (i32.const 5)))".write(toFile: wat, atomically: true, encoding: .utf8)
        #expect(try Module(compiling: wat, cacheDirectory: nil).instantiate().exports.function("g").call([]) == [.i32(5)])
        #expect(try FileManager.default.contentsOfDirectory(atPath: cache).filter { $0.hasSuffix(".so") }.count == 1)
        // A malformed module is a compile error naming the problem.
        #expect(throws: CompileError.self) { try Module(compiling: [0, 0x61, 0x73, 0x6D, 9, 9], cacheDirectory: nil) }
    }

    @Test("the compile cache keys on the compiler's build: a rebuilt compiler does not reuse old objects")
    func cacheKeysOnCompilerBuild() throws {
        // The test binary, like the wasmaot executable, is linked with a GNU build id.
        #expect(CompilerInfo.buildID.count == 40 && CompilerInfo.buildID.allSatisfy(\.isHexDigit))
        #expect(CompilerInfo.identity == "\(CompilerInfo.version) build \(CompilerInfo.buildID)")
        let wasm = try ModuleDecoder.wat2wasm("(module)")
        let key = CompileCache.key(for: wasm, options: CompileOptions())
        #expect(key == CompileCache.key(for: wasm, options: CompileOptions(), compiler: CompilerInfo.identity))
        #expect(key != CompileCache.key(for: wasm, options: CompileOptions(), compiler: "\(CompilerInfo.version) build 00"))
        #expect(key != CompileCache.key(for: wasm, options: CompileOptions(), compiler: CompilerInfo.version))
    }
}
