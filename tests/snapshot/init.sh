#!/usr/bin/env bash
# deja snapshot --init: the pre-initialised module prints what a plain run
# prints, and starts faster.
source "$(dirname "$0")/lib.sh"
W=$G/snap_init.wasm
expect_exit 0 full run --no-record "$W"
expect_exit 0 s snapshot --init "$W" -o init.snap
expect_exit 0 r resume --no-record init.snap
same full.out r.out "the pre-initialised start differs"
t0=$(date +%s%N); "$DEJA" run --no-record "$W" >/dev/null; t1=$(date +%s%N)
"$DEJA" resume --no-record init.snap >/dev/null; t2=$(date +%s%N)
note "start-up: plain $(((t1 - t0) / 1000000)) ms, pre-initialised $(((t2 - t1) / 1000000)) ms"
(((t2 - t1) < (t1 - t0))) || fail "the pre-initialised start is not faster"
