# Shared by the fuzz scripts (sourced): the tools they use, and one random valid WebAssembly 2.0
# module from `wasm-tools smith` (SIMD included; no relaxed SIMD, exceptions, GC, memory64, tail calls, threads; one
# memory, no imports, at most two tables; always terminating).
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
wasmaot="${WASMAOT:-$root/.build-release/release/wasmaot}"
tools="${WASM_TOOLS:-$root/.venv/bin/wasm-tools}"

#   smith_module SEED_FILE OUT.wasm [more smith flags...]: status 0 when OUT.wasm is valid wasm2
smith_module() {
  local seed=$1 out=$2
  shift 2
  head -c 6000 /dev/urandom > "$seed"
  "$tools" smith "$seed" -o "$out" --simd-enabled true --exceptions-enabled false --gc-enabled false \
    --memory64-enabled false --tail-call-enabled false --max-memories 1 --max-imports 0 \
    --custom-page-sizes-enabled false --threads-enabled false --relaxed-simd-enabled false \
    --max-tables 2 --ensure-termination "$@" 2>/dev/null || return 1
  "$tools" validate --features wasm2 "$out" 2>/dev/null || { rm -f "$out"; return 1; }
}
