;; A reactor in text: _initialize sets the offset the exports add.
(module
  (global $offset (mut i64) (i64.const 0))
  (func (export "_initialize") (global.set $offset (i64.const 1000)))
  (func (export "offset_add") (param i64 i64) (result i64)
    (i64.add (global.get $offset) (i64.add (local.get 0) (local.get 1))))
  (func (export "pair") (result i32 f64) (i32.const -7) (f64.const 2.5)))
