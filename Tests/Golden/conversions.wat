;; Numeric conversions between f32, f64, i32 and i64: promote/demote, convert, trunc, trunc_sat,
;; reinterpret, sign extension; float min/max/copysign/nearest.
(module
  (func $promote_demote (export "promote_demote") (param f32 f64) (result f64)
    (f64.add (f64.promote_f32 (local.get 0)) (f64.promote_f32 (f32.demote_f64 (local.get 1)))))
  (func $int_to_float (export "int_to_float") (param i32 i64) (result f32)
    (f32.add (f32.convert_i32_u (local.get 0)) (f32.convert_i64_s (local.get 1))))
  (func $float_to_int (export "float_to_int") (param f32 f64) (result i64)
    (i64.add (i64.trunc_f32_u (local.get 0)) (i64.trunc_f64_s (local.get 1))))
  (func $saturating (export "saturating") (param f32 f64) (result i32)
    (i32.add (i32.trunc_sat_f32_s (local.get 0)) (i32.wrap_i64 (i64.trunc_sat_f64_u (local.get 1)))))
  (func $reinterpret (export "reinterpret") (param f32 i64) (result i32)
    (i32.xor (i32.reinterpret_f32 (local.get 0))
             (i32.wrap_i64 (i64.reinterpret_f64 (f64.reinterpret_i64 (local.get 1))))))
  (func $sign_extend (export "sign_extend") (param i32 i64) (result i64)
    (i64.add (i64.extend_i32_s (i32.extend8_s (local.get 0))) (i64.extend32_s (local.get 1))))
  (func $float_ops (export "float_ops") (param f32 f32 f64) (result f64)
    (f64.add
      (f64.promote_f32 (f32.copysign (f32.min (local.get 0) (local.get 1)) (f32.max (local.get 0) (local.get 1))))
      (f64.nearest (f64.mul (local.get 2) (f64.const 1)))))
)
