// The single entry point of every WASI call: one trampoline host function
// that decodes the binding, hands the handler the caller's memory, and turns
// the handler's errno or proc_exit into the engine's host-call result.
#pragma once

#include <span>
#include <vector>

#include "deja/store.h"
#include "wasi/ctx.h"
#include "wasi/guest_memory.h"
#include "wasi/registry.h"

namespace deja::wasi {

// Every FuncDef of every area, in a fixed order (proc, fd, path, socket,
// then module "deja"):
// a function's position here is its call id (the time machine's record key).
std::vector<const FuncDef*> AllFuncs();

// The Wasm type of a FuncDef ("iil" -> (i32 i32 i64) -> (i32)).
FuncType FuncTypeOf(const FuncDef& def);

// Runs the binding's handler on `mem` (which may carry an AccessLog) and
// turns its errno or proc_exit into the host-call result, as the trampoline
// does without an interceptor.
HostAction RunHandler(HostCall& call, const HostBinding& binding, GuestMemory& mem,
                      std::span<u64> slots);

// The host function every WASI import is bound to. call.data() must be a
// HostBinding (ctx.h) whose ctx outlives the store.
HostAction Trampoline(HostCall& call, std::span<u64> slots);

// Adds a HostFunc for every function of AllFuncs() to `store` and defines it
// in `linker` under its module ("wasi_snapshot_preview1" or "deja").
void LinkAll(WasiCtx& ctx, Store& store, Linker& linker);

}  // namespace deja::wasi
