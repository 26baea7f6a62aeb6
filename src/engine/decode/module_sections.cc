// Decoders for the sections that declare types, imports and the index spaces
// (type, import, function, table, memory, global, export, start).
#include "engine/decode/sections.h"

#include <cstdio>
#include <string>

namespace deja::engine {
namespace {

constexpr u8 kFuncTypeForm = 0x60;

Status ReadValTypes(Reader& r, std::vector<ValType>* out) {
  u32 count{};
  DEJA_TRY(r.ReadU32(&count));
  ReserveAtMost(*out, count, r);
  for (u32 i = 0; i < count; ++i) {
    ValType t{};
    DEJA_TRY(r.ReadValType(&t));
    out->push_back(t);
  }
  return Status();
}

Status ReadTableType(Reader& r, TableType* out) {
  DEJA_TRY(r.ReadRefType(&out->elem));
  return r.ReadLimits(&out->limits);
}

// A memory's limits. Flags that a later proposal makes valid are refused by
// name: 3 (shared, with maximum: threads), 4, 5 and 7 (64-bit: memory64).
// 2 and 6 (shared without a maximum) are invalid under threads too, so they
// stay "integer too large" as in 2.0 (the spec suite tests 2), as do tables.
Status ReadMemoryLimits(Reader& r, Limits* out) {
  size_t at = r.pos();
  std::span<const u8> bytes = r.bounded();
  if (at < bytes.size()) {
    u8 flags = bytes[at];
    if (flags == 0x04 || flags == 0x05 || flags == 0x07) {
      return UnsupportedAt(at, "memory64", "64-bit memory limits");
    }
    if (flags == 0x03) return UnsupportedAt(at, "threads", "shared memory");
  }
  return r.ReadLimits(out);
}

Status ReadGlobalType(Reader& r, GlobalType* out) {
  DEJA_TRY(r.ReadValType(&out->type));
  size_t at = r.pos();
  u8 mut{};
  DEJA_TRY(r.ReadByte(&mut));
  if (mut > 1) return r.Fail(at, "malformed mutability");
  out->mut = mut == 1;
  return Status();
}

Status ReadImport(Reader& r, Module& m, Import* imp) {
  DEJA_TRY(r.ReadName(&imp->module));
  DEJA_TRY(r.ReadName(&imp->name));
  size_t at = r.pos();
  u8 kind{};
  DEJA_TRY(r.ReadByte(&kind));
  switch (kind) {
    case 0:
      imp->kind = ExternKind::kFunc;
      DEJA_TRY(r.ReadU32(&imp->func_type));
      m.func_types.push_back(imp->func_type);
      ++m.num_imported_funcs;
      return Status();
    case 1:
      imp->kind = ExternKind::kTable;
      DEJA_TRY(ReadTableType(r, &imp->table));
      m.tables.push_back(imp->table);
      ++m.num_imported_tables;
      return Status();
    case 2:
      imp->kind = ExternKind::kMemory;
      DEJA_TRY(ReadMemoryLimits(r, &imp->memory.limits));
      m.memories.push_back(imp->memory);
      ++m.num_imported_memories;
      return Status();
    case 3:
      imp->kind = ExternKind::kGlobal;
      DEJA_TRY(ReadGlobalType(r, &imp->global));
      m.globals.push_back(imp->global);
      ++m.num_imported_globals;
      return Status();
    case 4:
      imp->kind = ExternKind::kTag;
      DEJA_TRY(ReadTagType(r, &imp->tag_type));
      m.tags.push_back(imp->tag_type);
      ++m.num_imported_tags;
      return Status();
    default:
      return r.Fail(at, "malformed import kind");
  }
}

// Unsupported features are named with the type index they were found in;
// malformed input keeps the spec's wording.
Status InType(u32 type_index, const Status& st) {
  if (st.code() != Status::Code::kUnsupported) return st;
  char prefix[24];
  std::snprintf(prefix, sizeof prefix, "type %u ", type_index);
  return Status(st.code(), prefix + std::string(st.message()));
}

}  // namespace

Status DecodeTypeSection(Reader& r, DecodeState& s) {
  u32 count{};
  DEJA_TRY(r.ReadU32(&count));
  ReserveAtMost(s.module->types, count, r);
  for (u32 i = 0; i < count; ++i) {
    size_t at = r.pos();
    u8 form{};
    DEJA_TRY(r.ReadByte(&form));
    // The form is a one-byte signed LEB128 (0x60 is -0x20).
    if (form & 0x80) return r.Fail(at, "integer representation too long");
    if (form != kFuncTypeForm) {
      // struct, array, rec, sub and sub final: the GC proposal's type forms.
      if (form == 0x5f || form == 0x5e || form == 0x4e || form == 0x50 || form == 0x4f) {
        return InType(i, UnsupportedAt(at, "gc", "struct, array or subtype definition"));
      }
      return r.Fail(at, "malformed function type");
    }
    FuncType type;
    if (Status st = ReadValTypes(r, &type.params); !st.ok()) return InType(i, st);
    if (Status st = ReadValTypes(r, &type.results); !st.ok()) return InType(i, st);
    s.module->types.push_back(std::move(type));
  }
  return Status();
}

Status DecodeImportSection(Reader& r, DecodeState& s) {
  u32 count{};
  DEJA_TRY(r.ReadU32(&count));
  ReserveAtMost(s.module->imports, count, r);
  for (u32 i = 0; i < count; ++i) {
    Import imp;
    DEJA_TRY(ReadImport(r, *s.module, &imp));
    s.module->imports.push_back(std::move(imp));
  }
  return Status();
}

Status DecodeFunctionSection(Reader& r, DecodeState& s) {
  u32 count{};
  DEJA_TRY(r.ReadU32(&count));
  ReserveAtMost(s.module->func_types, count, r);
  for (u32 i = 0; i < count; ++i) {
    u32 type{};
    DEJA_TRY(r.ReadU32(&type));
    s.module->func_types.push_back(type);
  }
  return Status();
}

Status DecodeTableSection(Reader& r, DecodeState& s) {
  u32 count{};
  DEJA_TRY(r.ReadU32(&count));
  ReserveAtMost(s.module->tables, count, r);
  for (u32 i = 0; i < count; ++i) {
    TableType t;
    DEJA_TRY(ReadTableType(r, &t));
    s.module->tables.push_back(t);
  }
  return Status();
}

Status DecodeMemorySection(Reader& r, DecodeState& s) {
  u32 count{};
  DEJA_TRY(r.ReadU32(&count));
  ReserveAtMost(s.module->memories, count, r);
  for (u32 i = 0; i < count; ++i) {
    MemoryType t;
    DEJA_TRY(ReadMemoryLimits(r, &t.limits));
    s.module->memories.push_back(t);
  }
  return Status();
}

Status DecodeGlobalSection(Reader& r, DecodeState& s) {
  u32 count{};
  DEJA_TRY(r.ReadU32(&count));
  ReserveAtMost(s.module->global_defs, count, r);
  for (u32 i = 0; i < count; ++i) {
    Global g;
    DEJA_TRY(ReadGlobalType(r, &g.type));
    DEJA_TRY(ReadConstExpr(r, s, &g.init));
    s.module->globals.push_back(g.type);
    s.module->global_defs.push_back(std::move(g));
  }
  return Status();
}

Status DecodeExportSection(Reader& r, DecodeState& s) {
  u32 count{};
  DEJA_TRY(r.ReadU32(&count));
  ReserveAtMost(s.module->exports, count, r);
  for (u32 i = 0; i < count; ++i) {
    Export e;
    DEJA_TRY(r.ReadName(&e.name));
    size_t at = r.pos();
    u8 kind{};
    DEJA_TRY(r.ReadByte(&kind));
    if (kind > 4) return r.Fail(at, "malformed export kind");
    e.kind = static_cast<ExternKind>(kind);
    DEJA_TRY(r.ReadU32(&e.index));
    s.module->exports.push_back(std::move(e));
  }
  return Status();
}

Status DecodeStartSection(Reader& r, DecodeState& s) {
  u32 func{};
  DEJA_TRY(r.ReadU32(&func));
  s.module->start = func;
  return Status();
}

}  // namespace deja::engine
