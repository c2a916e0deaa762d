// swift-tools-version:6.1
//
// WasmAOT — an ahead-of-time WebAssembly compiler (wasm → C → native .so) and
// its runtime/loader. The pipeline, by folder:
//
//   Sources/WasmAOTCompiler   decode (WasmParser) → validate → lower/emit C → compile (clang)
//   Sources/WasmAOTFormat     the metadata format stored in every .so (shared by compiler and loader)
//   Runtime/                  the C runtime: ABI header, memories, tables, traps, signal handling, libffi calls
//   Sources/WasmAOT           the Swift loader and embedding API (Module, Instance, Value, Trap)
//   Sources/WasmAOTOracle     WasmKit's interpreter driven like our engine: benchmark baseline, test oracle
//   Sources/WasmAOTSpecTest   the official-testsuite (.wast) runner behind `wasmaot spectest`
//   Sources/WasmAOTCommands   what each `wasmaot` command does, as tested library code
//   Sources/WasmAOTCLI        the `wasmaot` command line: flags parsed, then WasmAOTCommands
import PackageDescription

let package = Package(
    name: "WasmAOT",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "wasmaot", targets: ["WasmAOTCLI"]),
        .library(name: "WasmAOTCompiler", targets: ["WasmAOTCompiler"]),
        .library(name: "WasmAOT", targets: ["WasmAOT"]),
        .executable(name: "wasmaot-callbench", targets: ["WasmAOTCallBench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/swiftwasm/WasmKit", from: "0.4.2"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.0"),
    ],
    targets: [
        .target(
            name: "WasmAOTRuntime",
            path: "Runtime",
            sources: ["src"],
            publicHeadersPath: "include",
            cSettings: [.define("_GNU_SOURCE")],
            linkerSettings: [.linkedLibrary("ffi"), .linkedLibrary("dl")]
        ),
        .target(name: "WasmAOTFormat"),
        .target(
            name: "WasmAOTCompiler",
            dependencies: [
                "WasmAOT",  // only for Module(compiling:): the compiler itself needs no loader
                "WasmAOTFormat",
                "WasmAOTRuntime",
                .product(name: "WasmParser", package: "WasmKit"),
                .product(name: "WAT", package: "WasmKit"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .target(
            name: "WasmAOT",
            dependencies: [
                "WasmAOTFormat",
                "WasmAOTRuntime",
                .product(name: "WASI", package: "WasmKit"),
            ]
        ),
        // WasmKit's interpreter with the same WASI setup: the benchmark baseline and differential-test oracle.
        .target(
            name: "WasmAOTOracle",
            dependencies: [
                "WasmAOT",
                .product(name: "WasmKit", package: "WasmKit"),
                .product(name: "WasmKitWASI", package: "WasmKit"),
            ]
        ),
        .target(
            name: "WasmAOTSpecTest",
            dependencies: [
                "WasmAOT",
                "WasmAOTCompiler",
                .product(name: "WAT", package: "WasmKit"),
                .product(name: "WasmParser", package: "WasmKit"),
            ]
        ),
        .target(
            name: "WasmAOTCommands",
            dependencies: ["WasmAOT", "WasmAOTCompiler", "WasmAOTSpecTest", "WasmAOTOracle"]
        ),
        .executableTarget(
            name: "WasmAOTCLI",
            dependencies: [
                "WasmAOT",
                "WasmAOTCommands",
                "WasmAOTCompiler",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // `make bench-calls`: the cost of a call across the boundary, on WasmAOT and on WasmKit.
        .target(name: "AllocationCounter", path: "Benchmarks/calls/AllocationCounter"),
        .executableTarget(
            name: "WasmAOTCallBench",
            dependencies: [
                "AllocationCounter",
                "WasmAOT",
                "WasmAOTCommands",
                "WasmAOTCompiler",
                .product(name: "WasmKit", package: "WasmKit"),
            ],
            path: "Benchmarks/calls/CallBench"
        ),
        // Tests of the metadata format, the validator and the emitted C (golden files):
        // neither clang nor WasmKit's interpreter.
        .testTarget(
            name: "WasmAOTCompilerTests",
            dependencies: [
                "WasmAOTFormat",
                "WasmAOTCompiler",
                .product(name: "WAT", package: "WasmKit"),
                .product(name: "WasmParser", package: "WasmKit"),
            ]
        ),
        // Tests that compile modules with clang and load them, or run the interpreter as an oracle.
        .testTarget(
            name: "WasmAOTTests",
            dependencies: [
                "WasmAOT",
                "WasmAOTCompiler",
                "WasmAOTFormat",
                "WasmAOTOracle",
                "WasmAOTCommands",
            ],
            exclude: ["Bindings/calc.wat"]
        ),
    ]
)
