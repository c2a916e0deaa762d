import Foundation
import Testing
import WasmAOT
import WasmAOTCompiler
import WasmAOTFormat
import WasmAOTRuntime

/// Exception handling: tags, throw, catch clauses, exnref, and exceptions crossing the
/// host boundary and instances.
@Suite("Exceptions")
struct ExceptionTests {
    /// Throws a payload of every value type and catches it in the same function, in a
    /// function that keeps locals live across the try block (they must survive the throw).
    static let payloadWat = """
        (module
          (tag $all (param i32 i64 f32 f64 v128 funcref externref))
          (func $f)
          (elem declare func $f)
          (func $thrower (param i32 i64 f32 f64 externref)
            (throw $all (local.get 0) (local.get 1) (local.get 2) (local.get 3)
              (v128.const i32x4 1 2 3 4) (ref.func $f) (local.get 4)))
          (func (export "roundtrip") (param i32 i64 f32 f64 externref)
            (result i32 i64 f32 f64 i32 i32 externref i32)
            (local $before i32)
            (local.set $before (i32.const 5))
            (block $h (result i32 i64 f32 f64 v128 funcref externref)
              (try_table (catch $all $h)
                (local.set $before (i32.const 9))  ;; changed after the handler was set up
                (call $thrower (local.get 0) (local.get 1) (local.get 2) (local.get 3) (local.get 4)))
              (unreachable))
            (local.set 4)                     ;; externref
            (drop)                            ;; funcref (checked below by ref.is_null)
            (i32x4.extract_lane 3)
            (ref.is_null (ref.func $f))
            (local.get 4)
            (local.get $before)))
        """

    @Test("throw and catch inside wasm carry a payload of every value type; locals keep their latest values")
    func payloadOfEveryType() throws {
        for optimization in [0, 2] {
            let instance = try instantiate(wat: Self.payloadWat, optimization: optimization)
            let results = try instance.exports.function("roundtrip").call([
                .i32(0xDEAD_BEEF), .i64(0x0123_4567_89AB_CDEF), .float(1.5), .double(-2.25), .externref(77),
            ])
            #expect(
                results == [
                    .i32(0xDEAD_BEEF), .i64(0x0123_4567_89AB_CDEF), .float(1.5), .double(-2.25), .i32(4), .i32(0),
                    .externref(77), .i32(9),
                ], "at -O\(optimization)")
        }
    }

    static let refWat = """
        (module
          (tag $e (param i32))
          (tag $other)
          (func $throw (param i32) (throw $e (local.get 0)))
          ;; catch_ref, then throw_ref to an outer catch that unpacks the payload.
          (func (export "rethrow") (param i32) (result i32)
            (block $outer (result i32)
              (try_table (catch $e $outer)
                (block $inner (result i32 exnref)
                  (try_table (catch_ref $e $inner) (call $throw (local.get 0)))
                  (unreachable))
                (throw_ref))
              (unreachable)))
          ;; catch_all_ref keeps the exnref; a clause of another tag does not match first.
          (func (export "all-ref") (param i32) (result i32)
            (block $outer (result i32)
              (try_table (catch $e $outer)
                (block $h (result exnref)
                  (try_table (catch $other 1) (catch_all_ref $h) (call $throw (local.get 0)))
                  (unreachable))
                (throw_ref))
              (i32.const -1)))
          (func (export "null") (throw_ref (ref.null exn)))
          ;; Many throws of kept exceptions within one call.
          (func (export "loop") (param $n i32) (result i32)
            (local $sum i32)
            (loop $l
              (block $h (result i32 exnref)
                (try_table (catch_ref $e $h) (call $throw (local.get $n)))
                (unreachable))
              (drop)
              (local.set $sum (i32.add (local.get $sum)))
              (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
            (local.get $sum)))
        """

    @Test("catch_ref and catch_all_ref give an exnref that throw_ref throws again; a null one traps")
    func catchRefAndThrowRef() throws {
        let instance = try instantiate(wat: Self.refWat)
        #expect(try instance.exports.function("rethrow").call([.i32(42)]) == [.i32(42)])
        #expect(try instance.exports.function("all-ref").call([.i32(7)]) == [.i32(7)])
        #expect(try instance.exports.function("loop").call([.i32(100_000)]) == [.i32(705_082_704)])
        #expect(trapKind { try instance.exports.function("null").call([]) } == .nullReference)
    }

    @Test("an uncaught exception reaches Swift as an error with its tag and values")
    func uncaughtReachesSwift() throws {
        let instance = try instantiate(
            wat: """
                (module
                  (tag $e (export "e") (param i32 f64))
                  (func (export "go") (param i32) (throw $e (local.get 0) (f64.const 0.5))))
                """)
        let tag = try instance.exports.tag("e")
        #expect(tag.type == FuncType(params: [.i32, .f64], results: []))
        let error = #expect(throws: WasmException.self) { try instance.exports.function("go").call([.i32(3)]) }
        #expect(error?.tag === tag)
        #expect(error?.values == [.i32(3), .double(0.5)])
        // The instance stays usable.
        let again = #expect(throws: WasmException.self) { try instance.exports.function("go").call([.i32(4)]) }
        #expect(again?.values == [.i32(4), .double(0.5)])
    }

    static let hostWat = """
        (module
          (import "env" "e" (tag $e (param i64)))
          (import "env" "host" (func $host (param i32) (result i32)))
          (func (export "call-host") (param i32) (result i64)
            (block $h (result i64)
              (try_table (catch $e $h)
                (drop (call $host (local.get 0)))
                (i64.const -1)
                (return))
              (unreachable)))
          (func (export "throw-it") (param i64) (throw $e (local.get 0)))
          (func (export "trap-in-try") (result i32)
            (block $h
              (try_table (catch_all $h) (unreachable)))
            (i32.const 1)))
        """

    @Test("a host function throws a wasm exception that its wasm caller catches")
    func hostThrows() throws {
        let tag = try Tag(params: [.i64])
        let host = HostFunction(params: [.i32], results: [.i32]) { _, args in
            guard case .i32(let n) = args[0] else { return [.i32(0)] }
            if n > 0 { throw try WasmException(tag: tag, values: [.i64(UInt64(n) * 10)]) }
            return [.i32(0)]
        }
        let instance = try instantiate(wat: Self.hostWat, imports: ["env": ["e": tag, "host": host]])
        let call = try instance.exports.function("call-host")
        #expect(try call.call([.i32(5)]) == [.i64(50)])
        #expect(try call.call([.i32(0)]) == [.i64(UInt64(bitPattern: -1))])
        #expect(throws: UsageError.self) { try WasmException(tag: tag, values: [.i32(1)]) }
    }

    @Test("a trap inside a try_table is not caught, even by catch_all")
    func trapsAreNotCaught() throws {
        let tag = try Tag(params: [.i64])
        let host = HostFunction(params: [.i32], results: [.i32]) { _, _ in [.i32(0)] }
        let instance = try instantiate(wat: Self.hostWat, imports: ["env": ["e": tag, "host": host]])
        #expect(trapKind { try instance.exports.function("trap-in-try").call([]) } == .unreachable)
        // The handler the trap skipped is gone: a later throw is caught where it should be.
        #expect(try instance.exports.function("call-host").call([.i32(0)]) == [.i64(UInt64(bitPattern: -1))])
        let error = #expect(throws: WasmException.self) { try instance.exports.function("throw-it").call([.i64(8)]) }
        #expect(error?.tag === tag)
    }

    @Test("an exception crosses two instances through an imported function and an imported tag")
    func acrossInstances() throws {
        let thrower = try instantiate(
            wat: """
                (module
                  (tag $e (export "e") (param i32))
                  (func (export "throw") (param i32) (throw $e (local.get 0))))
                """)
        let catcher = try instantiate(
            wat: """
                (module
                  (import "a" "e" (tag $e (param i32)))
                  (import "a" "throw" (func $throw (param i32)))
                  (func (export "catch") (param i32) (result i32)
                    (block $h (result i32)
                      (try_table (catch $e $h) (call $throw (local.get 0)))
                      (i32.const -1))))
                """,
            imports: ["a": ["e": try thrower.exports.tag("e"), "throw": try thrower.exports.function("throw")]])
        #expect(try catcher.exports.function("catch").call([.i32(12)]) == [.i32(12)])
        // Another tag of the same type is a different exception: not caught.
        #expect(throws: InstantiationError.self) {
            _ = try instantiate(
                wat: "(module (import \"a\" \"e\" (tag (param i64))))", imports: ["a": ["e": try thrower.exports.tag("e")]])
        }
    }

    @Test("nested host → wasm → host calls with exceptions leave the instance usable")
    func nestedHostCalls() throws {
        let tag = try Tag(params: [.i64])
        final class Counter: @unchecked Sendable { var cleanups = 0 }
        let counter = Counter()
        let host = HostFunction(params: [.i32], results: [.i32]) { caller, args in
            guard case .i32(let n) = args[0], let instance = caller.instance else { return [.i32(0)] }
            // Re-enter wasm, which throws uncaught: the error passes through this Swift frame
            // (its defer runs) and on into the wasm caller, which catches it.
            defer { counter.cleanups += 1 }
            _ = try instance.exports.function("throw-it").call([.i64(UInt64(n) + 100)])
            return [.i32(0)]
        }
        let instance = try instantiate(wat: Self.hostWat, imports: ["env": ["e": tag, "host": host]])
        let call = try instance.exports.function("call-host")
        for n in 0..<1000 {
            #expect(try call.call([.i32(UInt32(n))]) == [.i64(UInt64(n) + 100)])
        }
        #expect(counter.cleanups == 1000)
        #expect(trapKind { try instance.exports.function("trap-in-try").call([]) } == .unreachable)
        #expect(try call.call([.i32(1)]) == [.i64(101)])
    }

    /// The legacy instructions as LLVM emits them (`try`/`catch`/`catch_all`/`rethrow`/`delegate`),
    /// encoded by hand: WAT has no legacy syntax. Each loop iteration throws; the host function
    /// `live` reports, inside the same wasm call, how many exceptions are still alive.
    static func legacyModule() -> [UInt8] {
        func section(_ id: UInt8, _ body: [UInt8]) -> [UInt8] { [id, UInt8(body.count)] + body }
        let types = section(1, [0x03, 0x60, 0x01, 0x7F, 0x00, 0x60, 0x00, 0x01, 0x7F, 0x60, 0x01, 0x7F, 0x01, 0x7F])
        let imports = section(2, [0x01, 0x03] + Array("env".utf8) + [0x04] + Array("live".utf8) + [0x00, 0x01])
        let functions = section(3, [0x01, 0x02])
        let tags = section(13, [0x01, 0x00, 0x00])  // tag 0: (param i32)
        let exports = section(7, [0x01, 0x04] + Array("loop".utf8) + [0x00, 0x01])
        // (func (param $n i32) (result i32) (local $sum i32)
        //   loop
        //     try                               ;; cleanup pad: catch_all, rethrow
        //       try (result i32)
        //         try                           ;; delegate to the catching try
        //           local.get $n  throw 0
        //         delegate 0
        //         i32.const 0
        //       catch_all  rethrow 0
        //       end
        //       drop
        //     catch 0                           ;; payload: $n
        //       local.get $sum i32.add local.set $sum
        //     end
        //     local.get $n i32.const 1 i32.sub local.tee $n br_if 0
        //   end
        //   call $live  local.get $sum  i32.add)   ;; live count + sum
        let code: [UInt8] = [
            0x01, 0x01, 0x7F,  // one i32 local
            0x03, 0x40,  // loop
            0x06, 0x40,  // try
            0x06, 0x7F,  // try (result i32)
            0x06, 0x40, 0x20, 0x00, 0x08, 0x00, 0x18, 0x00,  // try; local.get 0; throw 0; delegate 0
            0x41, 0x00,  // i32.const 0
            0x19, 0x09, 0x00,  // catch_all; rethrow 0
            0x0B, 0x1A,  // end; drop
            0x07, 0x00, 0x20, 0x01, 0x6A, 0x21, 0x01,  // catch 0; local.get 1; i32.add; local.set 1
            0x0B,  // end
            0x20, 0x00, 0x41, 0x01, 0x6B, 0x22, 0x00, 0x0D, 0x00,  // n - 1, tee, br_if 0
            0x0B,  // end loop
            0x10, 0x00, 0x20, 0x01, 0x6A,  // call live; local.get 1; i32.add
            0x0B,
        ]
        let codeSection = section(10, [0x01, UInt8(code.count)] + code)
        return [0x00, 0x61, 0x73, 0x6D, 0x01, 0x00, 0x00, 0x00] + types + imports + functions + tags + exports + codeSection
    }

    @Test("legacy try/catch/catch_all/delegate/rethrow: 100000 throws leave no exception alive")
    func legacyEncoding() throws {
        let scratch = try makeScratch()
        defer { removeScratch(scratch) }
        var options = CompileOptions(optimization: 2)
        options.extraClangFlags = ["-Werror"]
        _ = try Compiler.compile(wasm: Self.legacyModule(), to: scratch + "/legacy.so", options: options)
        let live = HostFunction(params: [], results: [.i32]) { _, _ in [.i32(wasmaot_live_exception_count())] }
        let instance = try Module(loading: scratch + "/legacy.so").instantiate(imports: ["env": ["live": live]])
        // The sum of 1 ... 100000 (mod 2^32), plus no live exception while still inside the call.
        #expect(try instance.exports.function("loop").call([.i32(100_000)]) == [.i32(705_082_704)])
    }

    @Test("an exnref kept in a global or handed to the host outlives the call that caught it")
    func exnrefOutlivesTheCall() throws {
        let instance = try instantiate(
            wat: """
                (module
                  (tag $e (export "e") (param i32))
                  (global $kept (mut exnref) (ref.null exn))
                  (func $catch (param i32) (result exnref)
                    (block $h (result exnref)
                      (try_table (catch_all_ref $h) (throw $e (local.get 0)))
                      (unreachable)))
                  (func (export "keep") (param i32) (global.set $kept (call $catch (local.get 0))))
                  (func (export "rethrow-kept") (throw_ref (global.get $kept)))
                  (func (export "catch") (param i32) (result exnref) (call $catch (local.get 0)))
                  (func (export "rethrow") (param exnref) (throw_ref (local.get 0))))
                """)
        _ = try instance.exports.function("keep").call([.i32(5)])
        // Later calls (each an outermost call that frees what it no longer needs) leave it alone.
        let caught = try instance.exports.function("catch").call([.i32(6)])
        guard case .exnref(let address) = caught.first else {
            Issue.record("expected an exnref, got \(caught)")
            return
        }
        #expect(address != nil)
        let kept = #expect(throws: WasmException.self) { try instance.exports.function("rethrow-kept").call([]) }
        #expect(kept?.values == [.i32(5)])
        let returned = #expect(throws: WasmException.self) { try instance.exports.function("rethrow").call(caught) }
        #expect(returned?.values == [.i32(6)])
        #expect(returned?.tag === (try instance.exports.tag("e")))
        #expect(trapKind { try instance.exports.function("rethrow").call([.exnref(nil)]) } == .nullReference)
    }

    @Test("an exception kept in a global outlives the Tag object of its tag and keeps the tag's identity")
    func exceptionOutlivesItsTagObject() throws {
        var kept: WasmAOT.Global?
        do {
            let tag = try Tag(params: [.i32])
            let thrower = HostFunction(params: []) { _, _ in throw try WasmException(tag: tag, values: [.i32(7)]) }
            let instance = try instantiate(
                wat: """
                    (module
                      (import "h" "tag" (tag $t (param i32)))
                      (import "h" "throw" (func $throw))
                      (global $kept (export "kept") (mut exnref) (ref.null exn))
                      (func (export "keep")
                        (block $caught (result exnref)
                          (try_table (catch_all_ref $caught) (call $throw))
                          (return))
                        (global.set $kept)))
                    """, imports: ["h": ["tag": tag, "throw": thrower]])
            _ = try instance.exports.function("keep").call([])
            kept = try instance.exports.global("kept")
        }
        // The Tag, the host function and the instance are gone; the exception and its runtime tag are not.
        let rethrower = try instantiate(wat: #"(module (func (export "rethrow") (param exnref) (throw_ref (local.get 0))))"#)
        let value = try #require(kept?.value)
        let first = #expect(throws: WasmException.self) { try rethrower.exports.function("rethrow").call([value]) }
        #expect(first?.values == [.i32(7)])
        #expect(first?.tag.type.params == [.i32])
        // While the host holds the new Tag object, every exception of the tag names that object,
        // and it is the same tag for a wasm catch clause.
        let second = #expect(throws: WasmException.self) { try rethrower.exports.function("rethrow").call([value]) }
        #expect(second?.tag === first?.tag)
        let tag = try #require(first?.tag)
        let catcher = try instantiate(
            wat: """
                (module
                  (import "h" "tag" (tag $t (param i32)))
                  (func (export "catch") (param exnref) (result i32)
                    (block $h (result i32) (try_table (catch $t $h) (throw_ref (local.get 0))) (i32.const -1))))
                """, imports: ["h": ["tag": tag]])
        #expect(try catcher.exports.function("catch").call([value]) == [.i32(7)])
    }
}
