#!/usr/bin/env bash
# A C++ program using exceptions (tests/guests/eh_throw.cc, clang-19
# -fwasm-exceptions): it runs, its recording replays identically, and
# snapshots taken inside a try body and inside a catch clause (before a
# rethrow) resume in new processes to the output of an uninterrupted run.
source "$(dirname "$0")/lib.sh"
W="$G/eh_throw.wasm"

note "run and replay"
expect_exit 0 plain run "$W"
grep -q "parse error at 2: 'x'" plain.out || fail "the ParseError was not caught"
grep -q "too deep at 41, passing it on" plain.out || fail "the TooDeep catch did not run"
grep -q "gave up at depth 41" plain.out || fail "the rethrown TooDeep was not caught"
grep -q "sum 178177, destructors run 51" plain.out || fail "wrong sum or destructor count"
expect_exit 0 replay replay --verbose last
grep -q "match the recording" replay.err || fail "the replay does not match the recording"

note "snapshot in a try body, resume; snapshot in a catch clause, resume"
expect_exit 75 s1 run --snapshot-to s1.snap "$W" snapshot
expect_exit 75 s2 resume --snapshot-to s2.snap s1.snap
expect_exit 0 s3 resume s2.snap
cat s1.out s2.out s3.out >resumed.txt
same resumed.txt plain.out "run + resume + resume differs from an uninterrupted run"
# Each part stopped where the guest asked: the first inside the parse of
# "12345", the second after the catch clause printed its line.
grep -q "= 12345" s1.out && fail "the first snapshot was taken after the parse finished"
tail -n 1 s2.out | grep -q "too deep at 41, passing it on" ||
  fail "the second snapshot was not taken inside the catch clause"
note "ok"
