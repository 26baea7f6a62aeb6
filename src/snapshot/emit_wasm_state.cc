// The state half of EmitInitializedWasm: what the instance holds now,
// encoded as module sections and segments.
#include <cstring>
#include <string>
#include <utility>

#include "snapshot/emit_wasm_internal.h"

namespace deja::snapshot::emit {
namespace {

// A gap of zeros shorter than this stays inside a data segment: a new
// segment costs about as much (flags, offset expression, length).
constexpr u64 kMinGap = 16;
// Engines cap the number of data segments (V8: 100,000); gaps are merged
// more coarsely until a memory needs at most this many.
constexpr size_t kMaxSegmentsPerMemory = 20'000;

// A function reference as the module names it.
Result<u32> FuncIndexOf(const Context& cx, RefBits ref, const std::string& where) {
  auto it = cx.func_index.find(static_cast<u32>(ref - 1));
  if (ref - 1 > UINT32_MAX || it == cx.func_index.end()) {
    return Status::Unsupported(where +
                               " refers to a function from outside the instance (a host "
                               "function it does not import): a module cannot express it");
  }
  return it->second;
}

// `value` as a constant expression, through its `end`.
Status PutConst(const Context& cx, const Value& value, const std::string& where, Bytes* out) {
  switch (value.type) {
    case ValType::kI32:
      out->push_back(kI32Const);
      PutS64(out, static_cast<i32>(static_cast<u32>(value.lo)));
      break;
    case ValType::kI64:
      out->push_back(kI64Const);
      PutS64(out, static_cast<i64>(value.lo));
      break;
    case ValType::kF32:
    case ValType::kF64: {
      out->push_back(value.type == ValType::kF32 ? kF32Const : kF64Const);
      int n = value.type == ValType::kF32 ? 4 : 8;
      for (int i = 0; i < n; ++i) out->push_back(static_cast<u8>(value.lo >> (8 * i)));
      break;
    }
    case ValType::kFuncRef:
    case ValType::kExternRef:
      if (value.lo == kNullRef) {
        out->push_back(kRefNull);
        out->push_back(static_cast<u8>(value.type));
      } else if (value.type == ValType::kExternRef) {
        return Status::Unsupported(where +
                                   " holds a host reference (externref): a module "
                                   "cannot express it");
      } else {
        DEJA_ASSIGN_OR_RETURN(u32 index, FuncIndexOf(cx, value.lo, where));
        out->push_back(kRefFunc);
        PutU32(out, index);
      }
      break;
    case ValType::kV128:
      return Status::Unsupported(where + " is a v128");
  }
  out->push_back(kEnd);
  return Status();
}

// The non-zero stretches of `mem` as [begin, end) pairs, gaps under `gap`
// merged.
std::vector<std::pair<u64, u64>> NonZeroRanges(std::span<const u8> mem, u64 gap) {
  std::vector<std::pair<u64, u64>> ranges;
  const u64 n = mem.size();
  u64 i = 0;
  auto next_nonzero = [&](u64 from) {
    while (from < n && (from & 7) != 0 && mem[from] == 0) ++from;
    while (from + 8 <= n) {
      u64 word = 0;
      std::memcpy(&word, mem.data() + from, 8);
      if (word != 0) break;
      from += 8;
    }
    while (from < n && mem[from] == 0) ++from;
    return from;
  };
  while ((i = next_nonzero(i)) < n) {
    u64 begin = i;
    u64 end = i;
    for (;;) {
      while (end < n && mem[end] != 0) ++end;
      u64 next = next_nonzero(end);
      if (next >= n || next - end >= gap) break;
      end = next;
    }
    ranges.emplace_back(begin, end);
    i = end;
  }
  return ranges;
}

}  // namespace

// Counts imports by kind and learns every function's type index.
Status ReadImportsAndFunctions(std::span<const Section> sections, Context* cx) {
  for (const Section& s : sections) {
    Cursor c(s.body);
    u32 count = 0;
    if (s.id == kSecImport) {
      if (!c.U32(&count)) return Mismatch("import");
      for (u32 i = 0; i < count; ++i) {
        u8 kind = 0, flags = 0, byte = 0;
        u64 min = 0, max = 0;
        u32 type = 0;
        if (!c.SkipName() || !c.SkipName() || !c.Byte(&kind)) return Mismatch("import");
        bool ok = kind == 0   ? c.U32(&type)
                  : kind == 1 ? c.Byte(&byte) && c.Limits(&flags, &min, &max)
                  : kind == 2 ? c.Limits(&flags, &min, &max)
                              : kind == 3 && c.Byte(&byte) && c.Byte(&byte);
        if (!ok) return Mismatch("import");
        if (kind == 0) ++cx->imported_funcs, cx->func_types.push_back(type);
        // Its contents belong to whoever provides it, and would stay as the
        // provider makes them: the initialised state would be lost.
        if (kind == 1 || kind == 2) {
          return Status::Unsupported(std::string("the module imports a ") +
                                     (kind == 1 ? "table" : "memory") +
                                     ": its initialised contents cannot be baked into the module");
        }
      }
    } else if (s.id == kSecFunction) {
      if (!c.U32(&count)) return Mismatch("function");
      for (u32 i = 0; i < count; ++i) {
        u32 type = 0;
        if (!c.U32(&type)) return Mismatch("function");
        cx->func_types.push_back(type);
      }
    }
  }
  if (cx->func_types.size() != cx->objects.funcs.size()) return Mismatch("function");
  for (u32 i = 0; i < cx->objects.funcs.size(); ++i) {
    cx->func_index.try_emplace(cx->objects.funcs[i].addr, i);
  }
  return Status();
}

Status BakeMemories(Context* cx) {
  for (u32 m = cx->imported_memories; m < cx->objects.memories.size(); ++m) {
    std::span<const u8> mem = cx->store->MemoryData(cx->objects.memories[m]);
    std::vector<std::pair<u64, u64>> ranges;
    for (u64 gap = kMinGap;; gap *= 4) {
      ranges = NonZeroRanges(mem, gap);
      if (ranges.size() <= kMaxSegmentsPerMemory) break;
    }
    for (const auto& [begin, end] : ranges) {
      Bytes seg;
      if (m == 0) {
        seg.push_back(0x00);  // active, memory 0
      } else {
        seg.push_back(0x02);  // active, explicit memory
        PutU32(&seg, m);
      }
      PutI32Offset(&seg, begin);
      PutU32(&seg, end - begin);
      PutRaw(&seg, mem.subspan(begin, end - begin));
      cx->baked_data.push_back(std::move(seg));
    }
  }
  return Status();
}

Status BakeTables(Context* cx) {
  for (u32 t = cx->imported_tables; t < cx->objects.tables.size(); ++t) {
    Extern table = cx->objects.tables[t];
    u32 size = cx->store->TableSize(table);
    for (u32 i = 0; i < size;) {
      std::vector<u32> run;  // function indices of a stretch of non-null elements
      u32 begin = i;
      for (; i < size; ++i) {
        DEJA_ASSIGN_OR_RETURN(Value v, cx->store->TableGet(table, i));
        if (v.lo == kNullRef) break;
        std::string where = "table " + std::to_string(t) + " element " + std::to_string(i);
        if (v.type != ValType::kFuncRef) {
          return Status::Unsupported(where +
                                     " holds a host reference (externref): a module "
                                     "cannot express it");
        }
        DEJA_ASSIGN_OR_RETURN(u32 index, FuncIndexOf(*cx, v.lo, where));
        run.push_back(index);
      }
      if (run.empty()) {
        ++i;  // a null: tables start out null
        continue;
      }
      Bytes seg;
      if (t == 0) {
        seg.push_back(0x00);  // active, table 0, function indices
      } else {
        seg.push_back(0x02);  // active, explicit table, elemkind funcref
        PutU32(&seg, t);
      }
      PutI32Offset(&seg, begin);
      if (t != 0) seg.push_back(0x00);
      PutU32(&seg, run.size());
      for (u32 index : run) PutU32(&seg, index);
      cx->baked_elems.push_back(std::move(seg));
    }
  }
  return Status();
}

// Tables and memories: each defined one's minimum becomes its current size.
Result<Bytes> RewriteLimits(const Section& s, const Context& cx) {
  bool tables = s.id == kSecTable;
  const char* name = tables ? "table" : "memory";
  const std::vector<Extern>& objects = tables ? cx.objects.tables : cx.objects.memories;
  u32 imported = tables ? cx.imported_tables : cx.imported_memories;
  Cursor c(s.body);
  u32 count = 0;
  if (!c.U32(&count) || imported + u64{count} != objects.size()) return Mismatch(name);
  Bytes out;
  PutU32(&out, count);
  for (u32 i = 0; i < count; ++i) {
    u8 elem_type = 0, flags = 0;
    u64 min = 0, max = 0;
    if ((tables && !c.Byte(&elem_type)) || !c.Limits(&flags, &min, &max)) return Mismatch(name);
    if (tables) out.push_back(elem_type);
    Extern obj = objects[imported + i];
    u64 now = tables ? cx.store->TableSize(obj) : cx.store->MemoryPages(obj);
    PutLimits(&out, flags, now, max);
  }
  if (!c.done()) return Mismatch(name);
  return out;
}

Result<Bytes> RewriteGlobals(const Section& s, const Context& cx) {
  Cursor c(s.body);
  u32 count = 0;
  if (!c.U32(&count) || count > cx.objects.globals.size()) return Mismatch("global");
  u32 imported = static_cast<u32>(cx.objects.globals.size()) - count;
  Bytes out;
  PutU32(&out, count);
  for (u32 i = 0; i < count; ++i) {
    u8 type = 0, mut = 0;
    if (!c.Byte(&type) || !c.Byte(&mut) || !c.SkipConstExpr()) return Mismatch("global");
    out.push_back(type);
    out.push_back(mut);
    Value value = cx.store->GetGlobal(cx.objects.globals[imported + i]);
    DEJA_TRY(PutConst(cx, value, "global " + std::to_string(imported + i), &out));
  }
  if (!c.done()) return Mismatch("global");
  return out;
}

}  // namespace deja::snapshot::emit
