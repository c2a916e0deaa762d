// The cost of crossing the boundary between Swift and wasm, on WasmAOT and on WasmKit's
// interpreter, in one process: typed and dynamic calls into wasm, typed and dynamic host
// calls from wasm, and 1 KiB through the guest's allocator and back. Each figure is the
// median of several rounds (the engines alternate), with the spread, and the heap
// allocations per call counted by AllocationCounter.
//
//   wasmaot-callbench [--rounds N] [--json FILE] [--filter TEXT] [Benchmarks/calls/calls.wat]
//
// --filter runs only the measurements whose name contains TEXT (for profiling one of them).
import AllocationCounter
import Foundation
import WasmAOT
import WasmAOTCommands
import WasmAOTCompiler
import WasmKit

struct Measurement {
    var name: String
    var engine: String
    var nanoseconds: [Double] = []
    var allocations: [Double] = []
}

/// Times `count` repetitions of `body` (which does `count` calls itself), per call.
func measure(_ m: inout Measurement, count: Int, _ body: (Int) throws -> Void) rethrows {
    if let filter, !"\(m.name) \(m.engine)".contains(filter) { return }
    let allocationsBefore = allocation_count()
    let start = DispatchTime.now().uptimeNanoseconds
    try body(count)
    let elapsed = DispatchTime.now().uptimeNanoseconds - start
    let allocations = allocation_count() - allocationsBefore
    m.nanoseconds.append(Double(elapsed) / Double(count))
    m.allocations.append(Double(allocations) / Double(count))
}

func median(_ xs: [Double]) -> Double {
    let s = xs.sorted()
    return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
}

var arguments = Array(CommandLine.arguments.dropFirst())
var rounds = 7
var jsonPath: String?
var modulePath = "Benchmarks/calls/calls.wat"
nonisolated(unsafe) var filter: String?
while let argument = arguments.first {
    arguments.removeFirst()
    switch argument {
    case "--rounds": rounds = Int(arguments.removeFirst()) ?? rounds
    case "--json": jsonPath = arguments.removeFirst()
    case "--filter": filter = arguments.removeFirst()
    default: modulePath = argument
    }
}

let wasm = try Compiler.readModule(path: modulePath)
let aotModule = try ModuleSource.load(modulePath)

// WasmAOT: one instance per host-function form.
let typedHost = HostFunction { (a: Int32, b: Int32) -> Int32 in a &+ b }
let dynamicHost = HostFunction(params: [.i32, .i32], results: [.i32]) { _, args in
    guard case .i32(let a) = args[0], case .i32(let b) = args[1] else { return [] }
    return [.i32(a &+ b)]
}
let aotTyped = try aotModule.instantiate(imports: ["host": ["add": typedHost]])
let aotDynamic = try aotModule.instantiate(imports: ["host": ["add": dynamicHost]])
let aotAdd = try aotTyped.exports.function("add", ((Int32, Int32) -> Int32).self)
let aotAddDynamic = try aotTyped.exports.function("add")
let aotLoopTyped = try aotTyped.exports.function("call_host", ((Int32) -> Int32).self)
let aotLoopDynamic = try aotDynamic.exports.function("call_host", ((Int32) -> Int32).self)
let allocator = try aotTyped.allocator()

// WasmKit: the same, through its own API (array-based and buffer-based host functions).
let engine = Engine()
let wkModule = try parseWasm(bytes: wasm)
func wkInstance(_ make: (Store) -> WasmKit.Function) throws -> WasmKit.Instance {
    let store = Store(engine: engine)
    var imports = WasmKit.Imports()
    imports.define(module: "host", name: "add", make(store))
    return try wkModule.instantiate(store: store, imports: imports)
}
let wkDynamic = try wkInstance { store in
    WasmKit.Function(store: store, parameters: [.i32, .i32], results: [.i32]) { _, args in
        [.i32(args[0].i32 &+ args[1].i32)]
    }
}
let wkRaw = try wkInstance { store in
    WasmKit.Function(store: store, parameters: [.i32, .i32], results: [.i32]) { _, args, results in
        results[0] = .i32(args[0].i32 &+ args[1].i32)
    }
}
let wkAdd = wkDynamic.exports[function: "add"]!
let wkLoopDynamic = wkDynamic.exports[function: "call_host"]!
let wkLoopRaw = wkRaw.exports[function: "call_host"]!
let wkMalloc = wkDynamic.exports[function: "malloc"]!
let wkFree = wkDynamic.exports[function: "free"]!
let wkEcho = wkDynamic.exports[function: "echo"]!
let wkMemory = wkDynamic.exports[memory: "memory"]!

let input = [UInt8]((0..<1024).map { UInt8(truncatingIfNeeded: $0 &* 7) })
var sink: UInt64 = 0

var results: [Measurement] = [
    Measurement(name: "typed call Swift→wasm (i32, i32) -> i32", engine: "WasmAOT"),
    Measurement(name: "dynamic [Value] call Swift→wasm", engine: "WasmAOT"),
    Measurement(name: "call Swift→wasm ([Value])", engine: "WasmKit"),
    Measurement(name: "typed host call wasm→Swift", engine: "WasmAOT"),
    Measurement(name: "dynamic host call wasm→Swift (Caller, [Value])", engine: "WasmAOT"),
    Measurement(name: "host call wasm→Swift ([Value])", engine: "WasmKit"),
    Measurement(name: "host call wasm→Swift (raw buffers)", engine: "WasmKit"),
    Measurement(name: "1 KiB in through the allocator and back", engine: "WasmAOT"),
    Measurement(name: "1 KiB in through the allocator and back", engine: "WasmKit"),
]

let fast = 2_000_000
let slow = 200_000
for _ in 0..<rounds {
    try measure(&results[0], count: fast) { n in
        let add = aotAdd  // as a caller holds it: in a local
        for i in 0..<n { sink &+= UInt64(UInt32(bitPattern: try add(Int32(truncatingIfNeeded: i), 1))) }
    }
    try measure(&results[1], count: slow) { n in
        for i in 0..<n {
            let r = try aotAddDynamic.call([.i32(UInt32(truncatingIfNeeded: i)), .i32(1)])
            if case .i32(let x) = r[0] { sink &+= UInt64(x) }
        }
    }
    try measure(&results[2], count: slow / 4) { n in
        for i in 0..<n { sink &+= UInt64(try wkAdd([.i32(UInt32(truncatingIfNeeded: i)), .i32(1)])[0].i32) }
    }
    try measure(&results[3], count: fast) { n in sink &+= UInt64(UInt32(bitPattern: try aotLoopTyped(Int32(n)))) }
    try measure(&results[4], count: slow) { n in sink &+= UInt64(UInt32(bitPattern: try aotLoopDynamic(Int32(n)))) }
    try measure(&results[5], count: slow) { n in sink &+= UInt64(try wkLoopDynamic([.i32(UInt32(n))])[0].i32) }
    try measure(&results[6], count: slow) { n in sink &+= UInt64(try wkLoopRaw([.i32(UInt32(n))])[0].i32) }
    try measure(&results[7], count: slow) { n in
        for _ in 0..<n {
            let out = try aotTyped.call(
                "echo", passing: [input], returning: .addressAndLength, freeingResult: true, allocator: allocator)
            sink &+= UInt64(out[1000])
        }
    }
    try measure(&results[8], count: slow / 10) { n in
        for _ in 0..<n {
            let address = try wkMalloc([.i32(UInt32(input.count))])[0].i32
            wkMemory.withUnsafeMutableBufferPointer(offset: UInt(address), count: input.count) { buffer in
                input.withUnsafeBytes { buffer.copyMemory(from: $0) }
            }
            let r = try wkEcho([.i32(address), .i32(UInt32(input.count))])
            let out = wkMemory.withUnsafeMutableBufferPointer(offset: UInt(r[0].i32), count: Int(r[1].i32)) { [UInt8]($0) }
            sink &+= UInt64(out[1000])
            _ = try wkFree([r[0]])
            _ = try wkFree([.i32(address)])
        }
    }
}

func format(_ ns: Double) -> String { ns < 100 ? String(format: "%.1f", ns) : String(format: "%.0f", ns) }
print("Boundary crossings, ns per call: median of \(rounds) rounds (min–max); heap allocations per call")
print("| call | engine | ns | min–max | allocations |")
print("|---|---|---|---|---|")
for m in results where !m.nanoseconds.isEmpty {
    let sorted = m.nanoseconds.sorted()
    print(
        "| \(m.name) | \(m.engine) | \(format(median(m.nanoseconds))) | \(format(sorted.first!))–\(format(sorted.last!)) | "
            + String(format: "%.2f", median(m.allocations)) + " |")
}
let medians = results.map { $0.nanoseconds.isEmpty ? .nan : median($0.nanoseconds) }
func ratio(_ a: Int, _ b: Int) -> String { String(format: "%.0f×", medians[b] / medians[a]) }
print(
    "WasmKit/WasmAOT: Swift→wasm typed \(ratio(0, 2)), dynamic \(ratio(1, 2)); host typed \(ratio(3, 6)), "
        + "dynamic \(ratio(4, 5)); 1 KiB round trip \(ratio(7, 8))")
if let jsonPath {
    let objects = results.map { m -> [String: Any] in
        [
            "call": m.name, "engine": m.engine, "median_ns": median(m.nanoseconds), "ns": m.nanoseconds,
            "allocations_per_call": median(m.allocations),
        ]
    }
    let data = try JSONSerialization.data(withJSONObject: ["rounds": rounds, "results": objects], options: [.prettyPrinted, .sortedKeys])
    try data.write(to: URL(fileURLWithPath: jsonPath))
}
if sink == 42 { print("") }  // keeps the calls from being optimised away
