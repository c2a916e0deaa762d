;; Relaxed SIMD: an i8 dot-product kernel (the int8 inference loop relaxed SIMD was made for) and
;; one call of each other family; constant operands of relaxed_madd pass through the NaN barrier.
(module
  (memory 1)
  (func $dot8 (export "dot8") (param $a i32) (param $b i32) (param $n i32) (result v128) (local $acc v128)
    (block $done
      (loop $next
        (br_if $done (i32.eqz (local.get $n)))
        (local.set $acc
          (i32x4.relaxed_dot_i8x16_i7x16_add_s (v128.load (local.get $a)) (v128.load (local.get $b)) (local.get $acc)))
        (local.set $a (i32.add (local.get $a) (i32.const 16)))
        (local.set $b (i32.add (local.get $b) (i32.const 16)))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $next)))
    (local.get $acc))
  (func $axpy (export "axpy") (param $x v128) (param $y v128) (result v128)
    (f32x4.relaxed_nmadd (local.get $x) (local.get $y)
      (f32x4.relaxed_madd (local.get $x) (v128.const f32x4 2 2 2 2) (local.get $y))))
  (func $clamp (export "clamp") (param $x v128) (result v128)
    (f64x2.relaxed_max (f64x2.relaxed_min (local.get $x) (v128.const f64x2 1 1)) (v128.const f64x2 -1 -1)))
  (func $select (export "select") (param $x v128) (param $y v128) (param $m v128) (result v128)
    (i16x8.relaxed_laneselect (local.get $x) (local.get $y)
      (i8x16.relaxed_swizzle (local.get $m) (i16x8.relaxed_q15mulr_s (local.get $x) (local.get $y)))))
  (func $quantize (export "quantize") (param $x v128) (result v128)
    (i32x4.relaxed_trunc_f32x4_s (local.get $x))
    (i32x4.relaxed_trunc_f64x2_u_zero (local.get $x))
    (i16x8.relaxed_dot_i8x16_i7x16_s)
    (i32x4.relaxed_trunc_f32x4_u)
    (i32x4.relaxed_trunc_f64x2_s_zero))
)
