#include "server/quota_scheduler.h"

#include <algorithm>

namespace deja::server {

FairScheduler::FairScheduler(size_t max_queue_per_tenant) : max_queue_(max_queue_per_tenant) {}

bool FairScheduler::Submit(std::string_view tenant, Job job) {
  {
    std::lock_guard lock(mu_);
    if (closed_) return false;
    auto it = queues_.find(tenant);
    if (it == queues_.end()) it = queues_.emplace(std::string(tenant), std::deque<Job>()).first;
    if (it->second.size() >= max_queue_) return false;
    // A tenant joins the ring at the back when it becomes busy: every
    // other busy tenant is served once before it, and it before them again.
    if (it->second.empty()) ring_.push_back(it->first);
    it->second.push_back(std::move(job));
    ++total_;
  }
  cv_.notify_one();
  return true;
}

std::optional<FairScheduler::Job> FairScheduler::PopLocked() {
  if (ring_.empty()) return std::nullopt;
  std::string tenant = std::move(ring_.front());
  ring_.pop_front();
  auto it = queues_.find(tenant);
  Job job = std::move(it->second.front());
  it->second.pop_front();
  --total_;
  if (!it->second.empty()) {
    ring_.push_back(std::move(tenant));
  } else {
    queues_.erase(it);  // idle tenants cost nothing
  }
  return job;
}

std::optional<FairScheduler::Job> FairScheduler::Next() {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [this] { return closed_ || !ring_.empty(); });
  return PopLocked();
}

std::optional<FairScheduler::Job> FairScheduler::TryNext() {
  std::lock_guard lock(mu_);
  return PopLocked();
}

void FairScheduler::Close() {
  {
    std::lock_guard lock(mu_);
    closed_ = true;
  }
  cv_.notify_all();
}

size_t FairScheduler::queued(std::string_view tenant) const {
  std::lock_guard lock(mu_);
  auto it = queues_.find(tenant);
  return it == queues_.end() ? 0 : it->second.size();
}

size_t FairScheduler::queued_total() const {
  std::lock_guard lock(mu_);
  return total_;
}

}  // namespace deja::server
