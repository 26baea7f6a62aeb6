#include "registry/retention.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <vector>

#include "registry/registry.h"
#include "registry/test_util.h"

namespace deja::registry {
namespace {

using testing::Age;
using testing::FakeModule;
using testing::MakeEnd;
using testing::MakeInfo;
using testing::TempDir;
using testing::WriteFile;
using testing::WriteLog;
using Kind = tm::RunEnd::Kind;

constexpr i64 kSec = 1'000'000'000;
constexpr i64 kDay = 86400;
constexpr i64 kNow = 1'800'000'000 * kSec;

RetentionCandidate Cand(std::string id, i64 age_seconds, u64 bytes) {
  RetentionCandidate c;
  c.id = std::move(id);
  c.recorded_unix_ns = kNow - age_seconds * kSec;
  c.log_bytes = bytes;
  return c;
}

std::vector<std::string> RemovedIds(const RetentionReport& r) {
  std::vector<std::string> ids;
  for (const RetentionRemoval& x : r.removed) ids.push_back(x.id);
  return ids;
}

TEST(PlanRetention, DefaultsKeepAModestHistory) {
  RetentionPolicy p;
  EXPECT_EQ(p.max_runs, 1000u);
  EXPECT_EQ(p.max_bytes, u64{1} << 30);
  EXPECT_EQ(p.max_age_seconds, 30 * kDay);
  std::vector<RetentionCandidate> runs = {Cand("a", 3600, 100), Cand("b", 29 * kDay, 100)};
  RetentionReport r = PlanRetention(runs, p, kNow);
  EXPECT_TRUE(r.removed.empty());
  EXPECT_EQ(r.kept_runs, 2u);
  EXPECT_EQ(r.kept_bytes, 200u);
}

TEST(PlanRetention, CountKeepsTheNewest) {
  RetentionPolicy p;
  p.max_runs = 2;
  std::vector<RetentionCandidate> runs = {Cand("a", 100, 1), Cand("b", 200, 1), Cand("c", 300, 1),
                                          Cand("d", 400, 1)};
  RetentionReport r = PlanRetention(runs, p, kNow);
  EXPECT_EQ(RemovedIds(r), (std::vector<std::string>{"c", "d"}));
  EXPECT_EQ(r.removed[0].reason, "beyond the newest 2 runs (max_runs)");
  EXPECT_EQ(r.kept_runs, 2u);
}

TEST(PlanRetention, SizeDropsOlderLogsFirst) {
  RetentionPolicy p;
  p.max_bytes = 1000;
  std::vector<RetentionCandidate> runs = {Cand("a", 100, 600), Cand("b", 200, 300),
                                          Cand("c", 300, 200), Cand("d", 400, 50)};
  RetentionReport r = PlanRetention(runs, p, kNow);
  // a + b = 900; c would make 1100; d still fits (950).
  EXPECT_EQ(RemovedIds(r), (std::vector<std::string>{"c"}));
  EXPECT_EQ(r.removed[0].reason, "newer runs' logs fill 1000 B (max_size)");
  EXPECT_EQ(r.kept_bytes, 950u);
}

TEST(PlanRetention, AgeCountsFromRecording) {
  RetentionPolicy p;
  p.max_age_seconds = 7 * kDay;
  std::vector<RetentionCandidate> runs = {Cand("a", 6 * kDay, 1), Cand("b", 8 * kDay, 1)};
  RetentionReport r = PlanRetention(runs, p, kNow);
  EXPECT_EQ(RemovedIds(r), (std::vector<std::string>{"b"}));
  EXPECT_EQ(r.removed[0].reason, "older than 7d (max_age)");
}

TEST(PlanRetention, PinnedRunningAndFreshRunsStay) {
  RetentionPolicy p;
  p.max_runs = 1;
  p.max_bytes = 10;
  p.max_age_seconds = kDay;
  std::vector<RetentionCandidate> runs = {Cand("fresh", 5, 500), Cand("running", 9 * kDay, 1),
                                          Cand("pinned", 90 * kDay, 1000),
                                          Cand("old", 2 * kDay, 1)};
  runs[1].running = true;
  runs[2].pinned = true;
  RetentionReport r = PlanRetention(runs, p, kNow);
  // The run that just finished stays although alone it is over max_size.
  EXPECT_EQ(RemovedIds(r), (std::vector<std::string>{"old"}));
  EXPECT_EQ(r.pinned_runs, 1u);
  EXPECT_EQ(r.kept_runs, 3u);
}

TEST(PlanRetention, ZeroMeansUnlimited) {
  RetentionPolicy p{0, 0, 0};
  std::vector<RetentionCandidate> runs = {Cand("a", 100, u64{1} << 40), Cand("b", 999 * kDay, 1)};
  EXPECT_TRUE(PlanRetention(runs, p, kNow).removed.empty());
}

TEST(RetentionConfig, ParsesKeysUnitsAndComments) {
  RetentionPolicy p;
  ASSERT_TRUE(ParseRetentionConfig("# keep less\nmax_runs = 50\n  max_size=500MiB  # logs\n"
                                   "max_age = 2w\n\n",
                                   "retention.conf", &p)
                  .ok());
  EXPECT_EQ(p.max_runs, 50u);
  EXPECT_EQ(p.max_bytes, u64{500} << 20);
  EXPECT_EQ(p.max_age_seconds, 14 * kDay);
  ASSERT_TRUE(ParseRetentionConfig("max_size = unlimited\nmax_age=12h", "f", &p).ok());
  EXPECT_EQ(p.max_bytes, 0u);
  EXPECT_EQ(p.max_age_seconds, 12 * 3600);
}

TEST(RetentionConfig, ErrorsNameFileLineAndValue) {
  RetentionPolicy p;
  Status s = ParseRetentionConfig("max_runs = 5\nmax_size = lots\n", "/h/retention.conf", &p);
  EXPECT_EQ(s.ToString(),
            "invalid argument: /h/retention.conf:2: max_size must be a size (500MiB, 2GiB, bytes) "
            "or \"unlimited\", not \"lots\"");
  s = ParseRetentionConfig("keep = 3", "f", &p);
  EXPECT_NE(s.ToString().find("f:1: unknown key \"keep\""), std::string::npos) << s.ToString();
  s = ParseRetentionConfig("max_age 3d", "f", &p);
  EXPECT_NE(s.ToString().find("f:1: expected \"key = value\""), std::string::npos);
  s = ParseRetentionConfig("max_runs = 99999999999999999999999", "f", &p);
  EXPECT_FALSE(s.ok());
  s = ParseRetentionConfig("max_age = 5y", "f", &p);
  EXPECT_FALSE(s.ok());
}

// Environment variables win over the file, and say so in the origin.
TEST(RetentionConfig, EnvironmentOverridesTheFile) {
  TempDir dir;
  ASSERT_EQ(::mkdir(dir.home().c_str(), 0700), 0);
  WriteFile(dir.home() + "/retention.conf", testing::Bytes("max_runs = 10\nmax_age = 3d\n"));
  ::setenv("DEJA_KEEP_RUNS", "7", 1);
  auto p = LoadRetentionPolicy(dir.home());
  ::unsetenv("DEJA_KEEP_RUNS");
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->max_runs, 7u);
  EXPECT_EQ(p->max_age_seconds, 3 * kDay);
  EXPECT_EQ(p->origin, "defaults, " + dir.home() + "/retention.conf, DEJA_KEEP_RUNS");
  ::setenv("DEJA_KEEP_SIZE", "12 parsecs", 1);
  auto bad = LoadRetentionPolicy(dir.home());
  ::unsetenv("DEJA_KEEP_SIZE");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().ToString().find("DEJA_KEEP_SIZE: max_size must be a size"),
            std::string::npos);
}

class RetentionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto reg = Registry::Open(dir_.home());
    ASSERT_TRUE(reg.ok()) << reg.status().ToString();
    reg_ = std::move(reg).value();
  }

  // A finished run of module `n`, recorded `age` seconds ago.
  void FinishedRun(const std::string& id, int n, i64 age) {
    auto hash = reg_->PutModule(FakeModule(n));
    ASSERT_TRUE(hash.ok());
    Age(dir_.home() + "/modules/" + hash->substr(7) + ".wasm", 3 * 3600);
    tm::RunInfo info = MakeInfo(id, kNow - age * kSec, *hash);
    ASSERT_TRUE(reg_->BeginRun(info, getpid()).ok());
    u64 bytes = WriteLog(reg_->LogPath(id), info, 2, MakeEnd(Kind::kReturned, 0));
    ASSERT_TRUE(reg_->FinishRun(id, MakeEnd(Kind::kReturned, 0), bytes).ok());
    Age(reg_->LogPath(id), age);
  }

  std::vector<std::string> Ids() {
    auto rows = reg_->List();
    EXPECT_TRUE(rows.ok());
    std::vector<std::string> ids;
    for (const RunRow& r : *rows) ids.push_back(r.id);
    return ids;
  }

  TempDir dir_;
  std::unique_ptr<Registry> reg_;
};

TEST_F(RetentionTest, RemovesRunsTheirLogsAndUnusedModulesButNotPinnedOnes) {
  // The runs' start times are in kNow's frame; the logs' ages are real.
  i64 now = kNow;
  FinishedRun("00000000000a", 1, 100);
  FinishedRun("00000000000b", 2, 200);
  FinishedRun("00000000000c", 3, 300);
  FinishedRun("00000000000d", 3, 400);
  ASSERT_TRUE(reg_->SetPinned("00000000000d", true).ok());
  EXPECT_EQ(reg_->SetPinned("0000000000ff", true).code(), Status::Code::kNotFound);
  auto pinned = reg_->PinnedRuns();
  ASSERT_TRUE(pinned.ok());
  EXPECT_EQ(*pinned, (std::set<std::string>{"00000000000d"}));

  RetentionPolicy p;
  p.max_runs = 1;
  auto dry = reg_->ApplyRetention(p, /*dry_run=*/true, now);
  ASSERT_TRUE(dry.ok()) << dry.status().ToString();
  ASSERT_EQ(dry->removed.size(), 2u);
  EXPECT_EQ(Ids().size(), 4u) << "a dry run removed something";

  auto report = reg_->ApplyRetention(p, /*dry_run=*/false, now);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(Ids(), (std::vector<std::string>{"00000000000a", "00000000000d"}));
  EXPECT_EQ(::access(reg_->LogPath("00000000000b").c_str(), F_OK), -1);
  // Module 2 had only run b; module 3 is still used by the pinned run d.
  EXPECT_EQ(report->modules_removed, 1u);
  EXPECT_TRUE(reg_->GetModule(Registry::ModuleHash(FakeModule(3))).ok());
  EXPECT_FALSE(reg_->GetModule(Registry::ModuleHash(FakeModule(2))).ok());
  EXPECT_GT(report->bytes_freed, 0u);

  // Unpinned, d goes at the next pass.
  ASSERT_TRUE(reg_->SetPinned("00000000000d", false).ok());
  report = reg_->ApplyRetention(p, false, now);
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(Ids(), (std::vector<std::string>{"00000000000a"}));
}

TEST_F(RetentionTest, AnImportedOldRunCountsFromItsImport) {
  FinishedRun("00000000000a", 1, 10);
  // Started 90 days ago, but its log was written (imported) just now.
  auto hash = reg_->PutModule(FakeModule(5));
  ASSERT_TRUE(hash.ok());
  tm::RunInfo info = MakeInfo("00000000000e", kNow - 90 * kDay * kSec, *hash);
  ASSERT_TRUE(reg_->BeginRun(info, getpid()).ok());
  u64 bytes = WriteLog(reg_->LogPath(info.id), info, 1, MakeEnd(Kind::kReturned, 0));
  ASSERT_TRUE(reg_->FinishRun(info.id, MakeEnd(Kind::kReturned, 0), bytes).ok());
  RetentionPolicy p;
  p.max_age_seconds = 7 * kDay;
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  auto report = reg_->ApplyRetention(p, true, ts.tv_sec * kSec + ts.tv_nsec);
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report->removed.empty())
      << report->removed[0].id << ": " << report->removed[0].reason;
}

}  // namespace
}  // namespace deja::registry

namespace deja::registry {
namespace {

// Under every limit (the run path's common case) nothing goes, and the
// totals come from one aggregate query.
TEST_F(RetentionTest, WithinEveryLimitNothingGoes) {
  FinishedRun("00000000000a", 1, 100);
  FinishedRun("00000000000b", 2, 200);
  RetentionPolicy p;
  auto report = reg_->ApplyRetention(p, /*dry_run=*/false, kNow);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_TRUE(report->removed.empty());
  EXPECT_EQ(report->kept_runs, 2u);
  EXPECT_GT(report->kept_bytes, 0u);
  EXPECT_EQ(Ids().size(), 2u);
  // One over the count: the slow path removes the older one.
  p.max_runs = 1;
  report = reg_->ApplyRetention(p, false, kNow);
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(Ids(), std::vector<std::string>{"00000000000a"});
}

}  // namespace
}  // namespace deja::registry
