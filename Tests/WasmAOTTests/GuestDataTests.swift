import Foundation
import Testing
import WasmAOT

/// Passing data through the guest's own allocator: copy in, call with `(address, length)`, read
/// the result back in each of its shapes, free — also when the call traps.
@Suite("Guest data")
struct GuestDataTests {
    /// A bump allocator that counts live blocks, and exports taking and returning data.
    static let wat = """
        (module
          (memory (export "memory") 1)
          (data (i32.const 64) "hello\\00")
          (global $next (mut i32) (i32.const 1024))
          (global $live (mut i32) (i32.const 0))
          (func $malloc (export "malloc") (param $n i32) (result i32) (local $p i32)
            (local.set $p (global.get $next))
            (global.set $next (i32.add (local.get $p) (i32.and (i32.add (local.get $n) (i32.const 7)) (i32.const -8))))
            (global.set $live (i32.add (global.get $live) (i32.const 1)))
            (local.get $p))
          (func (export "free") (param i32) (global.set $live (i32.sub (global.get $live) (i32.const 1))))
          (func (export "live") (result i32) (global.get $live))
          (func (export "to_upper") (param $p i32) (param $n i32) (result i32 i32) (local $out i32) (local $i i32) (local $c i32)
            (local.set $out (call $malloc (local.get $n)))
            (block $done (loop $next
              (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
              (local.set $c (i32.load8_u (i32.add (local.get $p) (local.get $i))))
              (if (i32.and (i32.ge_u (local.get $c) (i32.const 97)) (i32.le_u (local.get $c) (i32.const 122)))
                (then (local.set $c (i32.sub (local.get $c) (i32.const 32)))))
              (i32.store8 (i32.add (local.get $out) (local.get $i)) (local.get $c))
              (local.set $i (i32.add (local.get $i) (i32.const 1)))
              (br $next)))
            (local.get $out) (local.get $n))
          (func (export "concat") (param i32 i32 i32 i32) (result i32) (local $out i32)
            (local.set $out (call $malloc (i32.add (local.get 1) (local.get 3))))
            (memory.copy (local.get $out) (local.get 0) (local.get 1))
            (memory.copy (i32.add (local.get $out) (local.get 1)) (local.get 2) (local.get 3))
            (i32.store (i32.const 16) (local.get $out))
            (i32.store (i32.const 20) (i32.add (local.get 1) (local.get 3)))
            (i32.const 16))
          (func (export "sum") (param $p i32) (param $n i32) (result i32) (local $s i32)
            (block $done (loop $next
              (br_if $done (i32.eqz (local.get $n)))
              (local.set $n (i32.sub (local.get $n) (i32.const 1)))
              (local.set $s (i32.add (local.get $s) (i32.load8_u (i32.add (local.get $p) (local.get $n)))))
              (br $next)))
            (local.get $s))
          (func (export "greeting") (result i32) (i32.const 64))
          (func (export "fail") (param i32 i32) (unreachable))
          (func (export "wild") (param i32 i32) (result i32 i32) (i32.const 65530) (i32.const 100)))
        """

    @Test("inputs copied in and freed; results read as (address, length), a record or a C string")
    func passingData() throws {
        let instance = try instantiate(wat: Self.wat)
        let live = { try instance.exports.function("live").call([]) }
        let upper = try instance.call("to_upper", passing: [Array("Hello, wasm".utf8)], returning: .addressAndLength, freeingResult: true)
        #expect(String(decoding: upper, as: UTF8.self) == "HELLO, WASM")
        #expect(try live() == [.i32(0)])
        let joined = try instance.call("concat", passing: [Data("foo".utf8), Data("bar".utf8)], returning: .record, freeingResult: true)
        #expect(joined == Array("foobar".utf8))
        #expect(try live() == [.i32(0)])
        #expect(try instance.call("greeting", passing: [[UInt8]](), returning: .nulTerminated) == Array("hello".utf8))

        // A trap still frees the inputs; a result outside the memory is an error, not a read.
        #expect(throws: Trap.self) { try instance.call("fail", passing: [[1, 2, 3] as [UInt8]], returning: .nothing) }
        #expect(try live() == [.i32(0)])
        #expect(throws: UsageError.self) { try instance.call("wild", passing: [[1] as [UInt8]], returning: .addressAndLength) }
        #expect(try live() == [.i32(0)])

        let allocator = try instance.allocator()
        let sum = try allocator.withCopy(of: [1, 2, 3, 250] as [UInt8]) { address, count in
            try instance.exports.function("sum").call([.i32(UInt32(address)), .i32(UInt32(count))])
        }
        #expect(sum == [.i32(256)])
        #expect(try live() == [.i32(0)])
    }

    @Test("an export whose parameters do not fit the inputs and extra values is a usage error, nothing leaks")
    func wrongParameters() throws {
        let instance = try instantiate(wat: Self.wat)
        // to_upper takes one (address, length) pair: two inputs, or an extra value, do not fit.
        #expect(throws: UsageError.self) {
            try instance.call("to_upper", passing: [[1] as [UInt8], [2] as [UInt8]], returning: .addressAndLength)
        }
        #expect(throws: UsageError.self) {
            try instance.call("to_upper", passing: [[1] as [UInt8]], extra: [.i32(0)], returning: .addressAndLength)
        }
        #expect(throws: UsageError.self) { try instance.call("nope", passing: [[1] as [UInt8]], returning: .nothing) }
        #expect(try instance.exports.function("live").call([]) == [.i32(0)])
    }

    @Test("a C guest built with include/wasmaot_guest.h: its allocator, a record result, a host import with data")
    func guestHeader() throws {
        let wasmURL = WASITests.programDirectory.appendingPathComponent("guest_api.wasm")
        guard let wasm = try? [UInt8](Data(contentsOf: wasmURL)) else {
            Issue.record("missing \(wasmURL.path): run Tests/wasi/build.sh \(WASITests.programDirectory.path) (make test does)")
            return
        }
        let module = try WASITests.modules.module("guest_api", wasm: wasm)
        let wasi = try WASI(WASIConfiguration(args: ["guest_api"]))
        final class Log: @unchecked Sendable { var lines: [String] = [] }
        let log = Log()
        var imports = wasi.imports
        imports["host"] = [
            "log": HostFunction { (caller: Caller, text: UInt32, length: UInt32) in
                let bytes = try caller.memory!.read(at: Int(text), count: Int(length))
                log.lines.append(String(decoding: bytes, as: UTF8.self))
            }
        ]
        let instance = try module.instantiate(imports: imports)
        for word in ["hello", "wasm guests", ""] {
            let shouted = try instance.call("shout", passing: [Array(word.utf8)], returning: .record, freeingResult: true)
            #expect(String(decoding: shouted, as: UTF8.self) == word.uppercased() + "!")
        }
        #expect(log.lines == ["HELLO!", "WASM GUESTS!", "!"])
        let count = try instance.call("count", passing: [Array("abcabcab".utf8), Array("ab".utf8)], returning: .nothing)
        #expect(count.isEmpty)
        let counted = try instance.allocator().withCopy(of: Array("banana".utf8)) { address, length in
            try instance.allocator().withCopy(of: Array("an".utf8)) { needle, needleLength in
                try instance.exports.function("count", ((UInt32, UInt32, UInt32, UInt32) -> UInt32).self)(
                    UInt32(address), UInt32(length), UInt32(needle), UInt32(needleLength))
            }
        }
        #expect(counted == 2)
    }

    @Test("an instance used through call(_:passing:) is freed once the host lets it go")
    func noCycle() throws {
        weak var gone: Instance?
        do {
            let instance = try instantiate(wat: Self.wat)
            _ = try instance.call("to_upper", passing: [Array("x".utf8)], returning: .addressAndLength, freeingResult: true)
            gone = instance
        }
        #expect(gone == nil)
    }

    @Test("cabi_realloc serves as the allocator; a module without one gets a clear error")
    func allocators() throws {
        let realloc = try instantiate(
            wat: """
                (module
                  (memory (export "memory") 1)
                  (global $live (mut i32) (i32.const 0))
                  (func (export "cabi_realloc") (param i32 i32 i32 i32) (result i32)
                    (if (i32.eqz (local.get 3)) (then (global.set $live (i32.sub (global.get $live) (i32.const 1))) (return (i32.const 0))))
                    (global.set $live (i32.add (global.get $live) (i32.const 1)))
                    (i32.const 4096))
                  (func (export "live") (result i32) (global.get $live))
                  (func (export "first") (param i32 i32) (result i32) (i32.load8_u (local.get 0))))
                """)
        let allocator = try realloc.allocator()
        let address = try allocator.copy([42] as [UInt8])
        #expect(address == 4096)
        #expect(try realloc.exports.function("live").call([]) == [.i32(1)])
        try allocator.free(address, count: 1)
        #expect(try realloc.exports.function("live").call([]) == [.i32(0)])

        let none = try instantiate(wat: #"(module (memory (export "memory") 1) (func (export "f")))"#)
        let error = #expect(throws: UsageError.self) { try none.allocator() }
        #expect(error?.message.contains("exports no allocator") == true)
        let wrongType = try instantiate(
            wat: """
                (module (memory (export "memory") 1)
                  (func (export "malloc") (param i64) (result i64) (i64.const 0)) (func (export "free") (param i32)))
                """)
        #expect(throws: UsageError.self) { try wrongType.allocator() }
    }
}
