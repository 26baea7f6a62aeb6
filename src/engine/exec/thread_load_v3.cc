// Thread state versions 1 to 3: frames as pcs and frame pointers into this
// build's compiled code, with the raw value stack. Superseded by version 4
// (portable call stacks, thread_save.cc); read so that states without
// frames, and states with frames saved by a build with this very code
// layout, still resume.
#include <algorithm>
#include <string>

#include "base/hex.h"
#include "engine/compile/code.h"
#include "engine/exec/interp.h"
#include "engine/exec/thread_bytes.h"
#include "engine/exec/thread_state.h"
#include "engine/runtime/store_impl.h"

namespace deja::engine {
namespace {

// The code layout this build's compiler produces, for version 3 frames only:
// CMakeLists.txt hashes the compiler's and interpreter's sources into it.
#ifndef DEJA_CODE_LAYOUT
#error "DEJA_CODE_LAYOUT is defined by CMakeLists.txt"
#endif
constexpr u64 kCodeLayout = DEJA_CODE_LAYOUT;

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

bool IsFuelOp(const CompiledFunc& cf, u32 pc) {
  return std::binary_search(cf.fuel_ops.begin(), cf.fuel_ops.end(), pc);
}

// Frames must chain exactly as calls made them.
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

Status RestoreLegacyState(u32 version, std::span<const u8>* in, ThreadState* out) {
  ThreadState& st = *out;
  u32 num_frames = 0;
  u8 suspended = 0, has_fuel = 0;
  u64 fuel_left = 0, height = 0, layout = 0;
  if (version >= 3 && !Take(in, &layout)) return Corrupt("truncated header");
  bool ok = Take(in, &suspended) && Take(in, &st.num_results) && Take(in, &st.pending_slot) &&
            Take(in, &st.pending_results) && Take(in, &has_fuel) && Take(in, &fuel_left) &&
            Take(in, &st.consumed) && Take(in, &st.granted) && Take(in, &st.budget) &&
            Take(in, &num_frames);
  if (!ok) return Corrupt("truncated header");
  if (num_frames > 0 && (version < 3 || layout != kCodeLayout)) {
    std::string which = version < 3
                            ? "no code layout recorded"
                            : "code layout " + HexDigits(layout, 16) + ", this build " + HexDigits(kCodeLayout, 16);
    return Status::InvalidArgument(
        "the state's call stack was saved by a deja build before portable call stacks (thread "
        "state version " +
        std::to_string(version) + ", " + which +
        "), whose frames name positions in that build's internal code: resume it with the deja "
        "that saved it (and, to carry it over, snapshot it again with a deja that writes thread "
        "state version 4)");
  }
  if (suspended > (version == 1 ? 1 : 2)) return Corrupt("bad suspend point");
  if (num_frames > st.store.limits.max_call_depth) return Corrupt("too many frames");
  const StoreImpl& store = st.store;
  for (u32 i = 0; i < num_frames; ++i) {
    Frame f;
    if (!Take(in, &f.func) || !Take(in, &f.pc) || !Take(in, &f.fp))
      return Corrupt("truncated frame");
    if (f.func >= store.funcs.size() || store.funcs[f.func].code == nullptr) {
      return Corrupt("frame names a function that is not a Wasm function of this store");
    }
    const CompiledFunc& cf = *store.funcs[f.func].code;
    if (f.pc >= cf.code.size() || static_cast<u64>(f.fp) + cf.frame_slots > st.max_slots) {
      return Corrupt("frame out of range");
    }
    st.frames.push_back(f);
  }
  if (!Take(in, &height) || height > st.max_slots || in->size() < height * sizeof(u64)) {
    return Corrupt("bad value stack");
  }
  std::memcpy(st.slots.get(), in->data(), height * sizeof(u64));
  *in = in->subspan(height * sizeof(u64));
  st.suspend = static_cast<SuspendPoint>(suspended);
  if (has_fuel) st.fuel_left = fuel_left;
  if (st.suspend != SuspendPoint::kNone &&
      static_cast<u64>(st.pending_slot) + st.pending_results > st.max_slots) {
    return Corrupt("pending host call out of range");
  }
  DEJA_TRY(CheckFuelAndSuspend(st));
  if (!FramesChain(st)) return Corrupt("frames do not chain");
  return Status();
}

}  // namespace deja::engine
