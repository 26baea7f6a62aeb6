#!/usr/bin/env bash
# The SIMD guest (tests/guests/simd_kernels.c, -O3 -msimd128): it really uses
# SIMD (refused with simd turned off), runs, replays identically, and a
# snapshot taken by fuel in the middle of its vector loops (about 60% of the
# way; the loops are nearly all of its instructions) resumes in a new
# process with the output of an uninterrupted run.
source "$(dirname "$0")/lib.sh"
W=$G/simd_kernels.wasm

note "the module uses SIMD"
expect_exit 1 off validate --wasm simd=n "$W"
grep -q "feature turned off: simd (" off.err || fail "no SIMD found"

note "run and replay"
expect_exit 0 full run "$W" 8
[[ $(wc -l <full.out) == 12 ]] || fail "expected 8 rounds and 4 totals"
grep -q "^maxabs " full.out || fail "no totals"
expect_exit 0 rep replay --verbose last
grep -q "match the recording" rep.err || fail "the replay does not match"

note "suspended mid-way by fuel, resumed in a new process"
expect_exit 75 a run --snapshot-to a.snap --suspend-after-fuel 1000000 "$W" 8
lines=$(wc -l <a.out)
[[ $lines -gt 0 && $lines -lt 8 ]] || fail "suspended after $lines lines, expected mid-way"
expect_exit 0 a2 resume a.snap
cat a.out a2.out >a.all
same full.out a.all "run + resume differs from an uninterrupted run"
expect_exit 0 a2r replay --verbose last
grep -q "match the recording" a2r.err || fail "the replay of the resumed run does not match"

note "resume in a fresh DEJA_HOME"
DEJA_HOME="$WORK/other" expect_exit 0 b2 resume --no-record a.snap
same a2.out b2.out "resume in a fresh home differs"
