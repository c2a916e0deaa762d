;; The module of BindgenTests: its bindings (CalcBindings.swift, beside this file) are generated
;; by `wasmaot bindgen calc.wat -o CalcBindings.swift` and compiled with the tests.
(module
  (import "env" "log" (func $log (param i32)))
  (import "env" "now" (func $now (result i64)))
  (import "env" "pair" (func $pair (result i32 i32)))
  (import "wasi_snapshot_preview1" "sched_yield" (func $yield (result i32)))
  (memory (export "memory") 1)
  (global $count (export "count") (mut i32) (i32.const 0))
  (func (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))
  (func (export "scale") (param f64 f32) (result f64) (f64.mul (local.get 0) (f64.promote_f32 (local.get 1))))
  (func (export "swap") (param i32 i64) (result i64 i32) (local.get 1) (local.get 0))
  (func (export "id-ref") (param externref) (result externref) (local.get 0))
  (func (export "to_upper") (param i32) (result i32) (i32.sub (local.get 0) (i32.const 32)))
  (func (export "default") (result i32) (i32.const 7))
  (func (export "2fast") (result i32) (i32.const 2))
  (func (export "tick") (global.set $count (i32.add (global.get $count) (i32.const 1))) (call $log (global.get $count)))
  (func (export "later") (param i64) (result i64) (i64.add (call $now) (local.get 0)))
  (func (export "sum-pair") (result i32) (call $pair) (i32.add)))
