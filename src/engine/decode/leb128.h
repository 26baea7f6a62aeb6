// LEB128 decoding with the binary format's limits (at most ceil(N/7) bytes;
// unused bits of the last byte zero, or a sign extension for signed forms).
// Header-only so the instruction reader's hot loop can inline it.
#pragma once

#include <span>

#include "base/types.h"

namespace deja::engine {

enum class LebError : u8 { kNone, kEnd, kTooLong, kTooLarge };

// Reason text as the spec suite words it.
const char* LebErrorReason(LebError e);

// Reads an unsigned LEB128 of at most kBits bits at *pos. On success stores
// the value and advances *pos past it; on failure sets *pos to the offending
// byte (or to bytes.size() when the bytes ran out).
template <unsigned kBits>
inline LebError ReadUleb(std::span<const u8> bytes, size_t* pos, u64* out) {
  constexpr unsigned kMaxBytes = (kBits + 6) / 7;
  size_t p = *pos;
  u64 result = 0;
  for (unsigned i = 0;; ++i) {
    if (p >= bytes.size()) {
      *pos = bytes.size();
      return LebError::kEnd;
    }
    u8 b = bytes[p++];
    if (i == kMaxBytes - 1) {
      // The last byte may carry only the bits still missing.
      constexpr unsigned kUsed = kBits - 7 * (kMaxBytes - 1);
      if (b & 0x80) return *pos = p - 1, LebError::kTooLong;
      if ((b & 0x7f) >> kUsed) return *pos = p - 1, LebError::kTooLarge;
      result |= u64{b} << (7 * i);
      break;
    }
    result |= u64{static_cast<u8>(b & 0x7f)} << (7 * i);
    if (!(b & 0x80)) break;
  }
  *out = result;
  *pos = p;
  return LebError::kNone;
}

// Signed counterpart of ReadUleb; the value is sign-extended to 64 bits.
template <unsigned kBits>
inline LebError ReadSleb(std::span<const u8> bytes, size_t* pos, i64* out) {
  constexpr unsigned kMaxBytes = (kBits + 6) / 7;
  size_t p = *pos;
  u64 result = 0;
  unsigned shift = 0;
  u8 b = 0;
  for (unsigned i = 0;; ++i) {
    if (p >= bytes.size()) {
      *pos = bytes.size();
      return LebError::kEnd;
    }
    b = bytes[p++];
    if (i == kMaxBytes - 1) {
      // Bits from the sign bit upward must all equal the sign bit.
      constexpr unsigned kUsed = kBits - 7 * (kMaxBytes - 1);
      constexpr u8 kMask = static_cast<u8>((0x7f << (kUsed - 1)) & 0x7f);
      if (b & 0x80) return *pos = p - 1, LebError::kTooLong;
      u8 top = b & kMask;
      if (top != 0 && top != kMask) return *pos = p - 1, LebError::kTooLarge;
    }
    result |= u64{static_cast<u8>(b & 0x7f)} << shift;
    shift += 7;
    if (!(b & 0x80)) break;
  }
  if (shift < 64 && (b & 0x40)) result |= ~u64{0} << shift;
  *out = static_cast<i64>(result);
  *pos = p;
  return LebError::kNone;
}

}  // namespace deja::engine
