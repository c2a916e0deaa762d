# WasmAOT — `make demo` builds, compiles an example module and runs it; `make test` runs all tests.
SWIFT        ?= swift
DEBUG_BUILD  := .build
RELEASE_BUILD:= .build-release
WASMAOT      := $(DEBUG_BUILD)/debug/wasmaot
WASMAOT_RELEASE := $(RELEASE_BUILD)/release/wasmaot
SPEC_SUITE   ?= $(or $(WASM_SPEC_TESTSUITE),../shared/testsuite)
OUT          := .build-out
JOBS         ?= $(shell nproc)
# Test and benchmark tools from PyPI (zig's wasi-libc toolchain, wasm-tools, wabt, wasmtime).
VENV         := .venv
PYTHON       := $(VENV)/bin/python

.PHONY: all build release venv demo test format format-check unit-test spectest spectest-explicit spectest-3 wasi-programs bench bench-calls bench-simd fuzz fuzz-diff clean

all: build

# One debug configuration for the CLI and the tests (building them with different
# flags in the same scratch folder would rebuild every dependency each time).
build:
	$(SWIFT) build --scratch-path $(DEBUG_BUILD) --build-tests

release:
	$(SWIFT) build -c release --scratch-path $(RELEASE_BUILD) --product wasmaot

venv: $(VENV)/.installed
$(VENV)/.installed: tools/requirements.txt
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r tools/requirements.txt
	touch $@

demo: build
	@mkdir -p $(OUT)
	$(WASMAOT) compile examples/fib.wat -o $(OUT)/fib.so --verbose
	$(WASMAOT) inspect $(OUT)/fib.so
	$(WASMAOT) run $(OUT)/fib.so --invoke fib 30
	-$(WASMAOT) run $(OUT)/fib.so --invoke div 1 0

test: format-check unit-test spectest spectest-explicit spectest-3

# Layout only (.swift-format enables no rewriting rules; .clang-format for Runtime/'s C).
FORMATTED_SWIFT := Package.swift Sources Tests Benchmarks/calls/CallBench
FORMATTED_C     := $(wildcard Runtime/src/*.c Runtime/src/*.h Runtime/include/*.h Runtime/codegen/*.h include/*.h Benchmarks/calls/AllocationCounter/*.c Benchmarks/calls/AllocationCounter/include/*.h)
format: venv
	$(SWIFT) format format -i -r -p $(FORMATTED_SWIFT)
	$(VENV)/bin/clang-format -i $(FORMATTED_C)

format-check: venv
	$(SWIFT) format lint --strict -r -p $(FORMATTED_SWIFT)
	$(VENV)/bin/clang-format --dry-run -Werror $(FORMATTED_C)

# The WASI test programs (C → wasm32-wasi with zig's wasi-libc), used by the WASI suite.
wasi-programs: venv
	PYTHON=$(PYTHON) Tests/wasi/build.sh $(OUT)/wasi

# The official testsuite (WebAssembly 2.0, SIMD included) through the real AOT path (clang -O2).
# wasm-tools encodes the assert_invalid text modules that WasmKit's WAT refuses to encode.
spectest: build venv
	WASM_TOOLS=$(VENV)/bin/wasm-tools $(WASMAOT) spectest $(SPEC_SUITE)/core -j $(JOBS) --wasm 2.0 --expectations Tests/spectest-expectations.txt

# The same suite with a compare in every load and store (`--bounds explicit`) instead of guard
# pages, and with interruption polls at every function entry and loop head (`--interruptible`).
spectest-explicit: build venv
	WASM_TOOLS=$(VENV)/bin/wasm-tools $(WASMAOT) spectest $(SPEC_SUITE)/core -j $(JOBS) --wasm 2.0 --expectations Tests/spectest-expectations.txt --bounds explicit --interruptible

# WebAssembly 3.0: its suite (top-level files) and the legacy exception instructions, then each
# 2024 proposal folder, which is written against 2.0 plus that proposal (a zero memory-index
# byte, one memory, 2.0's constant expressions): --wasm 2.0 --enable PROPOSAL. Files are named
# folder/file in the expectations file, which lists what cannot pass yet, with the reason.
SPEC_3 = WASM_TOOLS=$(VENV)/bin/wasm-tools $(WASMAOT) spectest -j $(JOBS) --expectations Tests/spectest-expectations.txt
spectest-3: build venv
	$(SPEC_3) $(SPEC_SUITE)/3.0 $(SPEC_SUITE)/3.0/legacy
	$(SPEC_3) $(SPEC_SUITE)/proposals/extended-const --wasm 2.0
	$(SPEC_3) $(SPEC_SUITE)/proposals/tail-call --wasm 2.0 --enable tail-calls
	$(SPEC_3) $(SPEC_SUITE)/proposals/multi-memory --wasm 2.0 --enable multi-memory
	$(SPEC_3) $(SPEC_SUITE)/proposals/memory64 --wasm 2.0 --enable memory64 --enable typed-function-references
	$(SPEC_3) $(SPEC_SUITE)/proposals/exception-handling --wasm 2.0 --enable exception-handling

unit-test: build wasi-programs
	WASMAOT_WASI_PROGRAMS=$(CURDIR)/$(OUT)/wasi $(SWIFT) test --scratch-path $(DEBUG_BUILD) --skip-build

# Benchmarks (release build): WasmAOT vs the WasmKit interpreter, wasmtime, wasm2c and native.
bench: release venv bench-calls
	Benchmarks/build.sh $(OUT)/bench
	$(PYTHON) Benchmarks/run.py --build-dir $(OUT)/bench --wasmaot $(WASMAOT_RELEASE) $(BENCH_ARGS)

# The cost of crossing the boundary (calls both ways, data through the guest's allocator) on
# WasmAOT and on WasmKit's interpreter, with heap allocations per call.
bench-calls:
	$(SWIFT) build -c release --scratch-path $(RELEASE_BUILD) --product wasmaot-callbench
	$(RELEASE_BUILD)/release/wasmaot-callbench --json Benchmarks/results/calls.json Benchmarks/calls/calls.wat

# The same suite with the wasm built for SIMD (zig cc -O2 -msimd128): every engine runs its v128
# code (native unchanged); results in Benchmarks/results/simd128/. No compile-time part.
bench-simd: release venv
	WASM_CFLAGS="-O2 -msimd128" SKIP_LARGE=1 Benchmarks/build.sh $(OUT)/bench-simd128
	WASM_CFLAGS="-O2 -msimd128" $(PYTHON) Benchmarks/run.py --build-dir $(OUT)/bench-simd128 --wasmaot $(WASMAOT_RELEASE) \
	  --results-dir Benchmarks/results/simd128 --skip-compile-bench $(BENCH_ARGS)

# Random valid modules (wasm-tools smith) must compile, load and instantiate: FUZZ_COUNT=500 make fuzz
fuzz: release venv
	tools/fuzz_compile.sh $(or $(FUZZ_COUNT),200) 2

# Random modules with every function exported; each is called on WasmAOT and on WasmKit's
# interpreter and the results must agree:
# FUZZ_COUNT=100 [FUZZ_BOUNDS=explicit] [FUZZ_FLAGS=--interruptible] make fuzz-diff
fuzz-diff: release venv
	tools/fuzz_diff.sh $(or $(FUZZ_COUNT),100) 2 $(or $(FUZZ_BOUNDS),guard-pages) $(FUZZ_FLAGS)

clean:
	rm -rf $(DEBUG_BUILD) $(RELEASE_BUILD) $(OUT)
