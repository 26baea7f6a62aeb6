// DeadlineTimer: pending deadlines sit in a std::map ordered by (time, id),
// with a second map from id to time so Cancel finds its entry in O(log n).
// The thread sleeps until the earliest deadline; Add wakes it only when the
// new deadline becomes the earliest. Firing and cancelling take the same
// mutex, so once Cancel returns the store is never touched again.
#include "deja/deadline.h"

#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "deja/store.h"

namespace deja {

struct DeadlineTimer::Impl {
  mutable std::mutex mutex;
  std::condition_variable cv;
  // Guarded by mutex.
  std::map<std::pair<Clock::time_point, Id>, Store*> queue;
  std::unordered_map<Id, Clock::time_point> when;  // pending, not yet fired
  std::unordered_set<Id> fired;                     // fired, not yet cancelled
  Id next_id = 1;
  bool stop = false;
  bool started = false;
  std::thread thread;

  void Loop() {
    std::unique_lock<std::mutex> lock(mutex);
    while (!stop) {
      if (queue.empty()) {
        cv.wait(lock);
        continue;
      }
      auto first = queue.begin();
      Clock::time_point due = first->first.first;
      if (Clock::now() < due) {
        // Woken early by an Add with an earlier deadline, a Cancel, or stop.
        cv.wait_until(lock, due);
        continue;
      }
      Id id = first->first.second;
      first->second->Interrupt();
      queue.erase(first);
      when.erase(id);
      fired.insert(id);
    }
  }
};

DeadlineTimer::DeadlineTimer() : impl_(new Impl) {}

DeadlineTimer::~DeadlineTimer() {
  {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    impl_->stop = true;
  }
  impl_->cv.notify_all();
  if (impl_->thread.joinable()) impl_->thread.join();
  delete impl_;
}

DeadlineTimer& DeadlineTimer::Shared() {
  // Never destroyed: stores may still hold deadlines while static
  // destructors run, and the thread must not be joined from inside exit().
  static DeadlineTimer* timer = new DeadlineTimer;
  return *timer;
}

DeadlineTimer::Id DeadlineTimer::Add(Store& store, Clock::time_point when) {
  bool wake;
  Id id;
  {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    if (!impl_->started) {
      impl_->started = true;
      impl_->thread = std::thread([impl = impl_] { impl->Loop(); });
    }
    id = impl_->next_id++;
    auto [it, inserted] = impl_->queue.emplace(std::make_pair(when, id), &store);
    (void)inserted;
    impl_->when.emplace(id, when);
    wake = it == impl_->queue.begin();
  }
  if (wake) impl_->cv.notify_one();
  return id;
}

bool DeadlineTimer::Cancel(Id id) {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  if (impl_->fired.erase(id) != 0) return true;
  auto it = impl_->when.find(id);
  if (it == impl_->when.end()) return false;
  impl_->queue.erase(std::make_pair(it->second, id));
  impl_->when.erase(it);
  // No wake-up: the thread finds the earliest entry gone, or sleeps a
  // little long and re-checks, which is harmless.
  return false;
}

size_t DeadlineTimer::pending() const {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  return impl_->when.size() + impl_->fired.size();
}

}  // namespace deja
