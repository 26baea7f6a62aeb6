#include "server/cgi_http.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace deja::server {
namespace {

TEST(CgiHttp, RequestThroughTheServerTypes) {
  HttpRequest r;
  r.method = "POST";
  r.target = "/acme/hello/x%2Fy?a=1&b=two+words";
  r.headers = {{"Host", "h:1"}, {"Authorization", "Bearer t"}, {"Cookie", "a=1"}, {"Cookie", "b=2"}};
  r.body = "data";
  r.server_name = "h";
  r.server_port = 1;
  r.remote_addr = "127.0.0.1";
  auto in = CgiMapRequest(r, "/acme/hello");
  ASSERT_TRUE(in.ok()) << in.status().ToString();
  const auto& env = in->guest.env;
  auto has = [&](const std::string& v) { return std::find(env.begin(), env.end(), v) != env.end(); };
  EXPECT_TRUE(has("PATH_INFO=/x/y"));
  EXPECT_TRUE(has("X_RAW_PATH_INFO=/x%2Fy"));
  EXPECT_TRUE(has("CONTENT_LENGTH=4"));
  EXPECT_TRUE(has("HTTP_COOKIE=a=1; b=2"));
  for (const std::string& v : env) EXPECT_EQ(v.find("Bearer"), std::string::npos) << v;
  EXPECT_EQ(in->guest.stdin_data, "data");
  EXPECT_EQ(in->args, (std::vector<std::string>{"a=1", "b=two words"}));

  r.target = "/other/fn";
  auto bad = CgiMapRequest(r, "/acme/hello");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(), "request path '/other/fn' does not start with the function's path '/acme/hello'");
}

TEST(CgiHttp, Responses) {
  auto doc = CgiMapResponse("Status: 201\nSet-Cookie: a\nContent-Type: t/p\nSet-Cookie: b\n\nbody");
  ASSERT_TRUE(doc.ok());
  EXPECT_EQ(doc->status, 201);
  EXPECT_EQ(doc->headers, (std::vector<std::pair<std::string, std::string>>{
                              {"Set-Cookie", "a"}, {"Content-Type", "t/p"}, {"Set-Cookie", "b"}}));
  EXPECT_EQ(doc->body, "body");
  auto local = CgiMapResponse("Location: /acme/other\nX-Dropped: 1\n\nignored");
  ASSERT_TRUE(local.ok());
  EXPECT_EQ(local->status, 302);
  EXPECT_EQ(local->headers, (std::vector<std::pair<std::string, std::string>>{{"Location", "/acme/other"}}));
  EXPECT_EQ(local->body, "");
  auto bad = CgiMapResponse("oops\n\n");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(), "line 1: header without colon");
}

}  // namespace
}  // namespace deja::server
