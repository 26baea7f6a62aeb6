#include "durable/clock.h"

#include <chrono>
#include <cstdlib>
#include <cstring>

#include "timemachine/delegating_system.h"

namespace deja::durable {
namespace {

class DurableSystem : public tm::DelegatingSystem {
 public:
  DurableSystem(std::shared_ptr<wasi::System> inner, int64_t warp_ns, uint64_t floor_ns)
      : DelegatingSystem(std::move(inner)), warp_(static_cast<uint64_t>(warp_ns)) {
    uint64_t mono = ReadClock(*this, 1);
    if (mono < floor_ns) raise_ = floor_ns - mono;
  }

  Errno ClockTimeGet(u32 clock_id, u64 precision, u64* out) override {
    Errno e = DelegatingSystem::ClockTimeGet(clock_id, precision, out);
    if (e != Errno::kSuccess) return e;
    if (clock_id == 0) *out += warp_;
    if (clock_id == 1) *out += warp_ + raise_;
    return e;
  }

 private:
  uint64_t warp_;
  uint64_t raise_ = 0;
};

}  // namespace

int64_t RealWallNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

bool WarpClockEnabled() {
  const char* v = std::getenv("DEJA_TEST_CLOCK");
  return v != nullptr && std::strcmp(v, "warp") == 0;
}

std::shared_ptr<wasi::System> MakeDurableSystem(std::shared_ptr<wasi::System> inner,
                                                int64_t warp_ns, uint64_t monotonic_floor_ns) {
  return std::make_shared<DurableSystem>(std::move(inner), warp_ns < 0 ? 0 : warp_ns,
                                         monotonic_floor_ns);
}

uint64_t ReadClock(wasi::System& system, uint32_t clock_id) {
  uint64_t t = 0;
  if (system.ClockTimeGet(clock_id, 0, &t) != wasi::Errno::kSuccess) return 0;
  return t;
}

}  // namespace deja::durable
