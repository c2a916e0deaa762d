;; golden variants: bounds-explicit
;; Loads and stores of every width, with offsets and alignment hints.
(module
  (memory 1)
  (func $loads (export "loads") (param $p i32) (result i64)
    (i64.add
      (i64.add (i64.load offset=8 (local.get $p))
               (i64.extend_i32_s (i32.load8_s offset=1 (local.get $p))))
      (i64.add (i64.load16_u offset=2 align=1 (local.get $p))
               (i64.load32_s offset=65536 (local.get $p)))))
  (func $stores (export "stores") (param $p i32) (param $v i64)
    (i64.store (local.get $p) (local.get $v))
    (i64.store32 offset=8 (local.get $p) (local.get $v))
    (i32.store16 offset=12 (local.get $p) (i32.wrap_i64 (local.get $v)))
    (i32.store8 offset=14 (local.get $p) (i32.const 255)))
  (func $floats (export "floats") (param $p i32) (result f64)
    (f32.store offset=4 (local.get $p) (f32.const 1.5))
    (f64.add (f64.load offset=16 (local.get $p))
             (f64.promote_f32 (f32.load offset=4 (local.get $p)))))
  (func $copy_word (export "copy_word") (param $dst i32) (param $src i32)
    (i32.store (local.get $dst) (i32.load (local.get $src))))
)
