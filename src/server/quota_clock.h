// The time source of quotas, idempotency expiry and the fair scheduler,
// injectable so tests move time by hand (wazero's injectable clocks).
#pragma once

#include <atomic>
#include <chrono>

namespace deja::server {

class Clock {
 public:
  virtual ~Clock() = default;
  // Monotonic time since an arbitrary origin.
  virtual std::chrono::nanoseconds Now() const = 0;
};

// std::chrono::steady_clock.
class SteadyClock final : public Clock {
 public:
  std::chrono::nanoseconds Now() const override {
    return std::chrono::steady_clock::now().time_since_epoch();
  }
  static const SteadyClock* Get() {
    static const SteadyClock clock;
    return &clock;
  }
};

// Time that moves only when told to (tests).
class FakeClock final : public Clock {
 public:
  std::chrono::nanoseconds Now() const override { return std::chrono::nanoseconds(now_.load()); }
  void Advance(std::chrono::nanoseconds d) { now_ += d.count(); }

 private:
  std::atomic<long long> now_{1'000'000'000'000};
};

}  // namespace deja::server
