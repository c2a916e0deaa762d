;; SIMD: a dot product over i32x4 lanes, lane access, shuffles and a v128 parameter and result.
(module
  (memory 1)
  (func $dot (export "dot") (param $a i32) (param $b i32) (param $n i32) (result i32) (local $acc v128)
    (block $done
      (loop $next
        (br_if $done (i32.eqz (local.get $n)))
        (local.set $acc (i32x4.add (local.get $acc)
          (i32x4.mul (v128.load (local.get $a)) (v128.load offset=16 align=4 (local.get $b)))))
        (local.set $a (i32.add (local.get $a) (i32.const 16)))
        (local.set $b (i32.add (local.get $b) (i32.const 16)))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $next)))
    (i32.add
      (i32.add (i32x4.extract_lane 0 (local.get $acc)) (i32x4.extract_lane 1 (local.get $acc)))
      (i32.add (i32x4.extract_lane 2 (local.get $acc)) (i32x4.extract_lane 3 (local.get $acc)))))
  (func $mix (export "mix") (param $x v128) (param $y v128) (result v128)
    (f32x4.replace_lane 2
      (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $x) (local.get $y))
      (f32.sqrt (f32x4.extract_lane 0 (f32x4.add (local.get $x) (v128.const f32x4 1 2 3 4))))))
  (func $splat_store (export "splat_store") (param $p i32) (param $v i32)
    (v128.store offset=32 (local.get $p) (i16x8.splat (local.get $v)))
    (v128.store8_lane offset=1 5 (local.get $p) (v128.const i64x2 -1 0)))
)
