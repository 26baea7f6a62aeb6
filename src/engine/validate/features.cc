#include "engine/validate/features.h"

#include <array>
#include <cstdio>
#include <string>

#include "engine/instr.h"
#include "engine/validate/const_expr.h"

namespace deja {

namespace {

struct FeatureInfo {
  std::string_view name;
  bool implemented;
};

// Indexed by Feature; names as wasmtime's -W flags and wasm-tools spell them.
constexpr std::array<FeatureInfo, kFeatureCount> kFeatures = {{
    {"mutable-global", true},
    {"sign-extension", true},
    {"saturating-float-to-int", true},
    {"multi-value", true},
    {"bulk-memory", true},
    {"reference-types", true},
    {"simd", true},
    {"relaxed-simd", true},
    {"tail-call", true},
    {"exceptions", true},  // the legacy form; exnref (try_table, throw_ref) is refused
    {"threads", false},
    {"multi-memory", false},
    {"memory64", false},
    {"extended-const", true},
    {"gc", false},
    {"function-references", false},
}};

}  // namespace

std::string_view FeatureName(Feature f) { return kFeatures[static_cast<size_t>(f)].name; }

bool FeatureImplemented(Feature f) { return kFeatures[static_cast<size_t>(f)].implemented; }

std::optional<Feature> ParseFeature(std::string_view name) {
  if (name == "nontrapping-float-to-int") return Feature::kSaturatingFloatToInt;
  for (size_t i = 0; i < kFeatures.size(); ++i) {
    if (kFeatures[i].name == name) return static_cast<Feature>(i);
  }
  return std::nullopt;
}

std::string AllFeatureNames() {
  std::string out;
  for (const FeatureInfo& f : kFeatures) {
    if (!out.empty()) out += ", ";
    out += f.name;
  }
  return out;
}

namespace engine {
namespace {

Status Refuse(Feature f, std::string_view what, std::string_view where) {
  std::string m = "feature turned off: ";
  m += FeatureName(f);
  m += " (";
  m += what;
  m += ") in ";
  m += where;
  return Status::Unsupported(std::move(m));
}

std::string FuncAt(u32 func_index, u32 offset) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "func %u offset 0x%x", func_index, offset);
  return buf;
}

// The 2.0 feature an instruction belongs to, if it is one that can be off.
std::optional<Feature> InstrFeature(const Instr& in, const Features& features,
                                    const char** what) {
  u16 code = static_cast<u16>(in.op);
  if (code >= 0xc0 && code <= 0xc4) {
    *what = "sign-extension operator";
    return Feature::kSignExtension;
  }
  if (code >= 0xfc00 && code <= 0xfc07) {
    *what = "saturating float-to-int conversion";
    return Feature::kSaturatingFloatToInt;
  }
  if (code >= 0xfc08 && code <= 0xfc0e) {
    *what = "bulk memory or table operation";
    return Feature::kBulkMemory;
  }
  if ((code >= 0xfc0f && code <= 0xfc11) || (code >= 0xd0 && code <= 0xd2) || code == 0x25 ||
      code == 0x26 || code == 0x1c) {
    *what = "reference or table instruction";
    return Feature::kReferenceTypes;
  }
  if (code == 0x12 || code == 0x13) {
    *what = "tail call";
    return Feature::kTailCall;
  }
  if ((code >> 8) == 0xfd) {
    *what = "SIMD instruction";
    return Feature::kSimd;
  }
  if ((code >> 8) == 0xfe) {
    *what = "relaxed SIMD instruction";
    return Feature::kRelaxedSimd;
  }
  // A try with a type index needs both multi-value and exceptions.
  if ((code == 0x02 || code == 0x03 || code == 0x04 || code == 0x06) &&
      in.block_type.kind == BlockType::Kind::kTypeIndex &&
      (code != 0x06 || !features.enabled(Feature::kMultiValue))) {
    *what = "block with a type index";
    return Feature::kMultiValue;
  }
  if ((code >= 0x06 && code <= 0x09) || code == 0x18 || code == 0x19) {
    *what = "exception-handling instruction";
    return Feature::kExceptions;
  }
  return std::nullopt;
}

Status CheckBodies(const Module& m, const Features& features) {
  for (size_t i = 0; i < m.code.size(); ++i) {
    const Function& f = m.code[i];
    u32 func_index = m.num_imported_funcs + static_cast<u32>(i);
    InstrReader r(std::span<const u8>(m.bytes).subspan(f.body_offset, f.body_size),
                  f.body_offset);
    Instr in;
    while (!r.AtEnd()) {
      DEJA_TRY(r.Next(&in));
      const char* what = "";
      std::optional<Feature> need = InstrFeature(in, features, &what);
      if (need && !features.enabled(*need)) return Refuse(*need, what, FuncAt(func_index, in.offset));
    }
  }
  return Status();
}

bool HasV128(const std::vector<ValType>& ts) {
  for (ValType t : ts) {
    if (t == ValType::kV128) return true;
  }
  return false;
}

// v128 outside code: in a function type, a global or a local.
Status CheckV128Types(const Module& m, const Features& features) {
  if (features.enabled(Feature::kSimd)) return Status();
  for (size_t i = 0; i < m.types.size(); ++i) {
    if (HasV128(m.types[i].params) || HasV128(m.types[i].results)) {
      return Refuse(Feature::kSimd, "v128 value type", "type " + std::to_string(i));
    }
  }
  for (size_t i = 0; i < m.globals.size(); ++i) {
    if (m.globals[i].type == ValType::kV128) {
      return Refuse(Feature::kSimd, "v128 global", "global " + std::to_string(i));
    }
  }
  for (size_t i = 0; i < m.code.size(); ++i) {
    for (const LocalRun& run : m.code[i].locals) {
      if (run.type == ValType::kV128) {
        return Refuse(Feature::kSimd, "v128 local",
                      FuncAt(m.num_imported_funcs + static_cast<u32>(i), m.code[i].body_offset));
      }
    }
  }
  return Status();
}

Status CheckTypes(const Module& m, const Features& features) {
  DEJA_TRY(CheckV128Types(m, features));
  if (features.enabled(Feature::kMultiValue)) return Status();
  for (size_t i = 0; i < m.types.size(); ++i) {
    if (m.types[i].results.size() > 1) {
      return Refuse(Feature::kMultiValue, "more than one result",
                    "type " + std::to_string(i));
    }
  }
  return Status();
}

Status CheckTags(const Module& m, const Features& features) {
  if (features.enabled(Feature::kExceptions)) return Status();
  for (const Import& im : m.imports) {
    if (im.kind == ExternKind::kTag) {
      return Refuse(Feature::kExceptions, "imported tag", "import " + im.module + "." + im.name);
    }
  }
  if (m.tags.size() > m.num_imported_tags) {
    return Refuse(Feature::kExceptions, "tag section",
                  "tag " + std::to_string(m.num_imported_tags));
  }
  return Status();
}

Status CheckMutableGlobals(const Module& m, const Features& features) {
  if (features.enabled(Feature::kMutableGlobal)) return Status();
  for (const Import& im : m.imports) {
    if (im.kind == ExternKind::kGlobal && im.global.mut) {
      return Refuse(Feature::kMutableGlobal, "imported mutable global",
                    "import " + im.module + "." + im.name);
    }
  }
  for (const Export& ex : m.exports) {
    if (ex.kind == ExternKind::kGlobal && m.globals[ex.index].mut) {
      return Refuse(Feature::kMutableGlobal, "exported mutable global", "export " + ex.name);
    }
  }
  return Status();
}

// extended-const: arithmetic in global initializers and segment offsets.
Status CheckConstExprs(const Module& m, const Features& features) {
  if (features.enabled(Feature::kExtendedConst)) return Status();
  auto check = [](const ConstExpr& e, const std::string& where) -> Status {
    for (const Instr& in : e.instrs) {
      if (IsExtendedConstInstr(in)) {
        char at[32];
        std::snprintf(at, sizeof at, " offset 0x%x", in.offset);
        return Refuse(Feature::kExtendedConst,
                      std::string(OpcodeName(in.op)) + " in a constant expression", where + at);
      }
    }
    return Status();
  };
  for (size_t i = 0; i < m.global_defs.size(); ++i) {
    DEJA_TRY(check(m.global_defs[i].init,
                   "global " + std::to_string(m.num_imported_globals + i) + " initializer"));
  }
  for (size_t i = 0; i < m.elems.size(); ++i) {
    DEJA_TRY(check(m.elems[i].offset, "elem segment " + std::to_string(i) + " offset"));
    for (const ConstExpr& e : m.elems[i].init) {
      DEJA_TRY(check(e, "elem segment " + std::to_string(i) + " element"));
    }
  }
  for (size_t i = 0; i < m.datas.size(); ++i) {
    DEJA_TRY(check(m.datas[i].offset, "data segment " + std::to_string(i) + " offset"));
  }
  return Status();
}

}  // namespace

Status CheckFeatures(const Module& module, const Features& features) {
  if (features.all_implemented()) return Status();
  DEJA_TRY(CheckTypes(module, features));
  DEJA_TRY(CheckMutableGlobals(module, features));
  DEJA_TRY(CheckTags(module, features));
  DEJA_TRY(CheckConstExprs(module, features));
  return CheckBodies(module, features);
}

}  // namespace engine
}  // namespace deja
