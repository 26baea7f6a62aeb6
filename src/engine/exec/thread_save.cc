// Thread::SaveState / RestoreState: the execution state as plain
// little-endian bytes (no pointers). Since version 4 a call stack is saved in
// WebAssembly terms (docs/snapshots.md, "Call stack"): per frame the store
// function, the Wasm offset it is suspended at, and its locals and operand
// stack as typed values. The compiler's resume points (compile/code.h) map
// those to this build's pcs and slots, so a state resumes on any build that
// runs the same module, whatever its compiler emits. Restoring checks every
// value against its type and the store, and every position against the code.
#include <algorithm>
#include <map>
#include <string>
#include <utility>

#include "base/hex.h"
#include "engine/compile/code.h"
#include "engine/exec/thread.h"
#include "engine/exec/thread_bytes.h"
#include "engine/exec/thread_state.h"
#include "engine/instr.h"
#include "engine/runtime/store_impl.h"
#include "engine/validate/func_validator.h"

namespace deja::engine {
namespace {

// 2: the suspended byte is a SuspendPoint (2 = safe point). 1 (0 or 1 =
// host call) is still read.
// 3: the code layout follows the version (frames were pcs).
// 4: frames in Wasm terms, values typed (thread_load_v3.cc reads 1 to 3).
constexpr u32 kVersion = 4;

// A frame's function as the module declares it.
struct FuncView {
  const FuncInst* fi = nullptr;
  const Module* module = nullptr;
  const Function* fn = nullptr;
  const FuncType* type = nullptr;
  const CompiledFunc* cf = nullptr;
  u32 num_locals = 0;  // params + declared locals
  u32 stack_base = 0;  // + exn slots: where the operand stack starts
};

FuncView ViewOf(const StoreImpl& store, u32 func_addr) {
  FuncView v;
  v.fi = &store.funcs[func_addr];
  v.module = &store.instances[v.fi->instance].module->module;
  v.fn = &v.module->code[v.fi->func_index - v.module->num_imported_funcs];
  v.type = &v.module->types[v.fn->type];
  v.cf = v.fi->code;
  v.num_locals = v.cf->num_params + v.cf->num_locals;
  v.stack_base = v.num_locals + v.cf->num_exn_slots;
  return v;
}

// Calls `f(index, type)` for every local (params first) of `v`.
template <typename F>
void ForEachLocal(const FuncView& v, F f) {
  u32 j = 0;
  for (ValType t : v.type->params) f(j++, t);
  for (const LocalRun& run : v.fn->locals) {
    for (u64 k = 0; k < run.count; ++k) f(j++, run.type);
  }
}

// Operand stack types at resume points, computed by re-running validation
// of a frame's function (cheap next to a snapshot's memory). One pass types
// every resume point of the function, so a deep recursion through many call
// sites of one big function validates it once; a function whose points hold
// too many values in all is typed one point per pass instead.
class TypeCache {
 public:
  explicit TypeCache(const StoreImpl& store) : store_(store) {}

  // The validator's stack at `p`: the frame's operands, then (at a call)
  // the call's arguments. Valid until the next call.
  Status TypesAt(const FuncView& v, const ResumePoint& p, std::span<const ValType>* out) {
    u32 addr = static_cast<u32>(v.fi - store_.funcs.data());
    const std::vector<ResumePoint>& points = v.cf->resume_points;
    u32 index = static_cast<u32>(&p - points.data());
    auto it = whole_.find(addr);
    if (it == whole_.end()) {
      u64 total = 0;
      for (const ResumePoint& q : points) total += q.height;
      if (total <= kMaxBatchValues) {
        std::vector<u32> offsets;
        offsets.reserve(points.size());
        for (const ResumePoint& q : points) offsets.push_back(q.wasm_offset);
        FuncValidator::TypeStacks stacks;
        DEJA_TRY(Validator(v).TypesAt(v.fi->func_index, offsets, &stacks));
        it = whole_.emplace(addr, std::move(stacks)).first;
      }
    }
    if (it != whole_.end()) {
      const FuncValidator::TypeStacks& t = it->second;
      u32 begin = index == 0 ? 0 : t.ends[index - 1];
      *out = std::span<const ValType>(t.types).subspan(begin, t.ends[index] - begin);
      return Status();
    }
    u32 offset = p.wasm_offset;
    DEJA_TRY(Validator(v).TypesAt(v.fi->func_index, std::span<const u32>(&offset, 1), &single_));
    *out = single_.types;
    return Status();
  }

 private:
  static constexpr u64 kMaxBatchValues = u64{1} << 22;

  FuncValidator Validator(const FuncView& v) {
    declared_.assign(v.module->func_types.size(), true);  // validated already
    return FuncValidator(*v.module, declared_);
  }

  const StoreImpl& store_;
  std::vector<bool> declared_;
  std::map<u32, FuncValidator::TypeStacks> whole_;  // by store function address
  FuncValidator::TypeStacks single_;
};

bool Is32Bit(ValType t) { return t == ValType::kI32 || t == ValType::kF32; }

// A v128 is its low then its high 64 bits (`hi`: the slot's upper half).
void PutValue(std::vector<u8>* out, ValType t, u64 bits, u64 hi) {
  Put<u8>(out, static_cast<u8>(t));
  if (Is32Bit(t)) {
    Put<u32>(out, static_cast<u32>(bits));
  } else {
    Put<u64>(out, bits);
    if (t == ValType::kV128) Put<u64>(out, hi);
  }
}

// The value of operand `pos` at point `p` of a frame based at `frame`.
u64 OperandValue(const FuncView& v, const ResumePoint& p, const u64* frame, u32 pos) {
  auto [d, end] = v.cf->DeferredOf(p);
  d = std::lower_bound(d, end, pos, [](const DeferredValue& x, u32 y) { return x.pos < y; });
  if (d == end || d->pos != pos) return frame[v.stack_base + pos];
  switch (d->where) {
    case DeferredValue::kLocal:
      return frame[d->base];
    case DeferredValue::kConst:
      return d->value;
    case DeferredValue::kAddend:
      return static_cast<u32>(frame[d->base] + d->value);
  }
  return 0;
}

// The high half of operand `pos` (a v128) at point `p`; `high` is the
// frame's base in the upper half of the value stack. Deferred constants and
// addends are never v128.
u64 OperandHigh(const FuncView& v, const ResumePoint& p, const u64* high, u32 pos) {
  auto [d, end] = v.cf->DeferredOf(p);
  d = std::lower_bound(d, end, pos, [](const DeferredValue& x, u32 y) { return x.pos < y; });
  if (d == end || d->pos != pos) return high[v.stack_base + pos];
  return d->where == DeferredValue::kLocal ? high[d->base] : 0;
}

// The Wasm instruction at body-relative `offset` of `v` (a resume point's
// call: its callee's type decides what the frame above must be).
bool InstrAt(const FuncView& v, u32 offset, Instr* in) {
  std::span<const u8> body = v.module->body(*v.fn);
  if (offset >= body.size()) return false;
  InstrReader reader(body.subspan(offset), v.fn->body_offset + offset);
  return reader.Next(in).ok();
}

const FuncType* CalleeType(const FuncView& v, const Instr& call) {
  if (call.op == Opcode::kCall || call.op == Opcode::kReturnCall) {
    return &v.module->func_type(call.index);
  }
  if (call.op == Opcode::kCallIndirect || call.op == Opcode::kReturnCallIndirect) {
    return &v.module->types[call.index];
  }
  return nullptr;
}

// The catch clauses a frame at `p` is inside, innermost last: the try
// blocks whose caught exception a rethrow there may name. Which tries are
// open is a function of the position; what each caught is not, so the
// saved frame carries those exceptions (docs/snapshots.md, "Exceptions").
std::vector<const Handler*> OpenClauses(const FuncView& v, const ResumePoint& p) {
  std::vector<const Handler*> out;
  // A call's pc is its return address; the call itself is just before.
  u32 pos = p.kind == ResumePoint::kCall ? p.pc - 1 : p.pc;
  for (const Handler& h : v.cf->handlers) {
    if (h.end <= pos && pos < h.region_end && !h.delegate) out.push_back(&h);
  }
  return out;
}

void SaveCaught(const ThreadState& st, const FuncView& v, const ResumePoint& p, const u64* frame,
                std::vector<u8>* out) {
  std::vector<const Handler*> open = OpenClauses(v, p);
  Put<u32>(out, static_cast<u32>(open.size()));
  for (const Handler* h : open) {
    u64 ref = frame[v.num_locals + h->level];
    if (ref == 0 || ref > st.exceptions.size()) {
      std::fprintf(stderr, "deja: internal error: catch clause without its exception\n");
      std::abort();
    }
    const CaughtException& e = st.exceptions[ref - 1];
    const FuncType& type = st.store.types[st.store.tags[e.tag].type_id];
    Put(out, h->wasm_offset);
    Put(out, e.tag);
    Put<u32>(out, static_cast<u32>(e.payload.size()));
    for (size_t i = 0; i < e.payload.size(); ++i) {
      PutValue(out, type.params[i], e.payload[i], e.payload_hi[i]);
    }
  }
}

}  // namespace

void Thread::SaveState(std::vector<u8>* out) const {
  const ThreadState& st = *s_;
  Put(out, kThreadMagic);
  Put(out, kVersion);
  Put<u8>(out, static_cast<u8>(st.suspend));
  Put(out, st.num_results);
  Put(out, st.pending_results);
  Put<u8>(out, st.fuel_left ? 1 : 0);
  Put<u64>(out, st.fuel_left.value_or(0));
  Put(out, st.consumed);
  Put(out, st.granted);
  Put(out, st.budget);
  Put<u32>(out, static_cast<u32>(st.frames.size()));
  TypeCache types(st.store);
  for (size_t i = 0; i < st.frames.size(); ++i) {
    const Frame& f = st.frames[i];
    FuncView v = ViewOf(st.store, f.func);
    bool at_safe_point = i + 1 == st.frames.size() && st.suspend == SuspendPoint::kSafePoint;
    const ResumePoint* p =
        v.cf->PointAtPc(f.pc, at_safe_point ? ResumePoint::kSafePoint : ResumePoint::kCall);
    std::span<const ValType> operand_types;
    // Every pc a frame holds is a resume point the compiler listed, and the
    // validator types every reachable point: anything else is a deja bug,
    // and a state that cannot be described must not be written.
    if (p == nullptr || !types.TypesAt(v, *p, &operand_types).ok() ||
        operand_types.size() < p->height) {
      std::fprintf(stderr,
                   "deja: internal error: frame of function %u at pc %u has no resume point\n",
                   v.fi->func_index, f.pc);
      std::abort();
    }
    const u64* frame = st.slots.get() + f.fp;
    const u64* high = frame + st.max_slots;
    Put(out, f.func);
    Put<u8>(out, p->kind);
    Put(out, p->wasm_offset);
    Put(out, v.num_locals);
    ForEachLocal(v, [&](u32 j, ValType t) { PutValue(out, t, frame[j], high[j]); });
    Put(out, p->height);
    for (u32 pos = 0; pos < p->height; ++pos) {
      PutValue(out, operand_types[pos], OperandValue(v, *p, frame, pos),
               OperandHigh(v, *p, high, pos));
    }
    SaveCaught(st, v, *p, frame, out);
  }
}

namespace {

// Reads one typed value of the type the code has there (`what()` names the
// place, built only for a message) and checks it is one the store could hold.
// A v128's high half goes to `*hi`.
template <typename What>
Status TakeValue(std::span<const u8>* in, ValType expected, const StoreImpl& store, What what,
                 u64* bits, u64* hi) {
  u8 tag = 0;
  if (!Take(in, &tag)) return Corrupt(what() + ": truncated");
  ValType t = static_cast<ValType>(tag);
  switch (t) {
    case ValType::kI32:
    case ValType::kI64:
    case ValType::kF32:
    case ValType::kF64:
    case ValType::kFuncRef:
    case ValType::kExternRef:
    case ValType::kV128:
      break;
    default:
      return Corrupt(what() + ": unknown value type 0x" + Hex(tag).substr(2));
  }
  if (t != expected) {
    return Corrupt(what() + ": a " + ValTypeName(t) + " where the code has a " +
                   ValTypeName(expected));
  }
  if (Is32Bit(t)) {
    u32 v32 = 0;
    if (!Take(in, &v32)) return Corrupt(what() + ": truncated");
    *bits = v32;
    return Status();
  }
  if (!Take(in, bits)) return Corrupt(what() + ": truncated");
  *hi = 0;
  if (t == ValType::kV128 && !Take(in, hi)) return Corrupt(what() + ": truncated");
  if (t == ValType::kFuncRef && *bits != kNullRef && *bits - 1 >= store.funcs.size()) {
    return Corrupt(what() + ": funcref names function address " + std::to_string(*bits - 1) +
                   ", the store has " + std::to_string(store.funcs.size()) + " functions");
  }
  // An externref is an embedder payload + 1: every 64-bit value is one.
  return Status();
}

// Reads a frame's caught exceptions: exactly one per catch clause open at
// `p`, each of a tag of the store with a payload of the tag's types.
template <typename Where>
Status RestoreCaught(std::span<const u8>* in, u32 count, const FuncView& v, const ResumePoint& p,
                     u64* frame, ThreadState& st, Where where) {
  std::vector<const Handler*> open = OpenClauses(v, p);
  if (count != open.size()) {
    return Corrupt(where() + ": " + std::to_string(count) + " caught exceptions, the code is in " +
                   std::to_string(open.size()) + " catch clauses there");
  }
  for (const Handler* h : open) {
    u32 try_offset = 0, tag = 0, n = 0;
    if (!Take(in, &try_offset) || !Take(in, &tag) || !Take(in, &n)) {
      return Corrupt(where() + ": truncated");
    }
    if (try_offset != h->wasm_offset) {
      return Corrupt(where() + ": a caught exception for the try at " + Hex(try_offset) +
                     ", the open catch clause is of the try at " + Hex(h->wasm_offset));
    }
    if (tag >= st.store.tags.size()) {
      return Corrupt(where() + ": tag address " + std::to_string(tag) + ", the store has " +
                     std::to_string(st.store.tags.size()) + " tags");
    }
    const FuncType& type = st.store.types[st.store.tags[tag].type_id];
    if (n != type.params.size()) {
      return Corrupt(where() + ": " + std::to_string(n) + " payload values, the tag has " +
                     std::to_string(type.params.size()));
    }
    CaughtException e;
    e.tag = tag;
    e.payload.resize(n);
    e.payload_hi.resize(n);
    for (u32 i = 0; i < n; ++i) {
      auto what = [&] { return where() + " exception payload " + std::to_string(i); };
      DEJA_TRY(TakeValue(in, type.params[i], st.store, what, &e.payload[i], &e.payload_hi[i]));
    }
    st.exceptions.push_back(std::move(e));
    frame[v.num_locals + h->level] = st.exceptions.size();
  }
  return Status();
}

// Reads the frames of a version 4 state into `st` (fresh), checking each
// against the code: the result is a call stack the code could have built.
Status RestoreFrames(std::span<const u8>* in, u32 num_frames, ThreadState& st) {
  const StoreImpl& store = st.store;
  TypeCache types(store);
  u64 fp = 0;
  for (u32 i = 0; i < num_frames; ++i) {
    bool top = i + 1 == num_frames;
    u32 func = 0, offset = 0, num_locals = 0, height = 0, handlers = 0;
    u8 kind = 0;
    FuncView v;
    // Messages only: "frame N (function F at Wasm offset 0xO)".
    auto where = [&] {
      std::string w = "frame " + std::to_string(i);
      if (v.fi != nullptr) {
        w += " (function " + std::to_string(v.fi->func_index) + " at Wasm offset " +
             Hex(offset) + ")";
      }
      return w;
    };
    if (!Take(in, &func) || !Take(in, &kind) || !Take(in, &offset)) {
      return Corrupt(where() + ": truncated");
    }
    if (func >= store.funcs.size() || store.funcs[func].code == nullptr) {
      return Corrupt(where() + ": function address " + std::to_string(func) +
                     " is not a Wasm function of this store");
    }
    v = ViewOf(store, func);
    bool want_safe_point = top && st.suspend == SuspendPoint::kSafePoint;
    if (kind != (want_safe_point ? ResumePoint::kSafePoint : ResumePoint::kCall)) {
      return Corrupt(where() + ": suspended at a " +
                     (kind == ResumePoint::kSafePoint ? "safe point" : "call") +
                     " where the call stack needs a " + (want_safe_point ? "safe point" : "call"));
    }
    const ResumePoint* p = v.cf->PointAt(offset, static_cast<ResumePoint::Kind>(kind));
    if (p == nullptr) {
      return Corrupt(where() + ": the function has no " +
                     (kind == ResumePoint::kSafePoint ? "safe point" : "reachable call") +
                     " there");
    }
    if (fp + v.cf->frame_slots > st.max_slots)
      return Corrupt(where() + ": the value stack is full");
    u64* frame = st.slots.get() + fp;
    u64* high = frame + st.max_slots;
    if (!Take(in, &num_locals)) return Corrupt(where() + ": truncated");
    if (num_locals != v.num_locals) {
      return Corrupt(where() + ": " + std::to_string(num_locals) + " locals, the function has " +
                     std::to_string(v.num_locals));
    }
    Status status;
    ForEachLocal(v, [&](u32 j, ValType t) {
      if (status.ok())
        status = TakeValue(
            in, t, store, [&] { return where() + " local " + std::to_string(j); }, &frame[j],
            &high[j]);
    });
    DEJA_TRY(status);
    std::span<const ValType> operand_types;
    DEJA_TRY(types.TypesAt(v, *p, &operand_types));
    Instr call;
    const FuncType* callee = nullptr;
    if (kind == ResumePoint::kCall) {
      if (!InstrAt(v, offset, &call) || (callee = CalleeType(v, call)) == nullptr) {
        return Corrupt(where() + ": no call instruction there");
      }
    }
    // The validator's stack holds the call's arguments (and table index) too.
    u64 expect = p->height;
    if (callee != nullptr)
      expect += callee->params.size() + (call.op == Opcode::kCallIndirect ||
                                                 call.op == Opcode::kReturnCallIndirect
                                             ? 1
                                             : 0);
    if (operand_types.size() != expect) {
      return Status::Internal("thread state: " + where() +
                              ": the compiler and validator disagree on the stack");
    }
    if (!Take(in, &height)) return Corrupt(where() + ": truncated");
    if (height != p->height) {
      return Corrupt(where() + ": operand stack of " + std::to_string(height) +
                     " values, the code has " + std::to_string(p->height) + " there");
    }
    auto [d, d_end] = v.cf->DeferredOf(*p);
    for (u32 pos = 0; pos < height; ++pos) {
      auto what = [&] { return where() + " operand " + std::to_string(pos); };
      u64 bits = 0, bits_hi = 0;
      DEJA_TRY(TakeValue(in, operand_types[pos], store, what, &bits, &bits_hi));
      if (d == d_end || d->pos != pos) {
        frame[v.stack_base + pos] = bits;
        high[v.stack_base + pos] = bits_hi;
        continue;
      }
      // This build keeps the value elsewhere: it must be the one the code
      // computes there, or the state is not one the code could produce.
      u64 expected_bits = 0, expected_hi = bits_hi;  // the high half of a v128 local
      switch (d->where) {
        case DeferredValue::kLocal:
          expected_bits = frame[d->base];
          expected_hi = high[d->base];
          break;
        case DeferredValue::kConst:
          expected_bits = d->value;
          break;
        case DeferredValue::kAddend:
          if (d->base == v.stack_base + pos) {  // the base is in the entry's own slot
            frame[d->base] = static_cast<u32>(bits - d->value);
            expected_bits = bits;
          } else {
            expected_bits = static_cast<u32>(frame[d->base] + d->value);
          }
          break;
      }
      if (expected_bits != bits || (operand_types[pos] == ValType::kV128 && expected_hi != bits_hi)) {
        return Corrupt(what() +
                       ": the code computes that value from local or constant state, and "
                       "the saved value differs");
      }
      ++d;
    }
    if (!Take(in, &handlers)) return Corrupt(where() + ": truncated");
    DEJA_TRY(RestoreCaught(in, handlers, v, *p, frame, st, where));
    st.frames.push_back(Frame{func, p->pc, static_cast<u32>(fp)});
    if (kind != ResumePoint::kCall) continue;
    u64 base = fp + v.stack_base + p->height;
    if (!top) {
      // The next frame is this call's callee (or, indirect, of its type).
      u32 next_func = 0;
      if (in->size() < sizeof next_func) return Corrupt("truncated frame");
      std::memcpy(&next_func, in->data(), sizeof next_func);
      const InstanceInst& inst = store.instances[v.fi->instance];
      bool ok = next_func < store.funcs.size() &&
                (call.op == Opcode::kCall || call.op == Opcode::kReturnCall
                     ? inst.funcs[call.index] == next_func
                                          : store.types[store.funcs[next_func].type_id] == *callee);
      if (!ok) return Corrupt(where() + ": the next frame is not a function this call can reach");
      fp = base;
      continue;
    }
    // The top frame waits for a host function's results.
    if (st.suspend != SuspendPoint::kHostCall)
      return Corrupt(where() + ": a call frame on top, not suspended in a host call");
    if ((call.op == Opcode::kCall || call.op == Opcode::kReturnCall) &&
        store.funcs[store.instances[v.fi->instance].funcs[call.index]].host == nullptr) {
      return Corrupt(where() + ": suspended in a host call, but the call is to a Wasm function");
    }
    if (st.pending_results != callee->results.size()) {
      return Corrupt(where() + ": " + std::to_string(st.pending_results) +
                     " pending results, the callee has " + std::to_string(callee->results.size()));
    }
    if (base + std::max(callee->params.size(), callee->results.size()) > st.max_slots) {
      return Corrupt(where() + ": the value stack is full");
    }
    st.pending_slot = static_cast<u32>(base);
  }
  return Status();
}

}  // namespace

Status CheckFuelAndSuspend(const ThreadState& st) {
  if (st.suspend == SuspendPoint::kSafePoint &&
      (st.pending_slot != 0 || st.pending_results != 0 || st.granted != 0)) {
    return Corrupt("safe point with pending results or fuel");
  }
  if (st.budget < 0 || st.granted < st.budget) return Corrupt("bad fuel");
  if (st.suspend == SuspendPoint::kNone && !st.frames.empty()) {
    return Corrupt("frames without a suspended call");
  }
  if (st.suspend == SuspendPoint::kSafePoint && st.frames.empty()) {
    return Corrupt("a safe point without frames");
  }
  return Status();
}

Status Thread::RestoreState(std::span<const u8>* in) {
  ThreadState st_new(s_->store);
  u32 magic = 0, version = 0;
  if (!Take(in, &magic) || !Take(in, &version)) return Corrupt("truncated header");
  if (magic != kThreadMagic) return Corrupt("bad magic");
  if (version < 1 || version > kVersion) {
    return Status::InvalidArgument("thread state version " + std::to_string(version) +
                                   " is newer than this deja reads (" + std::to_string(kVersion) +
                                   ")");
  }
  if (version < 4) {
    DEJA_TRY(RestoreLegacyState(version, in, &st_new));
  } else {
    u8 suspended = 0, has_fuel = 0;
    u64 fuel_left = 0;
    u32 num_frames = 0;
    bool ok = Take(in, &suspended) && Take(in, &st_new.num_results) &&
              Take(in, &st_new.pending_results) && Take(in, &has_fuel) && Take(in, &fuel_left) &&
              Take(in, &st_new.consumed) && Take(in, &st_new.granted) && Take(in, &st_new.budget) &&
              Take(in, &num_frames);
    if (!ok) return Corrupt("truncated header");
    if (suspended > 2 || has_fuel > 1) return Corrupt("bad suspend point or fuel flag");
    st_new.suspend = static_cast<SuspendPoint>(suspended);
    if (has_fuel) st_new.fuel_left = fuel_left;
    if (num_frames > st_new.store.limits.max_call_depth) {
      return Corrupt(std::to_string(num_frames) + " frames, above the store's call depth limit");
    }
    if (st_new.suspend == SuspendPoint::kHostCall && num_frames == 0 &&
        st_new.pending_results > st_new.max_slots) {
      return Corrupt("pending host call out of range");
    }
    if (st_new.suspend == SuspendPoint::kNone && num_frames != 0) {
      return Corrupt("frames without a suspended call");
    }
    DEJA_TRY(RestoreFrames(in, num_frames, st_new));
    DEJA_TRY(CheckFuelAndSuspend(st_new));
    // results() reads this many slots: the invoked function's result count.
    if (st_new.num_results > st_new.max_slots ||
        (num_frames > 0 &&
         st_new.num_results != st_new.store.funcs[st_new.frames[0].func].code->num_results)) {
      return Corrupt(std::to_string(st_new.num_results) +
                     " results, the invoked function has another count");
    }
  }
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
  st.exceptions = std::move(st_new.exceptions);
  st.exceptions_gc_at = std::max<size_t>(64, 2 * st.exceptions.size());
  return Status();
}

}  // namespace deja::engine
