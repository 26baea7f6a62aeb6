#include "wasi/dispatch.h"

#include <cstring>

namespace deja::wasi {
namespace {

constexpr const char* kModule = "wasi_snapshot_preview1";

ValType ValTypeOf(char c) { return c == 'l' ? ValType::kI64 : ValType::kI32; }

}  // namespace

std::vector<const FuncDef*> AllFuncs() {
  std::vector<const FuncDef*> all;
  for (auto area : {ProcFuncs(), FdFuncs(), PathFuncs(), SocketFuncs()}) {
    for (const FuncDef& def : area) all.push_back(&def);
  }
  return all;
}

FuncType FuncTypeOf(const FuncDef& def) {
  FuncType type;
  for (const char* p = def.params; *p != '\0'; ++p) type.params.push_back(ValTypeOf(*p));
  for (const char* r = def.results; *r != '\0'; ++r) type.results.push_back(ValTypeOf(*r));
  return type;
}

HostAction RunHandler(HostCall& call, const HostBinding& binding, GuestMemory& mem,
                      std::span<u64> slots) {
  WasiCtx& ctx = *binding.ctx;
  Errno e = binding.def->fn(ctx, mem, slots.first(binding.param_count));
  if (ctx.exit_requested) {
    // Cleared so that a later call into the same instance starts afresh; the
    // code stays in ctx.exit_code and in the store.
    ctx.exit_requested = false;
    return call.Exit(ctx.exit_code);
  }
  if (binding.has_result) slots[0] = static_cast<u64>(e);
  if (ctx.suspend_requested) {
    // Durable sleep: the call is complete (its errno is in slots[0] and its
    // events in memory); the guest stops here and resumes after it.
    ctx.suspend_requested = false;
    return call.Suspend();
  }
  return HostAction::kContinue;
}

// Every WASI call passes here, so this is where the time machine hooks in
// (WasiCtx::interceptor): the binding's index identifies the call, `slots`
// holds its scalar arguments, GuestMemory's AccessLog sees every byte the
// handler reads from and writes into the guest, and the errno (or exit) is
// the result.
HostAction Trampoline(HostCall& call, std::span<u64> slots) {
  auto* binding = static_cast<HostBinding*>(call.data());
  if (binding->ctx->interceptor != nullptr) {
    return binding->ctx->interceptor->Intercept(call, *binding, slots);
  }
  GuestMemory mem(call.memory());
  return RunHandler(call, *binding, mem, slots);
}

void LinkAll(WasiCtx& ctx, Store& store, Linker& linker) {
  std::vector<const FuncDef*> all = AllFuncs();
  for (u32 i = 0; i < all.size(); ++i) {
    const FuncDef& def = *all[i];
    HostBinding& b = ctx.bindings.emplace_back();
    b.ctx = &ctx;
    b.def = &def;
    b.index = i;
    b.param_count = static_cast<u32>(std::strlen(def.params));
    b.has_result = def.results[0] != '\0';
    Extern fn = store.AddHostFunc(FuncTypeOf(def), &Trampoline, &b,
                                  std::string(kModule) + "." + def.name);
    linker.Define(kModule, def.name, fn);
  }
}

}  // namespace deja::wasi
