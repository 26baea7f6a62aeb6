#!/usr/bin/env bash
# A recorded HTTP server (tests/guests/http_server.c) answers two requests
# over loopback; its replay needs no network (the port is taken by another
# process meanwhile) and prints the same; `deja trace http` shows both
# exchanges.
source "$(dirname "$0")/lib.sh"

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
listening() { ss -Hltn "sport = :$1" | grep -q .; }

port=$(free_port)
note "http_server on 127.0.0.1:$port: record"
"$DEJA" run --listen "127.0.0.1:$port" "$G/http_server.wasm" 2 >server.out 2>server.err &
server=$!
for _ in $(seq 200); do
  listening "$port" && break
  kill -0 "$server" 2>/dev/null || break
  sleep 0.02
done
listening "$port" || { show server.out server.err; fail "the server never listened on $port"; }

curl -sS --max-time 10 "http://127.0.0.1:$port/hello" >client1.out ||
  { show server.err; fail "GET /hello failed"; }
curl -sS --max-time 10 -X DELETE "http://127.0.0.1:$port/item/7" >client2.out ||
  { show server.err; fail "DELETE /item/7 failed"; }
set +e
wait "$server"
code=$?
set -e
echo "run --listen 127.0.0.1:$port http_server.wasm 2" >server.cmd
expect_code server 0
[[ $(cat client1.out) == "you asked for GET /hello" ]] || fail "GET answer: $(cat client1.out)"
[[ $(cat client2.out) == "you asked for DELETE /item/7" ]] || fail "DELETE answer: $(cat client2.out)"
has server out "served 2"
id=$(recorded_id server)

note "replay $id while another process holds port $port"
python3 -c '
import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(1); print("held", flush=True); time.sleep(30)' \
  "$port" >holder.out &
holder=$!
trap 'kill $holder 2>/dev/null || true' EXIT
for _ in $(seq 100); do
  grep -q held holder.out 2>/dev/null && break
  sleep 0.02
done
code=0
replay_matches server server.replay "$id"
kill "$holder" 2>/dev/null || true

note "trace http"
dj http trace http last
expect_code http 0
has http out "GET /hello"
has http out "DELETE /item/7"
n200=$(grep -c -F "200 OK" http.out || true)
((n200 >= 2)) || fail_with http "trace http shows $n200 \"200 OK\" status lines, expected 2"
dj http_json trace http last --json
expect_code http_json 0
json_lines http_json.out
grep -q -F '/hello' http_json.out || fail_with http_json "trace http --json lacks /hello"
grep -q -F '/item/7' http_json.out || fail_with http_json "trace http --json lacks /item/7"

echo "PASS [$TEST_NAME]"
