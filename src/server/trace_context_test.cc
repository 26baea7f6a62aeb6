// traceparent validation (W3C Trace Context, version 00 and later versions).
#include "server/trace_context.h"

#include <gtest/gtest.h>

namespace deja::server {
namespace {

constexpr const char* kValid = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

TEST(Traceparent, AcceptsTheSpecFormat) {
  EXPECT_TRUE(ValidTraceparent(kValid));
  EXPECT_TRUE(ValidTraceparent("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00"));
  // A later version may carry more fields after the flags.
  EXPECT_TRUE(ValidTraceparent("01-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-abc"));
  EXPECT_TRUE(ValidTraceparent("cc-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"));
}

TEST(Traceparent, RefusesEverythingElse) {
  for (const char* bad : {
           "", "00", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331",
           "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-",   // v00: nothing after
           "00-0AF7651916CD43DD8448EB211C80319C-b7ad6b7169203331-01",    // uppercase
           "00-00000000000000000000000000000000-b7ad6b7169203331-01",    // zero trace id
           "00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01",    // zero parent id
           "ff-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",    // version ff
           "00_0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",    // separator
           "00-0af7651916cd43dd8448eb211c80319g-b7ad6b7169203331-01",    // not hex
           "01-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01x",   // later version, no dash
           " 00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"}) {
    EXPECT_FALSE(ValidTraceparent(bad)) << bad;
  }
}

TEST(Traceparent, ExactlyOneHeaderIsAccepted) {
  HttpRequest r;
  EXPECT_EQ(AcceptedTraceparent(r), "");
  r.headers = {{"TraceParent", kValid}};
  EXPECT_EQ(AcceptedTraceparent(r), kValid);
  r.headers.push_back({"traceparent", kValid});
  EXPECT_EQ(AcceptedTraceparent(r), "");  // two: ambiguous, dropped
  r.headers = {{"traceparent", "00-xyz"}};
  EXPECT_EQ(AcceptedTraceparent(r), "");
}

}  // namespace
}  // namespace deja::server
