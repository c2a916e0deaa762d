;; golden variants: interruptible
;; Locals, nested blocks, a loop with br_if, br_table, if/else and an early return.
(module
  (func $classify (export "classify") (param $x i32) (result i32)
    (block $default
      (block $two
        (block $one
          (block $zero
            (br_table $zero $one $two $default (local.get $x)))
          (return (i32.const 100)))
        (return (i32.const 101)))
      (return (i32.const 102)))
    (i32.const -1))
  (func $sum_to (export "sum_to") (param $n i32) (result i32) (local $i i32) (local $acc i32)
    (loop $again
      (local.set $acc (i32.add (local.get $acc) (local.get $i)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $again (i32.le_s (local.get $i) (local.get $n))))
    (local.get $acc))
  (func $abs_or_zero (export "abs_or_zero") (param $x i32) (result i32)
    (if (i32.eqz (local.get $x)) (then (return (i32.const 0))))
    (if (result i32) (i32.lt_s (local.get $x) (i32.const 0))
      (then (i32.sub (i32.const 0) (local.get $x)))
      (else (local.get $x))))
  (func $swap_tee (export "swap_tee") (param $a i32) (param $b i32) (result i32) (local $t i32)
    ;; local.tee and a local written while an earlier read of it is still on the stack
    (i32.sub (local.get $a) (local.tee $a (local.tee $t (local.get $b)))))
)
