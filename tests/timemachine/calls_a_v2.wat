;; deja replay --module: a compatible rewrite of calls_a.wat: a loop over the
;; three messages, another helper, a counter; the same six host calls with
;; the same arguments and guest bytes.
(module
  (import "wasi_snapshot_preview1" "clock_time_get" (func $clock (param i32 i64 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (global $said (mut i32) (i32.const 0))
  (data (i32.const 64) "step one\n")
  (data (i32.const 80) "step two\n")
  (data (i32.const 96) "done\n")
  (func $emit (param $ptr i32) (param $len i32)
    (i32.store (i32.const 0) (local.get $ptr))
    (i32.store (i32.const 4) (local.get $len))
    (global.set $said (i32.add (global.get $said) (i32.const 1)))
    (drop (call $write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))))
  (func (export "_start")
    (local $i i32)
    (loop $next
      (drop (call $clock (i32.const 1) (i64.const 1) (i32.const 16)))
      (call $emit (i32.add (i32.const 64) (i32.mul (local.get $i) (i32.const 16)))
                  (select (i32.const 5) (i32.const 9) (i32.eq (local.get $i) (i32.const 2))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $next (i32.lt_u (local.get $i) (i32.const 3)))))
)
