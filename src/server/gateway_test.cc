// The seam between requests and guests (gateway.h) over s2's CGI mapping.
#include <gtest/gtest.h>

#include <algorithm>

#include "server/gateway.h"

namespace deja::server {
namespace {

TEST(Gateway, ResponseParsing) {
  auto ok = MapResponse("Status: 201 Created\r\nContent-Type: text/plain\r\nX-A: 1\r\nX-A: 2\r\n\r\nbody");
  ASSERT_TRUE(ok.ok()) << ok.status().message();
  EXPECT_EQ(ok->status, 201);
  int xa = 0;
  for (const auto& [name, value] : ok->headers) xa += name == "X-A";
  EXPECT_EQ(xa, 2);  // repeated headers kept
  EXPECT_EQ(ok->body, "body");
  auto redirect = MapResponse("Location: http://example.com/x\n\n");
  ASSERT_TRUE(redirect.ok()) << redirect.status().message();
  EXPECT_EQ(redirect->status, 302);
  // A local redirect would need the server to fetch the path itself: refused, naming it.
  auto local = MapResponse("Location: /x\n\n");
  ASSERT_FALSE(local.ok());
  EXPECT_NE(local.status().message().find("/x"), std::string_view::npos);
  EXPECT_FALSE(MapResponse("").ok());
  EXPECT_FALSE(MapResponse("no headers").ok());
  EXPECT_FALSE(MapResponse("X-Only: 1\n\n").ok());
  EXPECT_FALSE(MapResponse("Status: abc\n\n").ok());
  EXPECT_FALSE(MapResponse("Bad Name: 1\nContent-Type: x\n\n").ok());
}

TEST(Gateway, RequestVariables) {
  HttpRequest r;
  r.method = "POST";
  r.target = "/t/f/p?a=1";
  r.headers = {{"Content-Type", "text/plain"}, {"X-Trace-Id", "7"}, {"Authorization", "Bearer s"}};
  r.body = "abc";
  Result<GuestRequest> mapped = MapRequest(r, "/t/f", {"MODE=fast", "REMOTE_ADDR=forged"});
  ASSERT_TRUE(mapped.ok()) << mapped.status().message();
  const GuestRequest& g = *mapped;
  auto has = [&](const std::string& kv) { return std::find(g.env.begin(), g.env.end(), kv) != g.env.end(); };
  EXPECT_TRUE(has("REQUEST_METHOD=POST"));
  EXPECT_TRUE(has("SCRIPT_NAME=/t/f"));
  EXPECT_TRUE(has("PATH_INFO=/p"));
  EXPECT_TRUE(has("QUERY_STRING=a=1"));
  EXPECT_TRUE(has("CONTENT_LENGTH=3"));
  EXPECT_TRUE(has("CONTENT_TYPE=text/plain"));
  EXPECT_TRUE(has("HTTP_X_TRACE_ID=7"));
  EXPECT_TRUE(has("MODE=fast"));
  EXPECT_FALSE(has("REMOTE_ADDR=forged"));  // the request's variables win over the config's
  EXPECT_EQ(g.args, std::vector<std::string>{"a=1"});
  for (const std::string& kv : g.env) EXPECT_EQ(kv.find("Bearer"), std::string::npos);
  EXPECT_EQ(g.stdin_data, "abc");
}

}  // namespace
}  // namespace deja::server
