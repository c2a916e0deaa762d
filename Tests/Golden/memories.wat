;; golden variants: bounds-explicit
;; Multi-memory and memory64: memory 0 (32-bit, guard pages unless explicit), memory 1 (64-bit:
;; every access checked by wa_address64, its size kept in sz1 and read again after calls and
;; grows), a copy between them, a call that may grow either.
(module
  (memory $small 1)
  (memory $big i64 1 10)
  (func $other)
  (func $move (export "move") (param $from i32) (param $to i64) (result i64)
    (i64.store16 $big offset=8 (local.get $to) (i64.load8_u $small (local.get $from)))
    (call $other)
    (i64.load $big (local.get $to)))
  (func $copy (export "copy") (param $to i64) (param $from i32) (param $n i32)
    (memory.copy $big $small (local.get $to) (local.get $from) (local.get $n)))
  (func $grow (export "grow") (param $pages i64) (result i64)
    (drop (memory.grow $big (local.get $pages)))
    (memory.size $big))
)
