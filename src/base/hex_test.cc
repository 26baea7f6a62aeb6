#include "base/hex.h"

#include <gtest/gtest.h>

#include <array>

namespace deja {
namespace {

TEST(Hex, PrefixedWithTheFewestDigits) {
  EXPECT_EQ(Hex(0), "0x0");
  EXPECT_EQ(Hex(0x1a2), "0x1a2");
  EXPECT_EQ(Hex(0xffffffffffffffffull), "0xffffffffffffffff");
  EXPECT_EQ(Hex(0x8000000000000000ull), "0x8000000000000000");
}

TEST(Hex, FixedWidthDigits) {
  EXPECT_EQ(HexDigits(0xabc, 16), "0000000000000abc");
  EXPECT_EQ(HexDigits(0x1234, 2), "34");
  EXPECT_EQ(HexDigits(7, 0), "");
}

TEST(Hex, BytesTwoDigitsEach) {
  std::array<u8, 4> b{0x00, 0x0f, 0xa0, 0xff};
  EXPECT_EQ(HexBytes(b), "000fa0ff");
  EXPECT_EQ(HexBytes({}), "");
}

}  // namespace
}  // namespace deja
