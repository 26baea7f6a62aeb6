// Running guest code through the store's Thread: argument checks, Value <->
// slot conversion, fuel and interrupts; plus trap texts and HostCall::memory.
#include <cstdio>
#include <string>

#include "deja/store.h"
#include "engine/exec/thread.h"
#include "engine/runtime/objects.h"
#include "engine/runtime/store_impl.h"

namespace deja {

namespace {

Outcome ApiTrap(engine::StoreImpl& s, std::string message) {
  Trap trap;
  trap.kind = TrapKind::kHost;
  trap.message = std::move(message);
  s.api_trap = std::move(trap);
  return Outcome::kTrapped;
}

// i32 and f32 occupy the low half of a slot; the high half is not part of the value.
uint64_t SlotToBits(ValType t, uint64_t slot) {
  return (t == ValType::kI32 || t == ValType::kF32) ? (slot & 0xffffffffu) : slot;
}

Outcome Finish(engine::StoreImpl& s, Outcome outcome, std::vector<Value>* results) {
  if (outcome == Outcome::kSuspended) return outcome;
  if (outcome == Outcome::kReturned && results != nullptr) {
    const FuncType& type = s.func_type(s.call_func);
    std::span<const uint64_t> slots = s.thread->results();
    std::span<const uint64_t> highs = s.thread->result_highs();
    results->clear();
    for (size_t i = 0; i < type.results.size() && i < slots.size(); ++i) {
      uint64_t hi = type.results[i] == ValType::kV128 && i < highs.size() ? highs[i] : 0;
      results->push_back({type.results[i], SlotToBits(type.results[i], slots[i]), hi});
    }
  }
  s.call_func = engine::StoreImpl::kNoFunc;
  return outcome;
}

}  // namespace

const char* TrapKindMessage(TrapKind kind) {
  switch (kind) {
    case TrapKind::kUnreachable: return "unreachable";
    case TrapKind::kMemoryOutOfBounds: return "out of bounds memory access";
    case TrapKind::kTableOutOfBounds: return "out of bounds table access";
    case TrapKind::kUndefinedElement: return "undefined element";
    case TrapKind::kUninitializedElement: return "uninitialized element";
    case TrapKind::kIndirectCallTypeMismatch: return "indirect call type mismatch";
    case TrapKind::kIntegerDivideByZero: return "integer divide by zero";
    case TrapKind::kIntegerOverflow: return "integer overflow";
    case TrapKind::kInvalidConversion: return "invalid conversion to integer";
    case TrapKind::kCallStackExhausted: return "call stack exhausted";
    case TrapKind::kOutOfFuel: return "out of fuel";
    case TrapKind::kInterrupted: return "interrupted";
    case TrapKind::kHost: return "host trap";
    case TrapKind::kUncaughtException: return "uncaught exception";
  }
  return "trap";
}

std::string Trap::ToString() const {
  std::string s = message.empty() ? TrapKindMessage(kind) : message;
  char offset[32];
  for (const FrameInfo& f : backtrace) {
    s += "\n  at ";
    if (!f.module_name.empty()) s += f.module_name + ".";
    s += f.func_name.empty() ? "func[" + std::to_string(f.func_index) + "]" : f.func_name;
    std::snprintf(offset, sizeof offset, " (offset 0x%x)", f.module_offset);
    s += offset;
  }
  return s;
}

std::span<uint8_t> HostCall::memory() const {
  const engine::StoreImpl& s = store_->impl();
  if (caller_instance_ >= s.instances.size()) return {};
  const engine::InstanceInst& inst = s.instances[caller_instance_];
  if (inst.memories.empty()) return {};
  engine::MemoryInst& m = *s.memories[inst.memories[0]];
  return {m.base, m.size};
}

Outcome Store::Call(Extern func, std::span<const Value> args, std::vector<Value>* results) {
  engine::StoreImpl& s = *impl_;
  s.api_trap.reset();
  if (func.kind != ExternKind::kFunc || func.addr >= s.funcs.size()) {
    return ApiTrap(s, "call: not a function");
  }
  if (s.thread->suspended()) return ApiTrap(s, "call: a suspended call must be resumed first");
  const FuncType& type = s.func_type(func.addr);
  if (args.size() != type.params.size()) {
    return ApiTrap(s, "call: expected " + std::to_string(type.params.size()) +
                          " arguments, got " + std::to_string(args.size()));
  }
  std::vector<uint64_t> slots(args.size()), highs(args.size());
  for (size_t i = 0; i < args.size(); ++i) {
    highs[i] = args[i].type == ValType::kV128 ? args[i].hi : 0;
    if (args[i].type != type.params[i]) {
      return ApiTrap(s, "call: argument " + std::to_string(i) + " has type " +
                            ValTypeName(args[i].type) + ", expected " +
                            ValTypeName(type.params[i]));
    }
    if (!engine::RefIsValid(s, args[i])) {
      return ApiTrap(s, "call: argument " + std::to_string(i) + " is not a function of this store");
    }
    slots[i] = SlotToBits(args[i].type, args[i].lo);
  }
  s.call_func = func.addr;
  return Finish(s, s.thread->Invoke(func.addr, slots, highs), results);
}

Outcome Store::Resume(std::span<const Value> host_results, std::vector<Value>* results) {
  engine::StoreImpl& s = *impl_;
  s.api_trap.reset();
  if (!s.thread->suspended() || s.call_func == engine::StoreImpl::kNoFunc) {
    return ApiTrap(s, "resume: no call is suspended");
  }
  if (s.thread->suspend_point() == SuspendPoint::kSafePoint && !host_results.empty()) {
    return ApiTrap(s, "resume: a call suspended at a safe point takes no host results");
  }
  std::vector<uint64_t> slots(host_results.size());
  for (size_t i = 0; i < host_results.size(); ++i) {
    if (!engine::RefIsValid(s, host_results[i])) {
      return ApiTrap(s, "resume: result " + std::to_string(i) + " is not a function of this store");
    }
    slots[i] = SlotToBits(host_results[i].type, host_results[i].lo);
  }
  return Finish(s, s.thread->Resume(slots), results);
}

bool Store::suspended() const { return impl_->thread->suspended(); }

SuspendPoint Store::suspend_point() const { return impl_->thread->suspend_point(); }

const Trap& Store::trap() const {
  return impl_->api_trap ? *impl_->api_trap : impl_->thread->trap();
}

int32_t Store::exit_code() const { return impl_->thread->exit_code(); }

void Store::SetFuel(std::optional<uint64_t> fuel) { impl_->thread->SetFuel(fuel); }

std::optional<uint64_t> Store::fuel_remaining() const { return impl_->thread->fuel_remaining(); }

uint64_t Store::fuel_consumed() const { return impl_->thread->fuel_consumed(); }

void Store::Interrupt() { impl_->interrupt.store(true, std::memory_order_relaxed); }

void Store::ClearInterrupt() { impl_->interrupt.store(false, std::memory_order_relaxed); }

void Store::RequestSuspend() { impl_->suspend_request.store(true, std::memory_order_relaxed); }

void Store::ClearSuspendRequest() {
  impl_->suspend_request.store(false, std::memory_order_relaxed);
}

void Store::SetSuspendOnOutOfFuel(bool on) { impl_->thread->SetSuspendOnOutOfFuel(on); }

}  // namespace deja
