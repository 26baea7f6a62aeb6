#!/usr/bin/env bash
# deja replay --module NEW RUN: "would this change have behaved the same?"
# A compatible rewrite (other code, same host calls) is "same behaviour" and
# exits with the recorded status; an incompatible one exits 65 naming the
# host call, both calls, and both backtraces (the recorded module's from a
# replay of it stopped at that call).
source "$(dirname "$0")/lib.sh"
W=$HERE

dj a run "$W/calls_a.wat"
expect_code a 0
id=$(recorded_id a)

note "compatible rewrite: same behaviour"
dj same replay "$id" --module "$W/calls_a_v2.wat"
expect_code same 0
has same err "same behaviour"
has same err "6 recorded host calls"
same_bytes a.out same.out "stdout of the run and of the replay against the rewrite"

note "incompatible change: host call 3, both calls, both backtraces"
dj e replay "$id" --module "$W/calls_e.wat"
expect_code e 65
has e err "diverged at host call 3: argument 1 differs (recorded 1, now 2)"
grep -q -E '^  recorded: fd_write\(fd=1,' e.err || fail_with e "no recorded call"
grep -q -E '^  replayed: fd_write\(fd=2,' e.err || fail_with e "no replayed call"
# Recorded frames (4 spaces) between the two calls: $say called from _start.
got=$(sed -n '/^  recorded: /,/^  replayed: /p' e.err | sed -n '2,$p' | sed '$d' |
  sed -E 's/^    at (.*) \(offset 0x[0-9a-f]+\)$/\1/' | tr '\n' ' ')
[[ $got == "say func[4] " ]] || fail_with e "recorded backtrace is \"$got\", expected \"say func[4]\""
got=$(sed -n '/^  replayed: /,$p' e.err | sed -n '2,$p' |
  sed -E 's/^  at (.*) \(offset 0x[0-9a-f]+\)$/\1/' | tr '\n' ' ')
[[ $got == "say shout func[4] " ]] ||
  fail_with e "replayed backtrace is \"$got\", expected \"say shout func[4]\""

note "fewer calls: the recorded side's backtrace, no replayed call"
dj d replay "$id" --module "$W/calls_d.wat"
expect_code d 65
has d err "diverged at host call 4"
grep -q -F "  replayed: (no call)" d.err || fail_with d "the replayed side is not \"(no call)\""
sed -n '/^  recorded: /,/^  replayed: /p' d.err | grep -q -E '^    at .* \(offset 0x[0-9a-f]+\)$' ||
  fail_with d "no recorded backtrace"
echo "PASS [$TEST_NAME]"
