// Prometheus text exposition (format 0.0.4) for `/metrics`: counters,
// gauges and histograms with labels, serialized by our own small writer
// (docs/RATIONALE.md, "Why our own Prometheus writer?"). Thread-safe; a
// family caps its number of label sets so hostile tenants cannot grow it
// without bound (further sets are counted under one overflow set).
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "deja/status.h"

namespace deja::server {

using LabelValues = std::vector<std::string>;

class MetricFamily {
 public:
  enum class Type { kCounter, kGauge, kHistogram };
  virtual ~MetricFamily() = default;
  const std::string& name() const { return name_; }
  Type type() const { return type_; }
  // Appends this family's HELP, TYPE and samples to `out`.
  void Serialize(std::string* out) const;

 protected:
  MetricFamily(std::string name, std::string help, Type type, std::vector<std::string> labels,
               size_t max_series);
  struct Series {
    double value = 0;                // counter, gauge; histogram: sum
    std::vector<uint64_t> buckets;   // histogram: per bucket (not cumulative)
    uint64_t count = 0;              // histogram
  };
  // The series for `values` (created if new; the overflow series when the
  // family is full; nullptr when the number of values is wrong). mu_ held.
  Series* Find(const LabelValues& values);

  const std::string name_, help_;
  const Type type_;
  const std::vector<std::string> labels_;
  const size_t max_series_;
  std::vector<double> bounds_;  // histogram upper bounds, ascending, without +Inf
  mutable std::mutex mu_;
  std::map<LabelValues, Series> series_;
};

class Counter final : public MetricFamily {
 public:
  // `delta` < 0 is ignored (counters only go up).
  void Add(const LabelValues& values, double delta = 1);
  double Value(const LabelValues& values) const;

 private:
  friend class MetricsRegistry;
  using MetricFamily::MetricFamily;
};

class Gauge final : public MetricFamily {
 public:
  void Set(const LabelValues& values, double value);
  void Add(const LabelValues& values, double delta);
  double Value(const LabelValues& values) const;

 private:
  friend class MetricsRegistry;
  using MetricFamily::MetricFamily;
};

class Histogram final : public MetricFamily {
 public:
  void Observe(const LabelValues& values, double value);
  uint64_t Count(const LabelValues& values) const;

 private:
  friend class MetricsRegistry;
  using MetricFamily::MetricFamily;
};

class MetricsRegistry {
 public:
  // Names must match [a-zA-Z_:][a-zA-Z0-9_:]*, label names
  // [a-zA-Z_][a-zA-Z0-9_]* and not start with "__" nor be "le" on a
  // histogram; a name registered twice is refused. InvalidArgument names it.
  Result<Counter*> AddCounter(std::string name, std::string help, std::vector<std::string> labels,
                              size_t max_series = 10000);
  Result<Gauge*> AddGauge(std::string name, std::string help, std::vector<std::string> labels,
                          size_t max_series = 10000);
  // `bounds`: ascending, finite upper bounds; +Inf is added.
  Result<Histogram*> AddHistogram(std::string name, std::string help, std::vector<std::string> labels,
                                  std::vector<double> bounds, size_t max_series = 10000);

  // The exposition text of every family, in registration order.
  std::string Serialize() const;

 private:
  Status CheckNew(const std::string& name, const std::vector<std::string>& labels, bool histogram) const;
  mutable std::mutex mu_;
  std::vector<std::unique_ptr<MetricFamily>> families_;
};

// Escapes a label value ("\\", "\"", "\n") and HELP text ("\\", "\n").
std::string EscapeLabelValue(std::string_view value);
std::string EscapeHelp(std::string_view help);
// A sample value: integers without exponent, "+Inf", "-Inf", "NaN".
std::string FormatSampleValue(double value);

// The platform's metrics, named once for the server (docs/SERVER.md,
// "Quotas, fair scheduling, idempotency and metrics").
struct ServerMetrics {
  static Result<std::unique_ptr<ServerMetrics>> Create(MetricsRegistry* registry);
  Counter* requests;              // deja_requests_total{tenant,function,status}
  Histogram* latency;             // deja_request_duration_seconds{tenant,function}
  Counter* quota_refusals;        // deja_quota_refusals_total{tenant,limit}
  Gauge* instances;               // deja_instances{state}: running, idle
  Counter* fuel;                  // deja_tenant_fuel_total{tenant}
  Counter* bytes_in;              // deja_tenant_bytes_in_total{tenant}
  Counter* bytes_out;             // deja_tenant_bytes_out_total{tenant}
  Gauge* storage;                 // deja_tenant_storage_bytes{tenant}
};

}  // namespace deja::server
