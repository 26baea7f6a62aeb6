// DecodeModule: the preamble, then sections in the spec's order (custom
// sections anywhere), then the checks that span sections.
#include "engine/decode/decoder.h"

#include <cstdio>
#include <cstring>
#include <limits>

#include "engine/decode/sections.h"

namespace deja::engine {
namespace {

constexpr u8 kMagic[4] = {0x00, 0x61, 0x73, 0x6d};
constexpr u8 kVersion[4] = {0x01, 0x00, 0x00, 0x00};
constexpr u8 kMaxSectionId = 13;

// Position of each known section id in the required order (custom: 0).
constexpr u8 SectionRank(u8 id) {
  // The data count section (12) sits between element (9) and code (10), the
  // tag section (13) between memory (5) and global (6).
  constexpr u8 kRanks[kMaxSectionId + 1] = {0, 1, 2, 3, 4, 5, 7, 8, 9, 10, 12, 13, 11, 6};
  return kRanks[id];
}

Status CheckPreamble(Reader& r) {
  std::span<const u8> magic, version;
  DEJA_TRY(r.ReadBytes(4, &magic));
  if (std::memcmp(magic.data(), kMagic, 4) != 0) return r.Fail(0, "magic header not detected");
  DEJA_TRY(r.ReadBytes(4, &version));
  if (std::memcmp(version.data(), kVersion, 4) != 0) return r.Fail(4, "unknown binary version");
  return Status();
}

Status DecodeSection(u8 id, Reader& r, DecodeState& s) {
  switch (static_cast<SectionId>(id)) {
    case SectionId::kCustom:
      return DecodeCustomSection(r, s);
    case SectionId::kType:
      return DecodeTypeSection(r, s);
    case SectionId::kImport:
      return DecodeImportSection(r, s);
    case SectionId::kFunction:
      return DecodeFunctionSection(r, s);
    case SectionId::kTable:
      return DecodeTableSection(r, s);
    case SectionId::kMemory:
      return DecodeMemorySection(r, s);
    case SectionId::kGlobal:
      return DecodeGlobalSection(r, s);
    case SectionId::kExport:
      return DecodeExportSection(r, s);
    case SectionId::kStart:
      return DecodeStartSection(r, s);
    case SectionId::kElement:
      return DecodeElementSection(r, s);
    case SectionId::kCode:
      s.saw_code = true;
      return DecodeCodeSection(r, s);
    case SectionId::kData:
      s.saw_data = true;
      return DecodeDataSection(r, s);
    case SectionId::kDataCount:
      return DecodeDataCountSection(r, s);
    case SectionId::kTag:
      return DecodeTagSection(r, s);
  }
  return r.Fail(r.pos(), "malformed section id");
}

Status DecodeSections(Reader& r, DecodeState& s) {
  u8 last_rank = 0;
  while (!r.AtEnd()) {
    size_t id_at = r.pos();
    u8 id{};
    DEJA_TRY(r.ReadByte(&id));
    if (id > kMaxSectionId) return r.Fail(id_at, "malformed section id");
    size_t size_at = r.pos();
    u32 size{};
    DEJA_TRY(r.ReadU32(&size));
    if (size > r.remaining()) return r.Fail(size_at, "length out of bounds");
    if (id != 0) {
      if (SectionRank(id) <= last_rank) {
        return r.Fail(id_at, "unexpected content after last section");
      }
      last_rank = SectionRank(id);
    }
    size_t start = r.pos();
    Reader section = r.Split(size, "unexpected end of section or function");
    DEJA_TRY(DecodeSection(id, section, s));
    if (!section.AtEnd()) return r.Fail(start, "section size mismatch");
  }
  return Status();
}

// Checks that span sections (which may be absent altogether), and the
// problems deferred until the whole module has decoded.
Status CheckCounts(const Reader& r, const DecodeState& s) {
  const Module& m = *s.module;
  if (!s.saw_code && m.func_types.size() != m.num_imported_funcs) {
    return r.Fail(r.end(), "function and code section have inconsistent lengths");
  }
  if (!s.saw_data && m.data_count.value_or(0) != 0) {
    return r.Fail(r.end(), "data count and data section have inconsistent lengths");
  }
  if (s.data_op_func && !m.datas.empty()) {
    return InFunc(*s.data_op_func, MalformedAt(s.data_op_offset, "data count section required"));
  }
  if (s.too_long_const_expr) {
    char msg[80];
    std::snprintf(msg, sizeof msg, "offset 0x%x: constant expression required",
                  *s.too_long_const_expr);
    return Status::Invalid(msg);
  }
  return Status();
}

}  // namespace

Result<Module> DecodeModule(std::span<const u8> bytes, const DecodeOptions& options) {
  // Offsets are u32 throughout the engine.
  if (bytes.size() > std::numeric_limits<u32>::max()) {
    return Status::ResourceExhausted("module larger than 4 GiB");
  }
  Module m;
  m.bytes.assign(bytes.begin(), bytes.end());
  DecodeState s;
  s.module = &m;
  s.module_size = m.bytes.size();
  s.scan_bodies = options.scan_bodies;
  Reader r(m.bytes, 0, m.bytes.size(), "unexpected end");
  DEJA_TRY(CheckPreamble(r));
  DEJA_TRY(DecodeSections(r, s));
  DEJA_TRY(CheckCounts(r, s));
  return m;
}

}  // namespace deja::engine
