;; Imports a memory: no stand-in can be made for it.
(module
  (import "env" "memory" (memory 1))
  (func (export "_start")))
