#!/usr/bin/env bash
# Two workers (processes) on one DEJA_HOME never run an instance twice: 8
# instances each append one line per charge to their own file; afterwards
# each file holds each charge exactly once and both workers took part.
source "$(dirname "$0")/lib.sh"
S=$G/durable_sleep.wasm
mkdir -p data
ids=()
for n in 1 2 3 4 5 6 7 8; do
  expect_exit 0 start$n start --dir "$WORK/data::/data" "$S" 3 1 "/data/f$n"
  ids+=("$(cat start$n.out)")
done
# Threshold 500ms: the 1 s sleeps park, so instances move between workers.
start_worker wa --threads 3 --sleep-threshold 500ms --until-idle
pa=$LAST_WORKER
start_worker wb --threads 3 --sleep-threshold 500ms --until-idle
pb=$LAST_WORKER
wait "$pa" || fail "worker a failed"
wait "$pb" || fail "worker b failed"
printf 'charge 1\ncharge 2\ncharge 3\n' >expected.txt
for n in 1 2 3 4 5 6 7 8; do
  same "data/f$n" expected.txt "instance $n's appends are not each charge exactly once"
  expect_exit 0 wait$n wait "${ids[$((n - 1))]}"
done
ran_a=$(grep -c "segment\|done" wa.err || true)
ran_b=$(grep -c "segment\|done" wb.err || true)
((ran_a > 0 && ran_b > 0)) || fail "one worker ran nothing (a: $ran_a, b: $ran_b)"
echo "durable two_workers: ok ($ran_a and $ran_b segment ends)"
