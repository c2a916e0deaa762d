;; select on integers and floats, and the typed select of reference types.
(module
  (func $max (export "max") (param i32 i32) (result i32)
    (select (local.get 0) (local.get 1) (i32.gt_s (local.get 0) (local.get 1))))
  (func $pick_f64 (export "pick_f64") (param f64 f64 i32) (result f64)
    (select (local.get 0) (local.get 1) (local.get 2)))
  (func $pick_i64 (export "pick_i64") (param i64 i32) (result i64)
    (select (i64.const 7) (local.get 0) (local.get 1)))
  (func $pick_ref (export "pick_ref") (param externref externref i32) (result externref)
    (select (result externref) (local.get 0) (local.get 1) (local.get 2)))
)
