#include "engine/exec/thread.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "engine/compile/code.h"
#include "engine/exec/interp.h"
#include "engine/exec/thread_state.h"
#include "engine/runtime/store_impl.h"

namespace deja::engine {

ThreadState::ThreadState(StoreImpl& s)
    : store(s),
      // Twice max_slots: the upper half holds the high 64 bits of v128
      // values (docs/INTERPRETER.md, "v128 values").
      slots(static_cast<u64*>(
          std::calloc(2 * std::max<size_t>(s.limits.max_stack_slots, 1), sizeof(u64)))),
      max_slots(s.limits.max_stack_slots) {
  if (slots == nullptr) std::abort();  // as operator new would, without exceptions
}

void RecordTrap(ThreadState& state, TrapKind kind, std::string message) {
  Trap trap;
  trap.kind = kind;
  trap.message = std::move(message);
  for (size_t i = state.frames.size(); i-- > 0;) {
    const Frame& f = state.frames[i];
    const FuncInst& fi = state.store.funcs[f.func];
    const Module& m = state.store.instances[fi.instance].module->module;
    FrameInfo info;
    info.func_index = fi.func_index;
    if (auto it = m.func_names.find(fi.func_index); it != m.func_names.end()) {
      info.func_name = it->second;
    }
    info.module_name = m.name;
    // Callers' pcs are return addresses: look up the call just before.
    bool innermost = i + 1 == state.frames.size();
    info.module_offset = fi.code->WasmOffset(innermost || f.pc == 0 ? f.pc : f.pc - 1);
    trap.backtrace.push_back(std::move(info));
  }
  state.trap = std::move(trap);
}

namespace {

Outcome TrapNow(ThreadState& st, TrapKind kind, std::string message) {
  st.frames.clear();
  RecordTrap(st, kind, std::move(message));
  return Outcome::kTrapped;
}

Outcome InvokeHost(ThreadState& st, const FuncInst& fi, std::span<const u64> args) {
  const FuncType& type = st.store.types[fi.type_id];
  size_t n = std::max(type.params.size(), type.results.size());
  if (n > st.max_slots) return TrapNow(st, TrapKind::kCallStackExhausted, "call stack exhausted");
  std::copy(args.begin(), args.end(), st.slots.get());
  HostCall call(st.store.owner, fi.host_data, kNoInstance);
  switch (fi.host(call, std::span<u64>(st.slots.get(), n))) {
    case HostAction::kContinue:
      return Outcome::kReturned;
    case HostAction::kTrap:
      return TrapNow(st, TrapKind::kHost, call.trap_message());
    case HostAction::kExit:
      st.exit_code = call.exit_code();
      return Outcome::kExited;
    case HostAction::kSuspend:
      st.suspend = SuspendPoint::kHostCall;
      st.pending_slot = 0;
      st.pending_results = static_cast<u32>(type.results.size());
      return Outcome::kSuspended;
  }
  return TrapNow(st, TrapKind::kHost, "host function returned an unknown action");
}

}  // namespace

Thread::Thread(StoreImpl& store) : s_(std::make_unique<ThreadState>(store)) {}
Thread::~Thread() = default;

Outcome Thread::Invoke(u32 func_addr, std::span<const u64> args) {
  ThreadState& st = *s_;
  st.frames.clear();
  st.suspend = SuspendPoint::kNone;
  st.trap = Trap{};
  ReleaseChunk(st);
  const FuncInst& fi = st.store.funcs[func_addr];
  st.num_results = static_cast<u32>(st.store.types[fi.type_id].results.size());
  if (fi.host != nullptr) return InvokeHost(st, fi, args);
  const CompiledFunc& cf = *fi.code;
  if (cf.frame_slots > st.max_slots || st.store.limits.max_call_depth == 0) {
    return TrapNow(st, TrapKind::kCallStackExhausted, "call stack exhausted");
  }
  std::copy(args.begin(), args.end(), st.slots.get());
  std::memset(st.slots.get() + cf.num_params, 0, sizeof(u64) * (cf.num_locals + cf.num_exn_slots));
  st.exceptions.clear();
  st.frames.push_back(Frame{func_addr, 0, 0});
  return Interpret(st);
}

Outcome Thread::Invoke(u32 func_addr, std::span<const u64> args, std::span<const u64> highs) {
  ThreadState& st = *s_;
  size_t n = std::min<size_t>({args.size(), highs.size(), st.max_slots});
  std::copy_n(highs.begin(), n, st.slots.get() + st.max_slots);
  return Invoke(func_addr, args);
}

Outcome Thread::Resume(std::span<const u64> host_results) {
  ThreadState& st = *s_;
  if (st.suspend == SuspendPoint::kNone) {
    return TrapNow(st, TrapKind::kHost, "resume: the thread is not suspended");
  }
  // At a safe point nothing is pending: the Fuel op at the top frame's pc
  // runs again and charges its block (after any SetFuel since).
  size_t n = std::min<size_t>(host_results.size(), st.pending_results);
  std::copy_n(host_results.begin(), n, st.slots.get() + st.pending_slot);
  st.suspend = SuspendPoint::kNone;
  ReleaseChunk(st);
  if (st.frames.empty()) return Outcome::kReturned;  // the embedder called the host directly
  return Interpret(st);
}

bool Thread::suspended() const { return s_->suspend != SuspendPoint::kNone; }
SuspendPoint Thread::suspend_point() const { return s_->suspend; }
std::span<const u64> Thread::results() const { return {s_->slots.get(), s_->num_results}; }
std::span<const u64> Thread::result_highs() const {
  return {s_->slots.get() + s_->max_slots, std::min(s_->num_results, s_->max_slots)};
}
const Trap& Thread::trap() const { return s_->trap; }
i32 Thread::exit_code() const { return s_->exit_code; }

void Thread::SetFuel(std::optional<u64> fuel) {
  ThreadState& st = *s_;
  ReleaseChunk(st);
  st.fuel_left = fuel;
}

void Thread::SetSuspendOnOutOfFuel(bool on) { s_->suspend_on_out_of_fuel = on; }

std::optional<u64> Thread::fuel_remaining() const {
  if (!s_->fuel_left) return std::nullopt;
  return *s_->fuel_left + static_cast<u64>(s_->budget);
}

u64 Thread::fuel_consumed() const {
  return s_->consumed + static_cast<u64>(s_->granted - s_->budget);
}

}  // namespace deja::engine
