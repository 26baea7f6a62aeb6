;; Imports a function no runtime provides. _start exits with 40 + what
;; "env" "get_value" returns: 40 when it is stood in for with zeros.
(module
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (import "env" "get_value" (func $get_value (param i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "_start")
    (call $proc_exit (i32.add (i32.const 40) (call $get_value (i32.const 42))))))
