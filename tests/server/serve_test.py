#!/usr/bin/env python3
"""`deja serve` end to end. Usage: serve_test.py DEJA GUEST_DIR SCENARIO

Each scenario starts its own server (127.0.0.1, port 0, a fresh DEJA_HOME),
reads the bound port and the first admin token from its stderr, runs, and
stops the server with SIGTERM, expecting exit status 0."""
import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

DEJA, GUESTS, SCENARIO = sys.argv[1], sys.argv[2], sys.argv[3]


SERVERS = []


def fail(message):
    print("FAIL: " + message, flush=True)
    for server in SERVERS:
        if server.proc.poll() is None:
            server.proc.kill()
        print("server stderr:\n" + "".join(server.lines), flush=True)
    sys.exit(1)


def check(cond, message):
    if not cond:
        fail(message)


class Server:
    def __init__(self, *extra):
        self.home = tempfile.mkdtemp(prefix="deja-serve-test.")
        env = dict(os.environ, DEJA_HOME=self.home)
        self.env = env
        self.proc = subprocess.Popen([DEJA, "serve", "--listen", "127.0.0.1:0", *extra],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True)
        self.lines = []
        SERVERS.append(self)
        self.admin = None
        self.port = None
        deadline = time.time() + 30
        while self.port is None:
            line = self.proc.stderr.readline()
            if not line:
                fail("deja serve ended before listening: " + "".join(self.lines))
            self.lines.append(line)
            m = re.match(r"admin token: (\S+)", line)
            if m:
                self.admin = m.group(1)
            m = re.search(r"listening on http://127\.0\.0\.1:(\d+)", line)
            if m:
                self.port = int(m.group(1))
            if time.time() > deadline:
                fail("no 'listening on' line")
        threading.Thread(target=self._drain, daemon=True).start()
        self.url = "http://127.0.0.1:%d" % self.port

    def _drain(self):
        for line in self.proc.stderr:
            self.lines.append(line)

    def request(self, method, path, body=None, token=None, headers=None, timeout=60):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        h = dict(headers or {})
        if token:
            h["Authorization"] = "Bearer " + token
        if isinstance(body, (dict, list)):
            body = json.dumps(body)
        conn.request(method, path, body=body, headers=h)
        r = conn.getresponse()
        data = r.read()
        conn.close()
        return r.status, r.getheaders(), data

    def json(self, method, path, body=None, token=None, expect=200):
        status, _, data = self.request(method, path, body, token)
        check(status == expect, "%s %s: expected %d, got %d: %s" % (method, path, expect, status, data[:300]))
        return json.loads(data) if data else None

    def cli(self, *args, token=None, expect=0, stdin=None):
        env = dict(self.env, DEJA_SERVER=self.url)
        if token:
            env["DEJA_TOKEN"] = token
        p = subprocess.run([DEJA, *args], capture_output=True, text=True, env=env, timeout=90, input=stdin)
        check(p.returncode == expect, "deja %s: exit %d (expected %d): %s %s" %
              (" ".join(args), p.returncode, expect, p.stdout, p.stderr))
        return p.stdout, p.stderr

    def alive(self):
        status, _, _ = self.request("GET", "/healthz")
        check(status == 200 and self.proc.poll() is None, "the server is not alive")

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            code = self.proc.wait(timeout=40)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            fail("deja serve did not stop on SIGTERM")
        check(code == 0, "deja serve exited %d on SIGTERM: %s" % (code, "".join(self.lines)))
        shutil.rmtree(self.home, ignore_errors=True)


def guest(name):
    return os.path.join(GUESTS, name + ".wasm")


def module_bytes(name):
    with open(guest(name), "rb") as f:
        return f.read()


def tenant(s, name):
    out, _ = s.cli("tenant", "create", name, token=s.admin)
    token = out.strip()
    check(re.fullmatch(r"deja_\d+_[0-9a-f]{64}", token) is not None, "tenant token format: %r" % out)
    return token


def header(headers, name):
    return [v for k, v in headers if k.lower() == name.lower()]


def deploy_invoke():
    s = Server()
    check(s.admin is not None, "no admin token printed on the first start")
    t = tenant(s, "acme")
    out, _ = s.cli("fn", "deploy", "hello", guest("hello_cgi"), "--env", "GREETING=hi", "--fuel", "100000000",
                   "--max-memory", "32MiB", "--timeout", "5s", token=t)
    check("hello version 1 (live)" in out, "deploy output: " + out)
    status, headers, body = s.request("POST", "/acme/hello/some/path?x=1&y=2", body=b"payload")
    check(status == 200, "invoke: %d %s" % (status, body))
    check(body == b"hi /acme/hello method=POST path=/some/path query=x=1&y=2 body=payload\n", "body: %r" % body)
    check(header(headers, "Set-Cookie") == ["a=1", "b=2"], "repeated Set-Cookie: %r" % headers)
    for h in ["X-Deja-Run-Id", "X-Deja-Invocation", "X-Deja-Wall-Us", "X-Deja-Fuel", "X-Deja-Memory-Peak",
              "X-Deja-Host-Calls", "X-Deja-Bytes-In", "X-Deja-Bytes-Out", "X-Deja-Version"]:
        check(len(header(headers, h)) == 1, "missing " + h)
    check(int(header(headers, "X-Deja-Fuel")[0]) > 0, "fuel figure")
    check(int(header(headers, "X-Deja-Memory-Peak")[0]) >= 65536, "memory figure")
    check(int(header(headers, "X-Deja-Host-Calls")[0]) > 0, "host calls figure")
    check(header(headers, "X-Deja-Bytes-In") == ["7"], "bytes in")
    run_id = header(headers, "X-Deja-Run-Id")[0]
    inv = header(headers, "X-Deja-Invocation")[0]
    # The CLI client invokes the same way.
    out, err = s.cli("fn", "invoke", "hello", "/cli?z=3", token=t)
    check(out.startswith("hi /acme/hello method=GET path=/cli query=z=3"), "fn invoke: " + out)
    check("X-Deja-Run-Id" in err, "fn invoke headers on stderr: " + err)
    # The invocation is listed, with logs and a trace, and replays with deja replay.
    j = s.json("GET", "/v1/invocations/" + inv, token=t)
    check(j["run_id"] == run_id and j["status"] == 200 and j["function"] == "hello", "invocation: %r" % j)
    status, _, logs = s.request("GET", "/v1/invocations/%s/logs" % inv, token=t)
    check(status == 200 and logs == b"hello_cgi: POST /some/path\n", "logs: %r" % logs)
    status, _, trace = s.request("GET", "/v1/invocations/%s/trace" % inv, token=t)
    check(status == 200 and b"fd_write" in trace, "trace: %r" % trace[:300])
    out, _ = s.cli("fn", "logs", "hello", token=t)
    check("hello_cgi: GET /cli" in out and "hello_cgi: POST /some/path" in out, "fn logs: " + out)
    p = subprocess.run([DEJA, "replay", run_id], capture_output=True, env=s.env, timeout=60)
    check(p.returncode == 0, "deja replay %s: %d %s" % (run_id, p.returncode, p.stderr))
    check(p.stdout.startswith(b"Content-Type: text/plain"), "replayed stdout: %r" % p.stdout[:100])
    p = subprocess.run([DEJA, "trace", "http", run_id], capture_output=True, env=s.env, timeout=60)
    check(p.returncode == 0, "deja trace http: %d %s" % (p.returncode, p.stderr))
    out, _ = s.cli("fn", "ls", token=t)
    check(out == "hello\tlive 1\n", "fn ls: %r" % out)
    # Not recorded when the version says so.
    s.cli("fn", "deploy", "quiet", guest("hello_cgi"), "--no-record", token=t)
    status, headers, _ = s.request("GET", "/acme/quiet/")
    check(status == 200 and not header(headers, "X-Deja-Run-Id"), "--no-record still recorded")
    s.stop()


def versions_rollback():
    s = Server()
    t = tenant(s, "acme")
    s.cli("fn", "deploy", "f", guest("hello_cgi"), token=t)
    s.cli("fn", "deploy", "f", guest("hello2_cgi"), token=t)
    _, _, body = s.request("GET", "/acme/f/")
    check(body.startswith(b"HELLO V2"), "v2 live: %r" % body)
    out, _ = s.cli("fn", "rollback", "f", token=t)
    check("version 1 is live (was 2)" in out, "rollback: " + out)
    _, headers, body = s.request("GET", "/acme/f/")
    check(body.startswith(b"hello") and header(headers, "X-Deja-Version") == ["1"], "after rollback: %r" % body)
    s.cli("fn", "promote", "f", "2", token=t)
    _, _, body = s.request("GET", "/acme/f/")
    check(body.startswith(b"HELLO V2"), "after promote: %r" % body)
    out, _ = s.cli("fn", "versions", "f", token=t)
    check(re.search(r"^1\t-\tsha256:", out, re.M) and re.search(r"^2\tlive\tsha256:", out, re.M), out)
    # Staged versions are not live; unknown versions are refused with the field.
    s.cli("fn", "deploy", "f", guest("hello_cgi"), "--stage", token=t)
    _, _, body = s.request("GET", "/acme/f/")
    check(body.startswith(b"HELLO V2"), "a staged version went live")
    _, err = s.cli("fn", "promote", "f", "9", token=t, expect=1)
    check("404" in err and "no version 9" in err and "field version" in err, err)
    j = s.json("POST", "/v1/functions/f/rollback", {"version": 3}, token=t, expect=400)
    check(j["field"] == "version", "%r" % j)
    s.stop()


def scopes():
    s = Server()
    t = tenant(s, "acme")
    s.cli("fn", "deploy", "f", guest("hello_cgi"), token=t)
    read = s.json("POST", "/v1/tokens", {"scopes": ["read"]}, token=t, expect=201)["token"]
    invoke = s.json("POST", "/v1/tokens", {"scopes": ["invoke"]}, token=t, expect=201)["token"]
    s.json("GET", "/v1/functions", token=read)
    j = s.json("POST", "/v1/functions/f/versions", None, token=read, expect=403)
    check("deploy" in j["error"] and j["field"] == "Authorization", "%r" % j)
    s.json("POST", "/v1/functions/f/promote", {"version": 1}, token=read, expect=403)
    s.json("GET", "/v1/functions", token=invoke, expect=403)
    # A read token cannot mint a deploy token; nobody but admin mints admin.
    s.json("POST", "/v1/tokens", {"scopes": ["deploy"]}, token=read, expect=403)
    s.json("POST", "/v1/tokens", {"scopes": ["admin"]}, token=t, expect=403)
    s.json("POST", "/v1/tokens", {"scopes": ["bogus"]}, token=t, expect=400)
    # Tenant tokens cannot manage tenants; admin tokens cannot deploy.
    s.json("POST", "/v1/tenants", {"name": "evil"}, token=t, expect=403)
    s.json("GET", "/v1/functions", token=s.admin, expect=403)
    # Missing, malformed and wrong tokens.
    s.json("GET", "/v1/functions", expect=401)
    s.json("GET", "/v1/functions", token="nonsense", expect=401)
    s.json("GET", "/v1/functions", token=t[:-1] + ("0" if t[-1] != "0" else "1"), expect=401)
    # Revocation and expiry.
    tokens = s.json("GET", "/v1/tokens", token=t)["tokens"]
    read_id = [x["id"] for x in tokens if x["scopes"] == ["read"]][0]
    s.json("DELETE", "/v1/tokens/%d" % read_id, token=t)
    j = s.json("GET", "/v1/functions", token=read, expect=401)
    check("revoked" in j["error"], "%r" % j)
    short = s.json("POST", "/v1/tokens", {"scopes": ["read"], "expires_in": 2}, token=t, expect=201)["token"]
    s.json("GET", "/v1/functions", token=short)
    time.sleep(3.1)
    j = s.json("GET", "/v1/functions", token=short, expect=401)
    check("expired" in j["error"], "%r" % j)
    # A private function needs an invoke token of its tenant.
    s.cli("fn", "deploy", "secret", guest("hello_cgi"), "--private", token=t)
    status, _, _ = s.request("GET", "/acme/secret/")
    check(status == 401, "private function without token: %d" % status)
    status, _, _ = s.request("GET", "/acme/secret/", token=read)
    check(status == 401, "revoked token on private function: %d" % status)
    status, _, _ = s.request("GET", "/acme/secret/", token=invoke)
    check(status == 200, "invoke token on private function: %d" % status)
    # The invoke token is not forwarded to the guest.
    _, _, body = s.request("GET", "/acme/secret/", token=invoke)
    check(invoke.encode() not in body, "token leaked to the guest")
    # token CLI
    out, _ = s.cli("token", "create", "--scope", "read", "--expires-in", "1h", token=t)
    check(out.startswith("deja_"), out)
    s.stop()


def isolation():
    s = Server()
    a = tenant(s, "alpha")
    b = tenant(s, "beta")
    s.cli("fn", "deploy", "f", guest("hello_cgi"), token=a)
    s.cli("fn", "deploy", "priv", guest("hello_cgi"), "--private", token=a)
    _, headers, _ = s.request("GET", "/alpha/f/")
    inv = header(headers, "X-Deja-Invocation")[0]
    # Every route, with beta's token, on alpha's things.
    check(s.json("GET", "/v1/functions", token=b)["functions"] == [], "beta sees alpha's functions")
    s.json("GET", "/v1/functions/f", token=b, expect=404)
    s.json("GET", "/v1/functions/f/versions", token=b, expect=404)
    s.json("GET", "/v1/functions/f/versions/1", token=b, expect=404)
    s.json("GET", "/v1/functions/f/invocations", token=b, expect=404)
    s.json("POST", "/v1/functions/f/promote", {"version": 1}, token=b, expect=404)
    s.json("POST", "/v1/functions/f/rollback", {}, token=b, expect=404)
    s.json("POST", "/v1/functions/f/versions/1/check", None, token=b, expect=404)
    s.json("GET", "/v1/invocations/" + inv, token=b, expect=404)
    s.json("GET", "/v1/invocations/%s/logs" % inv, token=b, expect=404)
    s.json("GET", "/v1/invocations/%s/trace" % inv, token=b, expect=404)
    check(s.json("GET", "/v1/invocations", token=b)["invocations"] == [], "beta counts alpha's invocations")
    check(s.json("GET", "/v1/invocations?function=f", token=b)["invocations"] == [], "by name")
    alpha_tokens = s.json("GET", "/v1/tokens", token=a)["tokens"]
    beta_ids = [x["id"] for x in s.json("GET", "/v1/tokens", token=b)["tokens"]]
    check(not set(beta_ids) & set(x["id"] for x in alpha_tokens), "beta lists alpha's tokens")
    s.json("DELETE", "/v1/tokens/%d" % alpha_tokens[0]["id"], token=b, expect=404)
    s.json("GET", "/v1/functions", token=a)  # alpha's token still works
    # beta deploying "f" makes beta's own f; alpha's is untouched.
    s.cli("fn", "deploy", "f", guest("hello2_cgi"), token=b)
    _, _, body = s.request("GET", "/alpha/f/")
    check(body.startswith(b"hello"), "alpha's f changed by beta")
    _, _, body = s.request("GET", "/beta/f/")
    check(body.startswith(b"HELLO V2"), "beta's f")
    # beta's invoke token cannot call alpha's private function.
    status, _, _ = s.request("GET", "/alpha/priv/", token=b)
    check(status == 403, "beta invoked alpha's private function: %d" % status)
    s.stop()


def raw(port, data, read_timeout=10):
    sock = socket.create_connection(("127.0.0.1", port), timeout=read_timeout)
    try:
        try:
            sock.sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server refused early and closed: its answer may still be readable
        chunks = b""
        while True:
            try:
                c = sock.recv(65536)
            except (ConnectionResetError, socket.timeout):
                break
            if not c:
                break
            chunks += c
        return chunks
    finally:
        sock.close()


def hostile_http():
    s = Server("--max-body", "1KiB", "--max-module-size", "1MiB")
    t = tenant(s, "acme")
    s.cli("fn", "deploy", "f", guest("hello_cgi"), token=t)
    r = raw(s.port, b"GARBAGE\r\n\r\n")
    check(r.startswith(b"HTTP/1.1 400"), "malformed request: %r" % r[:80])
    r = raw(s.port, b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 20000 + b"\r\n\r\n")
    check(r.startswith(b"HTTP/1.1 431"), "huge header: %r" % r[:80])
    r = raw(s.port, b"GET / HTTP/1.1\r\n" + b"".join(b"X-%d: y\r\n" % i for i in range(3000)) + b"\r\n")
    check(r.startswith(b"HTTP/1.1 431"), "many headers: %r" % r[:80])
    r = raw(s.port, b"POST /acme/f/ HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n" + b"x" * 5000)
    check(r.startswith(b"HTTP/1.1 413") and b'"field":"body"' in r, "body over the cap: %r" % r[:200])
    r = raw(s.port, b"POST /acme/f/ HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" +
            b"".join(b"100\r\n" + b"x" * 256 + b"\r\n" for _ in range(10)) + b"0\r\n\r\n")
    check(r.startswith(b"HTTP/1.1 413"), "chunked body over the cap: %r" % r[:80])
    status, _, _ = s.request("POST", "/v1/functions/g/versions", body=b"\0asm" + b"\0" * (2 << 20), token=t)
    check(status == 413, "module over the cap: %d" % status)
    r = raw(s.port, b"GET /acme/f/ HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n")
    check(r.startswith(b"HTTP/1.1 400"), "bad content-length: %r" % r[:80])
    # Keep-alive: two requests on one connection.
    r = raw(s.port, b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /acme/f/ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    check(r.count(b"HTTP/1.1 200") == 2, "keep-alive: %r" % r[:300])
    # Bad escapes, unknown routes, bad JSON, bad parameters: precise 4xx.
    s.json("GET", "/v1/functions/%zz", token=t, expect=400)
    s.json("GET", "/v1/nothing", token=t, expect=404)
    j = s.json("POST", "/v1/tokens", "{not json", token=t, expect=400)
    check(j["field"] == "body", "%r" % j)
    j = s.json("POST", "/v1/functions/f/versions?fuel=abc", None, token=t, expect=400)
    check(j["field"] == "fuel", "%r" % j)
    j = s.json("POST", "/v1/functions/f/versions?colour=red", None, token=t, expect=400)
    check(j["field"] == "colour", "%r" % j)
    j = s.json("POST", "/v1/functions/Bad.Name/versions", None, token=t, expect=400)
    check(j["field"] == "name", "%r" % j)
    s.json("GET", "/nobody/f/", expect=404)
    s.alive()
    s.stop()


def slowloris():
    s = Server("--read-timeout", "1s")
    socks = []
    start = time.time()
    for _ in range(20):
        c = socket.create_connection(("127.0.0.1", s.port))
        c.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        socks.append(c)
    # While they dribble, the server still answers others at once.
    t0 = time.time()
    s.alive()
    check(time.time() - t0 < 1.0, "slow clients delayed another")
    for c in socks:
        try:
            c.sendall(b"X-A: b\r\n")
        except OSError:
            pass
    closed = 0
    for c in socks:
        c.settimeout(5)
        try:
            data = c.recv(4096)
            while data and not data.endswith(b"}\n"):
                more = c.recv(4096)
                if not more:
                    break
                data += more
            if data == b"":
                closed += 1
        except (ConnectionResetError, socket.timeout):
            closed += 1 if time.time() - start < 5 else 0
        c.close()
    check(closed == 20, "slow clients not cut off: %d of 20" % closed)
    check(time.time() - start < 6, "cut off too late: %.1fs" % (time.time() - start))
    s.alive()
    s.stop()


def guest_limits():
    s = Server()
    t = tenant(s, "acme")
    s.cli("fn", "deploy", "loop", guest("loop_cgi"), "--timeout", "500ms", token=t)
    s.cli("fn", "deploy", "fuel", guest("loop_cgi"), "--fuel", "1000000", token=t)
    s.cli("fn", "deploy", "bomb", guest("bomb_cgi"), "--max-memory", "8MiB", "--timeout", "60s", token=t)
    s.cli("fn", "deploy", "garbage", guest("garbage_cgi"), token=t)
    s.cli("fn", "deploy", "ok", guest("hello_cgi"), token=t)
    results = {}

    def call(name):
        results[name] = s.request("GET", "/acme/%s/" % name)

    threads = [threading.Thread(target=call, args=(n,)) for n in ["loop", "fuel", "bomb", "garbage"]]
    for th in threads:
        th.start()
    # While they misbehave, a good function answers.
    t0 = time.time()
    status, _, _ = s.request("GET", "/acme/ok/")
    check(status == 200 and time.time() - t0 < 2.0, "a good function was held up")
    for th in threads:
        th.join()
    status, _, body = results["loop"]
    check(status == 504 and b"acme/loop" in body and b"timed out" in body, "loop: %d %s" % (status, body))
    status, _, body = results["fuel"]
    check(status == 504 and b"fuel" in body, "fuel: %d %s" % (status, body))
    status, headers, body = results["bomb"]
    check(status == 502 and b"acme/bomb" in body and b"trapped" in body, "bomb: %d %s" % (status, body))
    check(int(header(headers, "X-Deja-Memory-Peak")[0]) <= 8 << 20, "bomb memory over the cap")
    status, _, body = results["garbage"]
    check(status == 502 and b"line 1: header without colon" in body, "garbage: %d %s" % (status, body))
    s.alive()
    s.stop()


def bad_modules():
    s = Server()
    t = tenant(s, "acme")
    j = s.json("POST", "/v1/functions/f/versions", b"not a module at all", token=t, expect=422)
    check(j["field"] == "body" and "not valid" in j["error"], "%r" % j)
    s.json("POST", "/v1/functions/f/versions", b"", token=t, expect=400)
    # A module importing something beyond WASI preview 1.
    wasm = bytes.fromhex("0061736d01000000" "010401600000" "020b0103656e76036f74680000")
    j = s.json("POST", "/v1/functions/f/versions", wasm, token=t, expect=422)
    check("env.oth" in j["error"], "%r" % j)
    j = s.json("POST", "/v1/functions/f/versions?allow_unknown_imports=true", wasm, token=t, expect=201)
    _, err = s.cli("fn", "deploy", "g", "/nonexistent.wasm", token=t, expect=3)
    check("cannot read /nonexistent.wasm" in err, err)
    _, err = s.cli("fn", "ls", token="", expect=2)
    check("a token is needed" in err, err)
    p = subprocess.run([DEJA, "fn", "ls", "--server", "http://127.0.0.1:1", "--token", t], capture_output=True,
                       text=True, timeout=30)
    check(p.returncode == 3 and "cannot connect" in p.stderr, "unreachable: %d %s" % (p.returncode, p.stderr))
    s.alive()
    s.stop()


def replay_check():
    s = Server()
    t = tenant(s, "acme")
    s.cli("fn", "deploy", "f", guest("hello_cgi"), token=t)
    for i in range(3):
        s.request("POST", "/acme/f/p%d" % i, body=b"b%d" % i)
    # Version 2 is the same module: every replay matches.
    s.cli("fn", "deploy", "f", guest("hello_cgi"), "--stage", token=t)
    out, _ = s.cli("fn", "check", "f", "2", token=t)
    check("3 replayed, 0 diverged, 0 failed" in out, "same module: " + out)
    # Version 3 answers differently: every replay diverges, and says where.
    s.cli("fn", "deploy", "f", guest("hello2_cgi"), "--stage", token=t)
    out, _ = s.cli("fn", "check", "f", "3", token=t, expect=1)
    check("3 replayed, 3 diverged" in out and "fd_write" in out, "changed module: " + out)
    j = s.json("POST", "/v1/functions/f/versions/3/check?limit=1", None, token=t)
    check(j["checked"] == 1 and j["results"][0]["verdict"] == "diverged", "%r" % j)
    d = j["results"][0]["divergence"]
    check("fd_write" in d["recorded_call"] and "fd_write" in d["replayed_call"], "divergence: %r" % d)
    s.stop()


def quotas_metrics():
    s = Server("--tenant-concurrency", "1", "--tenant-rps", "1000")
    a = tenant(s, "alpha")
    b = tenant(s, "beta")
    s.cli("fn", "deploy", "slow", guest("loop_cgi"), "--timeout", "1500ms", token=a)
    s.cli("fn", "deploy", "ok", guest("hello_cgi"), token=a)
    s.cli("fn", "deploy", "ok", guest("hello_cgi"), token=b)
    result = {}
    th = threading.Thread(target=lambda: result.update(r=s.request("GET", "/alpha/slow/")))
    th.start()
    time.sleep(0.5)
    # alpha is at its one concurrent invocation: 429 with Retry-After; beta is not held up.
    status, headers, body = s.request("GET", "/alpha/ok/")
    check(status == 429 and header(headers, "Retry-After") and b"quota" in body, "429: %d %r %s" % (status, headers, body))
    status, _, _ = s.request("GET", "/beta/ok/")
    check(status == 200, "beta refused while alpha is at its quota: %d" % status)
    th.join(timeout=30)
    check(result["r"][0] == 504, "slow: %r" % (result["r"][:1],))
    status, _, _ = s.request("GET", "/alpha/ok/")
    check(status == 200, "alpha after its slot came back: %d" % status)
    status, _, metrics = s.request("GET", "/metrics")
    text = metrics.decode()
    check(status == 200 and 'deja_quota_refusals_total{tenant="alpha",limit="concurrency"} 1' in text,
          "metrics: " + text[:2000])
    check('deja_invocations_total{tenant="beta",status="200"} 1' in text, "invocations metric")
    check("deja_http_request_seconds_bucket" in text, "latency histogram")
    # Idempotency-Key: the retry gets the first answer (same invocation), another body is refused.
    k = {"Idempotency-Key": "order-17"}
    st1, h1, b1 = s.request("POST", "/beta/ok/x", body=b"one", headers=k)
    st2, h2, b2 = s.request("POST", "/beta/ok/x", body=b"one", headers=k)
    check(st1 == 200 and st2 == 200 and b1 == b2, "idempotent replay: %d %d" % (st1, st2))
    check(header(h1, "X-Deja-Invocation") == header(h2, "X-Deja-Invocation"), "a retry ran again")
    check(header(h2, "Idempotent-Replayed") == ["true"], "replay not marked")
    st3, _, b3 = s.request("POST", "/beta/ok/x", body=b"two", headers=k)
    check(st3 == 422 and b"Idempotency-Key" in b3, "same key, other body: %d %s" % (st3, b3))
    s.stop()


def fair_scheduling():
    # One engine thread: alpha floods it with slow invocations (each stopped
    # at its 200 ms timeout); beta's one request must wait for at most the
    # running one and about one more, not for alpha's whole queue (which
    # arrival order would make it do: 20 x 200 ms).
    s = Server("--engine-threads", "1")
    a = tenant(s, "alpha")
    b = tenant(s, "beta")
    s.cli("fn", "deploy", "slow", guest("loop_cgi"), "--timeout", "200ms", token=a)
    s.cli("fn", "deploy", "ok", guest("hello_cgi"), token=b)
    order = []
    lock = threading.Lock()

    def call(who, path):
        status, _, _ = s.request("GET", path, timeout=90)
        with lock:
            order.append((who, status))

    flood = [threading.Thread(target=call, args=("alpha", "/alpha/slow/")) for _ in range(20)]
    for th in flood:
        th.start()
    time.sleep(0.6)
    with lock:
        done_before = len(order)
    call("beta", "/beta/ok/")
    for th in flood:
        th.join(timeout=90)
    check(len(order) == 21, "not every request was answered: %r" % order)
    beta_at = [i for i, (who, _) in enumerate(order) if who == "beta"][0]
    check(order[beta_at][1] == 200, "beta: %r" % (order[beta_at],))
    check(all(st == 504 for who, st in order if who == "alpha"), "alpha: %r" % order)
    waited_for = beta_at - done_before
    check(waited_for <= 3, "beta waited for %d of alpha's invocations (done before it asked: %d): %r"
          % (waited_for, done_before, order))
    s.stop()


def traceparent_access_log():
    log_path = os.path.join(tempfile.mkdtemp(prefix="deja-access-log."), "access.log")
    s = Server("--access-log", log_path)
    t = tenant(s, "acme")
    s.cli("fn", "deploy", "hello", guest("trace_cgi"), token=t)
    tp = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"

    def invoke(headers):
        status, h, body = s.request("POST", "/acme/hello/p?q=secret", body=b"12345", headers=headers)
        check(status == 200, "invoke: %d %s" % (status, body))
        return h, body

    h, body = invoke({"traceparent": tp})
    check(header(h, "traceparent") == [tp], "not echoed: %r" % h)
    check(body == ("traceparent=%s\n" % tp).encode(), "the guest did not get it: %r" % body)
    run_id = header(h, "X-Deja-Run-Id")[0]
    out_bytes = len(body)
    for bad in ["00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",  # uppercase
                "00-00000000000000000000000000000000-00f067aa0ba902b7-01",  # zero trace id
                "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",  # zero parent id
                "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",  # version ff
                "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-x",  # v00 with more
                "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7"]:  # no flags
        h, body = invoke({"traceparent": bad})
        check(not header(h, "traceparent"), "an invalid traceparent was echoed: %s" % bad)
        check(body == b"traceparent=none\n", "an invalid traceparent reached the guest: %s %r" % (bad, body))
    s.request("GET", "/healthz")
    s.stop()
    with open(log_path) as f:
        lines = [json.loads(line) for line in f]
    invocations = [l for l in lines if l.get("function") == "hello"]
    check(len(invocations) == 7, "access log: %d invocation lines: %r" % (len(invocations), lines))
    first = invocations[0]
    check(first["tenant"] == "acme" and first["version"] == 1 and first["status"] == 200 and
          first["run_id"] == run_id and first["traceparent"] == tp and first["bytes_in"] == 5 and
          first["bytes_out"] == out_bytes and first["duration_us"] > 0 and first["method"] == "POST" and
          first["path"] == "/acme/hello/p" and re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", first["time"]),
          "access log line: %r" % first)
    check(all("traceparent" not in l for l in invocations[1:]), "invalid traceparents logged")
    check(any(l["path"] == "/healthz" and "tenant" not in l for l in lines), "no /healthz line")
    check(all("secret" not in json.dumps(l) for l in lines), "the query was logged")
    shutil.rmtree(os.path.dirname(log_path), ignore_errors=True)


def shutdown():
    s = Server()
    t = tenant(s, "acme")
    s.cli("fn", "deploy", "slow", guest("loop_cgi"), "--timeout", "1500ms", token=t)
    result = {}

    def call():
        result["r"] = s.request("GET", "/acme/slow/")

    th = threading.Thread(target=call)
    th.start()
    time.sleep(0.4)
    s.proc.send_signal(signal.SIGTERM)
    time.sleep(0.2)
    try:
        socket.create_connection(("127.0.0.1", s.port), timeout=2).close()
        accepting = True
    except OSError:
        accepting = False
    check(not accepting, "still accepting after SIGTERM")
    th.join(timeout=30)
    check("r" in result and result["r"][0] == 504, "the in-flight invocation was not drained: %r" % result)
    code = s.proc.wait(timeout=30)
    check(code == 0, "exit status %d" % code)
    # State persists: a second start prints no admin token.
    s2 = Server.__new__(Server)
    env = dict(os.environ, DEJA_HOME=s.home)
    p = subprocess.Popen([DEJA, "serve", "--listen", "127.0.0.1:0"], stderr=subprocess.PIPE, text=True, env=env)
    line = p.stderr.readline()
    check("admin token" not in line and "listening on" in line, "second start: " + line)
    p.send_signal(signal.SIGINT)
    check(p.wait(timeout=30) == 0, "SIGINT exit")
    del s2
    shutil.rmtree(s.home, ignore_errors=True)


globals()[SCENARIO]()
print("ok " + SCENARIO)
