;; Integer arithmetic: recursive and iterative Fibonacci, i64 shifts and rotations, comparisons.
(module
  (func $fib (export "fib") (param $n i32) (result i32)
    (if (result i32) (i32.lt_s (local.get $n) (i32.const 2))
      (then (local.get $n))
      (else (i32.add (call $fib (i32.sub (local.get $n) (i32.const 1)))
                     (call $fib (i32.sub (local.get $n) (i32.const 2)))))))
  (func $fib_iter (export "fib_iter") (param $n i64) (result i64) (local $a i64) (local $b i64) (local $t i64)
    (local.set $b (i64.const 1))
    (block $done
      (loop $next
        (br_if $done (i64.eqz (local.get $n)))
        (local.set $t (i64.add (local.get $a) (local.get $b)))
        (local.set $a (local.get $b))
        (local.set $b (local.get $t))
        (local.set $n (i64.sub (local.get $n) (i64.const 1)))
        (br $next)))
    (local.get $a))
  (func $bits (export "bits") (param $x i64) (param $k i64) (result i64)
    (i64.xor
      (i64.rotl (local.get $x) (local.get $k))
      (i64.or (i64.shr_u (local.get $x) (i64.const 3))
              (i64.shl (i64.extend_i32_u (i32.wrap_i64 (local.get $x))) (i64.const 63)))))
  (func $compare (export "compare") (param $a i32) (param $b i32) (result i32)
    (i32.add
      (i32.add (i32.lt_u (local.get $a) (local.get $b)) (i32.ge_s (local.get $a) (local.get $b)))
      (i32.add (i32.clz (local.get $a)) (i32.popcnt (i32.mul (local.get $b) (i32.const -7))))))
)
