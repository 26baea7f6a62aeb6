#include "text/watchdog.h"

namespace deja::text {

Watchdog::Watchdog(Store& store) : store_(store), thread_([this] { Loop(); }) {}

Watchdog::~Watchdog() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  cv_.notify_one();
  thread_.join();
}

void Watchdog::Arm(std::chrono::nanoseconds timeout) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    armed_ = true;
    fired_ = false;
    deadline_ = std::chrono::steady_clock::now() + timeout;
  }
  cv_.notify_one();
}

bool Watchdog::Disarm() {
  bool fired;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    armed_ = false;
    fired = fired_;
    fired_ = false;
  }
  // The thread only interrupts while armed, under the mutex: from here on it cannot.
  if (fired) store_.ClearInterrupt();
  return fired;
}

void Watchdog::Loop() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (!stop_) {
    if (!armed_) {
      cv_.wait(lock);
      continue;
    }
    auto deadline = deadline_;
    // Loops on spurious wake-ups and re-arms; fires only for the deadline it waited for.
    if (cv_.wait_until(lock, deadline) == std::cv_status::timeout && armed_ &&
        deadline_ == deadline) {
      armed_ = false;
      fired_ = true;
      store_.Interrupt();
    }
  }
}

}  // namespace deja::text
