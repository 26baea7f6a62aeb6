// Reader: a bounded cursor over a module's bytes that decodes the binary
// format's primitives (LEB128 integers, names, value types, limits). Every
// failure is a Status naming the absolute byte offset, as "offset 0xHEX: why".
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "base/types.h"
#include "deja/status.h"
#include "deja/types.h"

namespace deja::engine {

// "offset 0x1a: reason" as a kMalformed status.
Status MalformedAt(size_t offset, std::string_view reason);
// "offset 0x1a: unsupported feature: NAME (what)" as a kUnsupported status:
// a well-formed construct from a proposal deja does not implement, named by
// wasmtime's spelling of the feature so a user can look it up.
Status UnsupportedAt(size_t offset, std::string_view feature, std::string_view what);
// "offset 0x1a: unsupported feature: simd" as a kUnsupported status.
Status SimdAt(size_t offset);
// True if `bytes` is well-formed UTF-8 (no overlong forms, no surrogates,
// nothing above U+10FFFF).
bool IsValidUtf8(std::span<const u8> bytes);

class Reader {
 public:
  // Reads module bytes [pos, end); offsets stay relative to the module start.
  // Running past `end` fails with `end_reason`.
  Reader(std::span<const u8> module, size_t pos, size_t end, const char* end_reason)
      : module_(module), pos_(pos), end_(end), end_reason_(end_reason) {}

  size_t pos() const { return pos_; }
  size_t end() const { return end_; }
  size_t remaining() const { return end_ - pos_; }
  bool AtEnd() const { return pos_ >= end_; }
  // The module's bytes up to this reader's end.
  std::span<const u8> bounded() const { return module_.first(end_); }
  void set_pos(size_t pos) { pos_ = pos; }

  // A reader over the next `size` bytes (which the caller checked exist);
  // this reader skips past them.
  Reader Split(size_t size, const char* end_reason);

  Status ReadByte(u8* out);
  Status ReadU32(u32* out);
  Status ReadS32(i32* out);
  Status ReadS33(i64* out);
  Status ReadS64(i64* out);
  // Vector counts come from ReadU32; callers reserve at most remaining()
  // elements, since each takes at least one byte.
  Status ReadBytes(size_t n, std::span<const u8>* out);
  // A length-prefixed UTF-8 string; "length out of bounds" if the length
  // exceeds the rest of the module.
  Status ReadName(std::string* out);
  Status ReadValType(ValType* out);
  Status ReadRefType(ValType* out);
  Status ReadLimits(Limits* out);

  Status Fail(size_t offset, std::string_view reason) const { return MalformedAt(offset, reason); }
  Status EndError() const { return MalformedAt(end_, end_reason_); }

 private:
  // Integers are decoded against the whole module, then bounded: an integer
  // that is malformed in itself is reported as such even when it also runs
  // past the end of its section (the spec suite expects that reason).
  template <typename T, typename ReadFn>
  Status ReadLeb(ReadFn read, T* out);

  std::span<const u8> module_;
  size_t pos_;
  size_t end_;
  const char* end_reason_;
};

// Decodes a value type byte; shared with the instruction reader. Returns
// false for bytes that are not a WebAssembly 2.0 value type.
inline bool DecodeValType(u8 b, ValType* out) {
  switch (b) {
    case 0x7b:  // v128
    case 0x7f:
    case 0x7e:
    case 0x7d:
    case 0x7c:
    case 0x70:
    case 0x6f:
      *out = static_cast<ValType>(b);
      return true;
    default:
      return false;
  }
}

inline constexpr u8 kV128Byte = 0x7b;

// The refusal for a value type byte that a later proposal defines (v128,
// exnref, typed references), or an ok Status if `b` is none of them.
Status ProposalValTypeAt(size_t offset, u8 b);

}  // namespace deja::engine
