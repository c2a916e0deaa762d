import Foundation
import Testing
import WasmAOT
@testable import WasmAOTCompiler

/// Tail calls (`return_call`, `return_call_indirect`, `return_call_ref`) run in constant native stack space:
/// between functions of different signatures, through tables, across instances, at every
/// optimisation level, in both bounds modes, interruptible or not. Every long chain runs on a
/// thread with a 256 KiB stack: ten million calls that each kept even 16 bytes would need 160 MB.
@Suite("Tail calls")
struct TailCallTests {
    /// How a module is compiled for a test.
    struct Build: Sendable, CustomTestStringConvertible {
        var optimization: Int
        var bounds: BoundsChecks
        var interruptible = false
        var testDescription: String {
            "-O\(optimization) \(bounds == .explicit ? "explicit bounds" : "guard pages")\(interruptible ? " interruptible" : "")"
        }
    }

    static let builds: [Build] = [
        Build(optimization: 0, bounds: .guardPages), Build(optimization: 2, bounds: .guardPages),
        Build(optimization: 0, bounds: .explicit, interruptible: true), Build(optimization: 2, bounds: .explicit),
    ]

    static let chainLength: UInt64 = 10_000_000
    /// 1 + 2 + … + n, what the chains below add up.
    static func triangle(_ n: UInt64) -> UInt64 { n * (n + 1) / 2 }

    static func instantiate(
        _ wat: String, _ build: Build, imports: Imports = [:], chunking: ModuleLowering.Chunking? = nil, units: Int? = nil
    ) throws -> Instance {
        let dir = try makeScratch()
        defer { removeScratch(dir) }
        let so = (dir as NSString).appendingPathComponent("module.so")
        var options = CompileOptions(optimization: build.optimization)
        options.bounds = build.bounds
        options.interruptible = build.interruptible
        options.extraClangFlags = ["-Werror"]  // the generated C must be warning-free
        if let chunking { options.chunking = chunking }
        let result = try Compiler.compile(wasm: try ModuleDecoder.wat2wasm(wat), to: so, options: options)
        if let units { #expect(result.units == units) }
        return try Module(loading: so).instantiate(imports: imports)
    }

    static func onSmallStack<T: Sendable>(_ body: @escaping @Sendable () throws -> T) throws -> T {
        try StackTests.onThread(stackSize: 256 << 10, body)
    }

    /// Three functions with different parameter lists, one result type; each step adds `n`
    /// to the accumulator, and the last store leaves `n` in memory (read after each call,
    /// which explicit bounds checks must get right after a tail call).
    static let directWat = """
        (module
          (memory (export "memory") 1)
          (func $a (export "a") (param $n i64) (param $acc i64) (result i64)
            (if (i64.eqz (local.get $n)) (then (return (local.get $acc))))
            (i64.store (i32.const 8) (local.get $n))
            (return_call $b (i32.const 7) (i64.sub (local.get $n) (i64.const 1)) (f64.const 0.5)
              (i64.add (local.get $acc) (local.get $n))))
          (func $b (param $seven i32) (param $n i64) (param $half f64) (param $acc i64) (result i64)
            (if (i64.eqz (local.get $n)) (then (return (local.get $acc))))
            (return_call $c (i64.add (local.get $acc) (local.get $n))
              (v128.const i64x2 0 0) (i64.sub (local.get $n) (i64.const 1))
              (i32.wrap_i64 (i64.trunc_f64_u (f64.mul (local.get $half) (f64.convert_i32_u (local.get $seven)))))))
          (func $c (param $acc i64) (param $v v128) (param $n i64) (param $three i32) (result i64)
            (if (i64.eqz (local.get $n)) (then (return (local.get $acc))))
            (return_call $a (i64.sub (local.get $n) (i64.const 1))
              (i64.add (i64.add (local.get $acc) (local.get $n)) (i64.sub (i64x2.extract_lane 1 (local.get $v))
                (i64.extend_i32_u (i32.sub (local.get $three) (i32.const 3))))))))
        """

    @Test("ten million return_calls between functions of different signatures", arguments: builds)
    func directChain(build: Build) throws {
        let instance = try Self.instantiate(Self.directWat, build)
        let a = try instance.exports.function("a")
        let memory = try instance.exports.memory("memory")
        let n = Self.chainLength
        let result = try Self.onSmallStack { try a.call([.i64(n), .i64(0)]) }
        #expect(result == [.i64(Self.triangle(n))])
        // a, b, c take turns, n going down by one each: $a runs at n ≡ 10^7 ≡ 1 (mod 3), last at 1.
        #expect(try memory.read(at: 8, count: 8) == [1, 0, 0, 0, 0, 0, 0, 0])
        try memory.write([0], at: 8)
        #expect(try a.call([.i64(5), .i64(100)]) == [.i64(115)])
        #expect(try memory.read(at: 8, count: 1) == [2])
    }

    /// A large module is split into translation units: the tail entries of functions that no
    /// funcref names ($b, $c) are then hidden symbols of other units, and still jumped to.
    @Test("tail calls between translation units", arguments: [0, 2])
    func acrossUnits(optimization: Int) throws {
        let filler = (0..<150).map { _ in "(local.set $t (i32.add (local.get $t) (i32.const 1)))" }.joined(separator: " ")
        let wat = """
            (module
              (global $g (mut i32) (i32.const 0))
              (func $a (export "a") (param $n i64) (param $acc i64) (result i64) (local $t i32)
                (if (i64.eqz (local.get $n)) (then (return (local.get $acc))))
                \(filler) (global.set $g (local.get $t))
                (return_call $b (i32.const 5) (i64.sub (local.get $n) (i64.const 1)) (i64.add (local.get $acc) (local.get $n))))
              (func $b (param $five i32) (param $n i64) (param $acc i64) (result i64) (local $t i32)
                (if (i64.eqz (local.get $n)) (then (return (local.get $acc))))
                \(filler) (global.set $g (i32.add (global.get $g) (local.get $t)))
                (return_call $c (i64.sub (local.get $n) (i64.const 1)) (i64.add (local.get $acc) (local.get $n))))
              (func $c (param $n i64) (param $acc i64) (result i64) (local $t i32)
                (if (i64.eqz (local.get $n)) (then (return (local.get $acc))))
                \(filler) (global.set $g (local.get $t))
                (return_call $a (i64.sub (local.get $n) (i64.const 1)) (i64.add (local.get $acc) (local.get $n)))))
            """
        let chunking = ModuleLowering.Chunking(minimum: 100, maximum: 700, boundaryOneIn: 1)
        // One unit per function (each is over 600 instructions), and the descriptor's unit.
        let instance = try Self.instantiate(
            wat, Build(optimization: optimization, bounds: .guardPages), chunking: chunking, units: 4)
        let a = try instance.exports.function("a")
        let n: UInt64 = 1_000_000
        #expect(try Self.onSmallStack { try a.call([.i64(n), .i64(0)]) } == [.i64(Self.triangle(n))])
    }

    /// The same through a table, with the callee's type checked at each step.
    static let indirectWat = """
        (module
          (type $two (func (param i64 i64) (result i64)))
          (type $three (func (param i32 i64 i64) (result i64)))
          (table (export "table") 3 funcref)
          (elem (i32.const 0) $a $b)
          (func $a (export "a") (param $n i64) (param $acc i64) (result i64)
            (if (i64.eqz (local.get $n)) (then (return (local.get $acc))))
            (return_call_indirect (type $three)
              (i32.const 9) (i64.sub (local.get $n) (i64.const 1)) (i64.add (local.get $acc) (local.get $n))
              (i32.const 1)))
          (func $b (param $nine i32) (param $n i64) (param $acc i64) (result i64)
            (if (i64.eqz (local.get $n)) (then (return (local.get $acc))))
            (return_call_indirect (type $two)
              (i64.sub (local.get $n) (i64.const 1)) (i64.add (local.get $acc) (local.get $n))
              (i32.sub (local.get $nine) (i32.const 9))))
          (func (export "wrong_type") (param $n i64) (result i64)
            (return_call_indirect (type $three) (i32.const 9) (local.get $n) (i64.const 0) (i32.const 0)))
          (func (export "null_entry") (param $n i64) (result i64)
            (return_call_indirect (type $two) (local.get $n) (i64.const 0) (i32.const 2))))
        """

    @Test("ten million return_call_indirects between functions of different signatures", arguments: builds)
    func indirectChain(build: Build) throws {
        let instance = try Self.instantiate(Self.indirectWat, build)
        let a = try instance.exports.function("a")
        let n = Self.chainLength
        #expect(try Self.onSmallStack { try a.call([.i64(n), .i64(0)]) } == [.i64(Self.triangle(n))])
        #expect(trapKind { try instance.exports.function("wrong_type").call([.i64(1)]) } == .indirectCallTypeMismatch)
        #expect(trapKind { try instance.exports.function("null_entry").call([.i64(1)]) } == .uninitializedElement)
    }

    /// The same through typed function references: `$b` takes its callee from a local, so the
    /// target is known only at run time; a null reference traps before the frame is replaced.
    static let refWat = """
        (module
          (type $two (func (param i64 i64) (result i64)))
          (type $three (func (param i32 i64 i64) (result i64)))
          (elem declare func $a $b)
          (func $a (export "a") (param $n i64) (param $acc i64) (result i64)
            (if (i64.eqz (local.get $n)) (then (return (local.get $acc))))
            (return_call_ref $three
              (i32.const 9) (i64.sub (local.get $n) (i64.const 1)) (i64.add (local.get $acc) (local.get $n))
              (ref.func $b)))
          (func $b (param $nine i32) (param $n i64) (param $acc i64) (result i64) (local $next (ref null $two))
            (if (i64.eqz (local.get $n)) (then (return (local.get $acc))))
            (if (i32.eq (local.get $nine) (i32.const 9)) (then (local.set $next (ref.func $a))))
            (return_call_ref $two (i64.sub (local.get $n) (i64.const 1)) (i64.add (local.get $acc) (local.get $n))
              (local.get $next)))
          (func (export "null_ref") (param $n i64) (result i64)
            (return_call $b (i32.const 0) (local.get $n) (i64.const 0))))
        """

    @Test("ten million return_call_refs between functions of different signatures", arguments: builds)
    func refChain(build: Build) throws {
        let instance = try Self.instantiate(Self.refWat, build)
        let a = try instance.exports.function("a")
        let n = Self.chainLength
        #expect(try Self.onSmallStack { try a.call([.i64(n), .i64(0)]) } == [.i64(Self.triangle(n))])
        #expect(try instance.exports.function("null_ref").call([.i64(0)]) == [.i64(0)])
        #expect(trapKind { try instance.exports.function("null_ref").call([.i64(1)]) } == .nullFunctionReference)
    }

    /// A's `ping` tail-calls, through A's table, B's `pong` (a funcref of another instance),
    /// which tail-calls `ping` as an import of B's: every step changes instance.
    @Test("ten million tail calls alternating between two instances", arguments: builds)
    func crossInstanceChain(build: Build) throws {
        let a = try Self.instantiate(
            """
            (module
              (type $pong (func (param i32 i64 i64) (result i64)))
              (table (export "table") 2 funcref)
              (func $ping (export "ping") (param $n i64) (param $acc i64) (result i64)
                (if (i64.eqz (local.get $n)) (then (return (local.get $acc))))
                (return_call_indirect (type $pong) (i32.const 5) (i64.sub (local.get $n) (i64.const 1))
                  (i64.add (local.get $acc) (local.get $n)) (i32.const 1))))
            """, build)
        let b = try Self.instantiate(
            """
            (module
              (import "a" "table" (table 2 funcref))
              (import "a" "ping" (func $ping (param i64 i64) (result i64)))
              (elem (i32.const 1) $pong)
              (func $pong (param $five i32) (param $n i64) (param $acc i64) (result i64)
                (if (i64.eqz (local.get $n)) (then (return (local.get $acc))))
                (return_call $ping (i64.sub (local.get $n) (i64.extend_i32_u (i32.sub (local.get $five) (i32.const 4))))
                  (i64.add (local.get $acc) (local.get $n)))))
            """, build,
            imports: ["a": ["table": try a.exports.table("table"), "ping": try a.exports.function("ping")]])
        let ping = try a.exports.function("ping")
        let n = Self.chainLength
        #expect(try Self.onSmallStack { try ping.call([.i64(n), .i64(0)]) } == [.i64(Self.triangle(n))])
        _ = b
    }

    /// A host function has no tail entry: a tail call to it is an ordinary call that ends the
    /// chain, whether it is named as an import or reached through a table.
    @Test("a tail call to a host function, directly and through a table", arguments: builds)
    func tailCallToHost(build: Build) throws {
        final class Calls: @unchecked Sendable { var count = 0 }
        let calls = Calls()
        let triple = HostFunction(params: [.i64], results: [.i64]) { _, args in
            calls.count += 1
            guard case .i64(let x) = args[0] else { return [] }
            return [.i64(3 &* x)]
        }
        let instance = try Self.instantiate(
            """
            (module
              (type $unary (func (param i64) (result i64)))
              (import "env" "triple" (func $triple (param i64) (result i64)))
              (table 1 funcref)
              (elem (i32.const 0) $triple)
              (func $sum (export "sum") (param $n i64) (param $acc i64) (result i64)
                (if (i64.eqz (local.get $n)) (then (return_call $triple (local.get $acc))))
                (return_call $sum (i64.sub (local.get $n) (i64.const 1)) (i64.add (local.get $acc) (local.get $n))))
              (func (export "direct") (param $x i64) (result i64) (return_call $triple (local.get $x)))
              (func (export "indirect") (param $x i64) (result i64)
                (return_call_indirect (type $unary) (local.get $x) (i32.const 0))))
            """, build, imports: ["env": ["triple": triple]])
        #expect(try instance.exports.function("direct").call([.i64(14)]) == [.i64(42)])
        #expect(try instance.exports.function("indirect").call([.i64(5)]) == [.i64(15)])
        let sum = try instance.exports.function("sum")
        let n = Self.chainLength
        #expect(try Self.onSmallStack { try sum.call([.i64(n), .i64(0)]) } == [.i64(3 &* Self.triangle(n))])
        #expect(calls.count == 3)
    }

    /// Interruptible code polls at every tail entry: a tail-call loop without loops can be
    /// stopped. (It ends by itself after 10^11 steps, minutes: a missed interruption fails
    /// the test instead of hanging it.)
    @Test("a long tail-call loop stops when interrupted")
    func interruptTailLoop() throws {
        let instance = try Self.instantiate(
            """
            (module
              (func $spin (export "spin") (param $n i64) (result i64)
                (if (i64.eqz (local.get $n)) (then (return (i64.const 0))))
                (return_call $hop (i32.const 1) (i64.sub (local.get $n) (i64.const 1))))
              (func $hop (param i32) (param $n i64) (result i64) (return_call $spin (local.get $n))))
            """, Build(optimization: 2, bounds: .guardPages, interruptible: true))
        let spin = try instance.exports.function("spin")
        DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(200)) { try? instance.interrupt() }
        #expect(trapKind { try spin.call([.i64(100_000_000_000)]) } == .interrupted)
        instance.clearInterrupt()
        #expect(try spin.call([.i64(1000)]) == [.i64(0)])
    }
}
