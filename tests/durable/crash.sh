#!/usr/bin/env bash
# SIGKILL of the worker while an instance sleeps (parked) and while it runs;
# a restarted worker finishes each with output identical to an
# uninterrupted run. A parked instance loses nothing and repeats nothing
# (its file appends are each done once); a running one continues from its
# last snapshot with its killed segment's log replayed first, so its append
# is not done again (docs/DURABLE.md, crash matrix).
source "$(dirname "$0")/lib.sh"
S=$G/durable_sleep.wasm
mkdir -p data
printf 'charge 1\ncharge 2\ncharge 3\npaid\n' >expected.out

note "uninterrupted reference"
expect_exit 0 ref start "$S" 3 2 "" 20000000
ref=$(cat ref.out)
expect_exit 0 wref worker --until-idle
expect_exit 0 lref logs "$ref" --stdout
same lref.out expected.out "the uninterrupted run's output is wrong"

note "kill -9 while the instance sleeps"
expect_exit 0 s1 start --dir "$WORK/data::/data" "$S" 3 2 /data/sleep 20000000
id1=$(cat s1.out)
start_worker k1 --threads 2
wait_state "$id1" sleeping
kill -9 "$LAST_WORKER"
wait "$LAST_WORKER" 2>/dev/null || true
[[ $(state "$id1") == sleeping ]] || fail "a killed worker's parked instance is not still sleeping"
expect_exit 0 r1 worker --until-idle
expect_exit 0 l1 logs "$id1" --stdout
same l1.out lref.out "output after a kill during sleep differs from the uninterrupted run"
printf 'charge 1\ncharge 2\ncharge 3\n' >expected.txt
same data/sleep expected.txt "a kill during sleep repeated or lost a file append"

note "kill -9 while the instance runs, after a charge's file append"
expect_exit 0 s2 start --dir "$WORK/data::/data" "$S" 3 2 /data/run 2000000000
id2=$(cat s2.out)
start_worker k2 --threads 2
for ((i = 0; i < 1200; i++)); do
  [[ -f data/run ]] && grep -q "charge 1" data/run && break
  sleep 0.05
done
grep -q "charge 1" data/run || fail "the guest never made its first charge"
sleep 0.1  # past the log's 20 ms flush: the append is recorded (the work after it lasts ~1.5 s)
[[ $(state "$id2") == running ]] || fail "the instance was not running when its worker was killed"
kill -9 "$LAST_WORKER"
wait "$LAST_WORKER" 2>/dev/null || true
expect_exit 0 r2 worker --until-idle
grep -q "its worker died" r2.err || fail "the restarted worker did not recover the instance"
grep -q "continued the killed run" r2.err || fail "recovery did not continue the killed run's log"
expect_exit 0 w2 wait "$id2"
expect_exit 0 l2 logs "$id2" --stdout
same l2.out lref.out "output after a kill while running differs from the uninterrupted run"
same data/run expected.txt "a kill while running repeated or lost a file append"
echo "durable crash: ok"
