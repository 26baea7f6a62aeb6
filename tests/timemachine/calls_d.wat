;; Divergence tests: as calls_a, but returns after call 3 (calls 4 and 5 are never made).
(module
  (import "wasi_snapshot_preview1" "clock_time_get" (func $clock (param i32 i64 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "random_get" (func $random (param i32 i32) (result i32)))
  (memory (export "memory") 1)
  ;; iovec at 0 (ptr, len), nwritten at 8, timestamps at 16, texts from 64
  (data (i32.const 64) "step one\n")
  (data (i32.const 80) "step two\n")
  (data (i32.const 96) "done\n")
  (func $say (param $ptr i32) (param $len i32)
    (i32.store (i32.const 0) (local.get $ptr))
    (i32.store (i32.const 4) (local.get $len))
    (drop (call $write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))))
  (func (export "_start")
    (drop (call $clock (i32.const 1) (i64.const 1) (i32.const 16)))
    (call $say (i32.const 64) (i32.const 9))
    (drop (call $clock (i32.const 1) (i64.const 1) (i32.const 16)))
    (call $say (i32.const 80) (i32.const 9))))
