// The durable layer's answer to module "deja" (wasi/deja_api.h): one
// ApiHost per running segment of an instance, over the mailbox, the children
// table and a ChildLauncher (the instance store). The worker gives it to
// the session (WasiOptions::durable) and, when the run suspends, reads
// parked() to store the instance's wait condition.
//
// Idempotency keys: every call that takes or creates something (signal_take,
// spawn, send, recv) uses up one request number; the key is
// "<instance>/<request>". The number lives across the instance's life: the
// worker stores next_request() with each snapshot (at every park) and gives
// it back to the ApiHost of the resumed segment.
#pragma once

#include <optional>
#include <string>

#include "durable/children.h"
#include "durable/signals.h"
#include "wasi/deja_api.h"

namespace deja::durable {

// A wait condition as one line of text for the instance row:
// "signal NAME", "message", "children all|any H1,H2,...". Parse refuses
// anything else (kCorrupt naming it).
std::string EncodeWait(const wasi::WaitCondition& wait);
Result<wasi::WaitCondition> DecodeWait(std::string_view text);

class ApiHost : public wasi::DurableHost {
 public:
  ApiHost(std::string instance, u64 first_request, Mailbox* mailbox, Children* children,
          ChildLauncher* launcher)
      : instance_(std::move(instance)),
        request_(first_request),
        mailbox_(mailbox),
        children_(children),
        launcher_(launcher) {}

  wasi::Errno TakeSignal(std::string_view name, u32 max_bytes, std::string* payload,
                         u32* size) override;
  wasi::Errno Spawn(std::string_view module, std::span<const std::string> argv,
                    std::string_view input, u64* child) override;
  wasi::Errno ChildStatus(u64 child, i32* status) override;
  wasi::Errno ChildOutput(u64 child, u64 offset, u32 max_bytes, std::string* bytes) override;
  wasi::Errno Send(std::string_view target, std::string_view payload) override;
  wasi::Errno Recv(u32 max_bytes, std::string* payload, u32* size) override;
  wasi::Errno Park(const wasi::WaitCondition& wait) override;

  // Whether `wait` holds now (the worker asks before waking an instance).
  Result<bool> Holds(const wasi::WaitCondition& wait);

  // The condition of the last park that asked to suspend (cleared by take).
  std::optional<wasi::WaitCondition> TakeParked() { return std::exchange(parked_, std::nullopt); }
  u64 next_request() const { return request_; }
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
  std::optional<wasi::WaitCondition> parked_;
  Status last_error_;
};

}  // namespace deja::durable
