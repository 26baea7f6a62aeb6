;; Upgrade tests: a guest that "sleeps" twice (the "deja" "snapshot" call:
;; with --snapshot-to, the run suspends there), printing a line before each
;; sleep and one at the end.
(module
  (import "wasi_snapshot_preview1" "clock_time_get" (func $clock (param i32 i64 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
  (import "deja" "snapshot" (func $sleep (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 64) "charge 1\n")
  (data (i32.const 80) "charge 2\n")
  (data (i32.const 96) "finished v1\n")
  (func $say (param $ptr i32) (param $len i32)
    (i32.store (i32.const 0) (local.get $ptr))
    (i32.store (i32.const 4) (local.get $len))
    (drop (call $write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))))
  (func (export "_start")
    (drop (call $clock (i32.const 0) (i64.const 1) (i32.const 16)))
    (call $say (i32.const 64) (i32.const 9))
    (drop (call $sleep))
    (drop (call $clock (i32.const 0) (i64.const 1) (i32.const 16)))
    (call $say (i32.const 80) (i32.const 9))
    (drop (call $sleep))
    (call $say (i32.const 96) (i32.const 12))))
