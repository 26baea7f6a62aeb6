// One timer for every store in the process: a deadline interrupts a Store
// (Store::Interrupt) once it has passed. A single timer thread serves all
// deadlines, kept ordered by time, so a process running thousands of guests
// pays one thread and O(log n) per Add/Cancel, not a thread per store.
#pragma once

#include <chrono>
#include <cstdint>

namespace deja {

class Store;

class DeadlineTimer {
 public:
  using Clock = std::chrono::steady_clock;
  using Id = uint64_t;  // never 0

  // The process-wide timer; its thread starts on the first Add.
  static DeadlineTimer& Shared();

  // Interrupts `store` at `when` unless cancelled first. `store` must stay
  // alive until Cancel(id) returns (or until the deadline fired and was
  // cancelled). Thread-safe.
  Id Add(Store& store, Clock::time_point when);
  // Removes a deadline. Returns true if it fired (the store was
  // interrupted); afterwards it can no longer fire. Every Add needs its
  // Cancel: fired deadlines are remembered until then. Thread-safe; an
  // unknown id returns false.
  bool Cancel(Id id);

  // Deadlines added and not yet cancelled (fired or not), for tests and stats.
  size_t pending() const;

  DeadlineTimer();
  ~DeadlineTimer();
  DeadlineTimer(const DeadlineTimer&) = delete;
  DeadlineTimer& operator=(const DeadlineTimer&) = delete;

 private:
  struct Impl;
  Impl* impl_;
};

// A deadline for the scope of one call: Add on construction, Cancel on
// destruction (or on Disarm).
class ScopedDeadline {
 public:
  ScopedDeadline(Store& store, std::chrono::nanoseconds timeout,
                 DeadlineTimer& timer = DeadlineTimer::Shared())
      : timer_(timer), id_(timer.Add(store, DeadlineTimer::Clock::now() + timeout)) {}
  ~ScopedDeadline() { Disarm(); }
  ScopedDeadline(const ScopedDeadline&) = delete;
  ScopedDeadline& operator=(const ScopedDeadline&) = delete;
  // Cancels the deadline; true if it had fired. Later calls return the same.
  bool Disarm() {
    if (id_ != 0) {
      fired_ = timer_.Cancel(id_);
      id_ = 0;
    }
    return fired_;
  }

 private:
  DeadlineTimer& timer_;
  DeadlineTimer::Id id_;
  bool fired_ = false;
};

}  // namespace deja
