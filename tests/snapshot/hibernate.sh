#!/usr/bin/env bash
# deja hibernate asks a run through its control endpoint and never signals a
# process that is not a deja run accepting hibernation (issue 13, item 5);
# by pid or by run id; a killed run is listed as killed (lease, not pid).
source "$(dirname "$0")/lib.sh"
W=$G/run_spin.wasm

wait_for_line() {  # FILE: until the guest has printed something
  for _ in $(seq 250); do [[ -s $1 ]] && return 0; sleep 0.02; done
  fail "$1 stayed empty"
}

note "any other process is left alone"
sleep 30 &
sleeper=$!
expect_exit 1 s hibernate "$sleeper"
grep -q "is not a deja run that accepts hibernation" s.err || fail "no refusal message for sleep"
grep -q "nothing was sent" s.err || fail "the refusal does not say nothing was sent"
kill -0 "$sleeper" 2>/dev/null || fail "deja hibernate ended a sleep"
kill "$sleeper"

note "a deja run without --snapshot-to is left alone"
"$DEJA" run "$W" >n.out 2>n.err &
plain=$!
wait_for_line n.out
expect_exit 1 n hibernate "$plain"
grep -q "start it with --snapshot-to" n.err || fail "no hint at --snapshot-to"
sleep 0.1
kill -0 "$plain" 2>/dev/null || fail "deja hibernate ended a run without --snapshot-to"
kill "$plain"
wait "$plain" 2>/dev/null || true

note "by run id: the snapshot is written and its path reported"
"$DEJA" run --snapshot-to id.snap "$W" >r.out 2>r.err &
run=$!
wait_for_line r.out
id=$(sed -n 's/^deja run: recording \([0-9a-f]*\)$/\1/p' r.err)
[[ -n $id ]] || fail "no run id on stderr"
[[ -S $DEJA_HOME/control/$run.sock ]] || fail "no control endpoint for pid $run"
expect_exit 0 h hibernate "$id"
grep -q "snapshot written to $WORK/id.snap" h.out || fail "hibernate did not report the snapshot"
code=0
wait "$run" || code=$?
[[ $code == 75 ]] || fail "hibernated run exited $code, expected 75"
[[ -s id.snap ]] || fail "no snapshot file"
[[ ! -e $DEJA_HOME/control/$run.sock ]] || fail "the control endpoint outlived its run"
expect_exit 1 h2 hibernate "$id"
grep -q "is not running" h2.err || fail "a finished run was not refused"

note "by pid, with the old --wait flag"
"$DEJA" run --snapshot-to pid.snap "$W" >p.out 2>p.err &
run=$!
wait_for_line p.out
expect_exit 0 p hibernate --wait "$run"
wait "$run" || true
[[ -s pid.snap ]] || fail "no snapshot file (by pid)"

note "a killed run is listed as killed, a live one as running"
"$DEJA" run --snapshot-to k.snap "$W" >k.out 2>k.err &
victim=$!
wait_for_line k.out
"$DEJA" run "$W" >live.out 2>live.err &
live=$!
wait_for_line live.out
kill -9 "$victim"
wait "$victim" 2>/dev/null || true
expect_exit 0 ls ls
kid=$(sed -n 's/^deja run: recording \([0-9a-f]*\)$/\1/p' k.err)
lid=$(sed -n 's/^deja run: recording \([0-9a-f]*\)$/\1/p' live.err)
grep -q "^$kid .* killed " ls.out || fail "the SIGKILLed run is not listed as killed"
grep -q "^$lid .* running " ls.out || fail "the live run is not listed as running"
expect_exit 1 k hibernate "$kid"
kill "$live"
wait "$live" 2>/dev/null || true
echo "hibernate: ok"
