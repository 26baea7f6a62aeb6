;; Well-formed but invalid: i32.add needs two operands.
(module
  (func (export "_start") (drop (i32.add (i32.const 1)))))
