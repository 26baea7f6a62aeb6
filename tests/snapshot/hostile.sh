#!/usr/bin/env bash
# Damaged snapshots fail with a clear message and exit 1, never a crash.
source "$(dirname "$0")/lib.sh"
W=$G/snap_cli_loop.wasm
expect_exit 75 a run --no-record --snapshot-to a.snap --suspend-after-fuel 3000000 "$W" 4
size=$(stat -c %s a.snap)

note "truncated"
head -c $((size / 2)) a.snap >t.snap
expect_exit 1 t resume --no-record t.snap
grep -q "snapshot is truncated at byte" t.err || fail "no truncation message"

note "a flipped byte in the engine state"
cp a.snap f.snap
printf '\xff' | dd of=f.snap bs=1 seek=$((size - 10)) conv=notrunc status=none
expect_exit 1 f resume --no-record f.snap
grep -q "CRC mismatch" f.err || fail "no CRC message"

note "an incompatible state format"
cp a.snap v.snap
printf '\x63' | dd of=v.snap bs=1 seek=12 conv=notrunc status=none
expect_exit 1 v resume --no-record v.snap
grep -q "incompatible deja" v.err || fail "no incompatibility message"

note "not a snapshot, missing"
echo hello >n.snap
expect_exit 1 n resume --no-record n.snap
grep -q "not a deja snapshot" n.err || fail "no magic message"
expect_exit 3 m resume --no-record missing.snap
