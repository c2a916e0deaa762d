;; The module of the call benchmark (Benchmarks/calls): an export to call from the host, a
;; loop that calls a host import, and a stack-like bump allocator with an `echo` that copies
;; its input into a new block, for the data-passing round trip.
(module
  (import "host" "add" (func $host_add (param i32 i32) (result i32)))
  (memory (export "memory") 2)
  (global $heap (mut i32) (i32.const 65536))

  (func (export "add") (param i32 i32) (result i32)
    (i32.add (local.get 0) (local.get 1)))

  ;; Calls the host n times; returns the sum it built.
  (func (export "call_host") (param $n i32) (result i32)
    (local $sum i32)
    (block $done
      (loop $next
        (br_if $done (i32.eqz (local.get $n)))
        (local.set $sum (call $host_add (local.get $sum) (local.get $n)))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $next)))
    (local.get $sum))

  ;; Blocks are freed in reverse order of allocation (as the host does): free pops.
  (func $malloc (export "malloc") (param $size i32) (result i32)
    (local $block i32)
    (local.set $block (global.get $heap))
    (global.set $heap (i32.and (i32.add (i32.add (local.get $block) (local.get $size)) (i32.const 7)) (i32.const -8)))
    (if (i32.gt_u (global.get $heap) (i32.mul (memory.size) (i32.const 65536)))
      (then (global.set $heap (local.get $block)) (return (i32.const 0))))
    (local.get $block))
  (func (export "free") (param $block i32)
    (if (i32.lt_u (local.get $block) (global.get $heap)) (then (global.set $heap (local.get $block)))))

  ;; A copy of the input, in a block the caller frees.
  (func (export "echo") (param $data i32) (param $length i32) (result i32 i32)
    (local $copy i32)
    (local.set $copy (call $malloc (local.get $length)))
    (memory.copy (local.get $copy) (local.get $data) (local.get $length))
    (local.get $copy) (local.get $length)))
