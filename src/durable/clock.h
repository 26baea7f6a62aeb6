// The durable clock: what "now" is for wake times and what the guest's
// clocks read across segments. Wall time is real time (plus the tests'
// warp offset); the guest's monotonic clock is raised to the instance's
// floor at each segment's start, so it never goes back and a sleep of N
// seconds is seen to last at least N seconds, across worker restarts and
// reboots. DEJA_TEST_CLOCK=warp (tests only) makes the worker jump the
// clock to the next wake when nothing else is runnable: a month of sleep
// in milliseconds. The offset lives in the store, so every worker and
// restart sees the same time.
#pragma once

#include <cstdint>
#include <memory>

#include "wasi/system.h"

namespace deja::durable {

// Real wall-clock time in Unix nanoseconds.
int64_t RealWallNs();
// Whether DEJA_TEST_CLOCK=warp is set.
bool WarpClockEnabled();

// The guest's System for one segment: clocks 0 (realtime) and 1 (monotonic)
// are the inner system's plus `warp_ns`; the monotonic clock is raised at
// construction so that it reads at least `monotonic_floor_ns`.
std::shared_ptr<wasi::System> MakeDurableSystem(std::shared_ptr<wasi::System> inner,
                                                int64_t warp_ns, uint64_t monotonic_floor_ns);
// Clock readings through the same system (for wake times and floors).
uint64_t ReadClock(wasi::System& system, uint32_t clock_id);

}  // namespace deja::durable
