#include "server/metrics.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace deja::server {
namespace {

TEST(Metrics, CounterAndEscaping) {
  MetricsRegistry r;
  auto c = r.AddCounter("deja_requests_total", "Requests.\nSecond line \\ here", {"tenant", "status"});
  ASSERT_TRUE(c.ok());
  (*c)->Add({"acme", "200"});
  (*c)->Add({"acme", "200"}, 2);
  (*c)->Add({"ev\"il\\\nx", "500"});
  (*c)->Add({"acme", "200"}, -5);  // ignored
  (*c)->Add({"too", "many", "values"});  // ignored
  EXPECT_EQ((*c)->Value({"acme", "200"}), 3);
  EXPECT_EQ(r.Serialize(),
            "# HELP deja_requests_total Requests.\\nSecond line \\\\ here\n"
            "# TYPE deja_requests_total counter\n"
            "deja_requests_total{tenant=\"acme\",status=\"200\"} 3\n"
            "deja_requests_total{tenant=\"ev\\\"il\\\\\\nx\",status=\"500\"} 1\n");
}

TEST(Metrics, GaugeWithoutLabels) {
  MetricsRegistry r;
  auto g = r.AddGauge("deja_up", "Up.", {});
  ASSERT_TRUE(g.ok());
  (*g)->Set({}, 2.5);
  (*g)->Add({}, -1);
  EXPECT_EQ(r.Serialize(), "# HELP deja_up Up.\n# TYPE deja_up gauge\ndeja_up 1.5\n");
}

TEST(Metrics, Histogram) {
  MetricsRegistry r;
  auto h = r.AddHistogram("lat_seconds", "Latency.", {"fn"}, {0.1, 1});
  ASSERT_TRUE(h.ok());
  (*h)->Observe({"f"}, 0.05);
  (*h)->Observe({"f"}, 0.1);  // le is inclusive
  (*h)->Observe({"f"}, 0.5);
  (*h)->Observe({"f"}, 7);
  EXPECT_EQ((*h)->Count({"f"}), 4u);
  EXPECT_EQ(r.Serialize(),
            "# HELP lat_seconds Latency.\n# TYPE lat_seconds histogram\n"
            "lat_seconds_bucket{fn=\"f\",le=\"0.1\"} 2\n"
            "lat_seconds_bucket{fn=\"f\",le=\"1\"} 3\n"
            "lat_seconds_bucket{fn=\"f\",le=\"+Inf\"} 4\n"
            "lat_seconds_sum{fn=\"f\"} 7.65\n"
            "lat_seconds_count{fn=\"f\"} 4\n");
}

TEST(Metrics, SampleValues) {
  EXPECT_EQ(FormatSampleValue(0), "0");
  EXPECT_EQ(FormatSampleValue(12345678901234.0), "12345678901234");
  EXPECT_EQ(FormatSampleValue(0.25), "0.25");
  EXPECT_EQ(FormatSampleValue(1e300), "1e+300");
  EXPECT_EQ(FormatSampleValue(1.0 / 0.0), "+Inf");
  EXPECT_EQ(FormatSampleValue(-1.0 / 0.0), "-Inf");
  EXPECT_EQ(FormatSampleValue(0.0 / 0.0), "NaN");
}

TEST(Metrics, InvalidNames) {
  MetricsRegistry r;
  EXPECT_TRUE(r.AddCounter("ok_name:sub", "", {"a"}).ok());
  auto twice = r.AddCounter("ok_name:sub", "", {});
  ASSERT_FALSE(twice.ok());
  EXPECT_EQ(twice.status().message(), "metric 'ok_name:sub' registered twice");
  EXPECT_EQ(r.AddCounter("1bad", "", {}).status().message(), "metric name '1bad' is not valid");
  EXPECT_EQ(r.AddCounter("bad-name", "", {}).status().message(), "metric name 'bad-name' is not valid");
  EXPECT_EQ(r.AddGauge("g", "", {"__x"}).status().message(), "metric 'g': label name '__x' is not allowed");
  EXPECT_EQ(r.AddGauge("g", "", {"a:b"}).status().message(), "metric 'g': label name 'a:b' is not allowed");
  EXPECT_EQ(r.AddGauge("g", "", {"a", "a"}).status().message(), "metric 'g': label 'a' twice");
  EXPECT_EQ(r.AddHistogram("h", "", {"le"}, {1}).status().message(), "metric 'h': label name 'le' is not allowed");
  EXPECT_EQ(r.AddHistogram("h", "", {}, {2, 1}).status().message(),
            "histogram 'h': bucket bounds must be finite and ascending");
}

TEST(Metrics, SeriesCapOverflows) {
  MetricsRegistry r;
  auto c = r.AddCounter("c", "", {"tenant"}, 3);
  ASSERT_TRUE(c.ok());
  for (int i = 0; i < 100; ++i) (*c)->Add({"t" + std::to_string(i)});
  EXPECT_EQ((*c)->Value({"t0"}), 1);
  EXPECT_EQ((*c)->Value({"t1"}), 1);
  EXPECT_EQ((*c)->Value({"_overflow"}), 98);
  std::string text = r.Serialize();
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 2 + 3);
}

TEST(Metrics, ServerMetricsAndThreads) {
  MetricsRegistry r;
  auto m = ServerMetrics::Create(&r);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 1000; ++i) {
        (*m)->requests->Add({"acme", "hello", "200"});
        (*m)->latency->Observe({"acme", "hello"}, 0.002);
        (*m)->fuel->Add({"acme"}, 10);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ((*m)->requests->Value({"acme", "hello", "200"}), 4000);
  EXPECT_EQ((*m)->latency->Count({"acme", "hello"}), 4000u);
  std::string text = r.Serialize();
  EXPECT_NE(text.find("deja_tenant_fuel_total{tenant=\"acme\"} 40000\n"), std::string::npos);
  EXPECT_NE(text.find("deja_request_duration_seconds_bucket{tenant=\"acme\",function=\"hello\",le=\"0.0025\"} 4000\n"),
            std::string::npos);
  EXPECT_NE(text.find("# TYPE deja_quota_refusals_total counter\n"), std::string::npos);
  EXPECT_FALSE(ServerMetrics::Create(&r).ok());  // the names are taken
}

}  // namespace
}  // namespace deja::server
