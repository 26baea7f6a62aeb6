#!/usr/bin/env bash
# deja start + worker + wait; deja ps states; logs, trace and replay of an
# instance id; cancel of a parked and of a running instance; refusals.
source "$(dirname "$0")/lib.sh"
S=$G/durable_sleep.wasm
printf 'charge 1\ncharge 2\ncharge 3\npaid\n' >expected.out

note "start prints the id alone and returns at once; ps says pending"
expect_exit 0 start start "$S" 3 2
id=$(cat start.out)
[[ $id =~ ^i-[0-9a-f]{12}$ ]] || fail "start printed '$id', not an instance id"
[[ $(wc -l <start.out) == 1 ]] || fail "start printed more than the id"
[[ $(state "$id") == pending ]] || fail "a new instance is not pending"

note "a worker runs it; ps shows it sleeping (parked) with a wake time"
start_worker w1 --threads 2
wait_state "$id" sleeping
"$DEJA" ps | awk -v id="$id" '$1 == id && $3 ~ /^20[0-9][0-9]-/ { ok = 1 } END { exit !ok }' ||
  fail "ps shows no wake time for a sleeping instance"
expect_exit 0 wait wait "$id" --timeout 60s
wait_state "$id" 'done\(0\)'
"$DEJA" ps | awk -v id="$id" '$1 == id && $5 == 3 { ok = 1 } END { exit !ok }' ||
  fail "ps does not count 3 segments"

note "logs across segments; replay and trace of every segment"
expect_exit 0 logs logs "$id" --stdout
same logs.out expected.out "deja logs ID differs from the guest's whole output"
expect_exit 0 replay replay "$id"
grep -q "where the recorded run was suspended" replay.err || fail "replay did not stop at the parks"
expect_exit 0 trace trace "$id"
[[ $(grep -c '^# segment run' trace.out) == 3 ]] || fail "trace does not list 3 segments"
[[ $(grep -c 'poll_oneoff' trace.out) == 2 ]] || fail "trace does not show the two parked sleeps"

note "cancel a sleeping instance: at once, wait exits 130"
expect_exit 0 start2 start "$S" 2 600
id2=$(cat start2.out)
wait_state "$id2" sleeping
expect_exit 0 cancel cancel "$id2"
wait_state "$id2" 'cancelled\(130\)'
expect_exit 130 wait2 wait "$id2"
expect_exit 1 cancel_again cancel "$id2"
grep -q "already ended" cancel_again.err || fail "a second cancel does not say it had ended"

note "cancel a running instance (a busy guest): its worker stops it"
expect_exit 0 start3 start "$S" 2 1 "" 4000000000
id3=$(cat start3.out)
wait_state "$id3" running
expect_exit 0 cancel3 cancel "$id3"
expect_exit 130 wait3 wait "$id3" --timeout 30s

note "refusals: unknown and ambiguous ids, a missing module, a snapshot, --fuel"
expect_exit 3 unknown wait i-000000000000
grep -q "no durable instance i-000000000000" unknown.err || fail "no message for an unknown id"
expect_exit 2 ambiguous ps --bogus
expect_exit 3 missing start "$WORK/nope.wasm"
grep -q "nope.wasm" missing.err || fail "start does not name the missing module"
expect_exit 2 fuel start --fuel 10 "$S"
grep -q -- "--fuel" fuel.err || fail "start --fuel is not refused by name"
kill -TERM "$LAST_WORKER"
wait "$LAST_WORKER" || fail "worker did not exit 0 on SIGTERM"
grep -q "drained" w1.err || fail "worker did not say it drained"
echo "durable basic: ok"
