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

note "deja run accepts the snapshot in place of the module"
expect_exit 0 r2 run --no-record init.snap
same full.out r2.out "deja run SNAPSHOT differs from deja run MODULE"
cp init.snap init-named-like-a.wasm  # told by its magic, not its name
expect_exit 0 r3 run --no-record init-named-like-a.wasm
same full.out r3.out "a snapshot named .wasm is not taken for one"

note "flags a snapshot fixes are usage errors"
expect_exit 2 u1 run --no-record init.snap more args
grep -q "argv comes from the snapshot" u1.err || fail "no message for arguments: $(cat u1.err)"
expect_exit 2 u2 run --no-record --invoke main init.snap
grep -q "suspended inside a call" u2.err || fail "no message for --invoke: $(cat u2.err)"
expect_exit 2 u3 run --no-record --max-fds 8 init.snap
grep -q -- "--max-fds does not apply to a snapshot" u3.err || fail "no message for --max-fds"

note "deja describe of a run started from a snapshot names it; gc keeps it"
expect_exit 0 rec run init.snap
same full.out rec.out "the recorded run from a snapshot differs"
id=$(sed -n 's/^deja run: recording \([0-9a-f]*\)$/\1/p' rec.err)
[[ -n $id ]] || fail "no run id"
hash=sha256:$(sha256sum init.snap | cut -d' ' -f1)
expect_exit 0 d describe "$id"
grep -q "^resumed from   snapshot $hash\$" d.out || fail "describe does not name the snapshot"
expect_exit 0 ls ls
grep -q "^$id .*\[resumed\] " ls.out || fail "deja ls does not mark the resumed run: $(cat ls.out)"
expect_exit 0 g gc
grep -q " 0 unused snapshots" g.out || fail "gc removed the snapshot of a kept run: $(cat g.out)"
[[ -f $DEJA_HOME/snapshots/${hash#sha256:} ]] || fail "the stored snapshot is gone"
expect_exit 0 rp replay "$id"
same full.out rp.out "replay of the run from a snapshot differs"
