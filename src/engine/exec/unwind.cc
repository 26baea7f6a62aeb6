// The unwinder for WebAssembly exceptions. Frames are plain records, so a
// `throw` is a search: from the top frame down, find the innermost try body
// holding the frame's position, follow delegate and parent links inside the
// function, and stop at the first catch clause whose tag is the thrown one
// (by store address, the tag's identity) or at a catch_all. Only then are
// the frames above it dropped: an uncaught exception keeps the whole stack
// for its backtrace. Host functions never appear among the frames (they
// cannot call back into their store), so an exception never crosses one.
#include "engine/exec/unwind.h"

#include <algorithm>
#include <cstdio>
#include <string>

#include "engine/compile/code.h"
#include "engine/runtime/store_impl.h"

namespace deja::engine {
namespace {

// The innermost handler whose try body holds `pos`: the containing one that
// starts last (try bodies nest, and handlers are in order of their starts).
u32 Innermost(const CompiledFunc& cf, u32 pos) {
  for (size_t i = cf.handlers.size(); i-- > 0;) {
    const Handler& h = cf.handlers[i];
    if (h.begin <= pos && pos < h.end) return static_cast<u32>(i);
  }
  return kNoHandler;
}

// "tag 1 \"e\" of module \"m\"": the defining module's tag index, an export
// name for it when there is one, and the module's name from its name section.
std::string TagText(const StoreImpl& s, u32 tag_addr) {
  const TagInst& t = s.tags[tag_addr];
  std::string out = "tag " + std::to_string(t.tag_index);
  if (t.instance == kNoInstance) return out;
  const InstanceInst& inst = s.instances[t.instance];
  for (const auto& [name, ext] : inst.exports) {
    if (ext.kind == ExternKind::kTag && ext.addr == tag_addr) {
      out += " \"" + name + "\"";
      break;
    }
  }
  if (!inst.module->module.name.empty()) out += " of module \"" + inst.module->module.name + "\"";
  return out;
}

std::string PayloadText(const StoreImpl& s, u32 tag_addr, std::span<const u64> payload) {
  const FuncType& type = s.types[s.tags[tag_addr].type_id];
  if (payload.empty()) return "";
  std::string out = " with (";
  for (size_t i = 0; i < payload.size() && i < type.params.size(); ++i) {
    if (i > 0) out += ", ";
    char value[40];
    std::snprintf(value, sizeof value, "%s:0x%llx", ValTypeName(type.params[i]),
                  static_cast<unsigned long long>(payload[i]));
    out += value;
  }
  return out + ")";
}

// Compacts `exceptions` to those an exn slot of a live frame names, and
// renumbers the slots. Conservative: a slot of a clause that has finished
// may keep its exception alive until its frame returns.
void CollectExceptions(ThreadState& st) {
  u64* slots = st.slots.get();
  std::vector<u32> remap(st.exceptions.size(), 0);
  for (const Frame& f : st.frames) {
    const CompiledFunc& cf = *st.store.funcs[f.func].code;
    for (u32 k = 0; k < cf.num_exn_slots; ++k) {
      u64 v = slots[f.fp + cf.exn_base() + k];
      if (v != 0 && v <= remap.size()) remap[v - 1] = 1;
    }
  }
  size_t live = 0;
  for (size_t i = 0; i < remap.size(); ++i) {
    if (remap[i] == 0) continue;
    if (live != i) st.exceptions[live] = std::move(st.exceptions[i]);
    remap[i] = static_cast<u32>(++live);  // the new index + 1
  }
  st.exceptions.resize(live);
  for (const Frame& f : st.frames) {
    const CompiledFunc& cf = *st.store.funcs[f.func].code;
    for (u32 k = 0; k < cf.num_exn_slots; ++k) {
      u64& v = slots[f.fp + cf.exn_base() + k];
      v = v != 0 && v <= remap.size() ? remap[v - 1] : 0;
    }
  }
  st.exceptions_gc_at = std::max<size_t>(64, 2 * live);
}

// Enters the clause at `pc` of frame `fi`'s handler `h`.
void EnterClause(ThreadState& st, size_t fi, const Handler& h, u32 pc, u32 tag_addr,
                 std::vector<u64> payload, std::vector<u64> payload_hi, bool with_payload) {
  st.frames.resize(fi + 1);
  Frame& f = st.frames.back();
  const CompiledFunc& cf = *st.store.funcs[f.func].code;
  f.pc = pc;
  u64* fp = st.slots.get() + f.fp;
  // The compiler sized the frame for the payload at the try's height.
  if (with_payload) {
    u64* dst = fp + cf.exn_base() + cf.num_exn_slots + h.height;
    std::copy(payload.begin(), payload.end(), dst);
    std::copy(payload_hi.begin(), payload_hi.end(), dst + st.max_slots);
  }
  if (st.exceptions.size() >= st.exceptions_gc_at) CollectExceptions(st);
  st.exceptions.push_back(CaughtException{tag_addr, std::move(payload), std::move(payload_hi)});
  fp[cf.exn_base() + h.level] = st.exceptions.size();
}

bool Unwind(ThreadState& st, u32 tag_addr, std::vector<u64> payload, std::vector<u64> payload_hi) {
  const StoreImpl& s = st.store;
  for (size_t fi = st.frames.size(); fi-- > 0;) {
    const Frame& f = st.frames[fi];
    const FuncInst& func = s.funcs[f.func];
    const CompiledFunc& cf = *func.code;
    if (cf.handlers.empty()) continue;
    // A caller's pc is its return address: the call is just before it.
    u32 pos = fi + 1 == st.frames.size() ? f.pc : f.pc - 1;
    const std::vector<u32>& tags = s.instances[func.instance].tags;
    for (u32 i = Innermost(cf, pos); i != kNoHandler;) {
      const Handler& h = cf.handlers[i];
      if (h.delegate) {
        i = h.target;
        continue;
      }
      for (u32 c = h.catches_begin; c < h.catches_end; ++c) {
        if (tags[cf.catches[c].tag] == tag_addr) {
          EnterClause(st, fi, h, cf.catches[c].pc, tag_addr, std::move(payload),
                      std::move(payload_hi), true);
          return true;
        }
      }
      if (h.catch_all_pc != kNoHandler) {
        EnterClause(st, fi, h, h.catch_all_pc, tag_addr, std::move(payload),
                    std::move(payload_hi), false);
        return true;
      }
      i = h.parent;
    }
  }
  RecordTrap(st, TrapKind::kUncaughtException,
             "uncaught exception: " + TagText(s, tag_addr) + PayloadText(s, tag_addr, payload));
  st.frames.clear();
  return false;
}

}  // namespace

bool Throw(ThreadState& st, u32 tag_addr, const u64* payload) {
  const FuncType& type = st.store.types[st.store.tags[tag_addr].type_id];
  size_t n = type.params.size();
  // A v128's high half is in the same slot of the upper half (INTERPRETER.md).
  const u64* high = payload + st.max_slots;
  return Unwind(st, tag_addr, std::vector<u64>(payload, payload + n),
                std::vector<u64>(high, high + n));
}

bool Rethrow(ThreadState& st, u32 level) {
  const Frame& f = st.frames.back();
  const CompiledFunc& cf = *st.store.funcs[f.func].code;
  u64 v = level < cf.num_exn_slots ? st.slots[f.fp + cf.exn_base() + level] : 0;
  if (v == 0 || v > st.exceptions.size()) {
    RecordTrap(st, TrapKind::kHost, "rethrow: no caught exception in this frame (corrupt state)");
    st.frames.clear();
    return false;
  }
  const CaughtException& e = st.exceptions[v - 1];
  return Unwind(st, e.tag, e.payload, e.payload_hi);
}

}  // namespace deja::engine
