// The table of WASI host functions. Every area (args/clock/random/proc, fd,
// path, sockets) contributes a span of FuncDefs; dispatch.cc links them all
// through one trampoline, the single place where every WASI call enters.
#pragma once

#include <span>
#include <string_view>

#include "base/types.h"
#include "deja/status.h"
#include "wasi/ctx.h"
#include "wasi/errno.h"
#include "wasi/func_table.h"
#include "wasi/guest_memory.h"

namespace deja::wasi {

// Arguments as raw slots in parameter order (i32 zero-extended). Returns the
// errno that becomes the function's i32 result.
using Handler = Errno (*)(WasiCtx& ctx, GuestMemory& mem, std::span<const u64> args);

// One function of an area's table: its name and handler. Everything else
// comes from its entry in func_table.h, found when the table is compiled (an
// unknown name does not build).
struct FuncDef {
  const char* name;      // import name in spec->module ("wasi_snapshot_preview1" or "deja")
  const FuncSpec* spec;  // its arguments; spec->params: 'i' = i32, 'l' = i64
  const char* params;    // spec->params, e.g. "iiii"
  const char* results;   // "i" (errno) or "" (proc_exit)
  Handler fn;

  consteval FuncDef(const char* import_name, Handler handler)
      : name(import_name),
        spec(&internal::SpecOf(import_name)),
        params(spec->params),
        results(spec->results()),
        fn(handler) {}
};

std::span<const FuncDef> ProcFuncs();    // args, environ, clock, random, proc, sched, poll_oneoff
std::span<const FuncDef> FdFuncs();      // fd_* (descriptor calls)
std::span<const FuncDef> PathFuncs();    // path_*, fd_readdir, fd_prestat_*
std::span<const FuncDef> SocketFuncs();  // sock_* of preview 1 and the WasmEdge extension
std::span<const FuncDef> DejaFuncs();    // module "deja": the durable guest API (deja_api.h)

// Opens WasiConfig::listen sockets as guest descriptors (socket area); called
// by Wasi::Create after stdio and the preopens.
Status OpenListenSockets(WasiCtx& ctx);

}  // namespace deja::wasi
