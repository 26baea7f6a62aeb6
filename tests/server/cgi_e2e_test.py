#!/usr/bin/env python3
"""The CGI test guests (tests/guests/cgi_*) deployed to `deja serve` and
invoked over HTTP. Usage: cgi_e2e_test.py DEJA GUEST_DIR SCENARIO

The server listens on 127.0.0.1 port 0 with a fresh DEJA_HOME; the port and
the admin token are read from its stderr; SIGTERM stops it."""
import http.client
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

DEJA, GUESTS, SCENARIO = sys.argv[1:4]
TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


def fail(message):
    print("FAIL: " + message, flush=True)
    sys.exit(1)


def expect(cond, message):
    if not cond:
        fail(message)


class Deja:
    """One `deja serve` process and a tenant on it."""

    def __init__(self):
        self.home = tempfile.mkdtemp(prefix="deja-cgi-e2e.")
        self.env = dict(os.environ, DEJA_HOME=self.home)
        self.proc = subprocess.Popen([DEJA, "serve", "--listen", "127.0.0.1:0"], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE, env=self.env, text=True)
        self.said, admin, self.port = [], None, None
        deadline = time.time() + 30
        while self.port is None and time.time() < deadline:
            line = self.proc.stderr.readline()
            if not line:
                break
            self.said.append(line)
            admin = admin or (re.findall(r"admin token: (\S+)", line) or [None])[0]
            found = re.findall(r"listening on http://127\.0\.0\.1:(\d+)", line)
            self.port = int(found[0]) if found else None
        expect(self.port and admin, "deja serve did not start: " + "".join(self.said))
        threading.Thread(target=lambda: [self.said.append(l) for l in self.proc.stderr], daemon=True).start()
        self.env["DEJA_SERVER"] = "http://127.0.0.1:%d" % self.port
        self.env["DEJA_TOKEN"] = admin
        self.env["DEJA_TOKEN"] = self.run("tenant", "create", "acme").strip()

    def run(self, *args):
        p = subprocess.run([DEJA, *args], capture_output=True, text=True, env=self.env, timeout=90)
        expect(p.returncode == 0, "deja %s: exit %d: %s" % (" ".join(args), p.returncode, p.stderr))
        return p.stdout

    def deploy(self, name, guest):
        self.run("fn", "deploy", name, os.path.join(GUESTS, guest + ".wasm"), "--timeout", "60s")

    def http(self, method, path, body=None, headers=None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        conn.request(method, path, body=body, headers=headers or {})
        r = conn.getresponse()
        data = r.read()
        conn.close()
        return r.status, r.getheaders(), data

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            code = self.proc.wait(timeout=40)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            fail("deja serve did not stop on SIGTERM")
        expect(code == 0, "deja serve exited %d: %s" % (code, "".join(self.said)))
        shutil.rmtree(self.home, ignore_errors=True)


def values(headers, name):
    return [v for k, v in headers if k.lower() == name.lower()]


def hello(d):
    d.deploy("hello", "cgi_hello")
    status, _, body = d.http("POST", "/acme/hello/some/path?x=1&y=two", b"ping",
                             {"traceparent": TRACEPARENT, "Content-Type": "text/plain"})
    expect(status == 200, "hello: %d %r" % (status, body))
    want = ("hello from /acme/hello\nmethod: POST\npath: /some/path\nquery: x=1&y=two\n"
            "traceparent: %s\nbody: ping\n" % TRACEPARENT).encode()
    expect(body == want, "hello body: %r" % body)


def cookies(d):
    d.deploy("cookies", "cgi_cookies")
    status, headers, body = d.http("GET", "/acme/cookies?ada")
    expect(status == 201, "cookies: %d %r" % (status, body))
    expect(values(headers, "Set-Cookie") == ["session=ada; Path=/; HttpOnly", "theme=dark; Path=/"],
           "two Set-Cookie in order: %r" % headers)
    expect(values(headers, "Content-Type") == ["application/json"], "content type: %r" % headers)
    expect(body == b'{"created":"ada"}\n', "cookies body: %r" % body)


def wagi_env(d):
    # deislabs/env_wagi rebuilt in C: headers, then its environment and stdin.
    d.deploy("env", "cgi_env_wagi")
    status, headers, body = d.http("PUT", "/acme/env/p?a=b", b"the body",
                                   {"Authorization": "Bearer not-for-the-guest", "traceparent": TRACEPARENT,
                                    "Content-Type": "text/plain"})
    expect(status == 200, "env: %d %r" % (status, body))
    expect(values(headers, "X-Foo-Header") == ["Bar"], "X-Foo-Header: %r" % headers)
    text = body.decode()
    for line in ["REQUEST_METHOD = PUT", "SCRIPT_NAME = /acme/env", "PATH_INFO = /p", "QUERY_STRING = a=b",
                 "CONTENT_LENGTH = 8", "CONTENT_TYPE = text/plain", "GATEWAY_INTERFACE = CGI/1.1",
                 "HTTP_TRACEPARENT = " + TRACEPARENT, "### STDIN ###\nthe body"]:
        expect(line in text, "%r not in:\n%s" % (line, text))
    expect("not-for-the-guest" not in text, "the Authorization header reached the guest")


def big(d):
    d.deploy("big", "cgi_big")
    mib = 8
    status, _, body = d.http("GET", "/acme/big?mib=%d" % mib)
    expect(status == 200, "big: %d" % status)
    expect(len(body) == mib << 20, "big body: %d bytes" % len(body))
    pattern = bytes(range(ord("a"), ord("z") + 1))
    expect(body == (pattern * ((len(body) // 26) + 1))[:len(body)], "big body: pattern differs")


def invalid(d):
    d.deploy("bad", "cgi_invalid")
    # The 502 names the problem (docs/SERVER.md, "stdout -> response").
    for mode, why in [("nocolon", b"line 3: header without colon"),
                      ("status", b"line 1: Status '99x Odd' not a 3-digit code"),
                      ("noblank", b"no blank line after headers within 64 KiB"),
                      ("empty", b"no output: the guest wrote nothing to stdout"),
                      ("plain", b"line 1: header without colon")]:
        status, _, body = d.http("GET", "/acme/bad?" + mode)
        expect(status == 502, "invalid output %s: %d %r" % (mode, status, body[:200]))
        expect(why in body, "invalid output %s: %r does not say %r" % (mode, body[:300], why))
    status, _, _ = d.http("GET", "/acme/hello-not-deployed")
    expect(status == 404, "unknown function: %d" % status)


SCENARIOS = {"hello": hello, "cookies": cookies, "wagi_env": wagi_env, "big": big, "invalid": invalid}

if __name__ == "__main__":
    deja = Deja()
    try:
        SCENARIOS[SCENARIO](deja)
    finally:
        if deja.proc.poll() is None and sys.exc_info()[0] not in (None, SystemExit):
            deja.proc.kill()
    deja.stop()
