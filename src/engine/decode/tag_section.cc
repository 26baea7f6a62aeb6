// The tag section (id 13) of the exception-handling proposal: each tag is an
// attribute byte (0: exception, the only one defined) and a function type
// index whose parameters are the exception's payload. The validator checks
// the index and that the type has no results.
#include "engine/decode/sections.h"

namespace deja::engine {

Status ReadTagType(Reader& r, u32* type_index) {
  size_t at = r.pos();
  u8 attribute{};
  DEJA_TRY(r.ReadByte(&attribute));
  if (attribute != 0) return r.Fail(at, "malformed tag attribute");
  return r.ReadU32(type_index);
}

Status DecodeTagSection(Reader& r, DecodeState& s) {
  u32 count{};
  DEJA_TRY(r.ReadU32(&count));
  ReserveAtMost(s.module->tags, count, r);
  for (u32 i = 0; i < count; ++i) {
    u32 type_index{};
    DEJA_TRY(ReadTagType(r, &type_index));
    s.module->tags.push_back(type_index);
  }
  return Status();
}

}  // namespace deja::engine
