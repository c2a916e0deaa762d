"""How each engine is run and timed: whole processes (native, wasm2c), the wasmtime Python API,
and the wasmaot CLI (`wasmaot compile`, and `wasmaot bench --json`, which runs our AOT engine and,
in the same process, the WasmKit interpreter)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .common import stats


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
