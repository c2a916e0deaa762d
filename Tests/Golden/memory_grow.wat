;; golden variants: bounds-explicit
;; memory.size and memory.grow, and a load after a grow.
(module
  (memory (export "memory") 1 4)
  (func $size (export "size") (result i32) (memory.size))
  (func $grow (export "grow") (param $pages i32) (result i32) (memory.grow (local.get $pages)))
  (func $grow_and_touch (export "grow_and_touch") (result i32)
    (if (i32.eq (memory.grow (i32.const 1)) (i32.const -1))
      (then (return (i32.const -1))))
    (i32.store (i32.sub (i32.mul (memory.size) (i32.const 65536)) (i32.const 4)) (i32.const 42))
    (i32.load (i32.sub (i32.mul (memory.size) (i32.const 65536)) (i32.const 4))))
)
