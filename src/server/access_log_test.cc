// Access log lines: JSON with the documented fields, invocation fields only
// for invocations, hostile bytes escaped; lines from many threads whole.
#include "server/access_log.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

namespace deja::server {
namespace {

TEST(AccessLog, LineFields) {
  AccessEntry e;
  e.time_ms = 1'800'000'000'123;
  e.method = "POST";
  e.path = "/acme/hello/\"x\"\n";
  e.status = 200;
  e.duration_us = 1500;
  e.bytes_in = 5;
  e.bytes_out = 70;
  e.tenant = "acme";
  e.function = "hello";
  e.version = 3;
  e.run_id = "r1";
  e.traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
  std::string line = AccessLogLine(e);
  ASSERT_EQ(line.back(), '\n');
  EXPECT_EQ(line.find('\n'), line.size() - 1);  // one line whatever the path holds
  nlohmann::json j = nlohmann::json::parse(line);
  EXPECT_EQ(j["time"], "2027-01-15T08:00:00.123Z");
  EXPECT_EQ(j["path"], "/acme/hello/\"x\"\n");
  EXPECT_EQ(j["status"], 200);
  EXPECT_EQ(j["duration_us"], 1500);
  EXPECT_EQ(j["bytes_in"], 5);
  EXPECT_EQ(j["bytes_out"], 70);
  EXPECT_EQ(j["tenant"], "acme");
  EXPECT_EQ(j["function"], "hello");
  EXPECT_EQ(j["version"], 3);
  EXPECT_EQ(j["run_id"], "r1");
  EXPECT_EQ(j["traceparent"], e.traceparent);

  AccessEntry plain;
  plain.method = "GET";
  plain.path = "/healthz\xff";
  plain.status = 200;
  nlohmann::json p = nlohmann::json::parse(AccessLogLine(plain));
  EXPECT_FALSE(p.contains("tenant"));
  EXPECT_FALSE(p.contains("run_id"));
  EXPECT_FALSE(p.contains("traceparent"));
}

TEST(AccessLog, LinesFromManyThreadsStayWhole) {
  std::string dir = std::filesystem::temp_directory_path() / ("deja-access-log-test." + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  std::string path = dir + "/access.log";
  {
    auto log = AccessLog::Open(path);
    ASSERT_TRUE(log.ok()) << log.status().ToString();
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
      threads.emplace_back([&, t] {
        for (int i = 0; i < 500; ++i) {
          AccessEntry e;
          e.path = "/t" + std::to_string(t) + std::string(static_cast<size_t>(i), 'x');
          e.status = 200;
          (*log)->Write(e);
        }
      });
    }
    for (std::thread& th : threads) th.join();
  }
  std::ifstream in(path);
  std::string line;
  int lines = 0;
  while (std::getline(in, line)) {
    // accept() parses without throwing: a torn line would fail it.
    ASSERT_TRUE(nlohmann::json::accept(line)) << line.substr(0, 200);
    ++lines;
  }
  EXPECT_EQ(lines, 2000);
  EXPECT_FALSE(AccessLog::Open(dir + "/no/such/dir/log").ok());
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace deja::server
