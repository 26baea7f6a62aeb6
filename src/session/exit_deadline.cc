#include "session/exit_deadline.h"

#include <unistd.h>

#include <cstdlib>

namespace deja::session {

ExitDeadline::ExitDeadline(std::chrono::nanoseconds after, std::string message, int exit_code,
                           std::function<void()> before_exit)
    : message_(std::move(message)),
      exit_code_(exit_code),
      before_exit_(std::move(before_exit)),
      thread_(&ExitDeadline::Wait, this, std::chrono::steady_clock::now() + after) {}

ExitDeadline::~ExitDeadline() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    cancelled_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void ExitDeadline::Wait(std::chrono::steady_clock::time_point deadline) {
  std::unique_lock<std::mutex> lock(mutex_);
  if (cv_.wait_until(lock, deadline, [this] { return cancelled_; })) return;
  // write(2) rather than std::cerr: the main thread may be inside a stream call.
  const char* p = message_.data();
  size_t left = message_.size();
  while (left > 0) {
    ssize_t n = ::write(STDERR_FILENO, p, left);
    if (n <= 0) break;
    p += n;
    left -= static_cast<size_t>(n);
  }
  if (before_exit_) before_exit_();
  std::_Exit(exit_code_);
}

}  // namespace deja::session
