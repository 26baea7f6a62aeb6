// How a running instance asks to be parked. Host functions that block the
// guest (the durable-sleep hook in poll_oneoff; the guest API of signals and
// children, durable/api*) record what the instance waits for here and then
// suspend the guest at that host call (HostAction::kSuspend, or
// WasiOptions::park_sleep returning true). When the session ends suspended,
// the worker takes the request: the snapshot is the instance's next
// segment's start, the condition goes to InstanceStore::Park. A suspension
// with no request (a worker draining on SIGTERM) parks as pending.
#pragma once

#include <functional>
#include <mutex>
#include <optional>
#include <string>

#include "durable/instance_store.h"

namespace deja::durable {

class ParkRequest {
 public:
  // Called from the guest's thread inside a host call, before it suspends.
  // A second request before Take replaces the first.
  void Request(WaitCondition wait) {
    if (on_request) on_request(wait);
    std::lock_guard<std::mutex> lock(mu_);
    wait_ = std::move(wait);
  }
  // Called first by Request, on the guest's thread (the worker records the
  // park before the snapshot is written: crash matrix).
  std::function<void(const WaitCondition&)> on_request;
  std::optional<WaitCondition> Take() {
    std::lock_guard<std::mutex> lock(mu_);
    std::optional<WaitCondition> w = std::move(wait_);
    wait_.reset();
    return w;
  }

 private:
  std::mutex mu_;
  std::optional<WaitCondition> wait_;
};

// What the worker gives the host functions of one running segment.
struct InstanceContext {
  std::string instance_id;
  uint32_t segment = 0;          // index of the running segment
  InstanceStore* store = nullptr;  // the worker's connection (one per thread)
  ParkRequest park;
};

}  // namespace deja::durable
