#include "cli/run_options.h"

#include <gtest/gtest.h>

namespace deja::cli {
namespace {

TEST(ParseSizeTest, PlainBytesAndUnits) {
  EXPECT_EQ(*ParseSize("65536"), 65536u);
  EXPECT_EQ(*ParseSize("0"), 0u);
  EXPECT_EQ(*ParseSize("12B"), 12u);
  EXPECT_EQ(*ParseSize("64KiB"), 64u << 10);
  EXPECT_EQ(*ParseSize("64MiB"), 64u << 20);
  EXPECT_EQ(*ParseSize("64m"), 64u << 20);
  EXPECT_EQ(*ParseSize("1GiB"), uint64_t{1} << 30);
  EXPECT_EQ(*ParseSize("2GB"), 2'000'000'000u);
  EXPECT_EQ(*ParseSize("3kb"), 3000u);
}

TEST(ParseSizeTest, RejectsWhatIsNotASize) {
  for (const char* text :
       {"", "MiB", "-1", "1.5MiB", "64 MiB", "64XiB", "0x10", "99999999999GiB"}) {
    Result<uint64_t> size = ParseSize(text);
    ASSERT_FALSE(size.ok()) << text;
    EXPECT_EQ(size.status().code(), Status::Code::kInvalidArgument);
    EXPECT_NE(size.status().message().find("is not a size"), std::string_view::npos);
  }
}

TEST(MaxMemoryPagesTest, RoundsDownToPagesAndCapsAt4GiB) {
  EXPECT_EQ(*MaxMemoryPages("64MiB"), 1024u);
  EXPECT_EQ(*MaxMemoryPages("100000"), 1u);
  EXPECT_EQ(*MaxMemoryPages("4GiB"), 65536u);
  Result<uint64_t> too_big = MaxMemoryPages("5GiB");
  ASSERT_FALSE(too_big.ok());
  EXPECT_NE(too_big.status().message().find("above 4GiB"), std::string_view::npos);
}

TEST(ParseDirSpecTest, GuestNameDefaultsToHostPath) {
  Result<WasiPreopen> same = ParseDirSpec("/tmp/data", false);
  ASSERT_TRUE(same.ok());
  EXPECT_EQ(same->host_path, "/tmp/data");
  EXPECT_EQ(same->guest_path, "/tmp/data");
  EXPECT_FALSE(same->read_only);

  Result<WasiPreopen> mapped = ParseDirSpec("/tmp/data::/sandbox", true);
  ASSERT_TRUE(mapped.ok());
  EXPECT_EQ(mapped->host_path, "/tmp/data");
  EXPECT_EQ(mapped->guest_path, "/sandbox");
  EXPECT_TRUE(mapped->read_only);

  EXPECT_EQ(ParseDirSpec(".::.", false)->guest_path, ".");
}

TEST(ParseDirSpecTest, RejectsEmptyParts) {
  for (const char* text : {"", "::/guest", "/host::"}) {
    EXPECT_FALSE(ParseDirSpec(text, false).ok()) << text;
  }
}

TEST(BuildGuestEnvTest, DenyByDefault) {
  Result<std::vector<std::string>> env = BuildGuestEnv({}, {"HOME=/root", "PATH=/bin"});
  ASSERT_TRUE(env.ok());
  EXPECT_TRUE(env->empty());
}

TEST(BuildGuestEnvTest, SetsCopiesAndOverrides) {
  EnvFlags flags;
  flags.settings = {"A=1", "HOME", "MISSING", "A=2", "EMPTY="};
  Result<std::vector<std::string>> env = BuildGuestEnv(flags, {"HOME=/root", "HOMEX=no"});
  ASSERT_TRUE(env.ok());
  EXPECT_EQ(*env, (std::vector<std::string>{"A=2", "HOME=/root", "EMPTY="}));
}

TEST(BuildGuestEnvTest, InheritThenExplicitWins) {
  EnvFlags flags;
  flags.inherit = true;
  flags.settings = {"PATH=/guest/bin"};
  Result<std::vector<std::string>> env = BuildGuestEnv(flags, {"HOME=/root", "PATH=/bin"});
  ASSERT_TRUE(env.ok());
  EXPECT_EQ(*env, (std::vector<std::string>{"HOME=/root", "PATH=/guest/bin"}));
}

TEST(BuildGuestEnvTest, RejectsEmptyNames) {
  EnvFlags flags;
  flags.settings = {"=value"};
  Result<std::vector<std::string>> env = BuildGuestEnv(flags, {});
  ASSERT_FALSE(env.ok());
  EXPECT_EQ(env.status().code(), Status::Code::kInvalidArgument);
}

}  // namespace
}  // namespace deja::cli
