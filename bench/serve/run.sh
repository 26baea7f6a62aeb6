#!/bin/sh
# deja serve throughput (docs/PERFORMANCE.md, "deja serve"): one run measures
# GET /healthz (the HTTP layer alone, the reference) and the hello CGI
# function recorded and unrecorded, with the compiled-module cache off
# (--module-cache 0: every invocation compiles) and on (the default).
# With NATIVE_HELLO (bench_serve_native), a native Beast hello server is
# measured first in the same run.
# Usage: bench/serve/run.sh DEJA HELLO_CGI_WASM [SECONDS] [NATIVE_HELLO]
set -eu
DEJA=$1; HELLO=$2; SECS=${3:-5}; NATIVE=${4:-}
command -v wrk >/dev/null || { echo "bench/serve: wrk is not installed" >&2; exit 2; }

bench() {  # label, url, token
  out=$(wrk -t2 -c64 -d"${SECS}s" --latency -H "Authorization: Bearer $3" "$2")
  rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
  p50=$(echo "$out" | awk '$1 == "50%" {print $2}')
  non2xx=$(echo "$out" | awk '/Non-2xx/ {print $4}')
  printf '%-34s %10s req/s  p50 %-8s non-2xx %s\n' "$1" "$rps" "$p50" "${non2xx:-0}"
}

serve() {  # cache entries, label
  home=$(mktemp -d /tmp/deja-bench-serve.XXXXXX)
  log=$home/serve.log
  DEJA_HOME=$home "$DEJA" serve --listen 127.0.0.1:0 --module-cache "$1" 2>"$log" &
  pid=$!
  for _ in $(seq 100); do grep -q "listening on" "$log" && break; sleep 0.1; done
  url=$(sed -n 's/.*listening on \(http:[^ ]*\).*/\1/p' "$log")
  admin=$(sed -n 's/^admin token: //p' "$log")
  tok=$(DEJA_HOME=$home DEJA_SERVER=$url DEJA_TOKEN=$admin "$DEJA" tenant create bench)
  DEJA_HOME=$home DEJA_SERVER=$url DEJA_TOKEN=$tok "$DEJA" fn deploy hello "$HELLO" >/dev/null
  DEJA_HOME=$home DEJA_SERVER=$url DEJA_TOKEN=$tok "$DEJA" fn deploy quiet "$HELLO" --no-record >/dev/null
  [ "$1" = 0 ] || bench "GET /healthz" "$url/healthz" "$tok"
  bench "hello, recorded, $2" "$url/bench/hello" "$tok"
  bench "hello, --no-record, $2" "$url/bench/quiet" "$tok"
  kill "$pid"; wait "$pid" || true
  rm -rf "$home"
}

echo "wrk -t2 -c64 -d${SECS}s on 127.0.0.1, $(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg)"
if [ -n "$NATIVE" ]; then
  nlog=$(mktemp /tmp/deja-bench-native.XXXXXX)
  "$NATIVE" >"$nlog" &
  npid=$!
  for _ in $(seq 100); do grep -q "listening on" "$nlog" && break; sleep 0.1; done
  bench "native Beast hello" "$(sed -n 's/.*listening on \(http:[^ ]*\).*/\1/p' "$nlog")/" none
  kill "$npid"; wait "$npid" 2>/dev/null || true
  rm -f "$nlog"
fi
serve 0 "no module cache"
serve 256 "module cache"
