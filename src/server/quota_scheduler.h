// Fair dispatch of invocations to the engine threads (issue 16): one bounded
// queue per tenant, served round-robin, so a tenant's flood delays another
// tenant's next job by at most one job per other busy tenant. Thread-safe.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <list>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

namespace deja::server {

class FairScheduler {
 public:
  using Job = std::function<void()>;

  explicit FairScheduler(size_t max_queue_per_tenant = 256);

  // Queues `job` for `tenant`. false when that tenant's queue is full (the
  // server answers 429, limit "queue") or the scheduler is closed.
  bool Submit(std::string_view tenant, Job job);

  // The next job in round-robin order over tenants with queued jobs; blocks
  // until one is queued or Close() (then nullopt once the queues are empty:
  // Close drains). Engine threads loop on this.
  std::optional<Job> Next();
  // As Next without waiting.
  std::optional<Job> TryNext();

  void Close();
  size_t queued(std::string_view tenant) const;
  size_t queued_total() const;

 private:
  std::optional<Job> PopLocked();

  const size_t max_queue_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool closed_ = false;
  size_t total_ = 0;
  std::map<std::string, std::deque<Job>, std::less<>> queues_;
  // Tenants with queued jobs, in service order; the front is served next.
  std::list<std::string> ring_;
};

}  // namespace deja::server
