// The small binary encoding of the WASI state (wasi_state.cc): LEB128
// varints, length-prefixed strings. The reader trusts nothing: every read is
// bounds-checked and the first failure sticks, so a decoder checks ok() once
// per record instead of after every field.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/types.h"

namespace deja::wasi {

class StateWriter {
 public:
  void Byte(u8 b) { out_.push_back(b); }
  void Varint(u64 v) {
    while (v >= 0x80) {
      out_.push_back(static_cast<u8>(v | 0x80));
      v >>= 7;
    }
    out_.push_back(static_cast<u8>(v));
  }
  void String(std::string_view s) {
    Varint(s.size());
    out_.insert(out_.end(), s.begin(), s.end());
  }
  std::vector<u8> Take() { return std::move(out_); }

 private:
  std::vector<u8> out_;
};

class StateReader {
 public:
  explicit StateReader(std::span<const u8> in) : in_(in) {}

  u8 Byte() {
    if (!Need(1)) return 0;
    return in_[pos_++];
  }
  // At most 10 bytes; a 10th byte above 1 overflows a u64 and is an error,
  // so every value has one meaning.
  u64 Varint() {
    u64 v = 0;
    for (int shift = 0; shift < 70; shift += 7) {
      if (!Need(1)) return 0;
      const u8 b = in_[pos_++];
      if (shift == 63 && b > 1) return Fail("varint overflows 64 bits");
      v |= u64{b & 0x7fu} << shift;
      if ((b & 0x80) == 0) return v;
    }
    return Fail("varint longer than 10 bytes");
  }
  // A string of at most `max` bytes (checked before anything is copied).
  std::string String(u64 max) {
    const u64 n = Varint();
    if (!ok_) return {};
    if (n > max) {
      Fail("string of " + std::to_string(n) + " bytes exceeds " + std::to_string(max));
      return {};
    }
    if (!Need(n)) return {};
    std::string s(reinterpret_cast<const char*>(in_.data() + pos_), n);
    pos_ += n;
    return s;
  }
  // A count of items each at least `min_item` bytes long: more than the
  // remaining bytes could hold is an error before anything is allocated.
  u64 Count(u64 max, u64 min_item, const char* what) {
    const u64 n = Varint();
    if (ok_ && (n > max || n > remaining() / min_item)) {
      Fail(std::string(what) + " count " + std::to_string(n) + " is too large");
    }
    return ok_ ? n : 0;
  }

  u64 Fail(std::string why) {
    if (ok_) error_ = "byte " + std::to_string(pos_) + ": " + std::move(why);
    ok_ = false;
    return 0;
  }
  bool ok() const { return ok_; }
  const std::string& error() const { return error_; }
  u64 remaining() const { return in_.size() - pos_; }

 private:
  bool Need(u64 n) {
    if (!ok_) return false;
    if (n > remaining()) {
      Fail("truncated");
      return false;
    }
    return true;
  }
  std::span<const u8> in_;
  u64 pos_ = 0;
  bool ok_ = true;
  std::string error_;
};

}  // namespace deja::wasi
