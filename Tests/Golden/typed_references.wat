;; Typed function references inside a body: a non-nullable local, call_ref (a null check, no
;; signature check), ref.as_non_null, br_on_null and br_on_non_null.
(module
  (type $ii (func (param i32) (result i32)))
  (func $inc (type $ii) (i32.add (local.get 0) (i32.const 1)))
  (elem declare func $inc)
  (func (export "apply") (param $x i32) (result i32) (local $f (ref $ii)) (local $g (ref null $ii))
    (local.set $f (ref.func $inc))
    (block $null (result i32)
      (call_ref $ii (local.get $x) (local.get $f))
      (br_on_null $null (local.get $g))
      (call_ref $ii)
      (call_ref $ii
        (block $some (result (ref $ii))
          (br_on_non_null $some (local.get $g))
          (ref.as_non_null (local.get $g))))))
)
