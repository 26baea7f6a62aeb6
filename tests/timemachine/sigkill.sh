#!/usr/bin/env bash
# A recorded run killed with SIGKILL: its log keeps every call flushed before
# the kill; ls and describe call it "killed", trace ends with "recording ends
# here", and replay reproduces the recorded output, then exits 66.
source "$(dirname "$0")/lib.sh"

note "tm_busy: record, SIGKILL after 0.5 s of host calls"
"$DEJA" run --dir "$WORK/data::/data" "$G/tm_busy.wasm" /data >busy.out 2>busy.err &
busy=$!
# Kill it 0.5 s after its first line (a loaded machine may be slow to start it).
for _ in $(seq 250); do
  grep -q "round 0 " busy.out 2>/dev/null && break
  kill -0 "$busy" 2>/dev/null || break
  sleep 0.02
done
sleep 0.5
kill -0 "$busy" 2>/dev/null || { show busy.out busy.err; fail "tm_busy ended by itself"; }
# deja rm racing the live run: refused, the log stays under the writer.
live_id=$(head -n 1 busy.err | sed -n 's/^deja run: recording \([0-9a-f]\{12\}\)$/\1/p')
[[ -n $live_id ]] || { show busy.err; fail "no run id on the live run's stderr"; }
dj rm_live rm "$live_id"
((code != 0)) || fail_with rm_live "deja rm of a run still being recorded succeeded"
has rm_live err "still being recorded"
[[ -f "$DEJA_HOME/runs/$live_id.log" ]] || fail "deja rm removed the live run's log"
kill -0 "$busy" 2>/dev/null || { show busy.out busy.err; fail "tm_busy ended by itself"; }
kill -9 "$busy"
set +e
wait "$busy"
status=$?
set -e
((status == 137)) || fail "deja run exited $status after SIGKILL, expected 137"
echo "run tm_busy (killed)" >busy.cmd
id=$(recorded_id busy)
has busy out "round 0 "

note "ls / describe: killed"
dj ls ls
expect_code ls 0
grep -F "$id" ls.out | grep -q -w killed || fail_with ls "ls does not show $id as killed"
dj describe describe "$id"
expect_code describe 0
has describe out killed
dj describe_json describe "$id" --json
expect_code describe_json 0
json_value describe_json.out
grep -q '"killed"' describe_json.out || fail_with describe_json "describe --json lacks \"killed\""

note "trace: calls, then \"recording ends here\""
dj trace trace last
expect_code trace 0
tail -n 1 trace.out | grep -q -F "recording ends here" ||
  fail_with trace "the last trace line is not about the recording ending: $(tail -n 1 trace.out)"
lines=$(wc -l <trace.out)
((lines > 10)) || fail_with trace "trace lists only $((lines - 1)) calls"
grep -q clock_time_get trace.out || fail_with trace "trace shows no clock_time_get"
grep -q fd_write trace.out || fail_with trace "trace shows no fd_write"

note "replay: the recorded output, then exit 66"
dj replay replay last
expect_code replay 66
[[ -s replay.out ]] || fail_with replay "replay printed nothing"
has replay out "round 0 "
rsize=$(stat -c %s replay.out)
cmp -s -n "$rsize" replay.out busy.out ||
  fail_with replay "the replayed stdout is not a prefix of what the killed run printed"
grep -q '^deja replay: ' replay.err || fail_with replay "no \"deja replay: \" message"

note "logs: the recorded stdout is what replay printed"
dj logs logs last
expect_code logs 0
same_bytes replay.out logs.out "stdout of the replay and of deja logs"

echo "PASS [$TEST_NAME]"
