// The dispatch function: direct-threaded code run by computed goto. Every
// operator body comes from ops/*.inc; this file only defines the operand
// macros, the variants, and the shared slow paths (calls, returns, host
// calls, fuel refills, traps). Built with -fno-gcse (see CMakeLists.txt) so
// each handler keeps its own indirect jump.
#include "engine/exec/interp.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <span>
#include <string>

#include "engine/compile/code.h"
#include "engine/exec/numeric.h"
#include "engine/exec/runtime_ops.h"
#include "engine/exec/thread_state.h"
#include "engine/exec/unwind.h"
#include "engine/runtime/store_impl.h"
#include "engine/simd/simd_ops.h"

namespace deja::engine {
namespace {

constexpr u64 kPageSize = 65536;

// Operands: I(k) is the k-th immediate word, S(k) the frame slot it names.
#define I(k) (pc[k])
#define S(k) (fp[pc[k]])
#define NEXT(n)                               \
  do {                                        \
    pc += (n);                                \
    goto* reinterpret_cast<const void*>(*pc); \
  } while (0)
// Every jump target is an instruction, nearly always the Fuel op that
// opens the block at a label or loop header. A jump charges that op's units
// itself and goes past it when the budget covers them (one dispatch less per
// loop iteration and per taken branch); otherwise it lands on the Fuel op,
// which takes its slow path. Charges and safe points stay exactly those of
// running the Fuel op.
#define JUMP(off)                                                       \
  do {                                                                  \
    pc += static_cast<i64>(off);                                        \
    u64 handler = *pc;                                                  \
    if (handler == fuel_handler && budget >= static_cast<i64>(pc[1])) { \
      budget -= static_cast<i64>(pc[1]);                                \
      pc += 2;                                                          \
      handler = *pc;                                                    \
    }                                                                   \
    goto* reinterpret_cast<const void*>(handler);                       \
  } while (0)
#define TRAP(kind)              \
  do {                          \
    trap_kind = TrapKind::kind; \
    goto trap;                  \
  } while (0)
#define TRUNC_CHECK(F, Int)                            \
  do {                                                 \
    if (std::isnan(a)) TRAP(kInvalidConversion);       \
    if (!TruncInRange<Int>(a)) TRAP(kIntegerOverflow); \
  } while (0)
#define GLOBAL(i) (*store.globals[inst->globals[i]])
#define TABLE(i) (*store.tables[inst->tables[i]])

Outcome Run(ThreadState* state, const void* const** table_out) {
  static const void* const kHandlers[] = {
#define DEJA_BINOP(Name, T, R, ...) &&L_##Name##_SS, &&L_##Name##_SI,
#define DEJA_FBINOP(Name, T, ...)                                                          \
  &&L_##Name##_SS, &&L_##Name##_SI, &&L_##Name##_SS_C, &&L_##Name##_SI_C, &&L_##Name##_SM, \
      &&L_##Name##_SM_C,
#define DEJA_CMP(Name, T, ...)                                                \
  &&L_##Name##_SS, &&L_##Name##_SI, &&L_BrIf##Name##_SS, &&L_BrIf##Name##_SI, \
      &&L_BrUnless##Name##_SS, &&L_BrUnless##Name##_SI,
#define DEJA_UNOP(Name, T, R, ...) &&L_##Name##_S,
#define DEJA_FUNOP(Name, T, R, ...) &&L_##Name##_S, &&L_##Name##_S_C,
#define DEJA_LOAD(Name, M, R) &&L_##Name, &&L_##Name##_A,
#define DEJA_STORE(Name, T, M) &&L_##Name, &&L_##Name##_A,
#define DEJA_OP(Name, ...) &&L_##Name,
#include "engine/exec/ops/all.inc"
  };
  static_assert(std::size(kHandlers) == static_cast<size_t>(IOp::kCount));
  if (state == nullptr) {
    *table_out = kHandlers;
    return Outcome::kReturned;
  }

  const u64 fuel_handler = reinterpret_cast<u64>(&&L_Fuel);
  ThreadState& st = *state;
  StoreImpl& store = st.store;
  u64* const stack = st.slots.get();
  // The high halves of v128 values: slot s + hoff (ops/simd.inc).
  const u64 hoff = st.max_slots;
  const CompiledFunc* cf = nullptr;
  const u64* pc = nullptr;
  u64* fp = nullptr;
  InstanceInst* inst = nullptr;
  u32 cur_instance = 0;
  MemoryInst* mem0 = nullptr;
  u8* mem = nullptr;
  u64 mem_size = 0;
  i64 budget = st.budget;
  u32 call_addr = 0;
  u32 call_base = 0;
  const u64* call_next = nullptr;
  u32 throw_tag = 0;                // Throw: the tag's store address
  u32 throw_base = 0;               // Throw: first payload slot
  u32 throw_level = UINT32_MAX;     // Rethrow: the exn slot level
  TrapKind trap_kind = TrapKind::kUnreachable;
  std::string host_message;

// Reloads everything cached about the top frame: after returns, host calls
// (which may grow memory) and on entry.
load_frame : {
  const Frame& f = st.frames.back();
  const FuncInst& fi = store.funcs[f.func];
  cf = fi.code;
  pc = cf->code.data() + f.pc;
  fp = stack + f.fp;
  cur_instance = fi.instance;
  inst = &store.instances[cur_instance];
  mem0 = inst->memories.empty() ? nullptr : store.memories[inst->memories[0]].get();
  mem = mem0 != nullptr ? mem0->base : nullptr;
  mem_size = mem0 != nullptr ? mem0->size : 0;
  NEXT(0);
}

#define DEJA_BINOP(Name, T, R, ...) \
  L_##Name##_SS : {                 \
    T a = Get<T>(S(2));             \
    T b = Get<T>(S(3));             \
    R r{};                          \
    __VA_ARGS__;                    \
    S(1) = Put(r);                  \
    NEXT(4);                        \
  }                                 \
  L_##Name##_SI : {                 \
    T a = Get<T>(S(2));             \
    T b = Get<T>(I(3));             \
    R r{};                          \
    __VA_ARGS__;                    \
    S(1) = Put(r);                  \
    NEXT(4);                        \
  }
#define DEJA_FBINOP_VARIANT(Label, B, Finish, ...) \
  Label : {                                        \
    auto a = Get<T_>(S(2));                        \
    auto b = Get<T_>(B);                           \
    T_ r{};                                        \
    __VA_ARGS__;                                   \
    S(1) = Put(Finish(r));                         \
    NEXT(4);                                       \
  }
// _SM: b is loaded from memory, a fused `load; op` [h, dst, a, base,
// offset, addend] (the address as in the loads' _A variants); a trap is the
// load's.
#define DEJA_FBINOP_MEM(Label, Finish, ...)                          \
  Label : {                                                          \
    u64 ea = static_cast<u64>(static_cast<u32>(S(3) + I(5))) + I(4); \
    if (ea + sizeof(T_) > mem_size) TRAP(kMemoryOutOfBounds);        \
    auto a = Get<T_>(S(2));                                          \
    T_ b;                                                            \
    std::memcpy(&b, mem + ea, sizeof(T_));                           \
    T_ r{};                                                          \
    __VA_ARGS__;                                                     \
    S(1) = Put(Finish(r));                                           \
    NEXT(6);                                                         \
  }
#define DEJA_FBINOP(Name, T, ...)                                  \
  {                                                                \
    using T_ = T;                                                  \
    DEJA_FBINOP_VARIANT(L_##Name##_SS, S(3), , __VA_ARGS__)        \
    DEJA_FBINOP_VARIANT(L_##Name##_SI, I(3), , __VA_ARGS__)        \
    DEJA_FBINOP_VARIANT(L_##Name##_SS_C, S(3), Canon, __VA_ARGS__) \
    DEJA_FBINOP_VARIANT(L_##Name##_SI_C, I(3), Canon, __VA_ARGS__) \
    DEJA_FBINOP_MEM(L_##Name##_SM, , __VA_ARGS__)                  \
    DEJA_FBINOP_MEM(L_##Name##_SM_C, Canon, __VA_ARGS__)           \
  }
#define DEJA_CMP_VARIANT(Label, B, ...) \
  Label : {                             \
    auto a = Get<T_>(S(2));             \
    auto b = Get<T_>(B);                \
    S(1) = (__VA_ARGS__) ? 1 : 0;       \
    NEXT(4);                            \
  }
#define DEJA_BRIF_VARIANT(Label, B, Want, ...)              \
  Label : {                                                 \
    auto a = Get<T_>(S(1));                                 \
    auto b = Get<T_>(B);                                    \
    if (static_cast<bool>(__VA_ARGS__) == Want) JUMP(I(3)); \
    NEXT(4);                                                \
  }
#define DEJA_CMP(Name, T, ...)                                         \
  {                                                                    \
    using T_ = T;                                                      \
    DEJA_CMP_VARIANT(L_##Name##_SS, S(3), __VA_ARGS__)                 \
    DEJA_CMP_VARIANT(L_##Name##_SI, I(3), __VA_ARGS__)                 \
    DEJA_BRIF_VARIANT(L_BrIf##Name##_SS, S(2), true, __VA_ARGS__)      \
    DEJA_BRIF_VARIANT(L_BrIf##Name##_SI, I(2), true, __VA_ARGS__)      \
    DEJA_BRIF_VARIANT(L_BrUnless##Name##_SS, S(2), false, __VA_ARGS__) \
    DEJA_BRIF_VARIANT(L_BrUnless##Name##_SI, I(2), false, __VA_ARGS__) \
  }
#define DEJA_UNOP(Name, T, R, ...) \
  L_##Name##_S : {                 \
    T a = Get<T>(S(2));            \
    R r{};                         \
    __VA_ARGS__;                   \
    S(1) = Put(r);                 \
    NEXT(3);                       \
  }
#define DEJA_FUNOP(Name, T, R, ...)  \
  DEJA_UNOP(Name, T, R, __VA_ARGS__) \
  L_##Name##_S_C : {                 \
    T a = Get<T>(S(2));              \
    R r{};                           \
    __VA_ARGS__;                     \
    S(1) = Put(Canon(r));            \
    NEXT(3);                         \
  }
// ea is the effective address (below 2^33, so ea + size cannot wrap): one
// add and one compare per access.
#define DEJA_ACCESS_CHECK(M) \
  if (ea + sizeof(M) > mem_size) TRAP(kMemoryOutOfBounds)
#define DEJA_LOAD_BODY(M, R, EA, N)             \
  {                                             \
    u64 ea = (EA);                              \
    DEJA_ACCESS_CHECK(M);                       \
    M v;                                        \
    std::memcpy(&v, mem + ea, sizeof(M));       \
    S(1) = static_cast<u64>(static_cast<R>(v)); \
    NEXT(N);                                    \
  }
#define DEJA_STORE_BODY(T, M, EA, N)      \
  {                                       \
    u64 ea = (EA);                        \
    DEJA_ACCESS_CHECK(M);                 \
    M v = static_cast<M>(Get<T>(S(2)));   \
    std::memcpy(mem + ea, &v, sizeof(M)); \
    NEXT(N);                              \
  }
#define EA_PLAIN(k) (static_cast<u64>(static_cast<u32>(S(k))) + I(3))
#define EA_ADDEND(k) (static_cast<u64>(static_cast<u32>(S(k) + I(4))) + I(3))
// clang-format off
#define DEJA_LOAD(Name, M, R)                          \
  L_##Name : DEJA_LOAD_BODY(M, R, EA_PLAIN(2), 4)      \
  L_##Name##_A : DEJA_LOAD_BODY(M, R, EA_ADDEND(2), 5)
#define DEJA_STORE(Name, T, M)                         \
  L_##Name : DEJA_STORE_BODY(T, M, EA_PLAIN(1), 4)     \
  L_##Name##_A : DEJA_STORE_BODY(T, M, EA_ADDEND(1), 5)
// clang-format on
#define DEJA_OP(Name, ...) \
  L_##Name : { __VA_ARGS__ }
#include "engine/exec/ops/all.inc"
#undef DEJA_FBINOP_VARIANT
#undef DEJA_FBINOP_MEM
#undef DEJA_LOAD_BODY
#undef DEJA_STORE_BODY
#undef DEJA_ACCESS_CHECK
#undef EA_PLAIN
#undef EA_ADDEND
#undef DEJA_CMP_VARIANT
#undef DEJA_BRIF_VARIANT

// A call: call_addr, call_base (first argument slot, relative to fp) and
// call_next (the caller's resume point) are set; pc is still the call.
do_call : {
  const FuncInst& fi = store.funcs[call_addr];
  if (fi.host != nullptr) goto call_host;
  if (st.frames.size() >= store.limits.max_call_depth) TRAP(kCallStackExhausted);
  const CompiledFunc* callee = fi.code;
  u64 new_fp = static_cast<u64>(fp - stack) + call_base;
  if (new_fp + callee->frame_slots > st.max_slots) TRAP(kCallStackExhausted);
  st.frames.back().pc = static_cast<u32>(call_next - cf->code.data());
  std::memset(stack + new_fp + callee->num_params, 0,
              sizeof(u64) * (callee->num_locals + callee->num_exn_slots));
  st.frames.push_back(Frame{call_addr, 0, static_cast<u32>(new_fp)});
  cf = callee;
  fp = stack + new_fp;
  pc = cf->code.data();
  if (fi.instance != cur_instance) {
    cur_instance = fi.instance;
    inst = &store.instances[cur_instance];
    mem0 = inst->memories.empty() ? nullptr : store.memories[inst->memories[0]].get();
    mem = mem0 != nullptr ? mem0->base : nullptr;
    mem_size = mem0 != nullptr ? mem0->size : 0;
  }
  NEXT(0);
}

// A tail call (operands as do_call): the arguments move down to the base of
// the current frame, which the callee's frame replaces, so a chain of tail
// calls runs in one frame record. A host callee is called normally.
do_tail_call : {
  const FuncInst& fi = store.funcs[call_addr];
  if (fi.host != nullptr) goto call_host;
  const CompiledFunc* callee = fi.code;
  u64 cur_fp = static_cast<u64>(fp - stack);
  if (cur_fp + callee->frame_slots > st.max_slots) TRAP(kCallStackExhausted);
  std::memmove(fp, fp + call_base, sizeof(u64) * callee->num_params);
  std::memset(fp + callee->num_params, 0, sizeof(u64) * callee->num_locals);
  st.frames.back() = Frame{call_addr, 0, static_cast<u32>(cur_fp)};
  cf = callee;
  pc = cf->code.data();
  if (fi.instance != cur_instance) {
    cur_instance = fi.instance;
    inst = &store.instances[cur_instance];
    mem0 = inst->memories.empty() ? nullptr : store.memories[inst->memories[0]].get();
    mem = mem0 != nullptr ? mem0->base : nullptr;
    mem_size = mem0 != nullptr ? mem0->size : 0;
  }
  NEXT(0);
}

call_host : {
  // Copy what we need: the host may add functions (reallocating funcs).
  const FuncInst& fi = store.funcs[call_addr];
  HostFn fn = fi.host;
  void* data = fi.host_data;
  const FuncType& type = store.types[fi.type_id];
  u32 num_results = static_cast<u32>(type.results.size());
  u64 n = std::max(type.params.size(), type.results.size());
  u64 base = static_cast<u64>(fp - stack) + call_base;
  if (base + n > st.max_slots) TRAP(kCallStackExhausted);
  st.frames.back().pc = static_cast<u32>(call_next - cf->code.data());
  st.budget = budget;
  HostCall call(store.owner, data, cur_instance);
  HostAction action = fn(call, std::span<u64>(stack + base, n));
  budget = st.budget;
  switch (action) {
    case HostAction::kContinue:
      // An interrupt or suspend request that came during the host call is
      // served at the next Fuel op, not a whole chunk later.
      if (store.interrupt.load(std::memory_order_relaxed) ||
          store.suspend_request.load(std::memory_order_relaxed)) {
        ReleaseChunk(st);
        budget = 0;
      }
      goto load_frame;
    case HostAction::kTrap:
      host_message = call.trap_message();
      TRAP(kHost);
    case HostAction::kExit:
      st.exit_code = call.exit_code();
      st.frames.clear();
      return Outcome::kExited;
    case HostAction::kSuspend:
      st.suspend = SuspendPoint::kHostCall;
      st.pending_slot = static_cast<u32>(base);
      st.pending_results = num_results;
      return Outcome::kSuspended;
  }
  TRAP(kHost);
}

// A `throw` or `rethrow` at pc: the unwinder finds the handler and leaves its
// frame on top, at the handler's Fuel op (which charges the clause as any
// block entry), or records the uncaught exception as a trap.
do_throw : {
  st.frames.back().pc = static_cast<u32>(pc - cf->code.data());
  st.budget = budget;
  bool caught = throw_level == UINT32_MAX ? Throw(st, throw_tag, fp + throw_base)
                                          : Rethrow(st, throw_level);
  budget = st.budget;
  if (caught) goto load_frame;
  return Outcome::kTrapped;  // the trap is recorded, the frames are gone
}

do_return : {
  st.frames.pop_back();
  if (st.frames.empty()) {
    st.budget = budget;
    return Outcome::kReturned;
  }
  // Within one instance the memory cache is still right (a grow by the
  // callee updated mem_size; host calls reload everything themselves).
  const Frame& f = st.frames.back();
  const FuncInst& fi = store.funcs[f.func];
  if (fi.instance != cur_instance) goto load_frame;
  cf = fi.code;
  pc = cf->code.data() + f.pc;
  fp = stack + f.fp;
  NEXT(0);
}

// The Fuel op overdrew its chunk: give the unspent part back, poll the
// interrupt and suspend flags, and grant a new chunk that covers this block.
// This is the safe point: the block is not charged yet and every value is in
// its slot. Order: interrupt (trap), suspend request, out of fuel.
fuel_slow : {
  i64 need = static_cast<i64>(I(1));
  budget += need;
  st.consumed += static_cast<u64>(st.granted - budget);
  if (st.fuel_left) *st.fuel_left += static_cast<u64>(budget);
  st.granted = budget = 0;
  if (store.interrupt.load(std::memory_order_relaxed)) TRAP(kInterrupted);
  if (store.suspend_request.load(std::memory_order_relaxed) &&
      store.suspend_request.exchange(false, std::memory_order_relaxed)) {
    goto safe_point;
  }
  u64 avail = st.fuel_left ? *st.fuel_left : UINT64_MAX;
  if (static_cast<u64>(need) > avail) {
    if (st.suspend_on_out_of_fuel) goto safe_point;
    TRAP(kOutOfFuel);
  }
  i64 grant = std::max(kFuelChunk, need);
  if (static_cast<u64>(grant) > avail) grant = static_cast<i64>(avail);
  if (st.fuel_left) *st.fuel_left -= static_cast<u64>(grant);
  st.granted = grant;
  budget = grant - need;
  NEXT(2);
}

// Suspends before the Fuel op at pc (fuel_slow has released the chunk):
// Resume runs that op again, so the block is charged exactly once.
safe_point:
  st.frames.back().pc = static_cast<u32>(pc - cf->code.data());
  st.budget = 0;
  st.suspend = SuspendPoint::kSafePoint;
  st.pending_slot = 0;
  st.pending_results = 0;
  return Outcome::kSuspended;

trap:
  st.frames.back().pc = static_cast<u32>(pc - cf->code.data());
  st.budget = budget;
  RecordTrap(st, trap_kind,
             trap_kind == TrapKind::kHost ? host_message : TrapKindMessage(trap_kind));
  st.frames.clear();
  return Outcome::kTrapped;
}

}  // namespace

const void* const* HandlerTable() {
  static const void* const* table = [] {
    const void* const* t = nullptr;
    (void)Run(nullptr, &t);
    return t;
  }();
  return table;
}

Outcome Interpret(ThreadState& state) { return Run(&state, nullptr); }

}  // namespace deja::engine
