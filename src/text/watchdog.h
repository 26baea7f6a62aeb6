// Watchdog interrupts a Store's running call once a deadline has passed
// (`deja invoke --timeout`, `deja wast --timeout`, `deja run --timeout`).
// A thin client of the process-wide DeadlineTimer (deja/deadline.h): no
// thread of its own, so any number of stores can each have one.
#pragma once

#include <chrono>

#include "deja/deadline.h"
#include "deja/store.h"

namespace deja::text {

class Watchdog {
 public:
  // `store` (and `timer`) must outlive the watchdog.
  explicit Watchdog(Store& store, DeadlineTimer& timer = DeadlineTimer::Shared())
      : store_(store), timer_(timer) {}
  ~Watchdog() { (void)Disarm(); }
  Watchdog(const Watchdog&) = delete;
  Watchdog& operator=(const Watchdog&) = delete;

  // Interrupts the store (Store::Interrupt) `timeout` from now unless
  // disarmed first. Re-arming replaces the previous deadline.
  void Arm(std::chrono::nanoseconds timeout);
  // Cancels the timer. Returns true if it fired since Arm; then the pending
  // interrupt is also cleared, so it cannot hit the next call.
  bool Disarm();

 private:
  Store& store_;
  DeadlineTimer& timer_;
  DeadlineTimer::Id id_ = 0;  // 0: not armed
};

}  // namespace deja::text
