#!/usr/bin/env bash
# Durable sleep with no code change, under the test clock
# (DEJA_TEST_CLOCK=warp): a guest that calls sleep() for 30 days three times
# finishes in seconds with the right output; the guest checks itself that
# its monotonic clock advanced at least 30 days over each sleep.
source "$(dirname "$0")/lib.sh"
S=$G/durable_sleep.wasm
MONTH=2592000
export DEJA_TEST_CLOCK=warp
printf 'charge 1\ncharge 2\ncharge 3\ncharge 4\npaid\n' >expected.out
expect_exit 0 start start "$S" 4 "$MONTH"
id=$(cat start.out)
start=$(date +%s)
expect_exit 0 worker worker --until-idle --threads 2
elapsed=$(($(date +%s) - start))
((elapsed < 60)) || fail "three month-long sleeps took $elapsed s of real time"
[[ $(grep -c "parked until" worker.err) == 3 ]] || fail "the worker did not park three sleeps"
expect_exit 0 wait wait "$id"
expect_exit 0 logs logs "$id" --stdout
same logs.out expected.out "the output of a guest that slept three months differs"
"$DEJA" ps | awk -v id="$id" '$1 == id && $2 == "done(0)" && $5 == 4 { ok = 1 } END { exit !ok }' ||
  fail "ps does not show the instance done after 4 segments"
echo "durable month: ok"
