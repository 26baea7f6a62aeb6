#!/usr/bin/env bash
# Record, then replay: the replay prints the recorded run's stdout byte for
# byte, the same guest stderr, and exits the same way, without real I/O and
# without waiting (a run that slept 1.5 s replays in well under a second).
source "$(dirname "$0")/lib.sh"

# --- tm_mixed: clocks, randomness, files, a directory, stdin, env, sleeps.
head -c 100000 /dev/urandom >"$WORK/stdin.bin"
echo "a file the guest lists" >"$WORK/data/listed.txt"
note "tm_mixed: record"
DJ_STDIN="$WORK/stdin.bin" dj mixed run --dir "$WORK/data::/data" --env TM_MODE=roundtrip \
  "$G/tm_mixed.wasm" /data 5 1500
expect_code mixed 5
id=$(recorded_id mixed)
has mixed out "stdin: 100000 bytes"
has mixed out "TM_MODE=roundtrip"
has mixed out "digest "
has mixed err "tm_mixed: exiting with 5"
run_secs=$secs
awk -v s="$run_secs" 'BEGIN { exit !(s >= 1.5) }' || fail "the recorded run took $run_secs s, expected >= 1.5 s"

# A second run differs (clocks and randomness), so the replay below is not
# matching by luck.
DJ_STDIN="$WORK/stdin.bin" dj mixed2 run --dir "$WORK/data::/data" --env TM_MODE=roundtrip \
  "$G/tm_mixed.wasm" /data 5 30
expect_code mixed2 5
id2=$(recorded_id mixed2)
[[ $id2 != "$id" ]] || fail "two runs got the same id $id"
! cmp -s mixed.out mixed2.out || fail "two runs of tm_mixed printed the same bytes"

note "tm_mixed: replay $id (no stdin, files removed: nothing real is read)"
rm -f "$WORK/data/tm_note.txt" "$WORK/data/listed.txt"
code=5
replay_matches mixed mixed.replay "$id"
replay_secs=$secs
# The recorded run slept 1.5 s; the replay must have skipped at least 1 s of
# it. Relative to the recorded run, not an absolute bound: under ASan on a
# busy machine the guest's own work alone can take over a second.
awk -v s="$replay_secs" -v r="$run_secs" 'BEGIN { exit !(s < r - 1.0) }' ||
  fail "replay took $replay_secs s (the recorded run $run_secs s): sleeps were not skipped"
[[ ! -e $WORK/data/tm_note.txt ]] || fail "replay wrote $WORK/data/tm_note.txt (real I/O)"
note "recorded run $run_secs s, replay $replay_secs s"

# `last` is the newest run; a prefix of 6 characters names a run too.
code=5
replay_matches mixed2 mixed2.last last
code=5
replay_matches mixed mixed.prefix "${id:0:6}"

# --- Existing guests.
rt() {  # rt NAME EXIT DEJA-RUN-ARGS...: record, check the status, replay, compare.
  local name=$1 want=$2
  shift 2
  note "$name: record and replay"
  dj "$name" run "$@"
  expect_code "$name" "$want"
  local rid
  rid=$(recorded_id "$name")
  replay_matches "$name" "$name.replay" "$rid"
}

rt proc_clock_random 0 "$G/proc_clock_random.wasm"
has proc_clock_random out "clocks and random ok"
printf 'some lines\nfor run_stdin\n' >"$WORK/stdin.txt"
DJ_STDIN="$WORK/stdin.txt" rt run_stdin 0 "$G/run_stdin.wasm"
has run_stdin out "SOME LINES"
mkdir -p "$WORK/fs"
rt fs_dirs 0 --dir "$WORK/fs::/fs" "$G/fs_dirs.wasm" /fs
has fs_dirs out "fs_dirs ok"
rt run_exit 9 "$G/run_exit.wasm" 9
rt run_exit_return 42 "$G/run_exit.wasm" 42 return
rt run_trap 134 "$G/run_trap.wasm"
has run_trap.replay err "integer divide by zero"
rt reactor_invoke 0 --invoke greet "$G/reactor_counter.wasm" 3
has reactor_invoke.replay out "hello from a reactor (3)"
has reactor_invoke.replay out "75"
rt fuel_spin 124 --fuel 300000 "$G/run_spin.wasm"
has fuel_spin out "spinning"
rt timeout_spin 124 --timeout 300ms "$G/run_spin.wasm"
has timeout_spin out "spinning"

echo "PASS [$TEST_NAME]"
