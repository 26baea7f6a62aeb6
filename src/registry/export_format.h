// The export file (docs/REGISTRY.md, "Export files"): a magic and version,
// then sections of (type u32, length u64, CRC-32C u32, bytes), all little
// endian. The CRC covers the type and length fields and the bytes, so a
// damaged length is caught like damaged bytes.
#pragma once

#include <cstring>
#include <span>
#include <string_view>

#include "base/types.h"
#include "timemachine/log_codec.h"

namespace deja::registry {

inline constexpr char kExportMagic[8] = {'D', 'E', 'J', 'A', 'E', 'X', 'P', '\0'};
inline constexpr u32 kExportVersion = 1;
inline constexpr size_t kExportHeaderSize = 8 + 4;
inline constexpr size_t kSectionHeaderSize = 4 + 8 + 4;

enum class SectionType : u32 { kManifest = 1, kModule = 2, kLog = 3 };

// Bounds a hostile file cannot push past (the log is streamed, never held in
// memory; its bound is the file's size).
inline constexpr u64 kMaxManifestBytes = 1 << 20;
inline constexpr u64 kMaxExportModuleBytes = u64{4} << 30;

inline void PutU32Le(u32 v, u8* out) {
  for (int i = 0; i < 4; ++i) out[i] = static_cast<u8>(v >> (8 * i));
}
inline void PutU64Le(u64 v, u8* out) {
  for (int i = 0; i < 8; ++i) out[i] = static_cast<u8>(v >> (8 * i));
}
inline u32 GetU32Le(const u8* in) {
  u32 v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | in[i];
  return v;
}
inline u64 GetU64Le(const u8* in) {
  u64 v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | in[i];
  return v;
}

// The CRC before any of the section's bytes: over its type and length.
inline u32 SectionCrcSeed(u32 type, u64 length) {
  u8 fields[12];
  PutU32Le(type, fields);
  PutU64Le(length, fields + 4);
  return tm::Crc32c(fields);
}

}  // namespace deja::registry
