// The last resort behind `deja run --timeout`: Store::Interrupt stops running
// Wasm code, but not a guest blocked inside a host call (sleep, a read on
// stdin, accept). ExitDeadline ends the whole process if the run outlives its
// deadline plus a grace period in which the interrupt should have worked.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

namespace deja::session {

class ExitDeadline {
 public:
  // Unless destroyed first, writes `message` to stderr and exits the process
  // with `exit_code` once `after` has passed. Nothing else runs then: no
  // destructors, no flushing of C++ streams (the guest writes to the file
  // descriptors directly, so none of its output is lost).
  // `before_exit`, if set, runs on the deadline's thread just before the
  // exit (the recording closes its log there); the guest's thread is then
  // blocked in a host call.
  ExitDeadline(std::chrono::nanoseconds after, std::string message, int exit_code,
               std::function<void()> before_exit = {});
  // Cancels the deadline and joins its thread.
  ~ExitDeadline();
  ExitDeadline(const ExitDeadline&) = delete;
  ExitDeadline& operator=(const ExitDeadline&) = delete;

 private:
  void Wait(std::chrono::steady_clock::time_point deadline);

  std::string message_;
  int exit_code_;
  std::function<void()> before_exit_;
  std::mutex mutex_;
  std::condition_variable cv_;
  bool cancelled_ = false;  // guarded by mutex_
  std::thread thread_;      // last: starts once the fields above exist
};

}  // namespace deja::session
