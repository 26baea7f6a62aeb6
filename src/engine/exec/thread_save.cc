// Thread::SaveState / RestoreState: the execution state as plain
// little-endian bytes (no pointers), checked against the store on restore.
#include <algorithm>
#include <cstring>
#include <string>

#include "base/hex.h"
#include "engine/compile/code.h"
#include "engine/exec/interp.h"
#include "engine/exec/thread.h"
#include "engine/exec/thread_state.h"
#include "engine/runtime/store_impl.h"

namespace deja::engine {
namespace {

constexpr u32 kMagic = 0x48544a44;  // "DJTH"
// 2: the suspended byte is a SuspendPoint (2 = safe point). 1 (0 or 1 =
// host call) is still read.
// 3: the code layout follows the version. Versions 1 and 2 are read only
// without frames: their pcs cannot be checked against this build's code.
constexpr u32 kVersion = 3;

// A saved pc is an offset into the code this build's compiler emits, so a
// state with frames is only resumed by a build that compiles the same code.
// CMakeLists.txt hashes the compiler's and interpreter's sources into it.
#ifndef DEJA_CODE_LAYOUT
#error "DEJA_CODE_LAYOUT is defined by CMakeLists.txt"
#endif
constexpr u64 kCodeLayout = DEJA_CODE_LAYOUT;

template <typename T>
void Put(std::vector<u8>* out, T v) {
  u8 bytes[sizeof(T)];
  std::memcpy(bytes, &v, sizeof(T));
  out->insert(out->end(), bytes, bytes + sizeof(T));
}

template <typename T>
bool Take(std::span<const u8>* in, T* v) {
  if (in->size() < sizeof(T)) return false;
  std::memcpy(v, in->data(), sizeof(T));
  *in = in->subspan(sizeof(T));
  return true;
}

// Slots in use: the top frame's whole frame, or a direct host call's slots.
u64 StackHeight(const ThreadState& st) {
  if (st.suspend == SuspendPoint::kNone) return 0;
  u64 pending_end = static_cast<u64>(st.pending_slot) + st.pending_results;
  if (st.frames.empty()) return pending_end;
  const Frame& top = st.frames.back();
  u64 frame_end = static_cast<u64>(top.fp) + st.store.funcs[top.func].code->frame_slots;
  return std::max(frame_end, pending_end);
}

Status Corrupt(const char* what) {
  return Status::Corruption(std::string("thread state: ") + what);
}

// A saved pc is always a return address: just after a call instruction. Its
// argument base says where the next frame (or the host call's slots) starts.
bool CallBaseBefore(const CompiledFunc& cf, u32 pc, u64* base) {
  if (pc >= 3 && cf.code[pc - 3] == HandlerWord(IOp::kCall)) {
    *base = cf.code[pc - 1];
    return true;
  }
  if (pc >= 5 && cf.code[pc - 5] == HandlerWord(IOp::kCallIndirect)) {
    *base = cf.code[pc - 2];
    return true;
  }
  return false;
}

// A safe point's pc is one of its function's Fuel ops (the compiler lists
// them), never an arbitrary word that happens to hold the Fuel handler.
bool IsFuelOp(const CompiledFunc& cf, u32 pc) {
  return std::binary_search(cf.fuel_ops.begin(), cf.fuel_ops.end(), pc);
}

// Frames must chain exactly as calls made them, so that running from the
// restored state can only do what the code itself could have done.
bool FramesChain(const ThreadState& st) {
  size_t callers = st.frames.size();
  if (st.suspend == SuspendPoint::kSafePoint) {
    if (st.frames.empty()) return false;
    const Frame& top = st.frames.back();
    if (!IsFuelOp(*st.store.funcs[top.func].code, top.pc)) return false;
    --callers;
  }
  for (size_t i = 0; i < callers; ++i) {
    const Frame& f = st.frames[i];
    u64 base = 0;
    if (!CallBaseBefore(*st.store.funcs[f.func].code, f.pc, &base)) return false;
    u64 next = i + 1 < st.frames.size() ? st.frames[i + 1].fp : st.pending_slot;
    if (static_cast<u64>(f.fp) + base != next) return false;
  }
  return st.frames.empty() || st.frames[0].fp == 0;
}

}  // namespace

void Thread::SaveState(std::vector<u8>* out) const {
  const ThreadState& st = *s_;
  Put(out, kMagic);
  Put(out, kVersion);
  Put(out, kCodeLayout);
  Put<u8>(out, static_cast<u8>(st.suspend));
  Put(out, st.num_results);
  Put(out, st.pending_slot);
  Put(out, st.pending_results);
  Put<u8>(out, st.fuel_left ? 1 : 0);
  Put<u64>(out, st.fuel_left.value_or(0));
  Put(out, st.consumed);
  Put(out, st.granted);
  Put(out, st.budget);
  Put<u32>(out, static_cast<u32>(st.frames.size()));
  for (const Frame& f : st.frames) {
    Put(out, f.func);
    Put(out, f.pc);
    Put(out, f.fp);
  }
  u64 height = StackHeight(st);
  Put(out, height);
  const u8* raw = reinterpret_cast<const u8*>(st.slots.get());
  out->insert(out->end(), raw, raw + height * sizeof(u64));
}

Status Thread::RestoreState(std::span<const u8>* in) {
  ThreadState st_new(s_->store);
  u32 magic = 0, version = 0, num_frames = 0;
  u8 suspended = 0, has_fuel = 0;
  u64 fuel_left = 0, height = 0, layout = 0;
  if (!Take(in, &magic) || !Take(in, &version)) return Corrupt("truncated header");
  if (magic != kMagic || version < 1 || version > kVersion) return Corrupt("bad magic or version");
  if (version >= 3 && !Take(in, &layout)) return Corrupt("truncated header");
  bool ok = Take(in, &suspended) &&
            Take(in, &st_new.num_results) && Take(in, &st_new.pending_slot) &&
            Take(in, &st_new.pending_results) && Take(in, &has_fuel) && Take(in, &fuel_left) &&
            Take(in, &st_new.consumed) && Take(in, &st_new.granted) && Take(in, &st_new.budget) &&
            Take(in, &num_frames);
  if (!ok) return Corrupt("truncated header");
  if (num_frames > 0 && version < 3) {
    return Status::InvalidArgument("the state's call stack was saved by an older deja (thread state version " +
                                   std::to_string(version) +
                                   ", no code layout recorded): resume it with the deja that saved it");
  }
  if (num_frames > 0 && layout != kCodeLayout) {
    return Status::InvalidArgument("the state's call stack was saved by a deja build that compiles code differently "
                                   "(code layout " + HexDigits(layout, 16) + ", this build " + HexDigits(kCodeLayout, 16) +
                                   "): resume it with the deja that saved it");
  }
  if (suspended > (version == 1 ? 1 : 2)) return Corrupt("bad suspend point");
  if (num_frames > st_new.store.limits.max_call_depth) return Corrupt("too many frames");
  const StoreImpl& store = st_new.store;
  for (u32 i = 0; i < num_frames; ++i) {
    Frame f;
    if (!Take(in, &f.func) || !Take(in, &f.pc) || !Take(in, &f.fp))
      return Corrupt("truncated frame");
    if (f.func >= store.funcs.size() || store.funcs[f.func].code == nullptr) {
      return Corrupt("frame names a function that is not a Wasm function of this store");
    }
    const CompiledFunc& cf = *store.funcs[f.func].code;
    if (f.pc >= cf.code.size() || static_cast<u64>(f.fp) + cf.frame_slots > st_new.max_slots) {
      return Corrupt("frame out of range");
    }
    st_new.frames.push_back(f);
  }
  if (!Take(in, &height) || height > st_new.max_slots || in->size() < height * sizeof(u64)) {
    return Corrupt("bad value stack");
  }
  std::memcpy(st_new.slots.get(), in->data(), height * sizeof(u64));
  *in = in->subspan(height * sizeof(u64));
  st_new.suspend = static_cast<SuspendPoint>(suspended);
  if (has_fuel) st_new.fuel_left = fuel_left;
  if (st_new.suspend != SuspendPoint::kNone &&
      static_cast<u64>(st_new.pending_slot) + st_new.pending_results > st_new.max_slots) {
    return Corrupt("pending host call out of range");
  }
  if (st_new.suspend == SuspendPoint::kSafePoint &&
      (st_new.pending_slot != 0 || st_new.pending_results != 0 || st_new.granted != 0)) {
    return Corrupt("safe point with pending results or fuel");
  }
  if (st_new.budget < 0 || st_new.granted < st_new.budget) return Corrupt("bad fuel");
  if (st_new.suspend == SuspendPoint::kNone && !st_new.frames.empty())
    return Corrupt("frames without a suspended call");
  if (!FramesChain(st_new)) return Corrupt("frames do not chain");
  // Move the checked state into place (the slot array too: it is ours).
  ThreadState& st = *s_;
  st.slots.swap(st_new.slots);
  st.frames = std::move(st_new.frames);
  st.suspend = st_new.suspend;
  st.pending_slot = st_new.pending_slot;
  st.pending_results = st_new.pending_results;
  st.num_results = st_new.num_results;
  st.fuel_left = st_new.fuel_left;
  st.consumed = st_new.consumed;
  st.granted = st_new.granted;
  st.budget = st_new.budget;
  st.trap = Trap{};
  st.type_ids.clear();
  return Status();
}

}  // namespace deja::engine
