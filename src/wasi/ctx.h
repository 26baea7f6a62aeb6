// The state of one WASI instance: configuration, descriptor table, and the
// system it talks to. Handlers (registry.h) receive it with the guest memory.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "deja/wasi.h"
#include "wasi/fd_table.h"
#include "wasi/system.h"

namespace deja::wasi {

struct WasiCtx {
  WasiCtx(WasiConfig c, std::shared_ptr<System> s)
      : config(std::move(c)), sys(std::move(s)), fds(config.max_fds) {}

  WasiConfig config;
  std::shared_ptr<System> sys;
  FdTable fds;

  // Set by proc_exit; the dispatcher turns it into HostAction::kExit.
  bool exit_requested = false;
  i32 exit_code = 0;
};

}  // namespace deja::wasi
