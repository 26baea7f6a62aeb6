// Custom sections: each must have a well-formed UTF-8 name; their contents are
// skipped, except the "name" section's module and function names. A malformed
// name section is ignored, as the spec asks (it is only a debugging aid).
#include <map>
#include <string>

#include "engine/decode/sections.h"

namespace deja::engine {
namespace {

enum class NameSubsection : u8 { kModule = 0, kFunction = 1 };

struct Names {
  std::string module;
  std::map<u32, std::string> funcs;
};

Status ReadFunctionNames(Reader& r, Names* out) {
  u32 count{};
  DEJA_TRY(r.ReadU32(&count));
  bool first = true;
  u32 last = 0;
  for (u32 i = 0; i < count; ++i) {
    size_t at = r.pos();
    u32 index{};
    DEJA_TRY(r.ReadU32(&index));
    // The name map is sorted by index, without duplicates.
    if (!first && index <= last) return r.Fail(at, "name map out of order");
    first = false;
    last = index;
    std::string name;
    DEJA_TRY(r.ReadName(&name));
    out->funcs.emplace(index, std::move(name));
  }
  return Status();
}

Status ReadNames(Reader& r, Names* out) {
  int last_id = -1;
  while (!r.AtEnd()) {
    size_t at = r.pos();
    u8 id{};
    u32 size{};
    DEJA_TRY(r.ReadByte(&id));
    DEJA_TRY(r.ReadU32(&size));
    if (size > r.remaining()) return r.Fail(at, "length out of bounds");
    if (id <= last_id) return r.Fail(at, "name subsection out of order");
    last_id = id;
    Reader sub = r.Split(size, "unexpected end of section or function");
    if (id == static_cast<u8>(NameSubsection::kModule)) {
      DEJA_TRY(sub.ReadName(&out->module));
    } else if (id == static_cast<u8>(NameSubsection::kFunction)) {
      DEJA_TRY(ReadFunctionNames(sub, out));
    } else {
      continue;  // local names and later proposals' subsections: not used
    }
    if (!sub.AtEnd()) return sub.Fail(sub.pos(), "section size mismatch");
  }
  return Status();
}

}  // namespace

Status DecodeCustomSection(Reader& r, DecodeState& s) {
  std::string name;
  DEJA_TRY(r.ReadName(&name));
  if (name == "name") {
    Reader contents = r;
    Names names;
    if (ReadNames(contents, &names).ok()) {
      s.module->name = std::move(names.module);
      s.module->func_names = std::move(names.funcs);
    }
  }
  r.set_pos(r.end());
  return Status();
}

}  // namespace deja::engine
