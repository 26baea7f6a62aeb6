// A small binary rewriter: the module's sections are copied in order, and
// those that hold state (tables, memories, globals, segments) or start it
// (start, "_initialize") are re-encoded from the instance's current state.
// The module was validated when it was compiled, but every read is still
// bounds checked: a module that does not match the instance is an error,
// never a crash.
#include "snapshot/emit_wasm.h"

#include <algorithm>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "snapshot/emit_wasm_internal.h"

namespace deja::snapshot {
namespace emit {
namespace {

Result<std::vector<Section>> SplitSections(std::span<const u8> wasm) {
  static constexpr u8 kHeader[8] = {0x00, 'a', 's', 'm', 0x01, 0x00, 0x00, 0x00};
  if (wasm.size() < 8 || std::memcmp(wasm.data(), kHeader, 8) != 0) {
    return Status::Malformed("not a binary module (version 1)");
  }
  std::vector<Section> sections;
  Cursor c(wasm.subspan(8));
  while (!c.done()) {
    Section s;
    u32 size = 0;
    if (!c.Byte(&s.id) || !c.U32(&size))
      return Status::Malformed("cannot read the module's sections");
    size_t start = c.pos();
    if (!c.Skip(size)) return Status::Malformed("cannot read the module's sections");
    s.body = c.Since(start);
    sections.push_back(s);
  }
  return sections;
}

// "_initialize" made harmless: a new function of its type that does
// nothing (returns zeros, should it have results) and the export's new index.
struct Noop {
  u32 index = 0;
  u32 type = 0;
  Bytes body;  // with its size
};

Result<std::optional<Noop>> MakeNoop(std::span<const Section> sections, const Context& cx) {
  for (const Section& s : sections) {
    if (s.id != kSecExport) continue;
    Cursor c(s.body);
    u32 count = 0;
    if (!c.U32(&count)) return Mismatch("export");
    for (u32 i = 0; i < count; ++i) {
      u32 len = 0, index = 0;
      u8 kind = 0;
      if (!c.U32(&len)) return Mismatch("export");
      size_t name = c.pos();
      if (!c.Skip(len) || !c.Byte(&kind) || !c.U32(&index)) return Mismatch("export");
      std::span<const u8> n = c.Since(name).first(len);
      if (std::string_view(reinterpret_cast<const char*>(n.data()), n.size()) != "_initialize" ||
          kind != 0) {
        continue;
      }
      // A host function exported as _initialize did nothing to the state.
      if (index < cx.imported_funcs || index >= cx.func_types.size()) return std::optional<Noop>();
      Noop noop;
      noop.index = static_cast<u32>(cx.func_types.size());
      noop.type = cx.func_types[index];
      Bytes code = {0x00};  // no locals
      for (ValType t : cx.store->GetFuncType(cx.objects.funcs[index]).results) {
        if (t == ValType::kV128) return Status::Unsupported("_initialize returns a v128");
        if (IsRefType(t)) {
          code.push_back(kRefNull);
          code.push_back(static_cast<u8>(t));
          continue;
        }
        code.push_back(t == ValType::kI32   ? kI32Const
                       : t == ValType::kI64 ? kI64Const
                       : t == ValType::kF32 ? kF32Const
                                            : kF64Const);
        code.insert(code.end(), t == ValType::kF32 ? 4 : t == ValType::kF64 ? 8 : 1, 0);
      }
      code.push_back(kEnd);
      PutU32(&noop.body, code.size());
      PutRaw(&noop.body, code);
      return std::optional<Noop>(std::move(noop));
    }
  }
  return std::optional<Noop>();
}

Result<Bytes> RewriteExports(const Section& s, const std::optional<Noop>& noop) {
  Cursor c(s.body);
  u32 count = 0;
  if (!c.U32(&count)) return Mismatch("export");
  Bytes out;
  PutU32(&out, count);
  for (u32 i = 0; i < count; ++i) {
    u32 len = 0, index = 0;
    u8 kind = 0;
    size_t start = c.pos();
    if (!c.U32(&len) || !c.Skip(len)) return Mismatch("export");
    std::span<const u8> name = c.Since(start);
    if (!c.Byte(&kind) || !c.U32(&index)) return Mismatch("export");
    bool init =
        kind == 0 && name.size() == 12 && std::memcmp(name.data() + 1, "_initialize", 11) == 0;
    PutRaw(&out, name);
    out.push_back(kind);
    PutU32(&out, init && noop ? noop->index : index);
  }
  return out;
}

// A vector section with `extra` entries appended (function types, bodies).
Result<Bytes> Append(const Section& s, const std::vector<Bytes>& extra, const char* name) {
  Cursor c(s.body);
  u32 count = 0;
  if (!c.U32(&count)) return Mismatch(name);
  Bytes out;
  PutU32(&out, u64{count} + extra.size());
  PutRaw(&out, c.Rest());
  for (const Bytes& e : extra) PutRaw(&out, e);
  return out;
}

// The module's own element segments: active ones were applied at
// instantiation and dropped, so they become declarative (dropped at
// instantiation, and still declaring their functions for ref.func); so do
// dropped passive ones. Live passive and declarative ones stay.
Result<Bytes> RewriteElements(const Section& s, const Context& cx) {
  Cursor c(s.body);
  u32 count = 0;
  if (!c.U32(&count) || count != cx.objects.elem_dropped.size()) return Mismatch("element");
  Bytes out;
  PutU32(&out, u64{count} + cx.baked_elems.size());
  for (u32 i = 0; i < count; ++i) {
    size_t start = c.pos();
    u32 flags = 0, table = 0;
    if (!c.U32(&flags) || flags > 7) return Mismatch("element");
    bool active = (flags & 1) == 0;
    bool exprs = (flags & 4) != 0;
    if (active && (flags & 2) != 0 && !c.U32(&table)) return Mismatch("element");
    if (active && !c.SkipConstExpr()) return Mismatch("element");
    u8 kind = exprs ? static_cast<u8>(ValType::kFuncRef) : 0x00;  // implicit for flags 0 and 4
    if ((flags == 0 || flags == 4) ? false : !c.Byte(&kind)) return Mismatch("element");
    size_t items = c.pos();
    u32 n = 0;
    if (!c.U32(&n)) return Mismatch("element");
    for (u32 j = 0; j < n; ++j) {
      u32 index = 0;
      if (exprs ? !c.SkipConstExpr() : !c.U32(&index)) return Mismatch("element");
    }
    bool keep = flags == 3 || flags == 7 || (!active && !cx.objects.elem_dropped[i]);
    if (keep) {
      PutRaw(&out, c.Since(start));
      continue;
    }
    out.push_back(exprs ? 0x07 : 0x03);  // declarative
    out.push_back(kind);
    PutRaw(&out, c.Since(items));
  }
  if (!c.done()) return Mismatch("element");
  for (const Bytes& seg : cx.baked_elems) PutRaw(&out, seg);
  return out;
}

// The module's own data segments: active ones were applied and dropped,
// and become empty passive ones (what a dropped segment is); so do dropped
// passive ones. Indices stay, for memory.init and data.drop.
Result<Bytes> RewriteData(const Section& s, const Context& cx) {
  Cursor c(s.body);
  u32 count = 0;
  if (!c.U32(&count) || count != cx.objects.data_dropped.size()) return Mismatch("data");
  Bytes out;
  PutU32(&out, u64{count} + cx.baked_data.size());
  for (u32 i = 0; i < count; ++i) {
    size_t start = c.pos();
    u32 flags = 0, memory = 0, len = 0;
    if (!c.U32(&flags) || flags > 2) return Mismatch("data");
    if (flags == 2 && !c.U32(&memory)) return Mismatch("data");
    if (flags != 1 && !c.SkipConstExpr()) return Mismatch("data");
    if (!c.U32(&len) || !c.Skip(len)) return Mismatch("data");
    if (flags == 1 && !cx.objects.data_dropped[i]) {
      PutRaw(&out, c.Since(start));
    } else {
      out.push_back(0x01);  // passive
      out.push_back(0x00);  // no bytes
    }
  }
  if (!c.done()) return Mismatch("data");
  for (const Bytes& seg : cx.baked_data) PutRaw(&out, seg);
  return out;
}

void PutSection(Bytes* out, u8 id, std::span<const u8> body) {
  out->push_back(id);
  PutU32(out, body.size());
  PutRaw(out, body);
}

Bytes Vector(const std::vector<Bytes>& items) {
  Bytes out;
  PutU32(&out, items.size());
  for (const Bytes& item : items) PutRaw(&out, item);
  return out;
}

}  // namespace

Status Mismatch(const char* section) {
  return Status::Malformed(std::string("cannot read the module's ") + section +
                           " section, or it does not match the instance");
}

}  // namespace emit

Result<std::vector<u8>> EmitInitializedWasm(std::span<const u8> wasm, Store& store,
                                            InstanceId instance) {
  using namespace emit;  // NOLINT(build/namespaces): the rewriter's own pieces
  if (store.suspended()) {
    return Status::InvalidArgument(
        "the guest is suspended inside a call: only an initialisation that returned (an empty "
        "call stack) can be baked into a module");
  }
  Context cx;
  cx.store = &store;
  cx.objects = store.GetInstanceObjects(instance);
  DEJA_ASSIGN_OR_RETURN(std::vector<Section> sections, SplitSections(wasm));
  DEJA_TRY(ReadImportsAndFunctions(sections, &cx));
  DEJA_TRY(BakeMemories(&cx));
  DEJA_TRY(BakeTables(&cx));
  DEJA_ASSIGN_OR_RETURN(std::optional<Noop> noop, MakeNoop(sections, cx));

  // Sections the module lacks but the state needs, by where they go.
  std::vector<std::pair<u8, Bytes>> missing;
  auto has = [&](u8 id) {
    return std::any_of(sections.begin(), sections.end(),
                       [id](const Section& s) { return s.id == id; });
  };
  if (!has(kSecElement) && !cx.baked_elems.empty())
    missing.emplace_back(kSecElement, Vector(cx.baked_elems));
  if (!has(kSecData) && !cx.baked_data.empty())
    missing.emplace_back(kSecData, Vector(cx.baked_data));

  Bytes out(wasm.begin(), wasm.begin() + 8);
  auto flush_before = [&](int rank) {
    while (!missing.empty() && Rank(missing.front().first) < rank) {
      PutSection(&out, missing.front().first, missing.front().second);
      missing.erase(missing.begin());
    }
  };
  for (const Section& s : sections) {
    if (s.id != kSecCustom) flush_before(Rank(s.id));
    Result<Bytes> body = Bytes(s.body.begin(), s.body.end());
    switch (s.id) {
      case kSecStart:
        continue;  // it ran at instantiation
      case kSecTable:
      case kSecMemory:
        body = RewriteLimits(s, cx);
        break;
      case kSecGlobal:
        body = RewriteGlobals(s, cx);
        break;
      case kSecExport:
        body = RewriteExports(s, noop);
        break;
      case kSecElement:
        body = RewriteElements(s, cx);
        break;
      case kSecData:
        body = RewriteData(s, cx);
        break;
      case kSecDataCount: {
        body = Bytes();
        PutU32(&*body, cx.objects.data_dropped.size() + cx.baked_data.size());
        break;
      }
      case kSecFunction:
        if (noop) {
          Bytes type;
          PutU32(&type, noop->type);
          body = Append(s, {type}, "function");
        }
        break;
      case kSecCode:
        if (noop) body = Append(s, {noop->body}, "code");
        break;
      default:
        break;
    }
    if (!body.ok()) return body.take_status();
    PutSection(&out, s.id, *body);
  }
  flush_before(1000);
  return out;
}

}  // namespace deja::snapshot
