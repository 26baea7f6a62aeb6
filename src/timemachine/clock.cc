#include "timemachine/clock.h"

#if defined(__x86_64__)
#include <cpuid.h>
#include <x86intrin.h>
#endif

namespace deja::tm {
namespace {

#if defined(__x86_64__)
// CPUID 0x80000007 EDX bit 8: the TSC ticks at a constant rate in every
// power state, so it can measure wall time.
bool HasInvariantTsc() {
  unsigned a = 0, b = 0, c = 0, d = 0;
  if (__get_cpuid(0x80000000, &a, &b, &c, &d) == 0 || a < 0x80000007) return false;
  if (__get_cpuid(0x80000007, &a, &b, &c, &d) == 0) return false;
  return (d & (1u << 8)) != 0;
}
#endif

u64 SteadyNanos(std::chrono::steady_clock::duration d) {
  return static_cast<u64>(std::chrono::duration_cast<std::chrono::nanoseconds>(d).count());
}

}  // namespace

RecordClock::RecordClock() : start_(std::chrono::steady_clock::now()) {
#if defined(__x86_64__)
  if (!HasInvariantTsc()) return;
  // 200 us of calibration: clock reads jitter by tens of ns, so the rate is
  // good to a few hundred ppm, at a start-up cost the run never notices.
  u64 tsc_start = __rdtsc();
  auto t_start = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point t_end;
  do {
    t_end = std::chrono::steady_clock::now();
  } while (t_end - t_start < std::chrono::microseconds(200));
  u64 tsc_end = __rdtsc();
  if (tsc_end <= tsc_start) return;
  ns_per_tick_ = static_cast<double>(SteadyNanos(t_end - t_start)) /
                 static_cast<double>(tsc_end - tsc_start);
  // Time zero is the clock's construction, as for the fallback.
  tsc0_ = tsc_start - static_cast<u64>(static_cast<double>(SteadyNanos(t_start - start_)) /
                                       ns_per_tick_);
  tsc_ = true;
#endif
}

u64 RecordClock::Now() const {
#if defined(__x86_64__)
  if (tsc_) {
    u64 ticks = __rdtsc() - tsc0_;
    return static_cast<u64>(static_cast<double>(ticks) * ns_per_tick_);
  }
#endif
  return SteadyNanos(std::chrono::steady_clock::now() - start_);
}

}  // namespace deja::tm
