#!/usr/bin/env bash
# Durable instances (docs/DURABLE.md, "Costs"):
#   1. resident memory of a worker holding N parked instances (default
#      10,000): each is a row and a snapshot file, not a process or a store;
#   2. wake-up latency after the due time, p50/p99, over W instances
#      (default 200) that sleep 2 s each.
# Usage: bench/durable/run.sh [BUILD_DIR] [N] [W]. Uses a fresh DEJA_HOME.
set -euo pipefail
BUILD=${1:-build/release}
N=${2:-10000}
W=${3:-200}
DEJA=$BUILD/deja
G=$BUILD/guests
export DEJA_HOME=$(mktemp -d /tmp/deja-bench-durable.XXXXXX)
trap 'kill -9 ${WPID:-0} 2>/dev/null || true; rm -rf "$DEJA_HOME"' EXIT

rss_kb() { awk '/^VmRSS/ { print $2 }' "/proc/$1/status"; }
count_state() { "$DEJA" ps | awk -v s="$1" '$2 == s { n++ } END { print n + 0 }'; }

echo "== $N parked instances (each sleeps a day after one charge)"
t0=$(date +%s.%N)
for ((i = 0; i < N; i++)); do "$DEJA" start "$G/durable_sleep.wasm" 2 86400 "" 0 >/dev/null; done
t1=$(date +%s.%N)
echo "deja start: $(echo "($t1 - $t0) * 1000000 / $N" | bc) us per instance (process start included)"
"$DEJA" worker --threads 4 2>/dev/null &
WPID=$!
sleep 1
rss_idle=$(rss_kb $WPID)
peak=0
while (($(count_state sleeping) < N)); do
  r=$(rss_kb $WPID)
  ((r > peak)) && peak=$r
  sleep 1
done
t2=$(date +%s.%N)
sleep 2
rss_parked=$(rss_kb $WPID)
echo "parked $N in $(echo "$t2 - $t1" | bc) s"
echo "worker RSS: started ${rss_idle} KiB, peak while parking ${peak} KiB, with $N parked ${rss_parked} KiB"
echo "on disk: snapshots $(du -sk "$DEJA_HOME/durable/snapshots" | cut -f1) KiB," \
     "store $(du -k "$DEJA_HOME/durable.db" | cut -f1) KiB," \
     "registry $(du -sk "$DEJA_HOME" | cut -f1) KiB in all"
kill -TERM $WPID
wait $WPID || true
unset WPID

echo "== wake-up latency over $W instances sleeping 2 s"
rm -rf "$DEJA_HOME"
export DEJA_HOME=$(mktemp -d /tmp/deja-bench-durable.XXXXXX)
ids=()
for ((i = 0; i < W; i++)); do ids+=("$("$DEJA" start "$G/durable_wake.wasm" 2)"); done
"$DEJA" worker --threads 4 --until-idle 2>/dev/null
for id in "${ids[@]}"; do "$DEJA" logs "$id" --stdout; done | awk '/^late_us/ { print $2 }' |
  sort -n >"$DEJA_HOME/late.txt"
n=$(wc -l <"$DEJA_HOME/late.txt")
p50=$(sed -n "$(((n + 1) / 2))p" "$DEJA_HOME/late.txt")
p99=$(sed -n "$(((n * 99 + 99) / 100))p" "$DEJA_HOME/late.txt")
echo "woke $n: late by p50 ${p50} us, p99 ${p99} us, max $(tail -1 "$DEJA_HOME/late.txt") us"
