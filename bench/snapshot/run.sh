#!/usr/bin/env bash
# Time and size to snapshot and to resume a guest with a large memory:
#   bench/snapshot/run.sh DEJA
# "untouched": 256 MiB of memory, a loop that writes nothing;
# "written": 64 MiB of memory, every page written before the snapshot.
# Each time is one `deja run --snapshot-to` (or `deja resume`) process, wall
# clock, start-up included; figures go to docs/PERFORMANCE.md ("Snapshots").
set -euo pipefail
DEJA=${1:?usage: run.sh DEJA}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export DEJA_HOME=$work/home

cat >"$work/untouched.wat" <<'WAT'
(module (memory 4096)
  (func (export "_start") (local $i i32)
    (loop $l (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (i32.const 100000000))))))
WAT
cat >"$work/written.wat" <<'WAT'
(module (memory 1024)
  (func (export "_start") (local $i i32)
    (loop $w (i64.store (local.get $i) (i64.extend_i32_u (i32.mul (local.get $i) (i32.const 2654435761))))
      (local.set $i (i32.add (local.get $i) (i32.const 8)))
      (br_if $w (i32.lt_u (local.get $i) (i32.const 67108864))))
    (local.set $i (i32.const 0))
    (loop $l (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (i32.const 100000000))))))
WAT
ms() { echo $((($2 - $1) / 1000000)); }
for case in untouched written; do
  fuel=$([[ $case == untouched ]] && echo 1000 || echo 60000000)
  t0=$(date +%s%N)
  "$DEJA" run --no-record --snapshot-to "$work/$case.snap" --suspend-after-fuel "$fuel" \
    "$work/$case.wat" 2>/dev/null || [[ $? == 75 ]]
  t1=$(date +%s%N)
  # Resume and stop again at once, so the time is restore + start-up only.
  "$DEJA" resume --no-record --snapshot-to "$work/$case.2.snap" --suspend-after-fuel 1 \
    "$work/$case.snap" 2>/dev/null || [[ $? == 75 ]]
  t2=$(date +%s%N)
  "$DEJA" run --no-record --snapshot-to "$work/$case.0.snap" --suspend-after-fuel 1 \
    "$work/$case.wat" 2>/dev/null || [[ $? == 75 ]]
  t3=$(date +%s%N)
  echo "$case: snapshot file $(stat -c %s "$work/$case.snap") bytes;" \
       "run+snapshot $(ms "$t0" "$t1") ms (incl. the guest's work);" \
       "resume+snapshot again $(ms "$t1" "$t2") ms; run to fuel 1+snapshot $(ms "$t2" "$t3") ms"
done
