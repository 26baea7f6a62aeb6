#include "server/cgi.h"

#include <gtest/gtest.h>

#include <map>
#include <random>

namespace deja::server {
namespace {

CgiRequest Basic() {
  CgiRequest r;
  r.method = "POST";
  r.target = "/acme/hello/a%20b/c?x=1&y=%41";
  r.script_name = "/acme/hello";
  r.headers = {{"Host", "example.com:8080"}, {"Content-Type", "text/plain"}, {"Content-Length", "5"},
               {"Accept", "text/html"}, {"Accept", "application/json"}, {"Cookie", "a=1"},
               {"Cookie", "b=2"}, {"Authorization", "Bearer secret"},
               {"Proxy-Authorization", "Basic x"}, {"Proxy-Foo", "y"}, {"X_Real_IP", "6.6.6.6"},
               {"Bad Name", "z"}, {"traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"},
               {"X-Empty", ""}, {"X-Spaces", "  padded \t"}};
  r.content_length = 5;
  r.server_name = "example.com";
  r.server_port = 8080;
  r.remote_addr = "10.1.2.3";
  r.remote_port = 5555;
  return r;
}

std::map<std::string, std::string> EnvMap(const CgiRequest& r, const CgiOptions& o = {}) {
  auto env = CgiEnvironment(r, o);
  EXPECT_TRUE(env.ok()) << env.status().ToString();
  std::map<std::string, std::string> m;
  if (!env.ok()) return m;
  for (auto& [n, v] : *env) {
    EXPECT_EQ(m.count(n), 0u) << "duplicate " << n;
    m[n] = v;
  }
  return m;
}

TEST(CgiEnv, Rfc3875Variables) {
  auto m = EnvMap(Basic());
  EXPECT_EQ(m["GATEWAY_INTERFACE"], "CGI/1.1");
  EXPECT_EQ(m["REQUEST_METHOD"], "POST");
  EXPECT_EQ(m["SCRIPT_NAME"], "/acme/hello");
  EXPECT_EQ(m["PATH_INFO"], "/a b/c");  // decoded, as RFC 3875 4.1.5 says
  EXPECT_EQ(m["PATH_TRANSLATED"], "/a b/c");
  EXPECT_EQ(m["QUERY_STRING"], "x=1&y=%41");  // not decoded
  EXPECT_EQ(m["CONTENT_TYPE"], "text/plain");
  EXPECT_EQ(m["CONTENT_LENGTH"], "5");
  EXPECT_EQ(m["SERVER_NAME"], "example.com");
  EXPECT_EQ(m["SERVER_PORT"], "8080");
  EXPECT_EQ(m["SERVER_PROTOCOL"], "HTTP/1.1");
  EXPECT_EQ(m["SERVER_SOFTWARE"], "deja");
  EXPECT_EQ(m["REMOTE_ADDR"], "10.1.2.3");
  EXPECT_EQ(m["REMOTE_HOST"], "10.1.2.3");
  EXPECT_EQ(m["REMOTE_PORT"], "5555");
  EXPECT_EQ(m.count("HTTPS"), 0u);
}

TEST(CgiEnv, WagiExtras) {
  auto m = EnvMap(Basic());
  EXPECT_EQ(m["X_RAW_PATH_INFO"], "/a%20b/c");
  EXPECT_EQ(m["X_FULL_URL"], "http://example.com:8080/acme/hello/a%20b/c?x=1&y=%41");
  EXPECT_EQ(m["X_MATCHED_ROUTE"], "/acme/hello/...");
  CgiOptions o;
  o.matched_route = "/acme/hello/:rest";
  EXPECT_EQ(EnvMap(Basic(), o)["X_MATCHED_ROUTE"], "/acme/hello/:rest");
  CgiRequest r = Basic();
  r.https = true;
  r.headers.clear();
  auto m2 = EnvMap(r);
  EXPECT_EQ(m2["HTTPS"], "on");
  EXPECT_EQ(m2["X_FULL_URL"], "https://example.com:8080/acme/hello/a%20b/c?x=1&y=%41");
}

TEST(CgiEnv, HeaderRules) {
  auto m = EnvMap(Basic());
  EXPECT_EQ(m["HTTP_HOST"], "example.com:8080");
  EXPECT_EQ(m["HTTP_ACCEPT"], "text/html, application/json");  // joined in order
  EXPECT_EQ(m["HTTP_COOKIE"], "a=1; b=2");                     // cookie crumbs joined with ;
  EXPECT_EQ(m["HTTP_TRACEPARENT"], "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
  EXPECT_EQ(m["HTTP_X_EMPTY"], "");
  EXPECT_EQ(m["HTTP_X_SPACES"], "padded");
  EXPECT_EQ(m.count("HTTP_AUTHORIZATION"), 0u);
  EXPECT_EQ(m.count("HTTP_PROXY_AUTHORIZATION"), 0u);
  EXPECT_EQ(m.count("HTTP_PROXY_FOO"), 0u);
  EXPECT_EQ(m.count("HTTP_X_REAL_IP"), 0u);  // underscore in the name: dropped
  EXPECT_EQ(m.count("HTTP_BAD NAME"), 0u);
  EXPECT_EQ(m.count("HTTP_CONTENT_TYPE"), 0u);
  EXPECT_EQ(m.count("HTTP_CONTENT_LENGTH"), 0u);
  for (auto& [n, v] : m) {
    EXPECT_EQ(v.find("secret"), std::string::npos) << n;
    EXPECT_EQ(v.find("6.6.6.6"), std::string::npos) << n;
  }
}

TEST(CgiEnv, HeaderCaseMergesDuplicates) {
  CgiRequest r = Basic();
  r.headers = {{"x-a", "1"}, {"X-A", "2"}, {"X-a", "3"}, {"X-Bad", std::string("a\0b", 3)},
               {"X-Crlf", "a\r\nX-Injected: 1"}};
  auto m = EnvMap(r);
  EXPECT_EQ(m["HTTP_X_A"], "1, 2, 3");
  EXPECT_EQ(m.count("HTTP_X_BAD"), 0u);
  EXPECT_EQ(m.count("HTTP_X_CRLF"), 0u);
}

TEST(CgiEnv, NoBodyNoPathInfo) {
  CgiRequest r = Basic();
  r.method = "GET";
  r.target = "/acme/hello";
  r.headers.clear();
  r.content_length.reset();
  auto m = EnvMap(r);
  EXPECT_EQ(m["PATH_INFO"], "");
  EXPECT_EQ(m["QUERY_STRING"], "");
  EXPECT_EQ(m.count("CONTENT_LENGTH"), 0u);
  EXPECT_EQ(m.count("CONTENT_TYPE"), 0u);
  r.content_length = 0;  // WAGI sets "0" when there is no body
  EXPECT_EQ(EnvMap(r)["CONTENT_LENGTH"], "0");
  r.target = "/acme/hello/?";
  EXPECT_EQ(EnvMap(r)["PATH_INFO"], "/");
  r.script_name = "/acme/hello/";  // a trailing slash in the route is not part of SCRIPT_NAME
  EXPECT_EQ(EnvMap(r)["SCRIPT_NAME"], "/acme/hello");
}

TEST(CgiEnv, ConfigEnvCannotFakeRequestVariables) {
  CgiOptions o;
  o.config_env = {{"GREETING", "hi"}, {"REMOTE_ADDR", "1.1.1.1"}, {"HTTP_HOST", "evil"}};
  auto m = EnvMap(Basic(), o);
  EXPECT_EQ(m["GREETING"], "hi");
  EXPECT_EQ(m["REMOTE_ADDR"], "10.1.2.3");
  EXPECT_EQ(m["HTTP_HOST"], "example.com:8080");
}

TEST(CgiEnv, Errors) {
  struct Case {
    std::string method, target, script, want;
  } cases[] = {
      {"GET", "/other/x", "/acme/hello", "does not start with the function's path '/acme/hello'"},
      {"GET", "/acme/helloworld", "/acme/hello", "does not start with the function's path"},
      {"GET", "acme/hello", "/acme/hello", "is not a path starting with '/'"},
      {"GET", "", "/acme/hello", "is not a path starting with '/'"},
      {"GE T", "/acme/hello", "/acme/hello", "request method 'GE T' is not an HTTP token"},
      {"GET", "/acme/hello/%zz", "/acme/hello", "PATH_INFO: bad percent escape at byte 1"},
      {"GET", "/acme/hello/%4", "/acme/hello", "PATH_INFO: bad percent escape"},
      {"GET", "/acme/hello/a%00b", "/acme/hello", "PATH_INFO: %00 at byte 2"},
      {"GET", std::string("/acme/hello/\nX", 14), "/acme/hello", "NUL, CR or LF"},
  };
  for (const Case& c : cases) {
    CgiRequest r = Basic();
    r.method = c.method;
    r.target = c.target;
    r.script_name = c.script;
    auto env = CgiEnvironment(r);
    ASSERT_FALSE(env.ok()) << c.target;
    EXPECT_NE(env.status().message().find(c.want), std::string::npos)
        << c.target << ": " << env.status().message();
  }
}

TEST(CgiEnv, SizeCap) {
  CgiRequest r = Basic();
  r.headers.push_back({"X-Big", std::string(300 * 1024, 'a')});
  auto env = CgiEnvironment(r);
  ASSERT_FALSE(env.ok());
  EXPECT_EQ(env.status().code(), Status::Code::kResourceExhausted);
  EXPECT_NE(env.status().message().find("over the limit of 262144"), std::string::npos);
  EXPECT_EQ(CgiEnvStrings({{"A", "b=c"}}), std::vector<std::string>{"A=b=c"});
}

TEST(CgiEnv, WagiArguments) {
  CgiRequest r = Basic();
  r.target = "/acme/hello/x?a=b&&p=q+r&bad=%zz&pct=%41";
  EXPECT_EQ(CgiArguments(r),
            (std::vector<std::string>{"/acme/hello/x", "a=b", "p=q r", "bad=%zz", "pct=A"}));
  r.target = "/acme/hello";
  EXPECT_EQ(CgiArguments(r), std::vector<std::string>{"/acme/hello"});
}

// ---- the response parser ----

CgiParsedOutput Parse(std::string_view out) {
  auto r = ParseCgiOutput(out);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? *r : CgiParsedOutput{};
}

std::string ParseError(std::string_view out, CgiParseLimits limits = {}) {
  auto r = ParseCgiOutput(out, limits);
  if (r.ok()) return "(parsed)";
  EXPECT_EQ(r.status().code(), Status::Code::kMalformed);
  return std::string(r.status().message());
}

TEST(CgiResponse, Document) {
  auto p = Parse("Content-Type: text/plain\n\nhello\n");
  EXPECT_EQ(p.response.kind, CgiResponseKind::kDocument);
  EXPECT_EQ(p.response.status, 200);
  EXPECT_EQ(p.response.headers, (std::vector<HttpHeader>{{"Content-Type", "text/plain"}}));
  EXPECT_EQ(p.body, "hello\n");
}

TEST(CgiResponse, StatusCookiesAndCrlf) {
  auto p = Parse(
      "Status: 201 Made It\r\nSet-Cookie: a=1; Path=/\r\nContent-Type: text/html\r\n"
      "Set-Cookie: b=2\r\nX-Thing:   spaced  \r\n\r\n<p>ok</p>");
  EXPECT_EQ(p.response.status, 201);
  EXPECT_EQ(p.response.reason, "Made It");
  EXPECT_EQ(p.response.headers,
            (std::vector<HttpHeader>{{"Set-Cookie", "a=1; Path=/"}, {"Content-Type", "text/html"},
                                     {"Set-Cookie", "b=2"}, {"X-Thing", "spaced"}}));
  EXPECT_EQ(p.body, "<p>ok</p>");
}

TEST(CgiResponse, StatusAloneAndHopByHopDropped) {
  auto p = Parse("Status: 204\nConnection: close\nTransfer-Encoding: chunked\nKeep-Alive: 5\n\n");
  EXPECT_EQ(p.response.status, 204);
  EXPECT_EQ(p.response.reason, "");
  EXPECT_TRUE(p.response.headers.empty());
}

TEST(CgiResponse, Redirects) {
  auto local = Parse("Location: /acme/other?x=1\n\n");
  EXPECT_EQ(local.response.kind, CgiResponseKind::kLocalRedirect);
  EXPECT_EQ(local.response.location, "/acme/other?x=1");
  EXPECT_TRUE(local.response.headers.empty());

  auto client = Parse("Location: https://example.org/x\nX-Extra: 1\n\n");
  EXPECT_EQ(client.response.kind, CgiResponseKind::kClientRedirect);
  EXPECT_EQ(client.response.status, 302);
  EXPECT_EQ(client.response.headers,
            (std::vector<HttpHeader>{{"Location", "https://example.org/x"}, {"X-Extra", "1"}}));

  auto doc = Parse("Location: https://example.org/y\nStatus: 301 Moved\nContent-Type: text/html\n\nmoved");
  EXPECT_EQ(doc.response.kind, CgiResponseKind::kClientRedirectWithDocument);
  EXPECT_EQ(doc.response.status, 301);
  EXPECT_EQ(doc.body, "moved");

  auto doc302 = Parse("Location: https://example.org/y\nContent-Type: text/html\n\nmoved");
  EXPECT_EQ(doc302.response.kind, CgiResponseKind::kClientRedirectWithDocument);
  EXPECT_EQ(doc302.response.status, 302);

  // A path with a Status is the client's to follow (303 See Other, 201 Created).
  auto see_other = Parse("Status: 303\nLocation: /next\n\n");
  EXPECT_EQ(see_other.response.kind, CgiResponseKind::kClientRedirectWithDocument);
  EXPECT_EQ(see_other.response.status, 303);
  auto created = Parse("Status: 201\nLocation: items/7\nContent-Type: text/plain\n\n7");
  EXPECT_EQ(created.response.kind, CgiResponseKind::kDocument);
  EXPECT_EQ(created.response.location, "items/7");
}

TEST(CgiResponse, ContentLength) {
  auto p = Parse("Content-Type: text/plain\nContent-Length: 3\n\nabc");
  EXPECT_EQ(p.response.content_length, 3u);
  EXPECT_TRUE(p.response.headers.size() == 1);  // Content-Length is the server's to send
  EXPECT_EQ(ParseError("Content-Type: a/b\nContent-Length: 5\n\nabc"),
            "body is 3 bytes but Content-Length says 5");
  EXPECT_EQ(ParseError("Content-Type: a/b\nContent-Length: 2\n\nabc"),
            "body longer than its Content-Length of 2 bytes");
  EXPECT_EQ(ParseError("Content-Type: a/b\nContent-Length: 2x\n\nab"),
            "line 2: Content-Length '2x' not a number");
  EXPECT_EQ(ParseError("Content-Type: a/b\nContent-Length: 2\nContent-Length: 3\n\nab"),
            "line 3: second Content-Length with a different value");
}

TEST(CgiResponse, Errors) {
  struct Case {
    std::string out, want;
  } cases[] = {
      {"", "no output: the guest wrote nothing to stdout"},
      {"hello world\n", "line 1: header without colon"},
      {"Content-Type: text/plain\nX-A: 1\nnot a header\n\nbody", "line 3: header without colon"},
      {"Content-Type: text/plain", "output ended after 1 line(s) with no blank line after the headers"},
      {"Content-Type: text/plain\nX: 1\n", "output ended after 2 line(s) with no blank line after the headers"},
      {"Content-Type: text/plain\nX: 1\r", "output ended after 2 line(s) with no blank line after the headers"},
      {"this is not a CGI response", "line 1: header without colon"},
      {"Content-Type: a/b\nStatus: 9", "line 2: Status '9' not a 3-digit code"},
      {"\nbody", "line 1: blank line before any header"},
      {"\r\nbody", "line 1: blank line before any header"},
      {"X-Only: 1\n\nbody", "no Content-Type, Location or Status header before the blank line at line 2"},
      {"Status: 99x\n\n", "line 1: Status '99x' not a 3-digit code"},
      {"Status: 2000\n\n", "line 1: Status '2000' not a 3-digit code"},
      {"Status: ok\n\n", "line 1: Status 'ok' not a 3-digit code"},
      {"Status:\n\n", "line 1: Status '' not a 3-digit code"},
      {"Status: 101 Switching\n\n", "line 1: Status 101 is not a final response code (200-599)"},
      {"Status: 600\n\n", "line 1: Status 600 is not a final response code (200-599)"},
      {"Status: 200\nStatus: 404\n\n", "line 2: second Status header"},
      {"Content-Type: a/b\nContent-Type: c/d\n\n", "line 2: second Content-Type header"},
      {"Location: /a\nLocation: /b\n\n", "line 2: second Location header"},
      {"Location:\n\n", "line 1: empty Location"},
      {"Location: foo/bar\n\n", "Location 'foo/bar' is neither an absolute URI nor a path starting with '/'"},
      {"Location: //evil.example/x\n\n", "Location '//evil.example/x' is neither"},
      {"Content-Type: a/b\n X-Folded: 1\n\n", "line 2: continuation line (obsolete header folding) is not allowed"},
      {": nothing\n\n", "line 1: empty header name"},
      {"Bad Name: 1\n\n", "line 1: header name 'Bad Name' has a character not allowed in a name"},
      {"Content-Type : a/b\n\n", "line 1: header name 'Content-Type ' has a character"},
      {"Content-Type: a/b\nX-A: a\rb\n\n", "line 2: header 'X-A' has a control character in its value (\\x0d)"},
      {std::string("Content-Type: a/b\nX-A: a\0b\n\n", 27), "line 2: header 'X-A' has a control character"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(ParseError(c.out).substr(0, c.want.size()), c.want) << "output: " << c.out;
  }
}

TEST(CgiResponse, Limits) {
  std::string many = "Content-Type: a/b\n";
  for (int i = 0; i < 100; ++i) many += "X-" + std::to_string(i) + ": v\n";
  EXPECT_EQ(ParseError(many + "\n"), "line 101: more than 100 headers");
  CgiParseLimits small;
  small.max_header_count = 3;
  EXPECT_EQ(ParseError("Content-Type: a/b\nA: 1\nB: 2\n\n", small), "(parsed)");
  EXPECT_EQ(ParseError("Content-Type: a/b\nA: 1\nB: 2\nC: 3\n\n", small), "line 4: more than 3 headers");

  std::string big = "Content-Type: a/b\nX-Big: " + std::string(70 * 1024, 'x') + "\n\nbody";
  EXPECT_EQ(ParseError(big), "no blank line after headers within 64 KiB");
  // Exactly at the cap (blank line included) still parses.
  std::string head = "Content-Type: a/b\nX: ";
  std::string exact = head + std::string(64 * 1024 - head.size() - 2, 'y') + "\n\n";
  ASSERT_EQ(exact.size(), 64u * 1024);
  EXPECT_EQ(ParseError(exact + "tail"), "(parsed)");
  std::string over = head + std::string(64 * 1024 - head.size() - 1, 'y') + "\n\n";
  EXPECT_EQ(ParseError(over), "no blank line after headers within 64 KiB");
}

// Every split of a response into two chunks, and byte-by-byte, gives the
// same headers and body as parsing it whole.
TEST(CgiResponse, ChunkBoundariesAtEveryByte) {
  const std::string outputs[] = {
      "Status: 201 Created\r\nSet-Cookie: a=1\r\nContent-Type: text/plain\r\nSet-Cookie: b=2\r\n\r\nbody\r\n\r\nmore",
      "Content-Type: text/plain\n\n\n\nbody with blank lines",
      "Location: /x\n\n",
      "Content-Type: a/b\nContent-Length: 4\n\nabcd",
  };
  for (const std::string& out : outputs) {
    CgiParsedOutput whole = Parse(out);
    for (size_t cut = 0; cut <= out.size(); ++cut) {
      CgiResponseParser p;
      std::string body;
      for (std::string_view part : {std::string_view(out).substr(0, cut), std::string_view(out).substr(cut)}) {
        auto b = p.Feed(part);
        ASSERT_TRUE(b.ok()) << b.status().ToString();
        body.append(*b);
      }
      ASSERT_TRUE(p.Finish().ok());
      EXPECT_EQ(body, whole.body) << "cut at " << cut;
      EXPECT_EQ(p.response().headers, whole.response.headers) << "cut at " << cut;
      EXPECT_EQ(p.response().status, whole.response.status);
      EXPECT_EQ(p.response().kind, whole.response.kind);
      EXPECT_EQ(p.body_bytes(), whole.body.size());
    }
    CgiResponseParser p;
    std::string body;
    for (char c : out) {
      auto b = p.Feed(std::string_view(&c, 1));
      ASSERT_TRUE(b.ok());
      body.append(*b);
    }
    ASSERT_TRUE(p.Finish().ok());
    EXPECT_EQ(body, whole.body);
    EXPECT_EQ(p.response().headers, whole.response.headers);
  }
}

// An invalid response reports the same error however it is split.
TEST(CgiResponse, ErrorsAtEveryChunkBoundary) {
  const std::string out = "Content-Type: a/b\nX-A: 1\nbroken line\n\nbody";
  for (size_t cut = 0; cut <= out.size(); ++cut) {
    CgiResponseParser p;
    Status s;
    for (std::string_view part : {std::string_view(out).substr(0, cut), std::string_view(out).substr(cut)}) {
      auto b = p.Feed(part);
      if (!b.ok()) {
        s = b.take_status();
        break;
      }
    }
    if (s.ok()) s = p.Finish();
    EXPECT_EQ(s.message(), "line 3: header without colon") << "cut at " << cut;
    EXPECT_FALSE(p.Feed("more").ok());  // stays failed
  }
}

// The body streams through: headers are known after the first chunk and
// no body byte is kept by the parser.
TEST(CgiResponse, StreamsLargeBodies) {
  CgiResponseParser p;
  std::string head = "Content-Type: application/octet-stream\n\nAB";
  auto first = p.Feed(head);
  ASSERT_TRUE(first.ok());
  EXPECT_TRUE(p.headers_done());
  EXPECT_EQ(*first, "AB");
  EXPECT_EQ(first->data(), head.data() + head.size() - 2);
  std::string chunk(1 << 20, 'z');
  for (int i = 0; i < 64; ++i) {
    auto b = p.Feed(chunk);
    ASSERT_TRUE(b.ok());
    EXPECT_EQ(b->data(), chunk.data());  // the caller's bytes, not a copy
  }
  ASSERT_TRUE(p.Finish().ok());
  EXPECT_EQ(p.body_bytes(), 2u + 64u * (1 << 20));
}

// Headers near the cap followed by a large body in one chunk: the body is
// still a view of the caller's chunk.
TEST(CgiResponse, OneChunkPastTheHeaderCap) {
  std::string out = "Content-Type: a/b\nX: " + std::string(60 * 1024, 'h') + "\n\n";
  size_t body_at = out.size();
  out += std::string(10 << 20, 'b');
  CgiResponseParser p;
  auto body = p.Feed(out);
  ASSERT_TRUE(body.ok()) << body.status().ToString();
  EXPECT_EQ(body->data(), out.data() + body_at);
  EXPECT_EQ(body->size(), size_t{10} << 20);
}

}  // namespace
}  // namespace deja::server

namespace deja::server {
namespace {

// Outputs made of header-like pieces, valid and not, parsed whole and in
// random chunks: the same headers, body or error every time (and, under
// ASan, no out-of-bounds read on any of them). Fixed seed: reproducible.
TEST(CgiResponse, RandomOutputsParseTheSameInAnyChunks) {
  const std::vector<std::string> pieces = {
      "Content-Type: text/plain", "Status: 200", "Status: 404 Not Found", "Status: 99x",
      "Location: /x", "Location: http://h/", "Set-Cookie: a=1", "X-A: b", "X-A:", "bad line",
      ": v", " folded", "Content-Length: 3", "Content-Length: x", "Connection: close",
      "X-Ctl: \x01", "\r", "", "abc", std::string(300, 'q')};
  const std::vector<std::string> ends = {"\n", "\r\n", "\r", ""};
  std::mt19937 rng(16);
  CgiParseLimits limits;
  limits.max_header_bytes = 512;  // small, so the cap is hit often
  limits.max_header_count = 6;
  int parsed = 0, refused = 0;
  for (int round = 0; round < 20000; ++round) {
    // Half start with a valid field, so that many outputs are responses.
    std::string out = rng() % 2 ? "Content-Type: text/plain\n" : "";
    int n = static_cast<int>(rng() % 10);
    for (int i = 0; i < n; ++i) {
      out += pieces[rng() % pieces.size()];
      out += ends[rng() % ends.size()];
    }
    if (rng() % 2) out += "\n";
    if (rng() % 2) out += "abc";
    auto whole = ParseCgiOutput(out, limits);

    CgiResponseParser p(limits);
    std::string body;
    Status s;
    size_t at = 0;
    while (at < out.size() && s.ok()) {
      size_t len = 1 + rng() % 40;
      auto b = p.Feed(std::string_view(out).substr(at, len));
      if (b.ok()) {
        body.append(*b);
      } else {
        s = b.take_status();
      }
      at += len;
    }
    if (s.ok()) s = p.Finish();
    ASSERT_EQ(s.ok(), whole.ok()) << "round " << round << ": " << s.ToString() << " vs "
                                  << whole.status().ToString();
    if (!s.ok()) {
      ASSERT_EQ(s.message(), whole.status().message()) << "round " << round;
      ++refused;
      continue;
    }
    ++parsed;
    ASSERT_EQ(body, whole->body) << "round " << round;
    ASSERT_EQ(p.response().headers, whole->response.headers) << "round " << round;
    ASSERT_EQ(p.response().status, whole->response.status);
    ASSERT_EQ(p.response().kind, whole->response.kind);
  }
  // Both paths are exercised.
  EXPECT_GT(parsed, 500) << refused;
  EXPECT_GT(refused, 500) << parsed;
}

}  // namespace
}  // namespace deja::server
