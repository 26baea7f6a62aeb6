#!/usr/bin/env bash
# Fuel and time limits of a resumed run: a snapshot carries none, so
# `deja resume` / `deja run SNAPSHOT` take --fuel (counted from the resume)
# and --timeout; the limited run is recorded and replays to the same stop.
source "$(dirname "$0")/lib.sh"
W=$G/snap_cli_loop.wasm

expect_exit 75 a run --snapshot-to a.snap --suspend-after-fuel 2000000 "$W" 8
expect_exit 0 full resume --no-record a.snap

note "--fuel counts from the resume"
expect_exit 124 f resume a.snap --fuel 3000000
grep -q "fuel limit (--fuel 3000000) reached" f.err || fail "no fuel-limit message"
[[ -s f.out ]] || fail "the resumed guest ran no round before its fuel ran out"
cmp -s f.out full.out && fail "the fuel limit did not stop the resumed guest"
head -c "$(wc -c <f.out)" full.out | cmp -s - f.out || fail "output before the fuel limit differs"
expect_exit 124 fr replay --verbose last
grep -q "match the recording" fr.err || fail "the replay of a fuel-limited resumed run does not match"
expect_exit 124 frun run --fuel 3000000 --no-record a.snap
same f.out frun.out "deja run SNAPSHOT --fuel differs from deja resume --fuel"

note "--timeout stops a resumed guest and replays to the same point"
expect_exit 75 l run --snapshot-to l.snap --suspend-after-fuel 2000000 "$W" 100000
expect_exit 124 t resume l.snap --timeout 300ms
grep -q "time limit (--timeout 300ms) reached" t.err || fail "no time-limit message"
expect_exit 124 tr replay --verbose last
grep -q "match the recording" tr.err || fail "the replay of a timed-out resumed run does not match"
expect_exit 124 trun run --timeout 200ms --no-record l.snap

note "usage errors"
expect_exit 2 u1 resume a.snap --fuel 10 --snapshot-to b.snap --suspend-after-fuel 10
grep -q "exclude each other" u1.err || fail "no message for --fuel with --suspend-after-fuel"
expect_exit 2 u2 resume a.snap --timeout soon
grep -q -- "--timeout" u2.err || fail "no message naming --timeout"
echo "limits: ok"
