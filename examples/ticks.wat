;; A WASI command for examples/session_embed.cc: prints "tick 0" .. "tick 4",
;; and after "tick 2" asks deja to snapshot it (the "deja" "snapshot" import
;; suspends the guest when the host allows snapshots; it returns 0 once the
;; guest is resumed, 58 when snapshots are off).
(module
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "deja" "snapshot" (func $snapshot (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "tick 0\n")
  (func (export "_start") (local $i i32)
    (loop $next
      (i32.store8 (i32.const 21) (i32.add (i32.const 48) (local.get $i)))
      (i32.store (i32.const 0) (i32.const 16))  ;; iovec: the line
      (i32.store (i32.const 4) (i32.const 7))
      (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
      (if (i32.eq (local.get $i) (i32.const 2))
        (then (drop (call $snapshot))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $next (i32.lt_u (local.get $i) (i32.const 5))))))
