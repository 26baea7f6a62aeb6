#!/usr/bin/env bash
# Continuing a killed run (deja run --continue-from, RunSpec::continue_from):
# append_steps.wat is SIGKILLed mid-run and continued. Every append the
# killed run's log recorded is in the file exactly once (those after the
# log's last flushed record may be there twice: the crash edge), the file
# written at the descriptor's offset equals an uninterrupted run's, the
# continued run's whole output (deja logs) and final state digest equal the
# uninterrupted run's, and its log replays on its own. Refusals: a finished
# run, another module, other arguments, a file that cannot be opened again.
source "$(dirname "$0")/lib.sh"
W=$HERE/append_steps.wat

run_id() { sed -n 's/^deja run: recording \([0-9a-f]\{12\}\)$/\1/p' "$1.err" | head -n 1; }
digest() { "$DEJA" describe "$1" --json | json_get /dev/stdin 'j["end"]["state_digest"]'; }

note "uninterrupted run"
mkdir -p full
dj full run --dir "$WORK/full::/data" "$W"
expect_code full 0
full_id=$(run_id full)
(($(grep -c '^step ' full.out) == 40)) || fail_with full "the guest did not print 40 steps"

# kill_at DIR PREFIX STEP [RUN FLAGS]: runs the guest on DIR, SIGKILLs it
# once it printed STEP.
kill_at() {
  mkdir -p "$1"
  "$DEJA" run --dir "$WORK/$1::/data" "${@:4}" "$W" >"$2.out" 2>"$2.err" &
  local pid=$!
  for _ in $(seq 3000); do  # up to 30 s: a loaded machine, ASan
    grep -q "^step $3" "$2.out" 2>/dev/null && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.01
  done
  kill -9 "$pid" 2>/dev/null || fail "the run on $1 ended before step $3"
  set +e
  wait "$pid"
  local status=$?
  set -e
  ((status == 137)) || fail "the run on $1 exited $status after SIGKILL"
}

note "killed at step 12, then continued"
kill_at k k 12
k_id=$(run_id k)
[[ -n $k_id ]] || fail_with k "no run id"
dj klogs logs "$k_id"
recorded=$(grep -c '^step ' klogs.out || true)
((recorded >= 1 && recorded < 40)) || fail_with klogs "the killed log holds $recorded steps"
dj c run --dir "$WORK/k::/data" --continue-from "$k_id" "$W"
expect_code c 0
has c err "continuing run $k_id"
c_id=$(run_id c)

note "files: recorded appends exactly once, the rest in order"
python3 - "$WORK/k/append.txt" "$WORK/full/append.txt" "$recorded" <<'PY' || fail "append.txt is wrong"
import sys
got = open(sys.argv[1]).read().splitlines()
want = open(sys.argv[2]).read().splitlines()
recorded = int(sys.argv[3])
for n in range(40):
    line = "line %02d" % n
    c = got.count(line)
    if n < recorded and c != 1:
        sys.exit("%s (recorded in the killed log) is there %d times" % (line, c))
    if c < 1 or c > 2:
        sys.exit("%s is there %d times" % (line, c))
# Without the repeats of the crash edge, the uninterrupted run's file.
dedup = [l for i, l in enumerate(got) if l not in got[:i]]
if dedup != want:
    sys.exit("order differs: %r" % got)
PY
same_bytes "$WORK/full/positional.txt" "$WORK/k/positional.txt" "positional.txt (written at the offset)"

note "output, digest, standalone replay"
tail -n +"$((recorded + 1))" full.out >want_tail.out
same_bytes want_tail.out c.out "the continued run's stdout and the uninterrupted run's from step $recorded"
dj clogs logs "$c_id"
same_bytes full.out clogs.out "deja logs of the continued run and the uninterrupted stdout"
[[ $(digest "$c_id") == "$(digest "$full_id")" ]] || fail "state digests differ"
dj cdesc describe "$c_id" --json
[[ $(json_get cdesc.out 'j["continued_from"]') == "$k_id" ]] || fail_with cdesc "no continued_from"
dj crep replay "$c_id"
expect_code crep 0
same_bytes full.out crep.out "the continued run's replay and the uninterrupted stdout"

note "a continuation killed in turn, continued"
kill_at k2 k2 05
k2_id=$(run_id k2)
kill_at k2 k2b 20 --continue-from "$k2_id"
k2b_id=$(run_id k2b)
dj c2 run --dir "$WORK/k2::/data" --continue-from "$k2b_id" "$W"
expect_code c2 0
dj c2logs logs "$(run_id c2)"
same_bytes full.out c2logs.out "deja logs of the continuation of a continuation"
same_bytes "$WORK/full/positional.txt" "$WORK/k2/positional.txt" "positional.txt after two kills"

note "refusals"
dj fin run --dir "$WORK/full::/data" --continue-from "$full_id" "$W"
refused fin 2 "there is nothing to continue"
cp "$HERE/calls_a.wat" other.wat
kill_at k3 k3 03
k3_id=$(run_id k3)
dj other run --dir "$WORK/k3::/data" --continue-from "$k3_id" other.wat
refused other 2 "ran module"
dj args run --dir "$WORK/k3::/data" --continue-from "$k3_id" "$W" extra
refused args 2 "the argument list differs"
dj norec run --no-record --dir "$WORK/k3::/data" --continue-from "$k3_id" "$W"
refused norec 2 "--no-record"
dj missing run --dir "$WORK/k3::/data" --continue-from 000000000000 "$W"
refused missing 3 "cannot continue run 000000000000"
rm "$WORK/k3/positional.txt"
mkdir "$WORK/k3/positional.txt"
dj gone run --dir "$WORK/k3::/data" --continue-from "$k3_id" "$W"
refused gone 3 "cannot be opened again"
has gone err "positional.txt"

echo "PASS [$TEST_NAME]"
