// The saved-state format of Store::SaveState (see docs/embedding.md): a fixed
// header, then a payload of little-endian fields, protected by a checksum.
#pragma once

#include <span>
#include <string>
#include <vector>

#include "base/types.h"

namespace deja::engine {

inline constexpr char kStateMagic[8] = {'D', 'E', 'J', 'A', 'S', 'T', 'A', 'T'};
// 2 added safe-point suspensions (the thread part's suspend byte may be 2).
// 3 checks the payload with XXH3-64 instead of CRC-32: the bytewise CRC ran
// at ~400 MB/s, a third of the time to save or restore 64 MiB of memory.
// 4 writes the thread part's version 4 (portable call stacks, in Wasm
// terms; exec/thread_save.cc); the rest of the payload is that of 3. Bumped
// so that a deja reading 1-3 refuses it as a newer format, not as damage.
// Versions 1 to 3 are still read; newer ones are refused.
inline constexpr u32 kStateVersion = 4;
inline constexpr u32 kOldestStateVersion = 1;
// magic, version, payload size (u64), then the payload's checksum: XXH3-64
// (u64) from version 3, CRC-32 (u32) before.
inline constexpr size_t kStateHeaderSize = 8 + 4 + 8 + 8;
inline constexpr size_t StateHeaderSize(u32 version) {
  return version >= 3 ? kStateHeaderSize : 8 + 4 + 8 + 4;
}

// The header of a version `version` state around `payload`.
std::vector<u8> StateHeader(u32 version, std::span<const u8> payload);
// The payload's checksum as the header of `version` holds it.
u64 StateChecksum(u32 version, std::span<const u8> payload);

// CRC-32 (IEEE 802.3 polynomial, as in zlib): versions 1 and 2.
u32 Crc32(std::span<const u8> bytes);

// Appends little-endian fields.
class StateWriter {
 public:
  explicit StateWriter(std::vector<u8>* out) : out_(out) {}
  void U8(u8 v) { out_->push_back(v); }
  void U32(u32 v) { Fixed(v, 4); }
  void U64(u64 v) { Fixed(v, 8); }
  void Bytes(std::span<const u8> b) { out_->insert(out_->end(), b.begin(), b.end()); }

 private:
  void Fixed(u64 v, int n) {
    for (int i = 0; i < n; ++i) out_->push_back(static_cast<u8>(v >> (8 * i)));
  }
  std::vector<u8>* out_;
};

// Reads little-endian fields; every read fails (returns false) past the end.
class StateReader {
 public:
  explicit StateReader(std::span<const u8> in) : in_(in) {}
  bool U8(u8* v);
  bool U32(u32* v);
  bool U64(u64* v);
  bool Bytes(size_t n, std::span<const u8>* out);
  std::span<const u8> rest() const { return in_.subspan(pos_); }

 private:
  bool Fixed(int n, u64* v);
  std::span<const u8> in_;
  size_t pos_ = 0;
};

}  // namespace deja::engine
