// Store::SaveState / RestoreState: every mutable part of a store as bytes
// (format in state_format.h and docs/embedding.md). Restoring first parses
// and checks everything, then applies it, so a bad input changes nothing
// (except a failure inside the Thread's own part, which comes last).
#include <cstring>
#include <string>

#include "deja/store.h"
#include "engine/exec/thread.h"
#include "engine/runtime/objects.h"
#include "engine/runtime/state_format.h"
#include "engine/runtime/store_impl.h"

namespace deja {

namespace {

using engine::StateReader;
using engine::StateWriter;
using engine::StoreImpl;

bool AllZero(const u8* p, size_t n) {
  for (size_t i = 0; i < n; i += 8) {
    u64 w;
    std::memcpy(&w, p + i, 8);
    if (w != 0) return false;
  }
  return true;
}

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

void WriteMemory(const engine::MemoryInst& m, StateWriter& w) {
  u64 pages = m.size / engine::kWasmPageSize;
  w.U64(pages);
  std::vector<u32> nonzero;
  for (u64 p = 0; p < pages; ++p) {
    if (!AllZero(m.base + p * engine::kWasmPageSize, engine::kWasmPageSize)) {
      nonzero.push_back(static_cast<u32>(p));
    }
  }
  w.U32(static_cast<u32>(nonzero.size()));
  for (u32 p : nonzero) {
    w.U32(p);
    w.Bytes({m.base + u64{p} * engine::kWasmPageSize, engine::kWasmPageSize});
  }
}

void WritePayload(const StoreImpl& s, std::vector<u8>* out) {
  StateWriter w(out);
  WriteShape(s, w);
  for (const auto& m : s.memories) WriteMemory(*m, w);
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

Status ReadRefs(StateReader& r, u64 limit, std::vector<RefBits>* out) {
  u32 n;
  if (!r.U32(&n)) return Truncated();
  if (n > limit || n > r.rest().size() / 8) return Status::Corruption("saved state: bad length");
  out->resize(n);
  for (RefBits& ref : *out) {
    if (!r.U64(&ref)) return Truncated();
  }
  return Status();
}

Status ReadMemories(const StoreImpl& s, StateReader& r, Parsed* p) {
  for (const auto& m : s.memories) {
    Parsed::Memory pm;
    u32 count;
    if (!r.U64(&pm.pages) || !r.U32(&count)) return Truncated();
    if (pm.pages > m->max_pages) return Mismatch("memory larger than its maximum");
    if (count > pm.pages) return Status::Corruption("saved state: bad page count");
    for (u32 i = 0; i < count; ++i) {
      u32 index;
      std::span<const u8> bytes;
      if (!r.U32(&index) || !r.Bytes(engine::kWasmPageSize, &bytes)) return Truncated();
      if (index >= pm.pages) return Status::Corruption("saved state: bad page index");
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
  for (auto& [lo, hi] : p->globals) {
    if (!r.U64(&lo) || !r.U64(&hi)) return Truncated();
  }
  p->tables.resize(s.tables.size());
  for (size_t i = 0; i < s.tables.size(); ++i) {
    DEJA_TRY(ReadRefs(r, s.tables[i]->max, &p->tables[i]));
  }
  for (const engine::InstanceInst& inst : s.instances) {
    p->elems.emplace_back(inst.elems.size());
    for (auto& refs : p->elems.back()) DEJA_TRY(ReadRefs(r, UINT32_MAX, &refs));
    p->data_dropped.emplace_back(inst.datas.size());
    for (u8& dropped : p->data_dropped.back()) {
      if (!r.U8(&dropped)) return Truncated();
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
    for (const auto& [index, bytes] : p.memories[i].data) {
      std::memcpy(m.base + u64{index} * engine::kWasmPageSize, bytes.data(), bytes.size());
    }
  }
  for (size_t i = 0; i < s.globals.size(); ++i) {
    s.globals[i]->lo = p.globals[i].first;
    s.globals[i]->hi = p.globals[i].second;
  }
  for (size_t i = 0; i < s.tables.size(); ++i) s.tables[i]->elems = p.tables[i];
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
  std::vector<u8> header;
  StateWriter w(&header);
  w.Bytes({reinterpret_cast<const u8*>(engine::kStateMagic), sizeof engine::kStateMagic});
  w.U32(engine::kStateVersion);
  w.U64(payload.size());
  w.U32(engine::Crc32(payload));
  std::memcpy(out.data(), header.data(), header.size());
  return out;
}

Status Store::RestoreState(std::span<const uint8_t> bytes) {
  StateReader header(bytes);
  std::span<const u8> magic;
  u32 version, crc;
  u64 size;
  if (!header.Bytes(sizeof engine::kStateMagic, &magic) ||
      std::memcmp(magic.data(), engine::kStateMagic, magic.size()) != 0) {
    return Status::Corruption("not a deja saved state (bad magic)");
  }
  if (!header.U32(&version) || !header.U64(&size) || !header.U32(&crc)) return Truncated();
  if (version < engine::kOldestStateVersion || version > engine::kStateVersion) {
    return Status::InvalidArgument("unsupported saved-state version " + std::to_string(version));
  }
  std::span<const u8> payload = header.rest();
  if (payload.size() != size) {
    return Status::Corruption("saved state has " + std::to_string(payload.size()) +
                              " payload bytes, header says " + std::to_string(size));
  }
  if (engine::Crc32(payload) != crc) return Status::Corruption("saved state checksum mismatch");

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
