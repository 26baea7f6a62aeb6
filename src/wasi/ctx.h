// The state of one WASI instance: configuration, descriptor table, and the
// system it talks to. Handlers (registry.h) receive it with the guest memory.
#pragma once

#include <deque>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "deja/store.h"
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

// Stands between the trampoline and the handlers: when a WasiCtx has one,
// every WASI call goes to Intercept instead of its handler. The time machine's
// recorder runs the handler itself (RunHandler, dispatch.h) and logs what it
// did; its replayer answers from a log without running any handler.
class CallInterceptor {
 public:
  virtual ~CallInterceptor() = default;
  // As a HostFn: arguments in slots[0..binding.param_count), the errno
  // result (if binding.has_result) goes to slots[0].
  virtual HostAction Intercept(HostCall& call, const HostBinding& binding,
                               std::span<u64> slots) = 0;
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

  // When set, every call goes through it (not owned; must outlive the calls).
  // Given to Wasi::Create (WasiOptions::interceptor).
  CallInterceptor* interceptor = nullptr;

  // The host descriptors behind guest fds 0-2 as Create set them up (-1:
  // none): the config's for kHostFd, deja's own for buffers and pipes. The
  // recorder captures output by them; snapshots match stdio by them.
  int stdio_host_fd[3] = {-1, -1, -1};
  // Buffers' and pipes' descriptors, closed by ~Wasi: the guest's end
  // (owned), and the embedder's pipe ends not yet taken (peer).
  bool stdio_owned[3] = {false, false, false};
  int stdio_peer[3] = {-1, -1, -1};

  // Added to the host's monotonic clock: a guest resumed from a snapshot on a
  // host whose clock reads less than at the save must never see time go back
  // (wasi_state.cc sets it).
  u64 monotonic_offset = 0;

  // WasiOptions::park_sleep; poll_oneoff sets suspend_requested when it
  // says yes, and the dispatcher turns that into HostAction::kSuspend.
  std::function<bool(u64 wait_ns)> park_sleep;
  bool suspend_requested = false;

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

// clock_time_get as the guest sees it: the monotonic clock (id 1) carries
// the snapshot offset; other clocks are the host's.
inline Errno GuestClockTime(WasiCtx& ctx, u32 clock_id, u64 precision, u64* out) {
  Errno e = ctx.sys->ClockTimeGet(clock_id, precision, out);
  if (e == Errno::kSuccess && clock_id == 1) *out += ctx.monotonic_offset;
  return e;
}

}  // namespace deja::wasi
