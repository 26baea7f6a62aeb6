// Continuing a run that was killed: a CallInterceptor that answers the
// guest's calls from the killed run's log (nothing in the world is done
// twice), copies each of those records into the new run's log, and keeps the
// guest's descriptor table in step with them, so that when the records run
// out the calls go live against the same files at the same offsets and are
// recorded. docs/RECORDING.md, "Continuing a killed run".
#pragma once

#include <optional>
#include <span>
#include <string>

#include "deja/store.h"
#include "timemachine/log.h"
#include "timemachine/recorder.h"
#include "timemachine/replayer.h"
#include "wasi/ctx.h"

namespace deja::tm {

class Continuation : public wasi::CallInterceptor {
 public:
  // `prefix` is the killed run's log, positioned before its first record;
  // `recorder` writes the new run's log. Both must outlive this.
  Continuation(LogReader& prefix, Recorder& recorder);
  ~Continuation() override;

  // While records last: the replayer answers, the record is copied, and
  // descriptor calls are mirrored on the live table (path_open again
  // without O_TRUNC or O_EXCL, fd_close, fd_renumber, flags, offsets).
  // Then: the recorder runs the call for real. A divergence from the log,
  // or a descriptor that cannot be rebuilt, traps with a message starting
  // "replay: " or "continue: " (refusal() says which).
  HostAction Intercept(HostCall& call, const wasi::HostBinding& binding,
                       std::span<u64> slots) override;

  bool live() const { return live_; }
  // Calls answered from the killed run's log (copied to the new one).
  u64 replayed() const { return replayer_.calls(); }
  const Replayer& replayer() const { return replayer_; }
  // Why the run cannot go on live; empty unless a call trapped for it.
  const std::string& refusal() const { return refusal_; }

 private:
  // Mirrors a replayed, successful call's effect on the descriptor table.
  // `args` are the call's arguments (slots before the result overwrote them).
  Status Mirror(HostCall& call, const wasi::HostBinding& binding, std::span<const u64> args);
  Status Reopen(HostCall& call, const wasi::HostBinding& binding, std::span<const u64> args);
  Status GoLive(wasi::WasiCtx& ctx);

  Replayer replayer_;
  Recorder& recorder_;
  CallRecord copy_;
  u64 max_monotonic_ = 0;    // the latest monotonic time the guest was shown
  std::string socket_call_;  // the first call that made a socket, if any
  bool live_ = false;
  std::string refusal_;
};

}  // namespace deja::tm
