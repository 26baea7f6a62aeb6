;; Continuation tests: 40 steps, each appending "line NN\n" to /data/append.txt
;; (O_APPEND), writing it to /data/positional.txt at the descriptor's offset,
;; printing "step NN\n", then sleeping 25 ms; "done\n" at the end. Output,
;; files and final state depend on nothing but the step count.
(module
  (import "wasi_snapshot_preview1" "path_open"
    (func $open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "poll_oneoff" (func $poll (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  ;; iovec at 0, nwritten at 8, fds at 12 and 16, nevents at 24,
  ;; a clock subscription at 32 (48 bytes), its event at 96
  (data (i32.const 160) "line 00\n")
  (data (i32.const 176) "step 00\n")
  (data (i32.const 200) "append.txt")
  (data (i32.const 220) "positional.txt")
  (data (i32.const 240) "done\n")
  (func $check (param $errno i32)
    (if (local.get $errno) (then unreachable)))
  (func $put (param $fd i32) (param $ptr i32) (param $len i32)
    (i32.store (i32.const 0) (local.get $ptr))
    (i32.store (i32.const 4) (local.get $len))
    (call $check (call $write (local.get $fd) (i32.const 0) (i32.const 1) (i32.const 8))))
  (func $sleep
    (i32.store8 (i32.const 40) (i32.const 0))      ;; tag: clock
    (i32.store (i32.const 48) (i32.const 1))       ;; monotonic
    (i64.store (i32.const 56) (i64.const 25000000)) ;; 25 ms, relative
    (call $check (call $poll (i32.const 32) (i32.const 96) (i32.const 1) (i32.const 24))))
  (func (export "_start")
    (local $i i32)
    ;; O_CREAT|O_TRUNC; rights fd_write, fd_seek, fd_tell
    (call $check (call $open (i32.const 3) (i32.const 0) (i32.const 200) (i32.const 10)
                             (i32.const 9) (i64.const 100) (i64.const 0) (i32.const 1) (i32.const 12)))
    (call $check (call $open (i32.const 3) (i32.const 0) (i32.const 220) (i32.const 14)
                             (i32.const 9) (i64.const 100) (i64.const 0) (i32.const 0) (i32.const 16)))
    (block $out
      (loop $step
        (br_if $out (i32.ge_u (local.get $i) (i32.const 40)))
        (i32.store8 (i32.const 165) (i32.add (i32.const 48) (i32.div_u (local.get $i) (i32.const 10))))
        (i32.store8 (i32.const 166) (i32.add (i32.const 48) (i32.rem_u (local.get $i) (i32.const 10))))
        (i32.store8 (i32.const 181) (i32.add (i32.const 48) (i32.div_u (local.get $i) (i32.const 10))))
        (i32.store8 (i32.const 182) (i32.add (i32.const 48) (i32.rem_u (local.get $i) (i32.const 10))))
        (call $put (i32.load (i32.const 12)) (i32.const 160) (i32.const 8))
        (call $put (i32.load (i32.const 16)) (i32.const 160) (i32.const 8))
        (call $put (i32.const 1) (i32.const 176) (i32.const 8))
        (call $sleep)
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $step)))
    (call $put (i32.const 1) (i32.const 240) (i32.const 5))))
