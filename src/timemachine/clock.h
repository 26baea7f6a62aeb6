// The time stamps of records: nanoseconds since the recording started. Two
// clock_gettime calls per host call cost ~45 ns, ~4% of a cheap WASI call,
// so on x86-64 with an invariant TSC the time stamp counter is read instead
// (~7 ns) and scaled by its rate, measured against the monotonic clock when
// the clock is made. Elsewhere it falls back to std::chrono::steady_clock.
// Precision is what traces need (a few hundred ppm); replay never uses it.
#pragma once

#include <chrono>

#include "base/types.h"

namespace deja::tm {

class RecordClock {
 public:
  RecordClock();
  // Nanoseconds since construction.
  u64 Now() const;
  bool uses_tsc() const { return tsc_; }

 private:
  bool tsc_ = false;
  u64 tsc0_ = 0;
  double ns_per_tick_ = 0;
  std::chrono::steady_clock::time_point start_;
};

}  // namespace deja::tm
