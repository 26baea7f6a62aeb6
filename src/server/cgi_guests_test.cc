// The CGI test guests (tests/guests/cgi_*) run through the session layer
// with the environment and stdin the mapping gives them, their stdout read
// by the response parser: the whole CGI path short of the HTTP server.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <map>
#include <thread>

#include "deja/session.h"
#include "server/cgi.h"

namespace deja::server {
namespace {

std::string Guest(const std::string& name) { return std::string(DEJA_GUEST_DIR) + "/" + name; }

CgiRequest Request(std::string method, std::string target, std::string body = "") {
  CgiRequest r;
  r.method = std::move(method);
  r.target = std::move(target);
  r.script_name = "/acme/fn";
  r.headers = {{"Host", "localhost:8080"}, {"User-Agent", "test"},
               {"traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"},
               {"Authorization", "Bearer do-not-leak"}};
  if (!body.empty()) r.headers.push_back({"Content-Type", "text/plain"});
  r.content_length = body.size();
  r.server_name = "localhost";
  r.server_port = 8080;
  r.remote_addr = "127.0.0.1";
  return r;
}

session::RunSpec Spec(const std::string& guest, const CgiRequest& request, std::string body) {
  session::RunSpec spec;
  spec.source = session::Source::kModule;
  spec.file = Guest(guest);
  auto env = CgiEnvironment(request);
  EXPECT_TRUE(env.ok()) << env.status().ToString();
  if (env.ok()) spec.env = CgiEnvStrings(*env);
  std::vector<std::string> args = CgiArguments(request);
  spec.args.assign(args.begin() + 1, args.end());
  spec.record = false;
  spec.stdin_stream.kind = StdioKind::kBuffer;
  spec.stdin_stream.input = std::move(body);
  spec.stdout_stream.kind = StdioKind::kBuffer;
  spec.stdout_stream.capacity = 4 << 20;
  spec.stderr_stream.kind = StdioKind::kBuffer;
  spec.fuel = 2'000'000'000;
  return spec;
}

struct Answer {
  Status status;
  CgiParsedOutput parsed;
};

Answer Invoke(const std::string& guest, const CgiRequest& request, std::string body = "") {
  session::RunSpec spec = Spec(guest, request, std::move(body));
  session::RunResult run = session::Run(spec, {});
  EXPECT_EQ(run.exit_status, 0) << guest << ": " << run.trap << " " << run.stderr_output;
  auto parsed = ParseCgiOutput(run.stdout_output);
  if (!parsed.ok()) return {parsed.take_status(), {}};
  return {Status(), std::move(parsed).value()};
}

std::string Header(const CgiResponse& r, std::string_view name) {
  for (const HttpHeader& h : r.headers) {
    if (h.name == name) return h.value;
  }
  return "(none)";
}

TEST(CgiGuests, HelloEchoesMethodPathQueryAndBody) {
  Answer a = Invoke("cgi_hello.wasm", Request("POST", "/acme/fn/some/path?x=1&y=two", "ping"), "ping");
  ASSERT_TRUE(a.status.ok()) << a.status.ToString();
  EXPECT_EQ(a.parsed.response.status, 200);
  EXPECT_EQ(Header(a.parsed.response, "Content-Type"), "text/plain; charset=utf-8");
  EXPECT_EQ(a.parsed.body,
            "hello from /acme/fn\nmethod: POST\npath: /some/path\nquery: x=1&y=two\n"
            "traceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01\nbody: ping\n");
}

TEST(CgiGuests, CppCookiesAndStatus) {
  Answer a = Invoke("cgi_cookies.wasm", Request("GET", "/acme/fn?ada"));
  ASSERT_TRUE(a.status.ok()) << a.status.ToString();
  const CgiResponse& r = a.parsed.response;
  EXPECT_EQ(r.status, 201);
  EXPECT_EQ(r.reason, "Created");
  EXPECT_EQ(r.content_length, a.parsed.body.size());
  EXPECT_EQ(r.headers, (std::vector<HttpHeader>{{"Set-Cookie", "session=ada; Path=/; HttpOnly"},
                                                {"Content-Type", "application/json"},
                                                {"Set-Cookie", "theme=dark; Path=/"}}));
  EXPECT_EQ(a.parsed.body, "{\"created\":\"ada\"}\n");
}

TEST(CgiGuests, InvalidOutputsAreNamed) {
  std::map<std::string, std::string> want = {
      {"nocolon", "line 3: header without colon"},
      {"status", "line 1: Status '99x Odd' not a 3-digit code"},
      {"noblank", "no blank line after headers within 64 KiB"},
      {"empty", "no output: the guest wrote nothing to stdout"},
      {"", "line 1: header without colon"},
  };
  for (const auto& [mode, message] : want) {
    Answer a = Invoke("cgi_invalid.wasm", Request("GET", "/acme/fn?" + mode));
    EXPECT_EQ(a.status.message(), message) << "mode " << mode;
  }
}

// Mirrors deislabs/env_wagi: its argv carries the query's parts, its
// environment the CGI variables, its output the body it read.
TEST(CgiGuests, WagiEnvExample) {
  CgiRequest r = Request("PUT", "/acme/fn/p?a=b&p=q", "the body");
  Answer a = Invoke("cgi_env_wagi.wasm", r, "the body");
  ASSERT_TRUE(a.status.ok()) << a.status.ToString();
  EXPECT_EQ(a.parsed.response.status, 200);
  EXPECT_EQ(Header(a.parsed.response, "X-Foo-Header"), "Bar");
  const std::string& body = a.parsed.body;
  for (const char* line : {"arg: a=b\n", "arg: p=q\n", "REQUEST_METHOD = PUT\n", "PATH_INFO = /p\n",
                           "X_MATCHED_ROUTE = /acme/fn/...\n", "CONTENT_LENGTH = 8\n",
                           "HTTP_USER_AGENT = test\n", "### STDIN ###\nthe body\n",
                           "### Files ###\n(no directory granted)\n"}) {
    EXPECT_NE(body.find(line), std::string::npos) << line << " in:\n" << body;
  }
  EXPECT_EQ(body.find("do-not-leak"), std::string::npos);
}

// 50 MiB through a pipe: the headers are known after the first bytes, and
// the body passes through the parser while the guest is still writing.
TEST(CgiGuests, LargeBodyStreams) {
  int fds[2];
  ASSERT_EQ(pipe2(fds, O_CLOEXEC), 0);
  session::RunSpec spec = Spec("cgi_big.wasm", Request("GET", "/acme/fn"), "");
  spec.stdout_stream.kind = StdioKind::kHostFd;
  spec.stdout_fd = fds[1];
  std::atomic<bool> guest_done{false};
  uint64_t body = 0, body_at_headers = ~0ull;
  bool headers_before_end = false, pattern_ok = true;
  Status status;
  std::thread reader([&] {
    CgiResponseParser parser;
    std::vector<char> buf(256 * 1024);
    for (;;) {
      ssize_t n = read(fds[0], buf.data(), buf.size());
      if (n <= 0) break;
      bool had = parser.headers_done();
      auto chunk = parser.Feed(std::string_view(buf.data(), static_cast<size_t>(n)));
      if (!chunk.ok()) {
        status = chunk.take_status();
        return;
      }
      if (!had && parser.headers_done()) {
        headers_before_end = !guest_done.load();
        body_at_headers = body;
      }
      for (char c : *chunk) {
        if (c != static_cast<char>('a' + body % 26)) pattern_ok = false;
        ++body;
      }
    }
    status = parser.Finish();
  });
  session::RunResult run = session::Run(spec, {});
  guest_done = true;
  close(fds[1]);
  reader.join();
  close(fds[0]);
  EXPECT_EQ(run.exit_status, 0) << run.trap;
  ASSERT_TRUE(status.ok()) << status.ToString();
  EXPECT_TRUE(headers_before_end);
  EXPECT_EQ(body_at_headers, 0u);
  EXPECT_EQ(body, 50ull << 20);
  EXPECT_TRUE(pattern_ok);
}

}  // namespace
}  // namespace deja::server
