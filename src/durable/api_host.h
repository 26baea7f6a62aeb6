// The durable layer's answer to module "deja" (wasi/deja_api.h): one
// ApiHost per running segment of an instance, over the mailbox, the children
// table and a ChildLauncher (the instance store). The worker gives it to
// the session (WasiOptions::durable); a wait that must park puts its
// condition in the segment's ParkRequest (park.h) and suspends the call.
//
// Idempotency keys: every call that takes or creates something (signal_take,
// spawn, send, recv) uses up one request number; the key is
// "<instance>/<request>". The number runs across the instance's whole life:
// the worker saves next_request() with each snapshot (Mailbox::SaveCursor,
// under the snapshot's name) and the ApiHost of a segment resumed from that
// snapshot starts from it (LoadCursor), so a segment re-executed after a
// crash asks under the same keys as the one that died.
#pragma once

#include <string>

#include "durable/children.h"
#include "durable/park.h"
#include "durable/signals.h"
#include "wasi/deja_api.h"

namespace deja::durable {

// The signal name a wait for a message shows as (`deja ps`); `deja signal`
// refuses names in the "deja:" space.
inline constexpr const char* kMessageWait = "deja:message";

class ApiHost : public wasi::DurableHost {
 public:
  ApiHost(std::string instance, u64 first_request, Mailbox* mailbox, Children* children,
          ChildLauncher* launcher, ParkRequest* park)
      : instance_(std::move(instance)),
        request_(first_request),
        mailbox_(mailbox),
        children_(children),
        launcher_(launcher),
        park_(park) {}

  wasi::Errno TakeSignal(std::string_view name, u32 max_bytes, std::string* payload,
                         u32* size) override;
  wasi::Errno Spawn(std::string_view module, std::span<const std::string> argv,
                    std::string_view input, u64* child) override;
  wasi::Errno ChildStatus(u64 child, i32* status) override;
  wasi::Errno ChildOutput(u64 child, u64 offset, u32 max_bytes, std::string* bytes) override;
  wasi::Errno Send(std::string_view target, std::string_view payload) override;
  wasi::Errno Recv(u32 max_bytes, std::string* payload, u32* size) override;
  wasi::Errno Park(const wasi::WaitCondition& wait) override;

  // Whether `wait` holds now. The worker asks again after it parked the
  // instance: a signal that came between the guest's check and the park
  // found it running and woke nothing.
  Result<bool> Holds(const wasi::WaitCondition& wait);
  // The store's form of `wait` (child handles become instance ids).
  Result<WaitCondition> ToStoreWait(const wasi::WaitCondition& wait);

  u64 next_request() const { return request_; }
  // A segment that continues a killed run's log starts past the requests
  // that log answers (replayed calls run no handler, so they would not
  // count), and back at the start if the log cannot be continued.
  void set_next_request(u64 n) { request_ = n; }
  // Crash tests only (DEJA_TEST_KILL_AT, api_segment.cc): the process kills
  // itself with SIGKILL at this point of a spawn: "spawn-recorded" (the row
  // is committed, the child not created) or "spawn-created" (both done, the
  // call not yet returned, so not in the log).
  void set_kill_point(std::string point) { kill_at_ = std::move(point); }
  // The condition of the last wait that parked (for the worker's re-check).
  const std::optional<wasi::WaitCondition>& last_wait() const { return last_wait_; }
  // The last store error a call turned into EIO (for the worker's log).
  const Status& last_error() const { return last_error_; }

 private:
  wasi::Errno Failed(Status s);
  Result<std::optional<ChildEnd>> Ended(u64 child, wasi::Errno* missing);

  std::string instance_;
  u64 request_;
  Mailbox* mailbox_;
  Children* children_;
  ChildLauncher* launcher_;
  ParkRequest* park_;
  void MaybeDie(const char* point) const;
  std::optional<wasi::WaitCondition> last_wait_;
  std::string kill_at_;
  Status last_error_;
};

}  // namespace deja::durable
