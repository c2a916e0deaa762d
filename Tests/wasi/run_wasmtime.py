#!/usr/bin/env python3
"""Runs the WASI test cases of Tests/wasi/cases.json under wasmtime (the PyPI
package, from the repo's .venv): the reference behaviour for the WasmAOT/WasmKit
comparison test.

    .venv/bin/python Tests/wasi/run_wasmtime.py [--build DIR] [-v] [CASE ...]

DIR holds NAME.wasm built by Tests/wasi/build.sh (default: <repo>/.build-out/wasi).
For each case: argv, env, stdin from the case; stdout/stderr to files; with
"preopen", a fresh empty directory is preopened as /sandbox. That directory is
made inside its own otherwise-empty parent, and the parent must be unchanged
afterwards (nothing escaped the sandbox). The exit status is the code of
proc_exit (ExitTrap), 0 when _start returns, "trap" on a wasm trap. Checked:
expect_exit, and expect_stdout / expect_stderr / expect_stdout_sha256 (hex)
when the case has them.
Exit status of this script: 0 if every case matched, 1 otherwise.
"""
import argparse
import hashlib
import json
import os
import shutil
import sys
import tempfile

import wasmtime

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))


def run_case(engine, modules, build, case):
    program = case["program"]
    if program not in modules:
        modules[program] = wasmtime.Module.from_file(engine, os.path.join(build, program + ".wasm"))
    module = modules[program]

    work = tempfile.mkdtemp(prefix="wasi-case-")
    try:
        stdin_path = os.path.join(work, "stdin")
        stdout_path = os.path.join(work, "stdout")
        stderr_path = os.path.join(work, "stderr")
        with open(stdin_path, "wb") as f:
            f.write(case.get("stdin", "").encode("utf-8"))
        jail = os.path.join(work, "jail")  # parent of the sandbox: must stay as it is
        sandbox = os.path.join(jail, "sandbox")
        os.makedirs(sandbox)

        config = wasmtime.WasiConfig()
        config.argv = case["args"]
        config.env = sorted(case.get("env", {}).items())
        config.stdin_file = stdin_path
        config.stdout_file = stdout_path
        config.stderr_file = stderr_path
        if case.get("preopen"):
            config.preopen_dir(sandbox, "/sandbox")

        store = wasmtime.Store(engine)
        store.set_wasi(config)
        linker = wasmtime.Linker(engine)
        linker.define_wasi()
        instance = linker.instantiate(store, module)
        start = instance.exports(store)["_start"]
        trap_message = None
        try:
            start(store)
            status = 0
        except wasmtime.ExitTrap as e:
            status = e.code
        except wasmtime.Trap as e:
            status = "trap"
            code = getattr(e, "trap_code", None)
            trap_message = str(code) if code is not None else str(e).splitlines()[0]
        del instance, start, store  # closes the output files
        with open(stdout_path, "rb") as f:
            stdout = f.read()
        with open(stderr_path, "rb") as f:
            stderr = f.read()
        leftovers = sorted(os.listdir(jail))
        sandbox_left = sorted(os.listdir(sandbox))
        return status, trap_message, stdout, stderr, leftovers, sandbox_left
    finally:
        shutil.rmtree(work, ignore_errors=True)


def show(label, data, verbose):
    text = data.decode("utf-8", errors="replace")
    if len(data) > 4096 and not verbose:
        lines = text.splitlines()
        print(f"  {label}: {len(data)} bytes, {len(lines)} lines, sha256 {hashlib.sha256(data).hexdigest()[:16]}")
        for line in lines[:2]:
            print(f"    | {line}")
        print("    | ...")
        print(f"    | {lines[-1]}")
        return
    print(f"  {label}: {len(data)} bytes")
    for line in text.splitlines():
        print(f"    | {line}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build", default=os.path.join(REPO, ".build-out", "wasi"))
    parser.add_argument("--cases", default=os.path.join(HERE, "cases.json"))
    parser.add_argument("-v", "--verbose", action="store_true", help="print long outputs in full")
    parser.add_argument("names", nargs="*", help="run only these cases")
    args = parser.parse_args()

    with open(args.cases, encoding="utf-8") as f:
        cases = json.load(f)
    if args.names:
        cases = [c for c in cases if c["name"] in args.names]
    engine = wasmtime.Engine()
    modules = {}
    passed = failed = 0
    for case in cases:
        status, trap_message, stdout, stderr, leftovers, sandbox_left = run_case(engine, modules, args.build, case)
        problems = []
        if status != case["expect_exit"]:
            problems.append(f"exit {status!r}, expected {case['expect_exit']!r}")
        if "expect_stdout" in case and stdout != case["expect_stdout"].encode("utf-8"):
            problems.append("stdout differs from expect_stdout")
        if "expect_stderr" in case and stderr != case["expect_stderr"].encode("utf-8"):
            problems.append("stderr differs from expect_stderr")
        if "expect_stdout_sha256" in case and hashlib.sha256(stdout).hexdigest() != case["expect_stdout_sha256"]:
            problems.append("stdout's SHA-256 differs from expect_stdout_sha256")
        if leftovers != ["sandbox"]:
            problems.append(f"files appeared next to the sandbox: {leftovers}")
        verdict = "ok" if not problems else "MISMATCH: " + "; ".join(problems)
        print(f"== {case['name']} ({' '.join(case['args'])}): exit {status}"
              + (f" ({trap_message})" if trap_message else "") + f" -- {verdict}")
        show("stdout", stdout, args.verbose)
        show("stderr", stderr, args.verbose)
        if case.get("preopen"):
            print(f"  sandbox afterwards: {sandbox_left}")
        if problems:
            failed += 1
        else:
            passed += 1
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
