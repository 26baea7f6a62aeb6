#!/usr/bin/env bash
# ls, describe, logs, trace, rm, gc; ids as full ids, prefixes and `last`;
# unknown ids are refused with a message naming them; --no-record records
# nothing.
source "$(dirname "$0")/lib.sh"

note "--no-record"
dj norec run --no-record "$G/hello.wasm" x
expect_code norec 0
has norec out "hello from deja x"
! grep -q 'recording' norec.err || fail_with norec "--no-record still says it records"
dj ls0 ls -q
expect_code ls0 0
[[ ! -s ls0.out ]] || fail_with ls0 "--no-record left a run: $(cat ls0.out)"

note "three recorded runs"
dj r1 run "$G/hello.wasm" one two
expect_code r1 0
id1=$(recorded_id r1)
dj r2 run "$G/run_exit.wasm" 7
expect_code r2 7
id2=$(recorded_id r2)
printf 'to stdin\n' >"$WORK/stdin.txt"
DJ_STDIN="$WORK/stdin.txt" dj r3 run --dir "$WORK/data::/data" --env TM_MODE=inspect \
  "$G/tm_mixed.wasm" /data 0 10
expect_code r3 0
id3=$(recorded_id r3)

note "ls"
dj ls ls
expect_code ls 0
for i in "$id1" "$id2" "$id3"; do has ls out "$i"; done
has ls out hello.wasm
dj lsq ls -q
expect_code lsq 0
[[ $(cat lsq.out) == "$id3"$'\n'"$id2"$'\n'"$id1" ]] || fail_with lsq "ls -q is not the three ids newest first"
dj lsj ls --json
expect_code lsj 0
python3 - lsj.out "$id1" "$id2" "$id3" <<'PY' || fail_with lsj "ls --json is not a list of the three runs, newest first"
import json, sys
text = open(sys.argv[1]).read()
try:
    runs = json.loads(text)
except ValueError:
    runs = [json.loads(l) for l in text.splitlines() if l.strip()]
ids = [r["id"] for r in runs]
assert ids == sys.argv[4:1:-1], ids
PY

note "describe"
dj d2 describe "$id2"
expect_code d2 0
has d2 out "$id2"
has d2 out run_exit.wasm
has d2 out 7
# The shortest prefix of id2 (at least 5 characters) that no other run shares.
for n in 5 6 7 8 9 10 11 12; do
  p2=${id2:0:$n}
  [[ ${id1:0:$n} != "$p2" && ${id3:0:$n} != "$p2" ]] && break
done
dj d2j describe "$p2" --json
expect_code d2j 0
json_value d2j.out
[[ $(json_get d2j.out 'j["id"]') == "$id2" ]] || fail_with d2j "describe --json of a prefix: wrong id"
[[ $(json_get d2j.out 'j["exit_status"]') == 7 ]] || fail_with d2j "describe --json: exit_status is not 7"
calls=$(json_get d2j.out 'j["host_calls"]')
((calls > 0)) || fail_with d2j "describe --json: host_calls $calls"
dj dlast describe last --json
expect_code dlast 0
[[ $(json_get dlast.out 'j["id"]') == "$id3" ]] || fail_with dlast "describe last is not the newest run"

note "logs"
dj l1 logs "$id1"
expect_code l1 0
same_bytes r1.out l1.out "stdout of the run and of deja logs"
dj l3 logs "$id3"
expect_code l3 0
same_bytes r3.out l3.out "stdout of the run and of deja logs"
guest_err r3
same_bytes r3.gerr l3.err "guest stderr of the run and deja logs' stderr"

note "trace"
dj t1 trace "$id1"
expect_code t1 0
lines=$(wc -l <t1.out)
((lines >= 2)) || fail_with t1 "trace has $lines lines"
has t1 out fd_write
has t1 out args_get
tail -n 1 t1.out | grep -q '^end: returned, exit status 0' ||
  fail_with t1 "the last trace line is not the end: $(tail -n 1 t1.out)"
dj t2 trace "$id2" --json
expect_code t2 0
json_lines t2.out
has t2 out proc_exit
tail -n 1 t2.out | grep -q '"end"' || fail_with t2 "the last JSON line is not the end"

note "unknown and ambiguous ids"
for cmd in replay describe logs trace rm export; do
  extra=()
  [[ $cmd == export ]] && extra=("$WORK/x.deja")
  dj "bad_$cmd" "$cmd" 0123456789ab "${extra[@]}"
  expect_code "bad_$cmd" 3  # docs/cli.md: 3 = no such run
  has "bad_$cmd" err "deja $cmd: no run 0123456789ab"
done
dj short describe "${id1:0:3}"
expect_code short 2
has short err "too short"
# Ids start with 16 bits of the start time in seconds: runs started in the
# same second share 4 hex digits, and such a prefix is ambiguous.
if [[ ${id1:0:4} == "${id2:0:4}" ]]; then
  dj ambiguous replay "${id1:0:4}"
  expect_code ambiguous 2
  has ambiguous err ambiguous
  has ambiguous err "$id1"
fi

note "rm and gc"
modules_before=$(find "$DEJA_HOME" -name '*.wasm' | wc -l)
dj rm rm "$id1" "$id2"
expect_code rm 0
dj lsq2 ls -q
[[ $(cat lsq2.out) == "$id3" ]] || fail_with lsq2 "after rm, ls -q is not just $id3"
[[ ! -e $DEJA_HOME/runs/$id1.log ]] || fail "rm left $DEJA_HOME/runs/$id1.log"
dj gone describe "$id1"
refused gone 3 "deja describe: no run $id1 (registry: $DEJA_HOME; see \`deja ls\`)"
# gc spares files younger than its grace period (a run starting meanwhile):
# age them.
find "$DEJA_HOME" -type f \( -name '*.wasm' -o -name '*.log' \) -exec touch -d '2 hours ago' {} +
dj gc gc
expect_code gc 0
modules_after=$(find "$DEJA_HOME" -name '*.wasm' | wc -l)
((modules_after < modules_before)) ||
  fail_with gc "gc kept the modules of removed runs ($modules_before before, $modules_after after)"
code=0
replay_matches r3 r3.replay "$id3"

echo "PASS [$TEST_NAME]"
