// The durable worker: claims runnable instances from the store and runs each
// segment with session::Run on a pool of threads; parks a guest that sleeps
// past the threshold (or asks to wait, park.h), wakes sleepers when due, and
// recovers instances whose worker died. Several workers (processes) may
// share one $DEJA_HOME: the store's leases keep an instance on one of them.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "deja/status.h"

namespace deja::durable {

struct WorkerOptions {
  std::string home;  // $DEJA_HOME (not empty)
  unsigned threads = 4;
  // A poll_oneoff on clocks alone that would block at least this long parks
  // the instance instead of sleeping (durable sleep).
  std::chrono::nanoseconds sleep_threshold = std::chrono::seconds(1);
  // Snapshot cadence besides every park: a guest that has run this long in
  // one segment is suspended and resumed at once in a new segment, so a
  // crash re-executes at most this much (docs/DURABLE.md).
  std::optional<std::chrono::nanoseconds> checkpoint_every;
  // Return once nothing is pending, running or sleeping (waiting instances
  // need something from outside and do not keep the worker).
  bool until_idle = false;
  // What the worker says (one line each, no newline); may be empty.
  std::function<void(std::string_view)> log;
};

// Runs until `stop` is set (then drains: running guests are suspended and
// parked as pending, none is lost) or, with until_idle, until idle.
// Errors: the store cannot be opened.
Status RunWorker(const WorkerOptions& options, const std::atomic<bool>& stop);

}  // namespace deja::durable
