#include "engine/decode/leb128.h"

#include <gtest/gtest.h>

#include <vector>

#include "engine/decode/reader.h"

namespace deja::engine {
namespace {

struct LebCase {
  std::vector<u8> bytes;
  LebError error;
  u64 value;   // when error == kNone (signed results as their bits)
  size_t pos;  // position after the integer, or of the offending byte
};

template <unsigned kBits>
void CheckUnsigned(const std::vector<LebCase>& cases) {
  for (const LebCase& c : cases) {
    size_t pos = 0;
    u64 v = 0;
    LebError e = ReadUleb<kBits>(c.bytes, &pos, &v);
    EXPECT_EQ(e, c.error) << "case at value " << c.value;
    EXPECT_EQ(pos, c.pos);
    if (e == LebError::kNone) {
      EXPECT_EQ(v, c.value);
    }
  }
}

template <unsigned kBits>
void CheckSigned(const std::vector<LebCase>& cases) {
  for (const LebCase& c : cases) {
    size_t pos = 0;
    i64 v = 0;
    LebError e = ReadSleb<kBits>(c.bytes, &pos, &v);
    EXPECT_EQ(e, c.error) << "case at value " << c.value;
    EXPECT_EQ(pos, c.pos);
    if (e == LebError::kNone) {
      EXPECT_EQ(static_cast<u64>(v), c.value);
    }
  }
}

TEST(Leb128Test, Unsigned32) {
  CheckUnsigned<32>({
      {{0x00}, LebError::kNone, 0, 1},
      {{0x7f}, LebError::kNone, 127, 1},
      {{0x80, 0x01}, LebError::kNone, 128, 2},
      {{0x80, 0x80, 0x80, 0x80, 0x00}, LebError::kNone, 0, 5},  // padded zero is fine
      {{0xff, 0xff, 0xff, 0xff, 0x0f}, LebError::kNone, 0xffffffff, 5},
      {{0xff, 0xff, 0xff, 0xff, 0x1f}, LebError::kTooLarge, 0, 4},
      {{0x80, 0x80, 0x80, 0x80, 0x80, 0x00}, LebError::kTooLong, 0, 4},
      {{}, LebError::kEnd, 0, 0},
      {{0x80, 0x80}, LebError::kEnd, 0, 2},
  });
}

TEST(Leb128Test, Signed32) {
  CheckSigned<32>({
      {{0x7f}, LebError::kNone, ~u64{0}, 1},
      {{0x3f}, LebError::kNone, 63, 1},
      {{0x40}, LebError::kNone, static_cast<u64>(i64{-64}), 1},
      {{0xff, 0xff, 0xff, 0xff, 0x07}, LebError::kNone, 0x7fffffff, 5},
      {{0x80, 0x80, 0x80, 0x80, 0x78}, LebError::kNone, static_cast<u64>(i64{INT32_MIN}), 5},
      {{0xff, 0xff, 0xff, 0xff, 0x7f}, LebError::kNone, ~u64{0}, 5},
      // Bits above bit 31 must copy the sign bit.
      {{0xff, 0xff, 0xff, 0xff, 0x0f}, LebError::kTooLarge, 0, 4},
      {{0x80, 0x80, 0x80, 0x80, 0x70}, LebError::kTooLarge, 0, 4},
      {{0xff, 0xff, 0xff, 0xff, 0xff, 0x7f}, LebError::kTooLong, 0, 4},
  });
}

TEST(Leb128Test, Signed33) {
  CheckSigned<33>({
      {{0xff, 0xff, 0xff, 0xff, 0x0f}, LebError::kNone, 0xffffffff, 5},
      {{0x80, 0x80, 0x80, 0x80, 0x70}, LebError::kNone, static_cast<u64>(i64{-(i64{1} << 32)}), 5},
      {{0xff, 0xff, 0xff, 0xff, 0x1f}, LebError::kTooLarge, 0, 4},
      {{0x80, 0x80, 0x80, 0x80, 0x80, 0x00}, LebError::kTooLong, 0, 4},
  });
}

TEST(Leb128Test, Signed64) {
  CheckSigned<64>({
      {{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00},
       LebError::kNone,
       0x7fffffffffffffff,
       10},
      {{0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x7f},
       LebError::kNone,
       0x8000000000000000,
       10},
      {{0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01}, LebError::kTooLarge, 0, 9},
      {{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7e}, LebError::kTooLarge, 0, 9},
      {{0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00},
       LebError::kTooLong,
       0,
       9},
  });
}

TEST(Leb128Test, OneBitFlags) {
  CheckUnsigned<1>({
      {{0x00}, LebError::kNone, 0, 1},
      {{0x01}, LebError::kNone, 1, 1},
      {{0x02}, LebError::kTooLarge, 0, 0},
      {{0x81, 0x00}, LebError::kTooLong, 0, 0},
  });
}

TEST(Utf8Test, AcceptsWellFormedAndRejectsTheRest) {
  struct Case {
    std::vector<u8> bytes;
    bool valid;
  };
  const Case cases[] = {
      {{}, true},
      {{'a', 'b'}, true},
      {{0xc3, 0xa9}, true},               // é
      {{0xe2, 0x82, 0xac}, true},         // €
      {{0xf0, 0x9f, 0x98, 0x80}, true},   // U+1F600
      {{0xf4, 0x8f, 0xbf, 0xbf}, true},   // U+10FFFF
      {{0x80}, false},                    // lone continuation byte
      {{0xc0, 0x80}, false},              // overlong NUL
      {{0xe0, 0x80, 0x80}, false},        // overlong
      {{0xf0, 0x80, 0x80, 0x80}, false},  // overlong
      {{0xed, 0xa0, 0x80}, false},        // surrogate U+D800
      {{0xf4, 0x90, 0x80, 0x80}, false},  // above U+10FFFF
      {{0xf8, 0x88, 0x80, 0x80, 0x80}, false},
      {{0xc3}, false},              // truncated
      {{0xe2, 0x28, 0xa1}, false},  // bad continuation
  };
  for (const Case& c : cases) {
    EXPECT_EQ(IsValidUtf8(c.bytes), c.valid) << "first byte " << (c.bytes.empty() ? 0 : c.bytes[0]);
  }
}

}  // namespace
}  // namespace deja::engine
