#!/usr/bin/env bash
# Suspended runs in the registry and under replay (issue 13, items 2 and 7):
# a run suspended by --suspend-after-fuel, by the guest's own request or by
# deja hibernate is listed as "suspended" and replays to the same point
# (exit 75, matching); --snapshot-to into a missing directory is refused
# before anything is recorded; run and resume mark failed starts the same.
source "$(dirname "$0")/lib.sh"
W="$G/snap_cli_loop.wasm"

status_of() { "$DEJA" describe "$1" 2>/dev/null | awk '$1 == "status" { $1 = ""; print substr($0, 2) }'; }
rows() { "$DEJA" ls --json 2>/dev/null | grep -o '"id"' | wc -l; }

note "--suspend-after-fuel: listed as suspended, replays to the same point"
expect_exit 75 a run --snapshot-to a.snap --suspend-after-fuel 2000000 "$W" 8
[[ $(status_of last) == suspended ]] || fail "describe says '$(status_of last)', expected suspended"
"$DEJA" ls >ls.out 2>&1
grep -q "suspended" ls.out || fail "ls does not say suspended"
grep -q "timed out" ls.out && fail "ls calls a suspended run timed out"
expect_exit 75 ar replay --verbose last
grep -q "where the recorded run was suspended" ar.err || fail "replay does not report the suspension"
grep -q "match the recording" ar.err || fail "the replay of a suspended run does not match"
grep -q -- "--timeout )" ar.err && fail "a message names an empty --timeout"

note "the guest's own snapshot request replays"
expect_exit 75 r run --snapshot-to r.snap "$W" 8 request
expect_exit 75 rr replay --verbose last
grep -q "match the recording" rr.err || fail "the replay of a guest-requested suspension does not match"

note "deja hibernate: replays to the same point"
"$DEJA" run --snapshot-to h.snap "$W" 100000 >h.out 2>h.err &
pid=$!
for _ in $(seq 200); do [[ -s h.out ]] && break; sleep 0.02; done
expect_exit 0 hb hibernate --wait "$pid"
code=0
wait "$pid" || code=$?
[[ $code == 75 ]] || fail "hibernated run exited $code, expected 75"
[[ $(status_of last) == suspended ]] || fail "a hibernated run is listed as '$(status_of last)'"
expect_exit 75 hr replay --verbose last
grep -q "match the recording" hr.err || fail "the replay of a hibernated run does not match"

note "a resumed run suspended again replays too"
expect_exit 75 c resume a.snap --snapshot-to c.snap --suspend-after-fuel 2000000
expect_exit 75 cr replay --verbose last
grep -q "match the recording" cr.err || fail "the replay of a resumed, re-suspended run does not match"

note "--snapshot-to into a missing directory: refused before recording"
before=$(rows)
expect_exit 3 m run --snapshot-to "$WORK/missing/m.snap" "$W" 8
grep -q "deja run: --snapshot-to $WORK/missing/m.snap: directory $WORK/missing" m.err ||
  fail "no message naming the missing directory"
[[ -s m.out ]] && fail "the guest ran although its snapshot target is missing"
expect_exit 3 m2 resume a.snap --snapshot-to "$WORK/missing/m.snap"
grep -q "deja resume: --snapshot-to" m2.err || fail "resume: no message for the missing directory"
[[ $(rows) == "$before" ]] || fail "a refused --snapshot-to left a row in the registry"

note "run and resume refuse a missing --dir alike, before recording"
expect_exit 3 d run --dir "$WORK/nonexistent" "$W" 8
expect_exit 3 d2 resume --dir "$WORK/nonexistent" a.snap
grep -q "deja run: cannot set up WASI:.*nonexistent" d.err || fail "run: no message for --dir"
grep -q "deja resume: cannot set up WASI:.*nonexistent" d2.err || fail "resume: no message for --dir"
[[ $(rows) == "$before" ]] || fail "a missing --dir left a row in the registry"

note "a start that fails once recorded is 'failed' for run and resume alike"
mkdir -p d1
echo data >d1/f.txt
expect_exit 75 f run --dir d1::/data --snapshot-to f.snap "$W" 8 request /data/f.txt
expect_exit 1 f2 resume f.snap
[[ $(status_of last) == failed ]] || fail "resume's failed start is listed as '$(status_of last)'"
printf '(module (import "env" "nope" (func)) (func (export "_start")))' >bad.wat
expect_exit 1 b run bad.wat
[[ $(status_of last) == failed ]] || fail "run's failed start is listed as '$(status_of last)'"
echo "PASS [$TEST_NAME]"
