;; Tail calls: each function making one gets a tail entry (`wN_tail`, its parameters in
;; ctx->tail_args) and an ordinary entry that calls it; tail calls between them are musttail
;; jumps, with the same signature ($count → $count) or another ($count → $step), directly,
;; to an import or through a table (by the funcref's tail entry when it has one); a tail call
;; to a function without tail calls ($plain) is an ordinary call.
;; golden variants: interruptible
(module
  (type $step (func (param i32 i64 f64) (result i64)))
  (import "env" "host" (func $host (param i64) (result i64)))
  (table 2 funcref)
  (elem (i32.const 0) $step)
  (func $count (export "count") (param $n i64) (result i64)
    (if (i64.eqz (local.get $n)) (then (return_call $host (i64.const 0))))
    (if (i64.eq (local.get $n) (i64.const 1)) (then (return_call $plain (i32.const 1))))
    (return_call $count (i64.sub (local.get $n) (i64.const 1))))
  (func $step (param $k i32) (param $n i64) (param $x f64) (result i64)
    (return_call $count (local.get $n)))
  (func $plain (param i32) (result i64) (i64.extend_i32_u (local.get 0)))
  (func (export "to_step") (param $n i64) (result i64)
    (return_call $step (i32.const 3) (local.get $n) (f64.const 0.5)))
  (func (export "through_table") (param $n i64) (param $i i32) (result i64)
    (return_call_indirect (type $step) (i32.const 3) (local.get $n) (f64.const 0.5) (local.get $i)))
  (func $none (export "none") (param i32))
  (func (export "to_none") (return_call $none (i32.const 7)))
)
