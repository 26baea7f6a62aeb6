#!/usr/bin/env bash
# Retention: every finished run applies the policy (DEJA_KEEP_*, or
# $DEJA_HOME/retention.conf); pinned runs stay; deja gc --dry-run lists what
# would go and why; deja ls marks pinned runs and shows the totals.
source "$(dirname "$0")/lib.sh"

# age_all SECONDS: every run so far started and was written SECONDS ago (the
# retention grace period spares runs of the last minute).
age_all() {
  python3 - "$DEJA_HOME/deja.db" "$1" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.execute("UPDATE runs SET start_unix_ns = start_unix_ns - ?", (int(sys.argv[2]) * 10**9,))
db.commit()
PY
  find "$DEJA_HOME/runs" "$DEJA_HOME/modules" -type f -exec touch -d "@$(($(date +%s) - $1))" {} +
}

ids=()
for i in 1 2 3 4; do
  dj "r$i" run "$G/hello.wasm" "$i"
  expect_code "r$i" 0
  ids+=("$(recorded_id "r$i")")
  sleep 0.01  # distinct start times: "newest" is well defined
done
age_all 7200

note "pin, and ls shows it with the totals"
dj pin pin "${ids[0]}"
expect_code pin 0
[[ $(cat pin.out) == "${ids[0]}" ]] || fail_with pin "pin did not print the id"
dj ls ls
expect_code ls 0
grep -q -E "^${ids[0]} .*\\[pinned\\] " ls.out || fail_with ls "the pinned run is not marked"
grep -q -E "^${ids[1]} " ls.out && ! grep -q -E "^${ids[1]} .*\\[pinned\\]" ls.out ||
  fail_with ls "an unpinned run is marked or missing"
has ls out "4 runs, "
has ls out " of logs, 1 pinned; retention keeps at most 1000 runs, 1.0 GiB of logs, 30d (defaults)"
dj lsj ls --json
json_lines lsj.out
[[ $(grep -c '"pinned":true' lsj.out) == 1 ]] || fail_with lsj "--json does not mark one run pinned"
dj bad_pin pin 0123456789ab
refused bad_pin 3 "deja pin: no run 0123456789ab"

note "gc --dry-run: what would go, and why; nothing goes"
DEJA_KEEP_RUNS=2 dj dry gc --dry-run
expect_code dry 0
has dry out "would remove ${ids[1]}  "
has dry out "beyond the newest 2 runs (max_runs)"
has dry out "retention keeps at most 2 runs, 1.0 GiB of logs, 30d (defaults, DEJA_KEEP_RUNS): would remove 1 runs; 3 kept (1 pinned)"
[[ $(grep -c "^would remove " dry.out) == 1 ]] || fail_with dry "more than one run would go"
dj ls2 ls -q
[[ $(wc -l <ls2.out) == 4 ]] || fail_with ls2 "the dry run removed runs"

note "a finishing run applies the policy"
DEJA_KEEP_RUNS=2 dj r5 run "$G/hello.wasm" 5
expect_code r5 0
id5=$(recorded_id r5)
dj ls3 ls -q
[[ $(cat ls3.out) == "$(printf '%s\n' "$id5" "${ids[3]}" "${ids[0]}")" ]] ||
  fail_with ls3 "after a run with DEJA_KEEP_RUNS=2, ls -q is not the new run, the newest old one and the pinned one"
for gone in "${ids[1]}" "${ids[2]}"; do
  [[ ! -e $DEJA_HOME/runs/$gone.log ]] || fail "retention left the log of $gone"
done

note "unpinned, the run goes at the next gc; the config file works as the variables do"
dj unpin unpin "${ids[0]}"
expect_code unpin 0
printf '# test\nmax_runs = 2\n' >"$DEJA_HOME/retention.conf"
dj gc gc
expect_code gc 0
has gc out "removed ${ids[0]}  "
dj ls4 ls -q
[[ $(cat ls4.out) == "$(printf '%s\n' "$id5" "${ids[3]}")" ]] || fail_with ls4 "unpin + gc kept $(cat ls4.out)"

note "a bad configuration is named, and a run still succeeds"
printf 'max_size = plenty\n' >"$DEJA_HOME/retention.conf"
dj badconf gc --dry-run
refused badconf 2 "deja gc: retention: invalid argument: $DEJA_HOME/retention.conf:1: max_size must be a size"
dj r6 run "$G/hello.wasm" 6
expect_code r6 0
has r6 err "deja run: retention: invalid argument: $DEJA_HOME/retention.conf:1:"

echo "PASS [$TEST_NAME]"
