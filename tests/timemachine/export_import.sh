#!/usr/bin/env bash
# deja export writes one self-contained file; deja import in another registry
# brings the run back under its id, and it replays identically there. A
# truncated or foreign file is refused with a message, and nothing is added.
source "$(dirname "$0")/lib.sh"

printf 'stdin for export\n' >"$WORK/stdin.txt"
note "record tm_mixed"
DJ_STDIN="$WORK/stdin.txt" dj run run --dir "$WORK/data::/data" --env TM_MODE=export \
  "$G/tm_mixed.wasm" /data 3 30
expect_code run 3
id=$(recorded_id run)

dj export export "$id" "$WORK/run.deja"
expect_code export 0
[[ -s $WORK/run.deja ]] || fail_with export "no export file"

note "import into a fresh registry and replay"
export DEJA_HOME="$WORK/home2"
dj import import "$WORK/run.deja"
expect_code import 0
[[ $(tr -d '[:space:]' <import.out) == "$id" ]] || fail_with import "import printed \"$(cat import.out)\", expected $id"
dj ls ls -q
[[ $(cat ls.out) == "$id" ]] || fail_with ls "ls -q after import: $(cat ls.out)"
code=3
replay_matches run replay "$id"
code=3
replay_matches run replay_last last
dj logs logs "$id"
expect_code logs 0
same_bytes run.out logs.out "stdout of the run and of deja logs after import"

dj again import "$WORK/run.deja"
((code != 0)) || fail_with again "importing the same run twice succeeded"
[[ -s again.err ]] || fail_with again "no message"

note "a truncated export file"
export DEJA_HOME="$WORK/home3"
size=$(stat -c %s "$WORK/run.deja")
head -c $((size / 2)) "$WORK/run.deja" >"$WORK/half.deja"
dj half import "$WORK/half.deja"
((code != 0)) || fail_with half "importing a truncated file succeeded"
grep -q '^deja import: ' half.err || fail_with half "no \"deja import: \" message"
head -c 100 "$WORK/run.deja" >"$WORK/head.deja"
dj head import "$WORK/head.deja"
((code != 0)) || fail_with head "importing the first 100 bytes succeeded"
echo "not an export" >"$WORK/text.deja"
dj text import "$WORK/text.deja"
((code != 0)) || fail_with text "importing a text file succeeded"
dj missing import "$WORK/no-such-file.deja"
((code != 0)) || fail_with missing "importing a missing file succeeded"
has missing err "no-such-file.deja"
dj ls3 ls -q
expect_code ls3 0
[[ ! -s ls3.out ]] || fail_with ls3 "failed imports left runs behind"

echo "PASS [$TEST_NAME]"
