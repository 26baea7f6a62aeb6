// Per-tenant quotas of the function platform (issue 16): concurrent
// invocations, requests per second (token bucket), fuel per minute (sliding
// window) and stored bytes. A refusal says which limit and when to retry, so
// the server answers 429 with Retry-After. Thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "server/quota_clock.h"

namespace deja::server {

// 0 means unlimited for every field.
struct QuotaLimits {
  uint32_t max_concurrent = 0;
  double requests_per_second = 0;  // refill rate of the token bucket
  uint32_t burst = 0;              // bucket size; 0: max(1, ceil(requests_per_second))
  uint64_t fuel_per_minute = 0;    // fuel of finished invocations over the last 60 s
  uint64_t storage_bytes = 0;
};

// kQueue: the tenant's queue in the FairScheduler is full (Submit returned
// false); the server answers it like the others, with Retry-After: 1.
enum class QuotaLimit { kNone, kConcurrency, kRequestRate, kFuel, kStorage, kQueue };
// "concurrency", "request_rate", "fuel", "storage", "queue" (metric labels, messages).
std::string_view QuotaLimitName(QuotaLimit limit);

struct QuotaDecision {
  bool allowed = true;
  QuotaLimit limit = QuotaLimit::kNone;  // the limit that refused
  // Whole seconds until a retry can succeed, >= 1 on a refusal that time
  // heals; 0 for storage (only deleting data helps: no Retry-After).
  uint32_t retry_after_seconds = 0;
  std::string message;  // "tenant acme: 5 requests/s exceeded"
};

struct TenantUsage {
  uint32_t in_flight = 0;
  uint64_t fuel_last_minute = 0;
  uint64_t fuel_total = 0;
  uint64_t requests_admitted = 0;
  uint64_t requests_refused = 0;
  uint64_t storage_bytes = 0;
};

class QuotaTracker;

// One admitted invocation's concurrency slot. Finish (or destruction)
// returns the slot; Finish also charges the fuel the invocation burnt.
class QuotaPermit {
 public:
  QuotaPermit() = default;
  QuotaPermit(QuotaPermit&& other) noexcept;
  QuotaPermit& operator=(QuotaPermit&& other) noexcept;
  QuotaPermit(const QuotaPermit&) = delete;
  QuotaPermit& operator=(const QuotaPermit&) = delete;
  ~QuotaPermit();

  bool valid() const { return tracker_ != nullptr; }
  void Finish(uint64_t fuel_used);

 private:
  friend class QuotaTracker;
  QuotaPermit(QuotaTracker* tracker, std::string tenant) : tracker_(tracker), tenant_(std::move(tenant)) {}
  QuotaTracker* tracker_ = nullptr;
  std::string tenant_;
};

struct Admission {
  QuotaDecision decision;
  QuotaPermit permit;  // valid iff decision.allowed
};

class QuotaTracker {
 public:
  explicit QuotaTracker(const Clock* clock = SteadyClock::Get());
  ~QuotaTracker();

  // Limits of a tenant; tenants never set get `defaults`.
  void SetLimits(std::string_view tenant, const QuotaLimits& limits);
  void SetDefaultLimits(const QuotaLimits& limits);

  // Admission of one invocation: checks concurrency, then fuel, then the
  // request rate (a refused request takes no token). Must outlive the permit.
  Admission Admit(std::string_view tenant);

  // Storage: may the tenant store `additional` more bytes? SetStorageUsed
  // tells the tracker the tenant's current total (the store knows it).
  void SetStorageUsed(std::string_view tenant, uint64_t bytes);
  QuotaDecision CheckStorage(std::string_view tenant, uint64_t additional);

  TenantUsage Usage(std::string_view tenant) const;

 private:
  friend class QuotaPermit;
  struct Tenant;
  void Release(const std::string& tenant, uint64_t fuel_used);
  Tenant& Get(std::string_view tenant);  // mu_ held

  const Clock* clock_;
  mutable std::mutex mu_;
  QuotaLimits defaults_;
  std::map<std::string, std::unique_ptr<Tenant>, std::less<>> tenants_;
};

}  // namespace deja::server
