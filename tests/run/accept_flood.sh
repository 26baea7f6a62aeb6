#!/usr/bin/env bash
# An accept flood against a guest's --listen socket: 400 connections at
# once, more than --max-fds lets the guest hold. The guest must get ENFILE
# once its descriptors are used up (never more than --max-fds of them), deja
# must keep its own descriptors bounded (a connection the guest cannot take
# is not left open on the host), end cleanly, and the run must replay.
# usage: accept_flood.sh DEJA GUEST_DIR
set -u
deja=$1 guests=$2
home=$(mktemp -d /tmp/deja-flood.XXXXXX)
trap 'rm -rf "$home"; kill $pid 2>/dev/null' EXIT
export DEJA_HOME=$home
fail() { echo "FAIL: $*"; exit 1; }

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$deja" run --listen 127.0.0.1:$port --max-fds 20 --timeout 60s "$guests/accept_flood.wasm" \
  >"$home/out" 2>"$home/err" &
pid=$!
python3 - "$port" "$pid" >"$home/flood" <<'PY' || { cat "$home/flood" "$home/err"; fail "flood"; }
import os, socket, sys, time
port, pid = int(sys.argv[1]), int(sys.argv[2])
deadline = time.time() + 10
while True:  # wait for the listener
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        break
    except OSError:
        if time.time() > deadline: sys.exit("listener never came up")
        time.sleep(0.05)
held, peak = [], 0
for _ in range(400):
    try:
        held.append(socket.create_connection(("127.0.0.1", port), timeout=2))
    except OSError:
        pass
    try:
        peak = max(peak, len(os.listdir(f"/proc/{pid}/fd")))
    except FileNotFoundError:
        break
end = time.time() + 1.0  # the guest holds its connections a while
while time.time() < end:
    try:
        peak = max(peak, len(os.listdir(f"/proc/{pid}/fd")))
    except FileNotFoundError:
        break
    time.sleep(0.02)
print("connected", len(held), "peak host fds", peak)
PY
wait $pid
status=$?
[ "$status" -eq 0 ] || { cat "$home/err" "$home/out"; fail "deja run exited $status"; }
# 20 descriptors: stdio (3), the listener, 16 connections.
grep -qx "held 16, then accept: .*" "$home/out" || { cat "$home/out"; fail "the guest did not stop at the cap"; }
grep -q "ENFILE\|Too many open files in system" "$home/out" || { cat "$home/out"; fail "not ENFILE"; }
peak=$(sed -E 's/.*peak host fds ([0-9]+).*/\1/' "$home/flood")
# deja's own descriptors (log, registry, timer) plus the guest's 20: at
# least the 16 connections, and far below the 400 offered.
[ "$peak" -ge 20 ] || fail "deja held only $peak descriptors: the flood was not measured"
[ "$peak" -lt 60 ] || fail "deja held $peak descriptors during the flood"
"$deja" replay last >"$home/rout" 2>"$home/rerr" || { cat "$home/rerr"; fail "replay exited $?"; }
cmp -s "$home/out" "$home/rout" || fail "replay printed something else"
echo "PASS: accept flood: $(cat "$home/out"); host descriptors peaked at $peak; replayed"
