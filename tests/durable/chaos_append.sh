#!/usr/bin/env bash
# What scripts/durable-chaos found first: a worker SIGKILLed a few ms after
# a guest's file append (inside the log writer's 20 ms flush interval) lost
# the append's record, and recovery made the append again. A worker's
# recording now writes such a call out before the guest goes on
# (Recorder::set_flush_effects). Three rounds: each kills the worker 3 ms
# after the append shows in the file; the recovered instance must not
# append again.
source "$(dirname "$0")/lib.sh"
S=$G/durable_sleep.wasm
mkdir -p data
for round in 1 2 3; do
  f=data/f$round
  expect_exit 0 s$round start --dir "$WORK/data::/data" "$S" 1 1 /data/f$round 300000000
  id=$(cat s$round.out)
  start_worker k$round --threads 1
  for ((i = 0; i < 20000; i++)); do
    [[ -s $f ]] && break
    sleep 0.001
  done
  [[ -s $f ]] || fail "round $round: the guest never appended"
  sleep 0.003
  kill -9 "$LAST_WORKER"
  wait "$LAST_WORKER" 2>/dev/null || true
  [[ $(state "$id") == running ]] || fail "round $round: the instance was not running when killed"
  expect_exit 0 r$round worker --until-idle
  grep -q "continued the killed run" r$round.err || fail "round $round: recovery did not continue the log"
  printf 'charge 1\n' >want
  same "$f" want "round $round: the append was made again after the kill"
done
echo "durable chaos_append: ok"
