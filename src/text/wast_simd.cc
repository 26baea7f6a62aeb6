#include "text/wast_simd.h"

#include <cinttypes>
#include <cstdio>

namespace deja::text {
namespace {

// A canonical NaN has only the quiet bit set in its payload, an arithmetic
// one at least the quiet bit; the sign is free in both.
bool LaneMatchesNan(wabt::ExpectedNan nan, u64 bits, u64 sign_mask, u64 canonical) {
  u64 magnitude = bits & ~sign_mask;
  if (nan == wabt::ExpectedNan::Canonical) return magnitude == canonical;
  return (magnitude & canonical) == canonical;
}

u64 Lane(const Value& v, int width_bits, int lane) {
  int bit = lane * width_bits;
  u64 word = bit < 64 ? v.lo : v.hi;
  u64 mask = width_bits == 64 ? ~u64{0} : (u64{1} << width_bits) - 1;
  return (word >> (bit % 64)) & mask;
}

}  // namespace

Value V128ConstToValue(const wabt::Const& c) {
  ::v128 v = c.vec128();
  return Value{ValType::kV128, v.u64(0), v.u64(1)};
}

bool MatchesV128(const wabt::Const& expected, const Value& got) {
  if (got.type != ValType::kV128) return false;
  Value want = V128ConstToValue(expected);
  wabt::Type lane = expected.lane_type();
  if (lane != wabt::Type::F32 && lane != wabt::Type::F64) return got == want;
  bool f32 = lane == wabt::Type::F32;
  int width = f32 ? 32 : 64;
  for (int i = 0; i < 128 / width; ++i) {
    u64 bits = Lane(got, width, i);
    if (expected.is_expected_nan(i)) {
      bool ok = f32 ? LaneMatchesNan(expected.expected_nan(i), bits, 0x8000'0000u, 0x7fc0'0000u)
                    : LaneMatchesNan(expected.expected_nan(i), bits, 0x8000'0000'0000'0000ull,
                                     0x7ff8'0000'0000'0000ull);
      if (!ok) return false;
    } else if (bits != Lane(want, width, i)) {
      return false;
    }
  }
  return true;
}

std::string FormatV128Const(const wabt::Const& c) {
  wabt::Type lane = c.lane_type();
  Value v = V128ConstToValue(c);
  if (lane != wabt::Type::F32 && lane != wabt::Type::F64) return v.ToString();
  bool f32 = lane == wabt::Type::F32;
  int width = f32 ? 32 : 64;
  std::string s = f32 ? "v128:f32x4" : "v128:f64x2";
  for (int i = 0; i < 128 / width; ++i) {
    if (c.is_expected_nan(i)) {
      s += c.expected_nan(i) == wabt::ExpectedNan::Canonical ? " nan:canonical" : " nan:arithmetic";
      continue;
    }
    char buf[32];
    std::snprintf(buf, sizeof buf, " 0x%" PRIx64, Lane(v, width, i));
    s += buf;
  }
  return s;
}

}  // namespace deja::text
