#!/usr/bin/env bash
# Run until a snapshot, resume in a new process: the two outputs together are
# byte-identical to an uninterrupted run.
source "$(dirname "$0")/lib.sh"
W=$G/snap_cli_loop.wasm

expect_exit 0 full run --no-record "$W" 8

note "--suspend-after-fuel: a safe point mid-loop"
expect_exit 75 a run --snapshot-to a.snap --suspend-after-fuel 5000000 "$W" 8
grep -q "snapshot written to a.snap" a.err || fail "no snapshot message"
[[ -s a.out && $(wc -l <a.out) -lt 8 ]] || fail "suspended at the wrong point"
expect_exit 0 a2 resume a.snap
cat a.out a2.out >a.all
same full.out a.all "run + resume differs from an uninterrupted run"

note "the same fuel twice gives the same snapshot point"
expect_exit 75 b run --no-record --snapshot-to b.snap --suspend-after-fuel 5000000 "$W" 8
same a.out b.out "the fuel suspension is not deterministic"

note "resume in a fresh DEJA_HOME, with --no-record"
DEJA_HOME="$WORK/other" expect_exit 0 b2 resume --no-record b.snap
cat b.out b2.out >b.all
same full.out b.all "resume in a fresh home differs"
[[ ! -e "$WORK/other" ]] || fail "--no-record created a registry"

note "a snapshot of a resumed run, resumed again"
expect_exit 75 c run --snapshot-to c.snap --suspend-after-fuel 2000000 "$W" 8
expect_exit 75 c2 resume c.snap --snapshot-to c2.snap --suspend-after-fuel 4000000
expect_exit 0 c3 resume c2.snap
cat c.out c2.out c3.out >c.all
same full.out c.all "two resumes differ"

note "the guest's own request (a host call)"
expect_exit 0 rfull run --no-record "$W" 8 request
same full.out rfull.out "without --snapshot-to, the request is a no-op"
expect_exit 75 r run --snapshot-to r.snap "$W" 8 request
[[ $(wc -l <r.out) == 4 ]] || fail "the request did not suspend after round 3"
expect_exit 0 r2 resume r.snap
cat r.out r2.out >r.all
same full.out r.all "request + resume differs"

note "SIGUSR1 through deja hibernate"
# No race with the guest: it echoes stdin read from a FIFO the test feeds, so
# it runs only as far as the test lets it. Once it waits in its first read (a
# thread of deja asleep in a pipe read: the run and the sigwait thread that
# takes SIGUSR1 have started), deja hibernate signals it, and the test feeds
# one line at a time until the run has exited: the guest suspends as the read
# it waits in returns. Lines it did not read stay in the FIFO for the resumed
# run, so run + resume must echo exactly the lines fed, however many.
mkfifo l.fifo
exec 7<>l.fifo  # held open: the FIFO keeps unread bytes between the two runs
"$DEJA" run --snapshot-to l.snap "$G/stdio_echo.wasm" <l.fifo >l.out 2>l.err 7>&- &
pid=$!
waiting=0
for _ in $(seq 1000); do
  if cat /proc/$pid/task/*/wchan 2>/dev/null | grep -q -E 'pipe_(read|wait)'; then
    waiting=1
    break
  fi
  sleep 0.01
done
((waiting)) || fail "deja run never waited in a read of its stdin"
"$DEJA" hibernate --wait "$pid" >h.out 2>h.err 7>&- &
hpid=$!
: >l.in
lines=0
alive() { [[ -e /proc/$1 && $(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) != Z ]]; }
while alive "$pid" && ((lines < 500)); do
  lines=$((lines + 1))
  printf 'line %d\n' "$lines" | tee -a l.in >&7
  sleep 0.02
done
code=0
wait "$pid" || code=$?
[[ $code == 75 ]] || fail "hibernated run exited $code, expected 75 (after $lines lines)"
code=0
wait "$hpid" || code=$?
[[ $code == 0 ]] || fail "deja hibernate --wait exited $code"
printf 'after the resume\n' | tee -a l.in >&7
exec 8<l.fifo  # opened here, so that closing 7 next cannot race the open
exec 7>&-      # the last writer: the resumed run reads what is left, then EOF
code=0
"$DEJA" resume l.snap <&8 >l2.out 2>l2.err 8<&- || code=$?
exec 8<&-
[[ $code == 3 ]] || fail "the resumed run exited $code, expected stdio_echo's 3"
code=0
"$DEJA" run --no-record "$G/stdio_echo.wasm" <l.in >lfull.out 2>lfull.err || code=$?
[[ $code == 3 ]] || fail "stdio_echo exited $code, expected 3"
cat l.out l2.out >l.all
same lfull.out l.all "hibernate + resume differs"
grep -q "^echoed $(stat -c %s l.in) bytes$" l2.err || fail "the resumed run did not count every byte fed"
expect_exit 1 h2 hibernate 999999999

note "open files and their offsets survive (re-granted --dir)"
mkdir -p d1 d2
expect_exit 0 ffull run --no-record --dir d1::/data "$W" 8 request /data/f.txt
expect_exit 75 f run --dir d2::/data --snapshot-to f.snap "$W" 8 request /data/f.txt
expect_exit 1 fno resume --no-record f.snap
grep -q "/data" fno.err || fail "a missing grant is not named"
expect_exit 0 f2 resume --dir d2::/data f.snap
cat f.out f2.out >f.all
same ffull.out f.all "open file + resume differs"
same d1/f.txt d2/f.txt "the file written across the resume differs"

note "replay of a resumed run starts from its snapshot"
expect_exit 0 p2 resume a.snap
id=$(sed -n 's/^deja resume: recording \([0-9a-f]*\)$/\1/p' p2.err)
[[ -n $id ]] || fail "the resumed run was not recorded"
expect_exit 0 p3 replay "$id"
same p2.out p3.out "the replay of a resumed run differs"
expect_exit 0 p4 describe "$id"
