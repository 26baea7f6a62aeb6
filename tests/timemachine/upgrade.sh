#!/usr/bin/env bash
# deja upgrade: sleeper.wat sleeps twice (suspends at its "deja" "snapshot"
# call); its history is two recorded segments. A compatible new version
# (sleeper_v2) is applied to the sleeping guest: the upgraded snapshot
# finishes on the new code, and its run replays. An incompatible one
# (sleeper_v3: another clock in segment 2) is refused, naming the segment,
# the host call and both backtraces, nothing is written, and the guest
# finishes on its old code.
source "$(dirname "$0")/lib.sh"
W=$HERE

note "the history: two segments, sleeping in s2.snap"
dj seg1 run --snapshot-to s1.snap "$W/sleeper.wat"
expect_code seg1 75
dj seg2 run --snapshot-to s2.snap s1.snap
expect_code seg2 75
[[ $(cat seg1.out seg2.out) == $'charge 1\ncharge 2' ]] || fail_with seg2 "unexpected output"

note "compatible: upgraded, finishes on the new code"
dj up upgrade s2.snap "$W/sleeper_v2.wat" -o s2v2.snap
expect_code up 0
has up err "upgraded: 2 segment(s)"
[[ -f s2v2.snap ]] || fail_with up "no upgraded snapshot"
dj fin2 run s2v2.snap
expect_code fin2 0
[[ $(cat fin2.out) == "finished v2 after 2 charges" ]] || fail_with fin2 "not finished on the new code"
dj fin2rep replay "$(recorded_id fin2)"
expect_code fin2rep 0

note "incompatible: refused with the report, finishes on the old code"
dj bad upgrade s2.snap "$W/sleeper_v3.wat" -o s2v3.snap
refused bad 65 "not upgraded: segment 2 of 2 (run $(recorded_id seg2))"
has bad err "at host call 2 of the history"
has bad err "diverged at host call 0: argument 1 differs (recorded 0, now 1)"
has bad err "recorded: clock_time_get(id=REALTIME"
has bad err "replayed: clock_time_get(id=MONOTONIC"
has bad err "    at func[4]"    # the recorded module's _start
has bad err "  at second"       # the new module's helper
has bad err "the guest stays on its module"
[[ ! -e s2v3.snap ]] || fail "an upgraded snapshot was written after a divergence"
dj fin1 run s2.snap
expect_code fin1 0
[[ $(cat fin1.out) == "finished v1" ]] || fail_with fin1 "not finished on the old code"

note "refusals"
dj nosnap upgrade missing.snap "$W/sleeper_v2.wat" -o x.snap
refused nosnap 3 "missing.snap"
dj norec run --no-record --snapshot-to n1.snap "$W/sleeper.wat"
expect_code norec 75
dj unrec upgrade n1.snap "$W/sleeper_v2.wat" -o x.snap
refused unrec 2 "not taken from a recorded run"
echo "PASS [$TEST_NAME]"
