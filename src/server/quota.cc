// Quotas: a token bucket for the request rate, 60 one-second buckets for the
// fuel window, counters for concurrency and storage; all under one mutex
// (a few arithmetic operations per request).
#include "server/quota.h"

#include <algorithm>
#include <array>
#include <cmath>

namespace deja::server {

using std::chrono::nanoseconds;
constexpr int64_t kSecond = 1'000'000'000;
constexpr int kWindowSeconds = 60;

std::string_view QuotaLimitName(QuotaLimit limit) {
  switch (limit) {
    case QuotaLimit::kNone: return "none";
    case QuotaLimit::kConcurrency: return "concurrency";
    case QuotaLimit::kRequestRate: return "request_rate";
    case QuotaLimit::kFuel: return "fuel";
    case QuotaLimit::kStorage: return "storage";
    case QuotaLimit::kQueue: return "queue";
  }
  return "unknown";
}

struct QuotaTracker::Tenant {
  bool has_limits = false;
  QuotaLimits limits;
  TenantUsage usage;
  double tokens = -1;  // < 0: bucket not started (full on first use)
  int64_t refilled_at = 0;
  // fuel[s % 60] is the fuel charged in whole second s (since the clock's
  // origin); second_of[i] says which second slot i currently holds.
  std::array<uint64_t, kWindowSeconds> fuel{};
  std::array<int64_t, kWindowSeconds> second_of{};
};

namespace {

uint32_t CeilSeconds(double s) {
  if (!(s > 0)) return 1;
  double c = std::ceil(s);
  return c > 86400 ? 86400 : std::max<uint32_t>(1, static_cast<uint32_t>(c));
}

double Burst(const QuotaLimits& l) {
  return l.burst ? l.burst : std::max(1.0, std::ceil(l.requests_per_second));
}

}  // namespace

QuotaTracker::QuotaTracker(const Clock* clock) : clock_(clock) {}
QuotaTracker::~QuotaTracker() = default;

QuotaTracker::Tenant& QuotaTracker::Get(std::string_view tenant) {
  auto it = tenants_.find(tenant);
  if (it == tenants_.end()) {
    it = tenants_.emplace(std::string(tenant), std::make_unique<Tenant>()).first;
  }
  Tenant& t = *it->second;
  if (!t.has_limits) t.limits = defaults_;
  return t;
}

void QuotaTracker::SetLimits(std::string_view tenant, const QuotaLimits& limits) {
  std::lock_guard lock(mu_);
  Tenant& t = Get(tenant);
  t.has_limits = true;
  t.limits = limits;
  t.tokens = -1;
}

void QuotaTracker::SetDefaultLimits(const QuotaLimits& limits) {
  std::lock_guard lock(mu_);
  defaults_ = limits;
}

// Fuel charged in the last 60 whole seconds (the current one included), and
// how many seconds until the window sum drops below `limit`.
static uint64_t WindowFuel(const std::array<uint64_t, kWindowSeconds>& fuel,
                           const std::array<int64_t, kWindowSeconds>& second_of, int64_t now_s,
                           uint64_t limit, uint32_t* retry_after) {
  uint64_t sum = 0;
  for (int i = 0; i < kWindowSeconds; ++i) {
    if (second_of[i] > now_s - kWindowSeconds && second_of[i] <= now_s) sum += fuel[i];
  }
  if (retry_after && limit && sum >= limit) {
    // Oldest seconds leave the window first: find when enough has left.
    uint64_t remaining = sum;
    *retry_after = kWindowSeconds;
    for (int64_t s = now_s - kWindowSeconds + 1; s <= now_s; ++s) {
      int i = static_cast<int>(((s % kWindowSeconds) + kWindowSeconds) % kWindowSeconds);
      if (second_of[i] == s) remaining -= fuel[i];
      if (remaining < limit) {
        // Second s leaves the window at s + 60.
        *retry_after = static_cast<uint32_t>(std::max<int64_t>(1, s + kWindowSeconds - now_s));
        break;
      }
    }
  }
  return sum;
}

Admission QuotaTracker::Admit(std::string_view tenant) {
  std::lock_guard lock(mu_);
  Tenant& t = Get(tenant);
  const QuotaLimits& l = t.limits;
  int64_t now = clock_->Now().count();
  Admission a;
  auto refuse = [&](QuotaLimit limit, uint32_t retry, std::string what) {
    ++t.usage.requests_refused;
    a.decision = {false, limit, retry, "tenant " + std::string(tenant) + ": " + what};
    return std::move(a);
  };

  if (l.max_concurrent && t.usage.in_flight >= l.max_concurrent) {
    // When a slot frees is unknown; a second is the smallest Retry-After.
    return refuse(QuotaLimit::kConcurrency, 1,
                  std::to_string(l.max_concurrent) + " concurrent invocations already running");
  }
  if (l.fuel_per_minute) {
    uint32_t retry = 1;
    uint64_t used = WindowFuel(t.fuel, t.second_of, now / kSecond, l.fuel_per_minute, &retry);
    if (used >= l.fuel_per_minute) {
      return refuse(QuotaLimit::kFuel, retry,
                    "fuel per minute of " + std::to_string(l.fuel_per_minute) + " used (" +
                        std::to_string(used) + " in the last 60 s)");
    }
  }
  if (l.requests_per_second > 0) {
    double burst = Burst(l);
    if (t.tokens < 0) {
      t.tokens = burst;
    } else {
      double elapsed = static_cast<double>(now - t.refilled_at) / kSecond;
      t.tokens = std::min(burst, t.tokens + elapsed * l.requests_per_second);
    }
    t.refilled_at = now;
    if (t.tokens < 1) {
      char rate[32];
      std::snprintf(rate, sizeof rate, "%g", l.requests_per_second);
      return refuse(QuotaLimit::kRequestRate, CeilSeconds((1 - t.tokens) / l.requests_per_second),
                    std::string(rate) + " requests/s exceeded");
    }
    t.tokens -= 1;
  }
  ++t.usage.in_flight;
  ++t.usage.requests_admitted;
  a.decision = {true, QuotaLimit::kNone, 0, ""};
  a.permit = QuotaPermit(this, std::string(tenant));
  return a;
}

void QuotaTracker::Release(const std::string& tenant, uint64_t fuel_used) {
  std::lock_guard lock(mu_);
  Tenant& t = Get(tenant);
  if (t.usage.in_flight) --t.usage.in_flight;
  if (!fuel_used) return;
  t.usage.fuel_total += fuel_used;
  int64_t s = clock_->Now().count() / kSecond;
  int i = static_cast<int>(s % kWindowSeconds);
  if (t.second_of[i] != s) {
    t.second_of[i] = s;
    t.fuel[i] = 0;
  }
  t.fuel[i] += fuel_used;
}

void QuotaTracker::SetStorageUsed(std::string_view tenant, uint64_t bytes) {
  std::lock_guard lock(mu_);
  Get(tenant).usage.storage_bytes = bytes;
}

QuotaDecision QuotaTracker::CheckStorage(std::string_view tenant, uint64_t additional) {
  std::lock_guard lock(mu_);
  Tenant& t = Get(tenant);
  uint64_t limit = t.limits.storage_bytes;
  uint64_t used = t.usage.storage_bytes;
  if (!limit || (additional <= limit && used <= limit - additional)) return {};
  return {false, QuotaLimit::kStorage, 0,
          "tenant " + std::string(tenant) + ": storing " + std::to_string(additional) +
              " more bytes would exceed the storage quota of " + std::to_string(limit) + " (" +
              std::to_string(used) + " used)"};
}

TenantUsage QuotaTracker::Usage(std::string_view tenant) const {
  std::lock_guard lock(mu_);
  auto it = tenants_.find(tenant);
  if (it == tenants_.end()) return {};
  TenantUsage u = it->second->usage;
  u.fuel_last_minute = WindowFuel(it->second->fuel, it->second->second_of,
                                  clock_->Now().count() / kSecond, 0, nullptr);
  return u;
}

QuotaPermit::QuotaPermit(QuotaPermit&& other) noexcept
    : tracker_(other.tracker_), tenant_(std::move(other.tenant_)) {
  other.tracker_ = nullptr;
}

QuotaPermit& QuotaPermit::operator=(QuotaPermit&& other) noexcept {
  if (this != &other) {
    Finish(0);
    tracker_ = other.tracker_;
    tenant_ = std::move(other.tenant_);
    other.tracker_ = nullptr;
  }
  return *this;
}

QuotaPermit::~QuotaPermit() { Finish(0); }

void QuotaPermit::Finish(uint64_t fuel_used) {
  if (!tracker_) return;
  tracker_->Release(tenant_, fuel_used);
  tracker_ = nullptr;
}

}  // namespace deja::server
