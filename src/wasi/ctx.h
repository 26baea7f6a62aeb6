// The state of one WASI instance: configuration, descriptor table, and the
// system it talks to. Handlers (registry.h) receive it with the guest memory.
#pragma once

#include <deque>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "deja/wasi.h"
#include "wasi/fd_table.h"
#include "wasi/system.h"

namespace deja::wasi {

struct FuncDef;
struct WasiCtx;
struct NetState;  // the socket area's state (addr_policy.h)

// The host data of one linked WASI function (dispatch.cc): which handler to
// run, for which instance, and its index in the combined function list.
struct HostBinding {
  WasiCtx* ctx = nullptr;
  const FuncDef* def = nullptr;
  u32 index = 0;
  u32 param_count = 0;
  bool has_result = true;
};

struct WasiCtx {
  WasiCtx(WasiConfig c, std::shared_ptr<System> s)
      : config(std::move(c)), sys(std::move(s)), fds(config.max_fds) {}

  WasiConfig config;
  std::shared_ptr<System> sys;
  FdTable fds;
  // Socket area: address policy and names the guest resolved; created by
  // OpenListenSockets (or on first use).
  std::shared_ptr<NetState> net;

  // Set by proc_exit; the dispatcher turns it into HostAction::kExit.
  bool exit_requested = false;
  i32 exit_code = 0;

  // Host data of the functions Link defined; a deque keeps their addresses
  // stable as later links append.
  std::deque<HostBinding> bindings;

  // The embedder's stdio descriptors and their F_GETFL flags at Create.
  // Their file descriptions are shared with the host, so ~Wasi puts the
  // flags back: a guest's O_NONBLOCK or O_APPEND must not outlive it.
  std::vector<std::pair<int, int>> borrowed_flags;
};

}  // namespace deja::wasi
