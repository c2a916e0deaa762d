#!/usr/bin/env bash
# Differential fuzzing: random valid WebAssembly 2.0 modules from `wasm-tools smith` (every item
# exported, NaNs canonicalised, guaranteed to terminate) are compiled, and each exported function
# is called with zero arguments on WasmAOT and on the WasmKit interpreter (`wasmaot bench
# --invoke`); the results must agree (values, or both trapping).
#   tools/fuzz_diff.sh [COUNT] [LEVEL] [BOUNDS] [COMPILE FLAGS...]   (make fuzz-diff; needs make venv and make release)
# BOUNDS: guard-pages (default) or explicit, passed to `wasmaot compile --bounds`; further
# arguments (e.g. --interruptible) go to `wasmaot compile` as they are.
# Disagreeing modules are kept in $FUZZ_DIR (default .build-out/fuzz-diff) with the output.
set -uo pipefail
count=${1:-100}
level=${2:-2}
bounds=${3:-guard-pages}
extra=("${@:4}")
source "$(dirname "${BASH_SOURCE[0]}")/smith.sh"
dir="${FUZZ_DIR:-$root/.build-out/fuzz-diff}"
mkdir -p "$dir"
modules=0 calls=0 failed=0
for i in $(seq 1 "$count"); do
  seed="$dir/seed.bin" wasm="$dir/d$i.wasm" so="$dir/d$i.so"
  smith_module "$seed" "$wasm" --export-everything true --canonicalize-nans true || continue
  if ! out=$("$wasmaot" compile "$wasm" -o "$so" -O"$level" --bounds "$bounds" "${extra[@]}" 2>&1); then
    echo "compile failed: $wasm"; echo "$out" > "$wasm.log"; failed=$((failed + 1)); continue
  fi
  modules=$((modules + 1))
  keep=0
  # "  NAME: function N (PARAMS) -> (RESULTS)" lines of `wasmaot inspect`.
  while IFS= read -r line; do
    name=${line%%: function*}; name=${name#  }
    params=${line#*(}; params=${params%%)*}
    args=()
    for t in ${params//,/ }; do
      case "$t" in externref | funcref) args+=(null) ;; v128) args+=(0x00000000000000000000000000000000) ;; *) args+=(0) ;; esac
    done
    calls=$((calls + 1))
    # --invoke=NAME keeps a name starting with '-' a value; the empty name needs the separate form.
    if [[ -z "$name" ]]; then invoke=(--invoke ""); else invoke=("--invoke=$name"); fi
    out=$(timeout 60 "$wasmaot" bench "$so" --wasm "$wasm" "${invoke[@]}" --runs 1 --wasmkit-runs 1 -- "${args[@]}" 2>&1)
    rc=$?
    # `wasmaot bench` exits 0 when both engines returned the same values or both trapped, 1 with
    # "engines disagree" otherwise, 1 with another error when the module cannot be instantiated
    # (a trapping start function: not a disagreement). A crash is a failure.
    if [[ $rc -ne 0 ]] && { grep -q "engines disagree" <<<"$out" || [[ $rc -gt 1 ]]; }; then
      echo "mismatch: $wasm export '$name' (status $rc)"; printf '%s\n%s\n' "$name" "$out" >> "$wasm.log"
      failed=$((failed + 1)); keep=1
    fi
  done < <("$wasmaot" inspect "$so" | grep -aE '^  .*: function [0-9]+ \(')
  [[ $keep -eq 0 ]] && rm -f "$wasm" "$so"
done
rm -f "$dir/seed.bin"
echo "fuzz-diff: $modules modules, $calls exported functions called on both engines, $failed disagreements (kept in $dir)"
[[ $failed -eq 0 ]]
