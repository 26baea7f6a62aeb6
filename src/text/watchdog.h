// Watchdog interrupts a Store's running call once a deadline has passed
// (`deja invoke --timeout`, `deja wast --timeout`). One timer thread serves
// any number of calls: Arm before each, Disarm after.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "deja/store.h"

namespace deja::text {

class Watchdog {
 public:
  // Starts the (idle) timer thread. `store` must outlive the watchdog.
  explicit Watchdog(Store& store);
  // Stops the thread; never interrupts afterwards.
  ~Watchdog();
  Watchdog(const Watchdog&) = delete;
  Watchdog& operator=(const Watchdog&) = delete;

  // Interrupts the store (Store::Interrupt) `timeout` from now unless
  // disarmed first.
  void Arm(std::chrono::nanoseconds timeout);
  // Cancels the timer. Returns true if it fired since Arm; then the pending
  // interrupt is also cleared, so it cannot hit the next call.
  bool Disarm();

 private:
  void Loop();

  Store& store_;
  std::mutex mutex_;
  std::condition_variable cv_;
  // Guarded by mutex_.
  bool stop_ = false;
  bool armed_ = false;
  bool fired_ = false;
  std::chrono::steady_clock::time_point deadline_;
  std::thread thread_;  // last: starts once the fields above exist
};

}  // namespace deja::text
