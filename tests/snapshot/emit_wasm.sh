#!/usr/bin/env bash
# deja snapshot --init --emit-wasm: the plain module with the initialised
# state baked in prints what the original prints, under deja and under
# Node's WASI, without redoing the initialisation.
source "$(dirname "$0")/lib.sh"
W=$G/reactor_snap_init.wasm
expect_exit 0 full run --no-record --invoke report "$W"
grep -q "^builds=1 " full.out || fail "unexpected output: $(cat full.out)"
expect_exit 0 s snapshot --init "$W" -o init.snap --emit-wasm init.wasm
grep -q "initialised module written to init.wasm" s.err || fail "no message: $(cat s.err)"
expect_exit 0 v validate init.wasm

note "deja: the snapshot and the baked module print what the original prints"
expect_exit 0 a run --no-record --invoke report init.snap
same full.out a.out "deja run --invoke of the snapshot differs"
expect_exit 0 b run --no-record --invoke report init.wasm
same full.out b.out "the baked module differs (did _initialize run again?)"

if command -v node >/dev/null; then
  note "node:wasi runs the baked module too"
  node "$(dirname "$0")/node_reactor.mjs" init.wasm report >n.out 2>n.err || fail "node failed: $(cat n.err)"
  same full.out n.out "node's run of the baked module differs"
fi

t0=$(date +%s%N); "$DEJA" run --no-record --invoke report "$W" >/dev/null; t1=$(date +%s%N)
"$DEJA" run --no-record --invoke report init.wasm >/dev/null; t2=$(date +%s%N)
note "start-up: plain $(((t1 - t0) / 1000000)) ms, baked .wasm $(((t2 - t1) / 1000000)) ms"
(((t2 - t1) < (t1 - t0))) || fail "the baked module does not start faster"

note "a command suspended inside _start cannot be baked"
expect_exit 2 c snapshot --init "$G/snap_init.wasm" -o c.snap --emit-wasm c.wasm
grep -q -- "--emit-wasm needs an initialisation that returns" c.err || fail "no message: $(cat c.err)"
[[ ! -e c.wasm ]] || fail "c.wasm was written"
