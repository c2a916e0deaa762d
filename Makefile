# WasmAOT — `make demo` builds, compiles an example module and runs it; `make test` runs all tests.
SWIFT        ?= swift
DEBUG_BUILD  := .build
RELEASE_BUILD:= .build-release
WASMAOT      := $(DEBUG_BUILD)/debug/wasmaot
SPEC_SUITE   ?= $(or $(WASM_SPEC_TESTSUITE),../shared/testsuite)
OUT          := .build-out
JOBS         ?= $(shell nproc)

.PHONY: all build release demo test unit-test spectest clean

all: build

build:
	$(SWIFT) build --scratch-path $(DEBUG_BUILD) --product wasmaot

release:
	$(SWIFT) build -c release --scratch-path $(RELEASE_BUILD) --product wasmaot

demo: build
	@mkdir -p $(OUT)
	$(WASMAOT) compile examples/fib.wat -o $(OUT)/fib.so --verbose
	$(WASMAOT) inspect $(OUT)/fib.so
	$(WASMAOT) run $(OUT)/fib.so --invoke fib 30
	-$(WASMAOT) run $(OUT)/fib.so --invoke div 1 0

test: unit-test spectest

# The official testsuite through the real AOT path (clang -O2); SIMD comes in a later issue.
spectest: build
	$(WASMAOT) spectest $(SPEC_SUITE)/core --skip simd_ -j $(JOBS) --expectations Tests/spectest-expectations.txt

unit-test:
	$(SWIFT) build --scratch-path $(DEBUG_BUILD) --build-tests
	$(SWIFT) test --scratch-path $(DEBUG_BUILD) --skip-build

clean:
	rm -rf $(DEBUG_BUILD) $(RELEASE_BUILD) $(OUT)
