;; Replication: a large state from few inputs. Reads an 8-byte seed
;; (random_get) and the monotonic clock, grows memory by 1024 pages and fills
;; those 64 MiB with an xorshift64 stream from the seed, then prints one line.
;; Three host calls; the final state depends on the seed.
(module
  (import "wasi_snapshot_preview1" "random_get" (func $random (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "clock_time_get" (func $clock (param i32 i64 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 64) "filled 64 MiB\n")
  (func (export "_start")
    (local $x i64) (local $at i32) (local $end i32)
    (drop (call $random (i32.const 16) (i32.const 8)))
    (drop (call $clock (i32.const 1) (i64.const 1) (i32.const 24)))
    (local.set $x (i64.or (i64.load (i32.const 16)) (i64.const 1)))
    (if (i32.lt_s (memory.grow (i32.const 1024)) (i32.const 0)) (then unreachable))
    (local.set $at (i32.const 65536))
    (local.set $end (i32.const 67174400))  ;; 65536 + 64 MiB
    (loop $fill
      (local.set $x (i64.xor (local.get $x) (i64.shl (local.get $x) (i64.const 13))))
      (local.set $x (i64.xor (local.get $x) (i64.shr_u (local.get $x) (i64.const 7))))
      (local.set $x (i64.xor (local.get $x) (i64.shl (local.get $x) (i64.const 17))))
      (i64.store (local.get $at) (local.get $x))
      (local.set $at (i32.add (local.get $at) (i32.const 8)))
      (br_if $fill (i32.lt_u (local.get $at) (local.get $end))))
    (i32.store (i32.const 0) (i32.const 64))
    (i32.store (i32.const 4) (i32.const 14))
    (drop (call $write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))
