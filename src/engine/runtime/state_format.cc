#include "engine/runtime/state_format.h"

#include <xxhash.h>

#include <array>

namespace deja::engine {

namespace {

constexpr std::array<u32, 256> MakeCrcTable() {
  std::array<u32, 256> table{};
  for (u32 i = 0; i < 256; ++i) {
    u32 c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xedb88320u ^ (c >> 1) : c >> 1;
    table[i] = c;
  }
  return table;
}

constexpr std::array<u32, 256> kCrcTable = MakeCrcTable();

}  // namespace

u32 Crc32(std::span<const u8> bytes) {
  u32 c = 0xffffffffu;
  for (u8 b : bytes) c = kCrcTable[(c ^ b) & 0xff] ^ (c >> 8);
  return c ^ 0xffffffffu;
}

u64 StateChecksum(u32 version, std::span<const u8> payload) {
  return version >= 3 ? XXH3_64bits(payload.data(), payload.size()) : Crc32(payload);
}

std::vector<u8> StateHeader(u32 version, std::span<const u8> payload) {
  std::vector<u8> header(StateHeaderSize(version));
  auto put = [&header](size_t at, u64 v, size_t n) {
    for (size_t i = 0; i < n; ++i) header[at + i] = static_cast<u8>(v >> (8 * i));
  };
  for (size_t i = 0; i < sizeof kStateMagic; ++i) header[i] = static_cast<u8>(kStateMagic[i]);
  put(8, version, 4);
  put(12, payload.size(), 8);
  put(20, StateChecksum(version, payload), header.size() - 20);
  return header;
}

bool StateReader::Fixed(int n, u64* v) {
  if (in_.size() - pos_ < static_cast<size_t>(n)) return false;
  u64 x = 0;
  for (int i = 0; i < n; ++i) x |= u64{in_[pos_ + i]} << (8 * i);
  pos_ += n;
  *v = x;
  return true;
}

bool StateReader::U8(u8* v) {
  u64 x;
  if (!Fixed(1, &x)) return false;
  *v = static_cast<u8>(x);
  return true;
}

bool StateReader::U32(u32* v) {
  u64 x;
  if (!Fixed(4, &x)) return false;
  *v = static_cast<u32>(x);
  return true;
}

bool StateReader::U64(u64* v) { return Fixed(8, v); }

bool StateReader::Bytes(size_t n, std::span<const u8>* out) {
  if (in_.size() - pos_ < n) return false;
  *out = in_.subspan(pos_, n);
  pos_ += n;
  return true;
}

}  // namespace deja::engine
