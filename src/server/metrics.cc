// Prometheus text format 0.0.4: "# HELP", "# TYPE", then one line per
// sample; histograms as cumulative _bucket{le=...} lines, _sum and _count.
#include "server/metrics.h"

#include <charconv>
#include <cmath>
#include <cstdio>

namespace deja::server {
namespace {

bool ValidName(std::string_view s, bool colon_ok) {
  if (s.empty()) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (colon_ok && c == ':') ||
              (i > 0 && c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return true;
}

const char* TypeName(MetricFamily::Type t) {
  switch (t) {
    case MetricFamily::Type::kCounter: return "counter";
    case MetricFamily::Type::kGauge: return "gauge";
    case MetricFamily::Type::kHistogram: return "histogram";
  }
  return "untyped";
}

constexpr const char* kOverflow = "_overflow";

}  // namespace

std::string EscapeLabelValue(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

std::string EscapeHelp(std::string_view help) {
  std::string out;
  for (char c : help) {
    if (c == '\\') out += "\\\\";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

std::string FormatSampleValue(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  // The shortest text that reads back as the same double ("0.1", not
  // "0.10000000000000001"), so bucket bounds look as they were written.
  char buf[40];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, ec == std::errc() ? end : buf);
}

MetricFamily::MetricFamily(std::string name, std::string help, Type type,
                           std::vector<std::string> labels, size_t max_series)
    : name_(std::move(name)), help_(std::move(help)), type_(type), labels_(std::move(labels)),
      max_series_(max_series ? max_series : 1) {}

MetricFamily::Series* MetricFamily::Find(const LabelValues& values) {
  if (values.size() != labels_.size()) return nullptr;
  auto it = series_.find(values);
  if (it == series_.end()) {
    LabelValues key = values;
    // The last slot is kept for the overflow series.
    if (series_.size() + 1 >= max_series_) key.assign(labels_.size(), kOverflow);
    it = series_.find(key);
    if (it == series_.end()) {
      Series s;
      s.buckets.assign(bounds_.size() + 1, 0);
      it = series_.emplace(std::move(key), std::move(s)).first;
    }
  }
  return &it->second;
}

void MetricFamily::Serialize(std::string* out) const {
  std::lock_guard lock(mu_);
  *out += "# HELP " + name_ + " " + EscapeHelp(help_) + "\n";
  *out += "# TYPE " + name_ + " " + TypeName(type_) + "\n";
  auto labels = [this](const LabelValues& values, const std::string& extra) {
    std::string s;
    for (size_t i = 0; i < labels_.size(); ++i) {
      if (!s.empty()) s += ",";
      s += labels_[i] + "=\"" + EscapeLabelValue(values[i]) + "\"";
    }
    if (!extra.empty()) s += (s.empty() ? "" : ",") + extra;
    return s.empty() ? s : "{" + s + "}";
  };
  for (const auto& [values, s] : series_) {
    if (type_ != Type::kHistogram) {
      *out += name_ + labels(values, "") + " " + FormatSampleValue(s.value) + "\n";
      continue;
    }
    uint64_t cumulative = 0;
    for (size_t i = 0; i <= bounds_.size(); ++i) {
      cumulative += s.buckets[i];
      std::string le = i < bounds_.size() ? FormatSampleValue(bounds_[i]) : "+Inf";
      *out += name_ + "_bucket" + labels(values, "le=\"" + le + "\"") + " " +
              std::to_string(cumulative) + "\n";
    }
    *out += name_ + "_sum" + labels(values, "") + " " + FormatSampleValue(s.value) + "\n";
    *out += name_ + "_count" + labels(values, "") + " " + std::to_string(s.count) + "\n";
  }
}

void Counter::Add(const LabelValues& values, double delta) {
  if (!(delta >= 0)) return;
  std::lock_guard lock(mu_);
  if (Series* s = Find(values)) s->value += delta;
}

double Counter::Value(const LabelValues& values) const {
  std::lock_guard lock(mu_);
  auto it = series_.find(values);
  return it == series_.end() ? 0 : it->second.value;
}

void Gauge::Set(const LabelValues& values, double value) {
  std::lock_guard lock(mu_);
  if (Series* s = Find(values)) s->value = value;
}

void Gauge::Add(const LabelValues& values, double delta) {
  std::lock_guard lock(mu_);
  if (Series* s = Find(values)) s->value += delta;
}

double Gauge::Value(const LabelValues& values) const {
  std::lock_guard lock(mu_);
  auto it = series_.find(values);
  return it == series_.end() ? 0 : it->second.value;
}

void Histogram::Observe(const LabelValues& values, double value) {
  if (std::isnan(value)) return;
  std::lock_guard lock(mu_);
  Series* s = Find(values);
  if (!s) return;
  size_t i = 0;
  while (i < bounds_.size() && value > bounds_[i]) ++i;
  ++s->buckets[i];
  ++s->count;
  s->value += value;
}

uint64_t Histogram::Count(const LabelValues& values) const {
  std::lock_guard lock(mu_);
  auto it = series_.find(values);
  return it == series_.end() ? 0 : it->second.count;
}

Status MetricsRegistry::CheckNew(const std::string& name, const std::vector<std::string>& labels,
                                 bool histogram) const {
  if (!ValidName(name, true)) return Status::InvalidArgument("metric name '" + name + "' is not valid");
  for (const auto& f : families_) {
    if (f->name() == name) return Status::InvalidArgument("metric '" + name + "' registered twice");
  }
  for (size_t i = 0; i < labels.size(); ++i) {
    const std::string& l = labels[i];
    if (!ValidName(l, false) || l.starts_with("__") || (histogram && l == "le")) {
      return Status::InvalidArgument("metric '" + name + "': label name '" + l + "' is not allowed");
    }
    for (size_t j = 0; j < i; ++j) {
      if (labels[j] == l) return Status::InvalidArgument("metric '" + name + "': label '" + l + "' twice");
    }
  }
  return Status();
}

Result<Counter*> MetricsRegistry::AddCounter(std::string name, std::string help,
                                             std::vector<std::string> labels, size_t max_series) {
  std::lock_guard lock(mu_);
  DEJA_TRY(CheckNew(name, labels, false));
  auto* c = new Counter(std::move(name), std::move(help), MetricFamily::Type::kCounter,
                        std::move(labels), max_series);
  families_.emplace_back(c);
  return c;
}

Result<Gauge*> MetricsRegistry::AddGauge(std::string name, std::string help,
                                         std::vector<std::string> labels, size_t max_series) {
  std::lock_guard lock(mu_);
  DEJA_TRY(CheckNew(name, labels, false));
  auto* g = new Gauge(std::move(name), std::move(help), MetricFamily::Type::kGauge, std::move(labels),
                      max_series);
  families_.emplace_back(g);
  return g;
}

Result<Histogram*> MetricsRegistry::AddHistogram(std::string name, std::string help,
                                                 std::vector<std::string> labels,
                                                 std::vector<double> bounds, size_t max_series) {
  std::lock_guard lock(mu_);
  DEJA_TRY(CheckNew(name, labels, true));
  for (size_t i = 0; i < bounds.size(); ++i) {
    if (!std::isfinite(bounds[i]) || (i > 0 && bounds[i] <= bounds[i - 1])) {
      return Status::InvalidArgument("histogram '" + name + "': bucket bounds must be finite and ascending");
    }
  }
  auto* h = new Histogram(std::move(name), std::move(help), MetricFamily::Type::kHistogram,
                          std::move(labels), max_series);
  h->bounds_ = std::move(bounds);
  families_.emplace_back(h);
  return h;
}

std::string MetricsRegistry::Serialize() const {
  std::lock_guard lock(mu_);
  std::string out;
  for (const auto& f : families_) f->Serialize(&out);
  return out;
}

Result<std::unique_ptr<ServerMetrics>> ServerMetrics::Create(MetricsRegistry* r) {
  auto m = std::make_unique<ServerMetrics>();
  DEJA_ASSIGN_OR_RETURN(m->requests, r->AddCounter("deja_requests_total",
                                                   "Function invocations by tenant, function and HTTP status.",
                                                   {"tenant", "function", "status"}));
  DEJA_ASSIGN_OR_RETURN(m->latency,
                        r->AddHistogram("deja_request_duration_seconds",
                                        "Invocation latency from request to last response byte.",
                                        {"tenant", "function"},
                                        {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                         0.5, 1, 2.5, 5, 10, 30}));
  DEJA_ASSIGN_OR_RETURN(m->quota_refusals,
                        r->AddCounter("deja_quota_refusals_total",
                                      "Requests refused with 429, by tenant and the limit that refused.",
                                      {"tenant", "limit"}));
  DEJA_ASSIGN_OR_RETURN(m->instances, r->AddGauge("deja_instances",
                                                  "Guest instances by state (running, idle).", {"state"}));
  DEJA_ASSIGN_OR_RETURN(m->fuel, r->AddCounter("deja_tenant_fuel_total",
                                               "Fuel burnt by a tenant's invocations.", {"tenant"}));
  DEJA_ASSIGN_OR_RETURN(m->bytes_in, r->AddCounter("deja_tenant_bytes_in_total",
                                                   "Request body bytes received for a tenant.", {"tenant"}));
  DEJA_ASSIGN_OR_RETURN(m->bytes_out, r->AddCounter("deja_tenant_bytes_out_total",
                                                    "Response body bytes sent for a tenant.", {"tenant"}));
  DEJA_ASSIGN_OR_RETURN(m->storage, r->AddGauge("deja_tenant_storage_bytes",
                                                "Bytes a tenant stores (modules, recordings).", {"tenant"}));
  return m;
}

}  // namespace deja::server
