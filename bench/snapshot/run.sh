#!/usr/bin/env bash
# Time and size to snapshot and to resume a guest with a large memory:
#   bench/snapshot/run.sh DEJA [REPS]
# "untouched": 256 MiB of memory that the guest never writes;
# "written": 64 MiB of memory, every byte written before the snapshot.
# Each time is a whole `deja` process, wall clock, start-up included, as the
# median (and minimum) of REPS runs (default 5):
#   snapshot  `deja run --snapshot-to` suspending right after the guest's
#             writes (for "written", the guest's own work is in it too: the
#             "guest alone" column is the same run stopped by --fuel at the
#             same point without a snapshot);
#   resume    `deja resume` of that snapshot, the guest then ends at once.
# Figures go to docs/PERFORMANCE.md ("Snapshots").
set -euo pipefail
DEJA=${1:?usage: run.sh DEJA [REPS]}
REPS=${2:-5}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export DEJA_HOME=$work/home

# Both guests end with a short loop (10000 rounds, ~60000 units of fuel);
# the snapshot is taken inside it.
cat >"$work/untouched.wat" <<'WAT'
(module (memory 4096)
  (func (export "_start") (local $i i32)
    (loop $l (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (i32.const 10000))))))
WAT
cat >"$work/written.wat" <<'WAT'
(module (memory 1024)
  (func (export "_start") (local $i i32)
    (loop $w (i64.store (local.get $i) (i64.extend_i32_u (i32.mul (local.get $i) (i32.const 2654435761))))
      (local.set $i (i32.add (local.get $i) (i32.const 8)))
      (br_if $w (i32.lt_u (local.get $i) (i32.const 67108864))))
    (local.set $i (i32.const 0))
    (loop $l (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (i32.const 10000))))))
WAT

now() { date +%s%N; }
# Runs "$@" REPS times (any exit status); prints "median (min)" in ms.
timed() {
  local times=() t0 t1
  for ((r = 0; r < REPS; ++r)); do
    t0=$(now)
    "$@" >/dev/null 2>&1 || true
    t1=$(now)
    times+=($(((t1 - t0) / 1000000)))
  done
  local sorted
  sorted=($(printf '%s\n' "${times[@]}" | sort -n))
  echo "${sorted[$((REPS / 2))]} (${sorted[0]})"
}

for case in untouched written; do
  wat=$work/$case.wat
  # Total fuel of the whole run, to suspend 30000 units before its end.
  total=$("$DEJA" run --no-record --fuel 100000000000 "$wat" 2>&1 >/dev/null |
          sed -n 's/.*fuel consumed: \([0-9]*\).*/\1/p')
  fuel=$((total - 30000))
  snap=$work/$case.snap
  snapshot=$(timed "$DEJA" run --no-record --snapshot-to "$snap" --suspend-after-fuel "$fuel" "$wat")
  guest=$(timed "$DEJA" run --no-record --fuel "$fuel" "$wat")
  "$DEJA" resume --no-record "$snap" >/dev/null 2>&1  # must succeed
  resume=$(timed "$DEJA" resume --no-record "$snap")
  echo "$case: snapshot file $(stat -c %s "$snap") bytes; snapshot $snapshot ms" \
       "(guest alone $guest ms); resume $resume ms"
done
