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

# Each refusal: its exit status (docs/cli.md: 2 a usage error, 3 a file that
# cannot be read) and a message naming the cause; a crash is no refusal.
dj again import "$WORK/run.deja"
refused again 2 "deja import: $WORK/run.deja: invalid argument: run $id is already in the registry"

note "a truncated export file"
export DEJA_HOME="$WORK/home3"
size=$(stat -c %s "$WORK/run.deja")
head -c $((size / 2)) "$WORK/run.deja" >"$WORK/half.deja"
dj half import "$WORK/half.deja"
refused half 3 "deja import: $WORK/half.deja: corruption: export file $WORK/half.deja: section at byte"
has half err "remain (truncated?)"
head -c 100 "$WORK/run.deja" >"$WORK/head.deja"
dj head import "$WORK/head.deja"
refused head 3 "deja import: $WORK/head.deja: corruption: export file $WORK/head.deja: section at byte"
has head err "remain (truncated?)"
echo "not an export" >"$WORK/text.deja"
dj text import "$WORK/text.deja"
refused text 3 "deja import: $WORK/text.deja: corruption: $WORK/text.deja is not a deja export file"
dj missing import "$WORK/no-such-file.deja"
refused missing 3 "deja import: $WORK/no-such-file.deja: not found: cannot open $WORK/no-such-file.deja"
dj ls3 ls -q
expect_code ls3 0
[[ ! -s ls3.out ]] || fail_with ls3 "failed imports left runs behind"

echo "PASS [$TEST_NAME]"
