#include "timemachine/trace.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <random>
#include <sstream>

#include "timemachine/trace_internal.h"
#include "timemachine/trace_test_util.h"

namespace deja::tm {
namespace {

using testing::AddOutput;
using testing::AddRead;
using testing::AddWrite;
using testing::Le32;

RunInfo Info() {
  RunInfo info;
  info.call_names = {"fd_write", "path_open", "proc_exit", "clock_time_get", "mystery"};
  return info;
}

std::vector<std::string> Lines(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

TEST(TraceFormatterTest, TextLines) {
  RunInfo info = Info();
  std::ostringstream out;
  internal::TraceFormatter f(info, out, false);

  CallRecord open = testing::Call(1, 1'234'000, {3, 1, 0x500, 11, 0, 0x1f, 0, 0, 0x1ff8});
  open.index = 12;
  AddRead(open, 0x500, std::string_view("data/in.txt"));
  AddWrite(open, 0x1ff8, Le32({5}));
  f.Record(open);

  CallRecord write = testing::WriteCall(0, 2'000'000'000, 1, "hello, world\n");
  write.index = 13;
  AddOutput(write, 1, "hello, world\n");
  f.Record(write);

  CallRecord bad = testing::Call(1, 2'000'100'000, {9, 0, 0x500, 0, 0, 0, 0, 0, 0x1ff8}, 8);
  bad.index = 14;
  f.Record(bad);

  CallRecord exit = testing::Call(2, 3'000'000'000, {3});
  exit.index = 15;
  exit.result.reset();
  exit.exit_code = 3;
  f.Record(exit);

  RunEnd end;
  end.kind = RunEnd::Kind::kExited;
  end.exit_status = 3;
  end.guest_exit_code = 3;
  end.fuel_consumed = 1234;
  end.host_calls = 4;
  end.duration_ns = 3'100'000'000;
  end.state_digest = "abcd";
  f.End(end, false, "");

  std::vector<std::string> lines = Lines(out.str());
  ASSERT_EQ(lines.size(), 5u);
  EXPECT_EQ(lines[0],
            "#12    +0.001234s  path_open(fd=3, dirflags=SYMLINK_FOLLOW, path=\"data/in.txt\", "
            "oflags=0, rights_base=0x1f, rights_inheriting=0x0, fdflags=0, fd_out->0x1ff8) = 0 "
            "SUCCESS  [read 11 B, wrote 4 B] (fd 5)");
  EXPECT_EQ(lines[1],
            "#13    +2.000000s  fd_write(fd=1, iovs=[13 bytes in 1 buf], nwritten->0x200) = 0 "
            "SUCCESS  [read 21 B, wrote 4 B] (transferred 13 B, stdout 13 B)");
  EXPECT_EQ(lines[2],
            "#14    +2.000100s  path_open(fd=9, dirflags=0, path=0x500[0], oflags=0, "
            "rights_base=0x0, rights_inheriting=0x0, fdflags=0, fd_out->0x1ff8) = 8 EBADF");
  EXPECT_EQ(lines[3], "#15    +3.000000s  proc_exit(rval=3) (exit code 3)");
  EXPECT_EQ(lines[4],
            "end: exited, exit status 3 (proc_exit 3), 3.100000s, fuel 1234, 4 host calls, "
            "digest abcd");
}

TEST(TraceFormatterTest, TruncatedAndTrapped) {
  RunInfo info = Info();
  std::ostringstream out;
  internal::TraceFormatter f(info, out, false);
  f.End(std::nullopt, true, "log ends inside a frame at byte 100 after 3 records");
  RunEnd trap;
  trap.kind = RunEnd::Kind::kTrapped;
  trap.exit_status = 134;
  trap.message = "unreachable executed\n  at func 3";
  f.End(trap, false, "");
  std::vector<std::string> lines = Lines(out.str());
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0], "(recording ends here: log ends inside a frame at byte 100 after 3 records)");
  EXPECT_EQ(lines[1],
            "end: trapped, exit status 134, 0.000000s, fuel 0, 0 host calls: unreachable executed");
}

TEST(TraceFormatterTest, JsonLines) {
  RunInfo info = Info();
  std::ostringstream out;
  internal::TraceFormatter f(info, out, true);
  CallRecord clock = testing::Call(3, 500, {1, 0, 0x300});
  AddWrite(clock, 0x300, testing::Le64(987654321));
  f.Record(clock);
  CallRecord odd = testing::Call(4, 600, {7});
  odd.index = 1;
  AddOutput(odd, 2, "x");
  f.Record(odd);
  CallRecord beyond = testing::Call(99, 700, {});
  beyond.index = 2;
  f.Record(beyond);
  f.End(std::nullopt, true, "cut");

  std::vector<std::string> lines = Lines(out.str());
  ASSERT_EQ(lines.size(), 4u);
  auto j0 = nlohmann::json::parse(lines[0]);
  EXPECT_EQ(j0["index"], 0);
  EXPECT_EQ(j0["t_ns"], 500);
  EXPECT_EQ(j0["dur_ns"], 1000);
  EXPECT_EQ(j0["call"], "clock_time_get");
  ASSERT_EQ(j0["args"].size(), 3u);
  EXPECT_EQ(j0["args"][0]["name"], "id");
  EXPECT_EQ(j0["args"][0]["value"], 1);
  EXPECT_EQ(j0["args"][0]["decoded"], "MONOTONIC");
  EXPECT_EQ(j0["args"][2]["out"], true);
  EXPECT_EQ(j0["result"], 0);
  EXPECT_EQ(j0["errno"], "SUCCESS");
  EXPECT_EQ(j0["bytes_read"], 0);
  EXPECT_EQ(j0["bytes_written"], 8);
  EXPECT_EQ(j0["time"], 987654321);
  auto j1 = nlohmann::json::parse(lines[1]);
  EXPECT_EQ(j1["call"], "mystery");
  EXPECT_EQ(j1["args"][0]["name"], "a0");
  EXPECT_EQ(j1["outputs"][0]["stream"], "stderr");
  EXPECT_EQ(j1["outputs"][0]["bytes"], 1);
  EXPECT_EQ(nlohmann::json::parse(lines[2])["call"], "call99");
  auto end = nlohmann::json::parse(lines[3]);
  EXPECT_EQ(end["end"]["kind"], "truncated");
  EXPECT_EQ(end["end"]["reason"], "cut");
}

// Arbitrary (even damaged) records: every formatter must stay in bounds.
TEST(TraceFormatterTest, RandomRecordsNeverCrash) {
  RunInfo info;
  info.call_names = WasiCallNames();
  std::mt19937 rng(42);
  auto small = [&rng](u32 n) { return static_cast<u32>(rng() % n); };
  std::ostringstream text, json, http;
  internal::TraceFormatter t(info, text, false), j(info, json, true);
  internal::HttpTracer h(info, http, false);
  for (int i = 0; i < 5000; ++i) {
    CallRecord rec;
    rec.index = static_cast<u64>(i);
    rec.call = small(static_cast<u32>(info.call_names.size()) + 2);
    for (u32 a = small(10); a > 0; --a) {
      u32 kind = small(4);
      rec.args.push_back(kind == 0   ? small(8)
                         : kind == 1 ? 0x100 + small(64)
                         : kind == 2 ? rng()
                                     : 0xfffffffc);
    }
    if (small(4) != 0) rec.result = small(3) == 0 ? small(80) : 0;
    for (u32 n = small(5); n > 0; --n) {
      std::vector<u8> bytes(small(40));
      for (u8& b : bytes)
        b = small(3) == 0 ? static_cast<u8>(small(256))
                          : static_cast<u8>("GET / HTTP/1.1\r\n"[small(16)]);
      testing::AddOp(rec, small(2) == 0 ? MemOp::Kind::kRead : MemOp::Kind::kWrite,
                     0x100 + small(64), bytes);
    }
    if (small(8) == 0 && !rec.ops.empty()) rec.ops.back().offset += 1000;  // damaged
    if (small(8) == 0) AddOutput(rec, 1, "HTTP/1.1 200 OK\r\n\r\nbody");
    if (small(16) == 0) rec.outputs.push_back({1, 5000, 10});  // damaged
    t.Record(rec);
    j.Record(rec);
    h.Record(rec);
  }
  t.End(std::nullopt, true, "cut");
  h.Finish();
  EXPECT_FALSE(text.str().empty());
  std::istringstream lines(json.str());
  for (std::string line; std::getline(lines, line);)
    ASSERT_TRUE(nlohmann::json::accept(line)) << line;
}

}  // namespace
}  // namespace deja::tm
