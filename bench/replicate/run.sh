#!/usr/bin/env bash
# Replication by re-execution: bytes shipped per replica against the size of
# the state it rebuilds, and the time to replicate.
#   bench/replicate/run.sh DEJA [REPLICAS]
# The guest (tests/replicate/big_state.wat) fills 64 MiB from an 8-byte
# random seed and the clock: three host calls. We record it once, then
# `deja replicate RUN --to r1 ... --to rN` (default 3 replicas, one thread
# each), and report what `deja replicate` says it shipped (the export file:
# module + log, zstd inside) next to the final memory size and a plain copy
# of that state (a snapshot of it, zstd level 1, as `deja run --snapshot-to`
# writes). Wall times are whole `deja` processes. Figures go to
# docs/PERFORMANCE.md ("Replication").
set -euo pipefail
DEJA=$(realpath "${1:?usage: run.sh DEJA [REPLICAS]}")
N=${2:-3}
HERE=$(cd "$(dirname "$0")" && pwd)
GUEST=$HERE/../../tests/replicate/big_state.wat
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export DEJA_HOME=$work/origin
cd "$work"

now() { date +%s.%N; }
t0=$(now)
"$DEJA" run "$GUEST" >run.out 2>run.err
t1=$(now)
id=$(sed -n 's/^deja run: recording \([0-9a-f]\{12\}\)$/\1/p' run.err)
to=()
for i in $(seq "$N"); do to+=(--to "r$i"); done
t2=$(now)
"$DEJA" replicate "$id" "${to[@]}" >rep.out 2>rep.err
t3=$(now)
summary=$(grep '^deja replicate: ' rep.err | tail -n 1)
shipped=$(sed -E 's/.* from ([0-9]+) bytes shipped each.*/\1/' <<<"$summary")
state=$(sed -E 's/.*, ([0-9]+) bytes of memory\).*/\1/' <<<"$summary")
# The state shipped as such instead: the guest suspended at its end.
cat >snap.wat <<'WAT'
(module (import "deja" "snapshot" (func $snap (result i32)))
  (memory (export "memory") 1025)
  (func (export "_start") (local $x i64) (local $at i32)
    (local.set $x (i64.const 88172645463325252))
    (local.set $at (i32.const 65536))
    (loop $fill
      (local.set $x (i64.xor (local.get $x) (i64.shl (local.get $x) (i64.const 13))))
      (local.set $x (i64.xor (local.get $x) (i64.shr_u (local.get $x) (i64.const 7))))
      (local.set $x (i64.xor (local.get $x) (i64.shl (local.get $x) (i64.const 17))))
      (i64.store (local.get $at) (local.get $x))
      (local.set $at (i32.add (local.get $at) (i32.const 8)))
      (br_if $fill (i32.lt_u (local.get $at) (i32.const 67174400))))
    (drop (call $snap))))
WAT
"$DEJA" run --no-record --snapshot-to state.snap snap.wat >/dev/null 2>&1 || true
snap=$(stat -c %s state.snap 2>/dev/null || echo 0)
awk -v n="$N" -v sh="$shipped" -v st="$state" -v sn="$snap" -v rec="$(awk -v a="$t0" -v b="$t1" 'BEGIN{print b-a}')" \
    -v rep="$(awk -v a="$t2" -v b="$t3" 'BEGIN{print b-a}')" 'BEGIN {
  printf "replicas                     %d\n", n
  printf "final state (memory)         %d bytes\n", st
  printf "shipped per replica          %d bytes (module + log)\n", sh
  printf "state / shipped              %.0fx\n", st / sh
  printf "snapshot of the state        %d bytes (what shipping the state would cost)\n", sn
  printf "record (deja run)            %.2f s\n", rec
  printf "replicate (ship + %d replays) %.2f s\n", n, rep
}'
grep -c '(same)' rep.out >/dev/null || { cat rep.out rep.err; exit 1; }
