"""The benchmark harness behind Benchmarks/run.py (see Benchmarks/README.md).

    common    paths, engine names and labels, the ratios reported, stats/geomean/ratio
    engines   how each engine is run and timed: processes (native, wasm2c), the wasmtime Python
              API, `wasmaot compile` and `wasmaot bench --json` (WasmAOT and the WasmKit interpreter)
    schedule  the interleaved rounds of the run-time suite, the compile-time and instantiation
              measurements, the output checks against native
    report    results.json and results.md
    chart     chart.svg
"""
