#!/usr/bin/env bash
# Builds the WASI test programs Tests/wasi/*.c into OUTDIR/NAME.wasm with the
# Zig toolchain's wasi-libc (PyPI package `ziglang`, installed in .venv).
#   Tests/wasi/build.sh OUTDIR           e.g. Tests/wasi/build.sh .build-out/wasi
# Each program: `python -m ziglang cc --target=wasm32-wasi -O2 -o NAME.wasm NAME.c`,
# then `wasm-tools strip` (drops the ~1 MB of DWARF that Zig's prebuilt libc
# brings along, keeps the "name" section, so backtraces show function names).
# Environment: PYTHON (default: <repo>/.venv/bin/python), WASI_CFLAGS (default:
# -O2), WASM_TOOLS (default: <repo>/.venv/bin/wasm-tools, else from PATH; if
# none is found the modules are left unstripped).
# A program is rebuilt only when its .wasm is missing or older than its .c,
# errno_name.h, include/wasmaot_guest.h (the guest header, which programs include) or this script.
set -euo pipefail

if [[ $# -ne 1 ]]; then
    echo "usage: $0 OUTDIR" >&2
    exit 2
fi
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
python="${PYTHON:-$repo/.venv/bin/python}"
read -r -a cflags <<<"${WASI_CFLAGS:--O2}"
wasm_tools="${WASM_TOOLS:-}"
if [[ -z "$wasm_tools" ]]; then
    if [[ -x "$repo/.venv/bin/wasm-tools" ]]; then
        wasm_tools="$repo/.venv/bin/wasm-tools"
    else
        wasm_tools="$(command -v wasm-tools || true)"
    fi
fi
outdir="$1"
mkdir -p "$outdir"

if ! "$python" -c 'import ziglang' 2>/dev/null; then
    echo "error: $python cannot import ziglang (run 'make venv' or set PYTHON)" >&2
    exit 1
fi

built=0 skipped=0
for src in "$here"/*.c; do
    name="$(basename "$src" .c)"
    out="$outdir/$name.wasm"
    if [[ -f "$out" && "$out" -nt "$src" && "$out" -nt "$here/errno_name.h" && "$out" -nt "$here/build.sh" &&
          "$out" -nt "$repo/include/wasmaot_guest.h" ]]; then
        skipped=$((skipped + 1))
        continue
    fi
    echo "zig cc --target=wasm32-wasi ${cflags[*]} -o $out $src"
    "$python" -m ziglang cc --target=wasm32-wasi "${cflags[@]}" -I "$repo/include" -o "$out.tmp" "$src"
    if [[ -n "$wasm_tools" ]]; then
        "$wasm_tools" strip "$out.tmp" -o "$out.tmp2"
        mv -f "$out.tmp2" "$out.tmp"
    fi
    mv -f "$out.tmp" "$out"
    built=$((built + 1))
done
echo "wasi test programs: $built built, $skipped up to date, in $outdir"
