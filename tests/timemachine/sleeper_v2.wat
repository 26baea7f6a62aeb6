;; Upgrade tests: a compatible new version of sleeper.wat: restructured (a
;; counter, another helper), the same host calls up to each sleep, and a new
;; last line, which only the code after the park point prints.
(module
  (import "wasi_snapshot_preview1" "clock_time_get" (func $clock (param i32 i64 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
  (import "deja" "snapshot" (func $sleep (result i32)))
  (memory (export "memory") 1)
  (global $charges (mut i32) (i32.const 0))
  (data (i32.const 64) "charge 1\n")
  (data (i32.const 80) "charge 2\n")
  (data (i32.const 112) "finished v2 after 2 charges\n")
  (func $charge
    (drop (call $clock (i32.const 0) (i64.const 1) (i32.const 16)))
    (i32.store (i32.const 0) (i32.add (i32.const 64) (i32.mul (global.get $charges) (i32.const 16))))
    (i32.store (i32.const 4) (i32.const 9))
    (drop (call $write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
    (global.set $charges (i32.add (global.get $charges) (i32.const 1)))
    (drop (call $sleep)))
  (func (export "_start")
    (call $charge)
    (call $charge)
    (i32.store (i32.const 0) (i32.const 112))
    (i32.store (i32.const 4) (i32.const 28))
    (drop (call $write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))
