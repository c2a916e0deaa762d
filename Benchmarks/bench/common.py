"""What every part of the harness shares: paths, engine names and labels, the ratios reported,
and the small statistics helpers."""

from __future__ import annotations

import math
import statistics
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent  # Benchmarks/
ROOT = HERE.parent
ALL_ENGINES = ["native", "wasm2c", "wasmtime", "wasmaot", "checked"]
# result columns: wasmaot yields two of them (our AOT engine and the WasmKit interpreter)
COLUMNS = ["native", "wasm2c", "wasmtime", "wasmaot", "checked", "wasmkit"]
LABELS = {"native": "native", "wasm2c": "wasm2c", "wasmtime": "wasmtime", "wasmaot": "WasmAOT",
          "checked": "WasmAOT checked",
          "wasmkit": "WasmKit"}
RATIOS = [  # (numerator, denominator): shown in results.md, geometric means included
    ("wasmaot", "wasmtime"), ("wasmaot", "wasm2c"), ("wasmaot", "native"), ("wasmkit", "wasmaot"),
    ("wasmtime", "native"), ("wasm2c", "native"), ("checked", "wasmaot"),
]


def stats(times):
    return {"times": times, "median": statistics.median(times), "min": min(times), "max": max(times)}


def geomean(values):
    values = [v for v in values if v is not None and v > 0]
    if not values:
        return None
    return math.exp(sum(math.log(v) for v in values) / len(values))


def ratio(row, num, den, key="median"):
    a, b = (row.get(c, {}).get(key) if row.get(c) else None for c in (num, den))
    return a / b if a is not None and b else None
