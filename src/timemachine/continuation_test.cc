// The header fields of a continued run (RunInfo::continued_from and
// continued_calls): they round-trip, with or without resumed_from before
// them, and a header written before they existed still decodes.
#include <gtest/gtest.h>

#include "timemachine/log_codec.h"
#include "timemachine/record.h"

namespace deja::tm {
namespace {

RunInfo Info() {
  RunInfo info;
  info.id = "0123456789ab";
  info.module_hash = "sha256:" + std::string(64, 'a');
  info.args = {"guest.wasm"};
  info.call_names = {"fd_write"};
  return info;
}

RunInfo RoundTrip(const RunInfo& info) {
  std::vector<u8> bytes;
  EncodeRunInfo(info, &bytes);
  RunInfo got;
  EXPECT_TRUE(DecodeRunInfo(bytes, &got).ok());
  return got;
}

TEST(ContinuationHeader, RoundTripsWithoutAResumedFrom) {
  RunInfo info = Info();
  info.continued_from = "fedcba987654";
  info.continued_calls = 93;
  RunInfo got = RoundTrip(info);
  EXPECT_EQ(got.resumed_from, "");
  EXPECT_EQ(got.continued_from, "fedcba987654");
  EXPECT_EQ(got.continued_calls, 93u);
}

TEST(ContinuationHeader, RoundTripsAfterAResumedFrom) {
  RunInfo info = Info();
  info.resumed_from = "sha256:" + std::string(64, 'b');
  info.continued_from = "fedcba987654";
  info.continued_calls = UINT64_MAX;
  RunInfo got = RoundTrip(info);
  EXPECT_EQ(got.resumed_from, info.resumed_from);
  EXPECT_EQ(got.continued_from, "fedcba987654");
  EXPECT_EQ(got.continued_calls, UINT64_MAX);
}

TEST(ContinuationHeader, OlderHeadersDecodeWithoutIt) {
  for (bool resumed : {false, true}) {
    RunInfo info = Info();
    if (resumed) info.resumed_from = "sha256:" + std::string(64, 'c');
    std::vector<u8> bytes;
    EncodeRunInfo(info, &bytes);
    RunInfo got;
    ASSERT_TRUE(DecodeRunInfo(bytes, &got).ok());
    EXPECT_EQ(got.resumed_from, info.resumed_from);
    EXPECT_EQ(got.continued_from, "");
    EXPECT_EQ(got.continued_calls, 0u);
  }
}

TEST(ContinuationHeader, ACutContinuationFieldIsMalformed) {
  RunInfo info = Info();
  info.continued_from = "fedcba987654";
  info.continued_calls = 300;  // two varint bytes
  std::vector<u8> bytes;
  EncodeRunInfo(info, &bytes);
  RunInfo got;
  // Inside the continuation fields: neither an older header nor a whole one.
  EXPECT_FALSE(DecodeRunInfo({bytes.data(), bytes.size() - 1}, &got).ok());
  EXPECT_FALSE(DecodeRunInfo({bytes.data(), bytes.size() - 3}, &got).ok());
}

}  // namespace
}  // namespace deja::tm
