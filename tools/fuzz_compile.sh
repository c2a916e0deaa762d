#!/usr/bin/env bash
# Robustness fuzzing: random valid WebAssembly 2.0 modules from `wasm-tools smith` must compile
# (translate + clang), load and instantiate without a crash; run them with a nonexistent export
# so that instantiation (segments, start function) is exercised.
#   tools/fuzz_compile.sh [COUNT] [-O LEVEL]        (make fuzz; needs make venv and make release)
# Failing modules are kept in $FUZZ_DIR (default .build-out/fuzz) with the compiler's output.
set -uo pipefail
count=${1:-200}
level=${2:-1}
source "$(dirname "${BASH_SOURCE[0]}")/smith.sh"
dir="${FUZZ_DIR:-$root/.build-out/fuzz}"
mkdir -p "$dir"
generated=0 failed=0
for i in $(seq 1 "$count"); do
  seed="$dir/seed.bin" wasm="$dir/m$i.wasm" so="$dir/m$i.so"
  smith_module "$seed" "$wasm" || continue
  generated=$((generated + 1))
  if ! out=$("$wasmaot" compile "$wasm" -o "$so" -O"$level" 2>&1); then
    echo "compile failed: $wasm"; echo "$out" > "$wasm.log"; failed=$((failed + 1)); continue
  fi
  out=$(timeout 20 "$wasmaot" run "$so" --invoke __no_such_export__ 2>&1); rc=$?
  # Expected: exit 1 with "no export named", or a trap (134) from the start function.
  if [[ $rc -ne 1 && $rc -ne 134 ]]; then
    echo "run failed (status $rc): $wasm"; echo "$out" > "$wasm.log"; failed=$((failed + 1)); continue
  fi
  rm -f "$wasm" "$so"
done
rm -f "$dir/seed.bin"
echo "fuzz: $generated modules, $failed failed (kept in $dir)"
[[ $failed -eq 0 ]]
