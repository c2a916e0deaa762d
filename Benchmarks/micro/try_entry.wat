;; The cost of entering and leaving a try_table: `plain` and `try` run the same loop of calls to a
;; function that may throw, `try` with each call in a try_table (which never catches here).
;;   wasmaot compile -O2 Benchmarks/micro/try_entry.wat -o /tmp/try_entry.so
;;   time wasmaot run /tmp/try_entry.so --invoke plain 100000000   (then --invoke try)
;; (try - plain) / iterations is the cost of one try_table entry and exit.
(module
  (tag $e)
  (func $step (param $acc i32) (param $i i32) (result i32)
    (if (i32.eq (local.get $i) (i32.const -1)) (then (throw $e)))
    (i32.add (i32.mul (local.get $acc) (i32.const 31)) (local.get $i)))
  (func (export "plain") (param $n i32) (result i32) (local $i i32) (local $acc i32)
    (loop $next
      (local.set $acc (call $step (local.get $acc) (local.get $i)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $next (i32.lt_u (local.get $i) (local.get $n))))
    (local.get $acc))
  (func (export "try") (param $n i32) (result i32) (local $i i32) (local $acc i32)
    (loop $next
      (block $caught
        (try_table (catch_all $caught)
          (local.set $acc (call $step (local.get $acc) (local.get $i)))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $next (i32.lt_u (local.get $i) (local.get $n))))
    (local.get $acc))
)
