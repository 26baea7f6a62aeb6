;; _start reaches unreachable two calls deep, in named functions.
(module
  (func $inner unreachable)
  (func $outer (call $inner))
  (func (export "_start") (call $outer)))
