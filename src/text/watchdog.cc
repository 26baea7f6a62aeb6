#include "text/watchdog.h"

namespace deja::text {

void Watchdog::Arm(std::chrono::nanoseconds timeout) {
  (void)Disarm();
  id_ = timer_.Add(store_, DeadlineTimer::Clock::now() + timeout);
}

bool Watchdog::Disarm() {
  if (id_ == 0) return false;
  bool fired = timer_.Cancel(id_);
  id_ = 0;
  // The timer never touches the store after Cancel: clearing now is final.
  if (fired) store_.ClearInterrupt();
  return fired;
}

}  // namespace deja::text
