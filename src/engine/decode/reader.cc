#include "engine/decode/reader.h"

#include <cstdio>

#include "engine/decode/leb128.h"

namespace deja::engine {

const char* LebErrorReason(LebError e) {
  switch (e) {
    case LebError::kNone:
      return "ok";
    case LebError::kEnd:
      return "unexpected end";
    case LebError::kTooLong:
      return "integer representation too long";
    case LebError::kTooLarge:
      return "integer too large";
  }
  return "malformed integer";
}

Status MalformedAt(size_t offset, std::string_view reason) {
  char prefix[32];
  std::snprintf(prefix, sizeof prefix, "offset 0x%zx: ", offset);
  std::string m(prefix);
  m += reason;
  return Status::Malformed(std::move(m));
}

Status UnsupportedAt(size_t offset, std::string_view feature, std::string_view what) {
  char prefix[32];
  std::snprintf(prefix, sizeof prefix, "offset 0x%zx: ", offset);
  std::string m(prefix);
  m += "unsupported feature: ";
  m += feature;
  if (!what.empty()) {
    m += " (";
    m += what;
    m += ")";
  }
  return Status::Unsupported(std::move(m));
}

Status SimdAt(size_t offset) {
  char m[64];
  std::snprintf(m, sizeof m, "offset 0x%zx: unsupported feature: simd", offset);
  return Status::Unsupported(m);
}

Status ProposalValTypeAt(size_t offset, u8 b) {
  switch (b) {
    case kV128Byte:
      return SimdAt(offset);
    case 0x69:
      return UnsupportedAt(offset, "exnref", "exnref value type");
    case 0x64:
    case 0x63:
      return UnsupportedAt(offset, "function-references", "typed reference value type");
    default:
      return Status();
  }
}

bool IsValidUtf8(std::span<const u8> s) {
  size_t i = 0;
  while (i < s.size()) {
    u8 b = s[i];
    if (b < 0x80) {
      ++i;
      continue;
    }
    size_t n;
    u32 cp{};
    if ((b & 0xe0) == 0xc0) {
      n = 1, cp = b & 0x1f;
    } else if ((b & 0xf0) == 0xe0) {
      n = 2, cp = b & 0x0f;
    } else if ((b & 0xf8) == 0xf0) {
      n = 3, cp = b & 0x07;
    } else {
      return false;
    }
    if (s.size() - i - 1 < n) return false;
    for (size_t k = 1; k <= n; ++k) {
      u8 c = s[i + k];
      if ((c & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (c & 0x3f);
    }
    static constexpr u32 kMinForLength[4] = {0, 0x80, 0x800, 0x10000};
    if (cp < kMinForLength[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
    i += n + 1;
  }
  return true;
}

Reader Reader::Split(size_t size, const char* end_reason) {
  Reader sub(module_, pos_, pos_ + size, end_reason);
  pos_ += size;
  return sub;
}

Status Reader::ReadByte(u8* out) {
  if (pos_ >= end_) return EndError();
  *out = module_[pos_++];
  return Status();
}

template <typename T, typename ReadFn>
Status Reader::ReadLeb(ReadFn read, T* out) {
  size_t p = pos_;
  T v{};
  LebError e = read(module_, &p, &v);
  if (e == LebError::kEnd || (e == LebError::kNone && p > end_)) return EndError();
  if (e != LebError::kNone) return MalformedAt(p, LebErrorReason(e));
  pos_ = p;
  *out = v;
  return Status();
}

Status Reader::ReadU32(u32* out) {
  u64 v = 0;
  DEJA_TRY(ReadLeb(ReadUleb<32>, &v));
  *out = static_cast<u32>(v);
  return Status();
}

Status Reader::ReadS32(i32* out) {
  i64 v = 0;
  DEJA_TRY(ReadLeb(ReadSleb<32>, &v));
  *out = static_cast<i32>(v);
  return Status();
}

Status Reader::ReadS33(i64* out) { return ReadLeb(ReadSleb<33>, out); }

Status Reader::ReadS64(i64* out) { return ReadLeb(ReadSleb<64>, out); }

Status Reader::ReadBytes(size_t n, std::span<const u8>* out) {
  if (n > remaining()) return EndError();
  *out = module_.subspan(pos_, n);
  pos_ += n;
  return Status();
}

Status Reader::ReadName(std::string* out) {
  size_t at = pos_;
  u64 len = 0;
  size_t p = pos_;
  LebError e = ReadUleb<32>(module_, &p, &len);
  if (e == LebError::kEnd) return EndError();
  if (e != LebError::kNone) return Fail(p, LebErrorReason(e));
  if (len > module_.size() - p) return Fail(at, "length out of bounds");
  if (p + len > end_) return EndError();
  std::span<const u8> s = module_.subspan(p, len);
  if (!IsValidUtf8(s)) return Fail(p, "malformed UTF-8 encoding");
  pos_ = p + len;
  out->assign(s.begin(), s.end());
  return Status();
}

Status Reader::ReadValType(ValType* out) {
  size_t at = pos_;
  u8 b{};
  DEJA_TRY(ReadByte(&b));
  if (DecodeValType(b, out)) return Status();
  DEJA_TRY(ProposalValTypeAt(at, b));
  return Fail(at, (b & 0x80) ? "integer representation too long" : "malformed value type");
}

Status Reader::ReadRefType(ValType* out) {
  size_t at = pos_;
  u8 b{};
  DEJA_TRY(ReadByte(&b));
  if (b == 0x70 || b == 0x6f) {
    *out = static_cast<ValType>(b);
    return Status();
  }
  return Fail(at, "malformed reference type");
}

Status Reader::ReadLimits(Limits* out) {
  // The flags are a 1-bit LEB128 (so 0x02 is "integer too large"); other
  // values belong to later proposals (shared memory, memory64).
  u64 flags = 0;
  DEJA_TRY(ReadLeb(ReadUleb<1>, &flags));
  u32 min{};
  DEJA_TRY(ReadU32(&min));
  out->min = min;
  out->max.reset();
  if (flags == 1) {
    u32 max{};
    DEJA_TRY(ReadU32(&max));
    out->max = max;
  }
  return Status();
}

}  // namespace deja::engine
