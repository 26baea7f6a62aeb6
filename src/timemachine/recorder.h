// Recording: a CallInterceptor that runs each WASI handler itself, with an
// AccessLog on the guest memory, and appends one CallRecord per call to a
// LogWriter; and a System wrapper that captures what the guest writes to the
// host's stdout and stderr into the current record.
#pragma once

#include <chrono>
#include <memory>

#include "deja/store.h"
#include "timemachine/clock.h"
#include "timemachine/log.h"
#include "timemachine/record.h"
#include "wasi/ctx.h"
#include "wasi/system.h"

namespace deja::tm {

class Recorder : public wasi::CallInterceptor {
 public:
  // `writer` must outlive the recorder. The guest's stdout and stderr are
  // found from the WASI context of each call (whatever kind of stream
  // WasiConfig made them), so one recorder needs no stdio configuration.
  explicit Recorder(LogWriter& writer);
  ~Recorder() override;

  // The system to create the Wasi with: `inner` plus output capture.
  std::shared_ptr<wasi::System> WrapSystem(std::shared_ptr<wasi::System> inner);

  HostAction Intercept(HostCall& call, const wasi::HostBinding& binding,
                       std::span<u64> slots) override;

  // Appends a call made elsewhere (a continued run's recorded prefix) as
  // this run's next call.
  void Copy(const CallRecord& rec);

  // With this on, a call that may change the world outside the guest (a
  // write to a file or socket, a file created, renamed or removed, ...) is
  // written out to the log before the guest goes on, instead of within the
  // writer's flush interval: a durable worker killed after such a call
  // finds it in the log and its recovery does not make it again
  // (docs/DURABLE.md, "Chaos test").
  void set_flush_effects(bool on) { flush_effects_ = on; }

  u64 calls() const { return calls_; }
  // Monotonic time the recording started (CallRecord::time_ns is relative to it).
  std::chrono::steady_clock::time_point start() const { return start_; }

 private:
  class Capture;  // the AccessLog and the output sink of the current call
  LogWriter& writer_;
  CallRecord rec_;
  std::unique_ptr<Capture> capture_;
  u64 calls_ = 0;
  bool flush_effects_ = false;
  std::chrono::steady_clock::time_point start_;
  RecordClock clock_;  // after start_: its zero is (about) the same instant
};

}  // namespace deja::tm
