;; Instructions that trap: integer division and remainder, float-to-int truncation, unreachable.
(module
  (func $div_s (export "div_s") (param i32 i32) (result i32) (i32.div_s (local.get 0) (local.get 1)))
  (func $div_u (export "div_u") (param i64 i64) (result i64) (i64.div_u (local.get 0) (local.get 1)))
  (func $rem_s (export "rem_s") (param i32 i32) (result i32) (i32.rem_s (local.get 0) (local.get 1)))
  (func $div_by_const (export "div_by_const") (param i32) (result i32) (i32.div_s (local.get 0) (i32.const 7)))
  (func $trunc (export "trunc") (param f64) (result i32) (i32.trunc_f64_s (local.get 0)))
  (func $fail (export "fail") (param i32) (result i32)
    (if (local.get 0) (then (unreachable)))
    (i32.const 1))
  (func $always (export "always") (unreachable))
)
