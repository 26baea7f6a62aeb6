#!/usr/bin/env bash
# deja import killed with SIGKILL at several points: the run is either listed
# (the import finished) or can be imported again at once (never "already in
# the registry" with no row), and no temporary file is left behind.
source "$(dirname "$0")/lib.sh"

note "record tm_output (a log of ~15 MB) and export it"
dj run run "$G/tm_output.wasm" 1024
expect_code run 0
id=$(recorded_id run)
dj export export "$id" "$WORK/run.deja"
expect_code export 0

export DEJA_HOME="$WORK/home2"
mkdir -p "$DEJA_HOME"
# temp_files: the names of temporary files the registry holds.
temp_files() { find "$DEJA_HOME" -name '.tmp-*' -printf '%P\n' 2>/dev/null; }

listed=0
for delay in 0.002 0.01 0.03 0.06 0.1 0.15 0.2 0.3 0.5; do
  note "import killed after ${delay}s"
  set +e
  "$DEJA" import "$WORK/run.deja" >"kill$delay.out" 2>"kill$delay.err" &
  pid=$!
  sleep "$delay"
  kill -KILL "$pid" 2>/dev/null
  wait "$pid"
  status=$?
  set -e
  echo "import (killed after ${delay}s)" >"kill$delay.cmd"
  left=$(temp_files)
  [[ -z $left ]] || fail "the killed import left temporary files: $left"
  dj "ls$delay" ls -q
  expect_code "ls$delay" 0
  if grep -q -x "$id" "ls$delay.out"; then
    listed=$((listed + 1))
    dj "rm$delay" rm "$id"
    expect_code "rm$delay" 0
    continue
  fi
  # Not listed: importing again must work now (no gc needed).
  dj "again$delay" import "$WORK/run.deja"
  expect_code "again$delay" 0
  [[ $(tr -d '[:space:]' <"again$delay.out") == "$id" ]] ||
    fail_with "again$delay" "import after a kill (status $status) printed something else"
  dj "replay$delay" replay "$id"
  expect_code "replay$delay" 0
  same_bytes run.out "replay$delay.out" "stdout of the run and of the replay after a killed import"
  dj "rm$delay" rm "$id"
  expect_code "rm$delay" 0
done
note "$listed of 9 imports had finished before the kill"

note "a leftover log of the same run without a row (a kill between the file and the row)"
cp "$WORK/home/runs/$id.log" "$DEJA_HOME/runs/$id.log"
dj leftover import "$WORK/run.deja"
expect_code leftover 0
dj leftover_ls ls -q
grep -q -x "$id" leftover_ls.out || fail_with leftover_ls "the imported run is not listed"

echo "PASS [$TEST_NAME]"
