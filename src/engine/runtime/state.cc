// Store::SaveState / RestoreState: every mutable part of a store as bytes
// (format in state_format.h and docs/embedding.md). Restoring first parses
// and checks everything, then applies it, so a bad input changes nothing
// (except a failure inside the Thread's own part, which comes last).
#include <cstring>
#include <string>

#include "base/hex.h"
#include "deja/store.h"
#include "engine/exec/thread.h"
#include "engine/runtime/objects.h"
#include "engine/runtime/pages.h"
#include "engine/runtime/state_format.h"
#include "engine/runtime/store_impl.h"

namespace deja {

namespace {

using engine::StateReader;
using engine::StateWriter;
using engine::StoreImpl;

// The parts that must be equal for a state to fit a store: how many objects
// of each kind, and each function's type and nature.
void WriteShape(const StoreImpl& s, StateWriter& w) {
  w.U32(static_cast<u32>(s.funcs.size()));
  w.U32(static_cast<u32>(s.tables.size()));
  w.U32(static_cast<u32>(s.memories.size()));
  w.U32(static_cast<u32>(s.globals.size()));
  w.U32(static_cast<u32>(s.instances.size()));
  for (const engine::FuncInst& f : s.funcs) {
    w.U32(f.type_id);
    w.U8(f.host != nullptr ? 1 : 0);
  }
  for (const engine::InstanceInst& inst : s.instances) {
    w.U32(static_cast<u32>(inst.elems.size()));
    w.U32(static_cast<u32>(inst.datas.size()));
  }
}

void WriteMemory(const engine::MemoryInst& m, const std::vector<u32>& nonzero, StateWriter& w) {
  w.U64(m.size / engine::kWasmPageSize);
  w.U32(static_cast<u32>(nonzero.size()));
  for (u32 p : nonzero) {
    w.U32(p);
    w.Bytes({m.base + u64{p} * engine::kWasmPageSize, engine::kWasmPageSize});
  }
}

// Everything after the memories.
void WriteRest(const StoreImpl& s, std::vector<u8>* out) {
  StateWriter w(out);
  for (const auto& g : s.globals) {
    w.U64(g->lo);
    w.U64(g->hi);
  }
  for (const auto& t : s.tables) {
    w.U32(static_cast<u32>(t->elems.size()));
    for (RefBits r : t->elems) w.U64(r);
  }
  for (const engine::InstanceInst& inst : s.instances) {
    for (const engine::ElemInst& e : inst.elems) {
      w.U32(static_cast<u32>(e.refs.size()));
      for (RefBits r : e.refs) w.U64(r);
    }
    for (const engine::DataInst& d : inst.datas) w.U8(d.bytes.empty() ? 1 : 0);
  }
  w.U32(s.call_func);
  s.thread->SaveState(out);
}

// The payload is sized before it is written: growing a vector past 64 MiB of
// pages would copy them all again.
void WritePayload(const StoreImpl& s, std::vector<u8>* out) {
  std::vector<std::vector<u32>> nonzero;
  size_t size = out->size() + 4096;
  for (const auto& m : s.memories) {
    nonzero.push_back(engine::NonZeroPages(m->base, m->size / engine::kWasmPageSize));
    size += 12 + nonzero.back().size() * (4 + engine::kWasmPageSize);
  }
  std::vector<u8> rest;
  WriteRest(s, &rest);
  out->reserve(size + rest.size());
  engine::AdviseHugePages(out->data(), out->capacity());
  StateWriter w(out);
  WriteShape(s, w);
  for (size_t i = 0; i < s.memories.size(); ++i) WriteMemory(*s.memories[i], nonzero[i], w);
  w.Bytes(rest);
}

Status Truncated() { return Status::Corruption("saved state is truncated"); }
Status Mismatch(const std::string& what) {
  return Status::InvalidArgument("saved state does not match this store: " + what);
}

Status CheckShape(const StoreImpl& s, StateReader& r) {
  u32 counts[5];
  for (u32& c : counts) {
    if (!r.U32(&c)) return Truncated();
  }
  const size_t have[5] = {s.funcs.size(), s.tables.size(), s.memories.size(), s.globals.size(),
                          s.instances.size()};
  const char* names[5] = {"functions", "tables", "memories", "globals", "instances"};
  for (int i = 0; i < 5; ++i) {
    if (counts[i] != have[i]) {
      return Mismatch(std::to_string(counts[i]) + " " + names[i] + " saved, " +
                      std::to_string(have[i]) + " here");
    }
  }
  for (size_t i = 0; i < s.funcs.size(); ++i) {
    u32 type_id;
    u8 host;
    if (!r.U32(&type_id) || !r.U8(&host)) return Truncated();
    const engine::FuncInst& f = s.funcs[i];
    if (type_id != f.type_id || host != (f.host != nullptr ? 1 : 0)) {
      return Mismatch("function " + std::to_string(i) + " differs");
    }
  }
  for (size_t i = 0; i < s.instances.size(); ++i) {
    u32 elems, datas;
    if (!r.U32(&elems) || !r.U32(&datas)) return Truncated();
    if (elems != s.instances[i].elems.size() || datas != s.instances[i].datas.size()) {
      return Mismatch("instance " + std::to_string(i) + " has other segments");
    }
  }
  return Status();
}

// Everything parsed from a payload before any of it is applied.
struct Parsed {
  struct Memory {
    u64 pages = 0;
    std::vector<std::pair<u32, std::span<const u8>>> data;
  };
  std::vector<Memory> memories;
  std::vector<std::pair<u64, u64>> globals;
  std::vector<std::vector<RefBits>> tables;
  std::vector<std::vector<std::vector<RefBits>>> elems;  // [instance][segment]
  std::vector<std::vector<u8>> data_dropped;             // [instance][segment]
  u32 call_func = StoreImpl::kNoFunc;
};

// A reference read from a file may enter the store only as one the store
// could have made itself: the interpreter trusts the funcrefs it finds
// (call_indirect indexes the function vector with them unchecked). An
// externref is the embedder's opaque payload: any bits are one.
Status CheckRef(const StoreImpl& s, ValType type, RefBits ref, const std::string& where) {
  if (type != ValType::kFuncRef || ref == kNullRef || ref - 1 < s.funcs.size()) return Status();
  return Status::Corruption("saved state: " + where + " holds " + Hex(ref) +
                            ", not a function reference of this store (it has " +
                            std::to_string(s.funcs.size()) + " functions)");
}

// `what` names the object for messages ("table 2"); sizes above `limit` and
// references that `type` does not allow are refused.
Status ReadRefs(const StoreImpl& s, StateReader& r, ValType type, u64 limit,
                const std::string& what, std::vector<RefBits>* out) {
  u32 n;
  if (!r.U32(&n)) return Truncated();
  if (n > limit) {
    return Status::Corruption("saved state: " + what + " has " + std::to_string(n) +
                              " elements, more than its maximum of " + std::to_string(limit));
  }
  if (n > r.rest().size() / 8) return Truncated();
  out->resize(n);
  for (u32 i = 0; i < n; ++i) {
    if (!r.U64(&(*out)[i])) return Truncated();
    DEJA_TRY(CheckRef(s, type, (*out)[i], what + " element " + std::to_string(i)));
  }
  return Status();
}

// A global's bits as its type allows them (what global.get could have left
// there): i32 and f32 zero-extended, no upper half but for v128, a function
// of this store. An immutable global cannot have changed since this store
// created it.
Status CheckGlobal(const StoreImpl& s, size_t index, u64 lo, u64 hi) {
  const engine::GlobalInst& g = *s.globals[index];
  const std::string what = "global " + std::to_string(index);
  const ValType t = g.type.type;
  if ((t != ValType::kV128 && hi != 0) ||
      ((t == ValType::kI32 || t == ValType::kF32) && (lo >> 32) != 0)) {
    return Status::Corruption("saved state: " + what + " holds " + Hex(hi) + ":" + Hex(lo) +
                              ", not a value of its type");
  }
  DEJA_TRY(CheckRef(s, t, lo, what));
  if (!g.type.mut && (lo != g.lo || hi != g.hi)) {
    return Mismatch(what + " is immutable and holds " + Hex(g.lo) + " here, " + Hex(lo) +
                    " in the state");
  }
  return Status();
}

Status ReadMemories(const StoreImpl& s, StateReader& r, Parsed* p) {
  for (const auto& m : s.memories) {
    Parsed::Memory pm;
    u32 count;
    if (!r.U64(&pm.pages) || !r.U32(&count)) return Truncated();
    if (pm.pages > m->max_pages) return Mismatch("memory larger than its maximum");
    // Memories never shrink: fewer pages than the type's minimum is no state
    // this store could have reached.
    if (pm.pages < m->type.limits.min) return Mismatch("memory smaller than its minimum");
    if (count > pm.pages) return Status::Corruption("saved state: bad page count");
    if (count > r.rest().size() / (4 + engine::kWasmPageSize)) return Truncated();
    pm.data.reserve(count);
    for (u32 i = 0; i < count; ++i) {
      u32 index;
      std::span<const u8> bytes;
      if (!r.U32(&index) || !r.Bytes(engine::kWasmPageSize, &bytes)) return Truncated();
      // Ascending, so no page is stored twice.
      if (index >= pm.pages || (i > 0 && index <= pm.data.back().first)) {
        return Status::Corruption("saved state: bad page index");
      }
      pm.data.push_back({index, bytes});
    }
    p->memories.push_back(std::move(pm));
  }
  return Status();
}

Status ReadPayload(const StoreImpl& s, StateReader& r, Parsed* p) {
  DEJA_TRY(CheckShape(s, r));
  DEJA_TRY(ReadMemories(s, r, p));
  p->globals.resize(s.globals.size());
  for (size_t i = 0; i < s.globals.size(); ++i) {
    auto& [lo, hi] = p->globals[i];
    if (!r.U64(&lo) || !r.U64(&hi)) return Truncated();
    DEJA_TRY(CheckGlobal(s, i, lo, hi));
  }
  p->tables.resize(s.tables.size());
  for (size_t i = 0; i < s.tables.size(); ++i) {
    const engine::TableInst& t = *s.tables[i];
    const std::string what = "table " + std::to_string(i);
    DEJA_TRY(ReadRefs(s, r, t.type.elem, t.max, what, &p->tables[i]));
    // Tables never shrink either.
    if (p->tables[i].size() < t.type.limits.min) {
      return Mismatch(what + " has " + std::to_string(p->tables[i].size()) +
                      " elements, fewer than its minimum of " +
                      std::to_string(t.type.limits.min));
    }
  }
  u64 total = 0;
  for (const auto& t : p->tables) total += t.size();
  if (total > s.table_budget.limit) {
    return Mismatch("its tables hold " + std::to_string(total) +
                    " elements, more than this store's limit of " +
                    std::to_string(s.table_budget.limit) +
                    " (StoreLimits::max_total_table_elements)");
  }
  for (size_t i = 0; i < s.instances.size(); ++i) {
    const engine::InstanceInst& inst = s.instances[i];
    const engine::Module& m = inst.module->module;
    p->elems.emplace_back(inst.elems.size());
    // A segment only ever loses its elements (elem.drop): at most as many
    // as the module declares, of the segment's type.
    for (size_t k = 0; k < inst.elems.size(); ++k) {
      const std::string what =
          "instance " + std::to_string(i) + " element segment " + std::to_string(k);
      // Active and declarative segments are dropped by instantiation.
      const u64 most = m.elems[k].mode == engine::SegmentMode::kPassive ? m.elems[k].init.size() : 0;
      DEJA_TRY(ReadRefs(s, r, inst.elems[k].type, most, what, &p->elems[i][k]));
    }
    p->data_dropped.emplace_back(inst.datas.size());
    for (size_t k = 0; k < inst.datas.size(); ++k) {
      u8& dropped = p->data_dropped.back()[k];
      if (!r.U8(&dropped)) return Truncated();
      if (dropped > 1 || (dropped == 0 && m.datas[k].mode == engine::SegmentMode::kActive)) {
        return Status::Corruption("saved state: instance " + std::to_string(i) +
                                  " data segment " + std::to_string(k) +
                                  (dropped > 1 ? " has a bad dropped flag"
                                               : " is active, so dropped at instantiation, but "
                                                 "not in the state"));
      }
    }
  }
  if (!r.U32(&p->call_func)) return Truncated();
  if (p->call_func != StoreImpl::kNoFunc && p->call_func >= s.funcs.size()) {
    return Status::Corruption("saved state: bad function address");
  }
  return Status();
}

Status Apply(StoreImpl& s, const Parsed& p) {
  for (size_t i = 0; i < s.memories.size(); ++i) {
    engine::MemoryInst& m = *s.memories[i];
    DEJA_TRY(engine::ResetMemory(&m, p.memories[i].pages));
    const auto& data = p.memories[i].data;
    // Runs of consecutive stored pages are written whole: huge pages there
    // waste nothing and fault 32 times less.
    for (size_t k = 0, run = 0; k < data.size(); ++k) {
      if (k + 1 == data.size() || data[k + 1].first != data[k].first + 1) {
        engine::AdviseHugePages(m.base + u64{data[run].first} * engine::kWasmPageSize,
                                (k + 1 - run) * engine::kWasmPageSize);
        run = k + 1;
      }
    }
    for (const auto& [index, bytes] : data) {
      std::memcpy(m.base + u64{index} * engine::kWasmPageSize, bytes.data(), bytes.size());
    }
  }
  for (size_t i = 0; i < s.globals.size(); ++i) {
    s.globals[i]->lo = p.globals[i].first;
    s.globals[i]->hi = p.globals[i].second;
  }
  // ReadPayload checked the total against the budget.
  s.table_budget.used = 0;
  for (size_t i = 0; i < s.tables.size(); ++i) {
    s.tables[i]->elems = p.tables[i];
    s.table_budget.used += p.tables[i].size();
  }
  for (size_t i = 0; i < s.instances.size(); ++i) {
    engine::InstanceInst& inst = s.instances[i];
    const engine::Module& m = inst.module->module;
    for (size_t k = 0; k < inst.elems.size(); ++k) inst.elems[k].refs = p.elems[i][k];
    for (size_t k = 0; k < inst.datas.size(); ++k) {
      inst.datas[k].bytes = p.data_dropped[i][k] ? std::span<const u8>() : m.datas[k].bytes;
    }
  }
  s.call_func = p.call_func;
  s.api_trap.reset();
  return Status();
}

}  // namespace

Result<std::vector<uint8_t>> Store::SaveState() const {
  std::vector<u8> out(engine::kStateHeaderSize);
  WritePayload(*impl_, &out);
  std::span<const u8> payload = std::span<const u8>(out).subspan(engine::kStateHeaderSize);
  std::vector<u8> header = engine::StateHeader(engine::kStateVersion, payload);
  std::memcpy(out.data(), header.data(), header.size());
  return out;
}

Status Store::RestoreState(std::span<const uint8_t> bytes) {
  StateReader header(bytes);
  std::span<const u8> magic;
  u32 version;
  u64 size, sum;
  if (!header.Bytes(sizeof engine::kStateMagic, &magic) ||
      std::memcmp(magic.data(), engine::kStateMagic, magic.size()) != 0) {
    return Status::Corruption("not a deja saved state (bad magic)");
  }
  if (!header.U32(&version) || !header.U64(&size)) return Truncated();
  if (version < engine::kOldestStateVersion || version > engine::kStateVersion) {
    return Status::InvalidArgument("unsupported saved-state version " + std::to_string(version));
  }
  if (version >= 3) {
    if (!header.U64(&sum)) return Truncated();
  } else {
    u32 crc;
    if (!header.U32(&crc)) return Truncated();
    sum = crc;
  }
  std::span<const u8> payload = header.rest();
  if (payload.size() != size) {
    return Status::Corruption("saved state has " + std::to_string(payload.size()) +
                              " payload bytes, header says " + std::to_string(size));
  }
  if (engine::StateChecksum(version, payload) != sum) {
    return Status::Corruption("saved state checksum mismatch");
  }

  StateReader r(payload);
  Parsed parsed;
  DEJA_TRY(ReadPayload(*impl_, r, &parsed));
  DEJA_TRY(Apply(*impl_, parsed));
  std::span<const u8> rest = r.rest();
  DEJA_TRY(impl_->thread->RestoreState(&rest));
  if (!rest.empty()) return Status::Corruption("saved state has trailing bytes");
  return Status();
}

}  // namespace deja
