#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "registry/registry.h"
#include "registry/test_util.h"

namespace deja::registry {
namespace {

using testing::Age;
using testing::Bytes;
using testing::DeadPid;
using testing::FakeModule;
using testing::MakeEnd;
using testing::MakeInfo;
using testing::TempDir;
using testing::WriteFile;
using testing::WriteLog;
using Kind = tm::RunEnd::Kind;

constexpr i64 kOld = 3 * 3600;  // older than every grace period

class GcTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto reg = Registry::Open(dir_.home());
    ASSERT_TRUE(reg.ok()) << reg.status().ToString();
    reg_ = std::move(reg).value();
  }

  std::string ModulePath(const std::string& hash) const {
    return dir_.home() + "/modules/" + hash.substr(7) + ".wasm";
  }

  // A module put into the store and aged past the grace period.
  std::string OldModule(int n) {
    auto hash = reg_->PutModule(FakeModule(n));
    EXPECT_TRUE(hash.ok());
    Age(ModulePath(*hash), kOld);
    return *hash;
  }

  // A finished run of `hash` with a log.
  tm::RunInfo FinishedRun(const std::string& id, const std::string& hash) {
    tm::RunInfo info = MakeInfo(id, 1, hash);
    EXPECT_TRUE(reg_->BeginRun(info, getpid()).ok());
    u64 bytes = WriteLog(reg_->LogPath(id), info, 2, MakeEnd(Kind::kReturned, 0));
    EXPECT_TRUE(reg_->FinishRun(id, MakeEnd(Kind::kReturned, 0), bytes).ok());
    Age(reg_->LogPath(id), kOld);
    return info;
  }

  TempDir dir_;
  std::unique_ptr<Registry> reg_;
};

TEST_F(GcTest, EmptyRegistryHasNothingToDo) {
  auto report = reg_->Gc(0);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->modules_removed + report->logs_removed + report->rows_removed, 0u);
  EXPECT_EQ(report->bytes_freed, 0u);
}

TEST_F(GcTest, RemovesWhatNothingRefersToAndKeepsTheRest) {
  std::string used = OldModule(1);
  std::string unused = OldModule(2);
  u64 unused_size = FakeModule(2).size();
  FinishedRun("00000000000a", used);

  // A log without a row (its run was removed from the index).
  tm::RunInfo orphan = MakeInfo("00000000000f", 1, used);
  u64 orphan_bytes = WriteLog(reg_->LogPath(orphan.id), orphan, 1, MakeEnd(Kind::kReturned, 0));
  Age(reg_->LogPath(orphan.id), kOld);

  // A row without a log (its log was deleted by hand), which alone refers
  // to a module: both go.
  std::string only_lost = OldModule(3);
  ASSERT_TRUE(reg_->BeginRun(MakeInfo("00000000000b", 2, only_lost), getpid()).ok());
  ASSERT_TRUE(reg_->FinishRun("00000000000b", MakeEnd(Kind::kExited, 1), 10).ok());

  // A killed run: its process is gone, its log has no end. Kept, as killed.
  std::string killed_module = OldModule(4);
  tm::RunInfo killed = MakeInfo("00000000000c", 3, killed_module);
  ASSERT_TRUE(reg_->BeginRun(killed, DeadPid()).ok());
  WriteLog(reg_->LogPath(killed.id), killed, 4, std::nullopt);
  Age(reg_->LogPath(killed.id), kOld);

  // A run being recorded right now that has not written its log yet.
  std::string live_module = OldModule(5);
  auto live = reg_->BeginRun(MakeInfo("00000000000d", 4, live_module), getpid());
  ASSERT_TRUE(live.ok());

  // A run that died before it wrote its log: nothing to keep.
  ASSERT_TRUE(reg_->BeginRun(MakeInfo("00000000000e", 5, used), DeadPid()).ok());

  // Leftovers of a write that never finished.
  std::string stale_temp = dir_.home() + "/modules/.tmp-0123456789abcdef";
  WriteFile(stale_temp, Bytes("partial"));
  Age(stale_temp, kOld);

  auto report = reg_->Gc();
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->modules_removed, 2u);  // unused, only_lost
  EXPECT_EQ(report->logs_removed, 1u);     // orphan
  EXPECT_EQ(report->rows_removed, 2u);     // ...b, ...e
  EXPECT_EQ(report->bytes_freed,
            unused_size + FakeModule(3).size() + orphan_bytes + std::string("partial").size());

  EXPECT_TRUE(std::filesystem::exists(ModulePath(used)));
  EXPECT_FALSE(std::filesystem::exists(ModulePath(unused)));
  EXPECT_FALSE(std::filesystem::exists(ModulePath(only_lost)));
  EXPECT_TRUE(std::filesystem::exists(ModulePath(killed_module)));
  EXPECT_TRUE(std::filesystem::exists(ModulePath(live_module)));
  EXPECT_FALSE(std::filesystem::exists(reg_->LogPath(orphan.id)));
  EXPECT_TRUE(std::filesystem::exists(reg_->LogPath(killed.id)));
  EXPECT_FALSE(std::filesystem::exists(stale_temp));

  auto rows = reg_->List();
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 3u);
  EXPECT_EQ((*rows)[0].id, "00000000000d");
  EXPECT_EQ((*rows)[0].status, "running");
  EXPECT_EQ((*rows)[1].id, "00000000000c");
  EXPECT_EQ((*rows)[1].status, "killed");
  EXPECT_EQ((*rows)[2].id, "00000000000a");

  // Nothing left to do the second time.
  auto again = reg_->Gc();
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->modules_removed + again->logs_removed + again->rows_removed, 0u);
}

// A `deja run` starting now stores its module and creates its log before its
// row exists; Gc must not take them away meanwhile.
TEST_F(GcTest, SparesRecentFilesUntilTheGracePeriodEnds) {
  auto fresh = reg_->PutModule(FakeModule(7));
  ASSERT_TRUE(fresh.ok());
  tm::RunInfo starting = MakeInfo("00000000000a", 1, *fresh);
  WriteLog(reg_->LogPath(starting.id), starting, 0, std::nullopt);

  auto report = reg_->Gc();
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->modules_removed + report->logs_removed, 0u);
  EXPECT_TRUE(std::filesystem::exists(ModulePath(*fresh)));

  // Putting a module that is already stored renews its grace period.
  Age(ModulePath(*fresh), kOld);
  ASSERT_TRUE(reg_->PutModule(FakeModule(7)).ok());
  report = reg_->Gc();
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->modules_removed, 0u);

  report = reg_->Gc(0);
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->modules_removed, 1u);
  EXPECT_EQ(report->logs_removed, 1u);
}

TEST_F(GcTest, ModuleGoesOnceItsLastRunIsRemoved) {
  std::string hash = OldModule(1);
  FinishedRun("00000000000a", hash);
  FinishedRun("00000000000b", hash);
  ASSERT_TRUE(reg_->Remove("00000000000a").ok());
  auto report = reg_->Gc();
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->modules_removed, 0u);
  ASSERT_TRUE(reg_->Remove("00000000000b").ok());
  report = reg_->Gc();
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->modules_removed, 1u);
  EXPECT_EQ(reg_->GetModule(hash).status().code(), Status::Code::kNotFound);
}

// Stored snapshots (PutSnapshot) go once no kept run's log names them as
// the snapshot it was resumed from, with the same grace period as modules.
TEST_F(GcTest, SnapshotsGoOnceNoRunWasResumedFromThem) {
  std::string module = OldModule(1);
  auto snapshot_path = [this](const std::string& hash) {
    return dir_.home() + "/snapshots/" + hash.substr(7);
  };
  auto old_snapshot = [&](std::string_view text) {
    auto hash = reg_->PutSnapshot(Bytes(text));
    EXPECT_TRUE(hash.ok());
    Age(snapshot_path(*hash), kOld);
    return *hash;
  };
  auto resumed_run = [&](const std::string& id, const std::string& snapshot) {
    tm::RunInfo info = MakeInfo(id, 1, module);
    info.resumed_from = snapshot;
    EXPECT_TRUE(reg_->BeginRun(info, getpid()).ok());
    u64 bytes = WriteLog(reg_->LogPath(id), info, 1, MakeEnd(Kind::kReturned, 0));
    EXPECT_TRUE(reg_->FinishRun(id, MakeEnd(Kind::kReturned, 0), bytes).ok());
    Age(reg_->LogPath(id), kOld);
  };
  std::string kept = old_snapshot("DEJASNAP kept");
  std::string dropped = old_snapshot("DEJASNAP dropped");
  std::string unused = old_snapshot("DEJASNAP never used");
  resumed_run("00000000000a", kept);
  resumed_run("00000000000b", dropped);
  FinishedRun("00000000000c", module);  // not resumed: names no snapshot
  ASSERT_TRUE(reg_->Remove("00000000000b").ok());
  auto fresh = reg_->PutSnapshot(Bytes("DEJASNAP just stored"));  // a resume starting now
  ASSERT_TRUE(fresh.ok());

  auto report = reg_->Gc();
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->snapshots_removed, 2u);
  EXPECT_EQ(report->bytes_freed,
            std::string("DEJASNAP dropped").size() + std::string("DEJASNAP never used").size());
  EXPECT_TRUE(std::filesystem::exists(snapshot_path(kept)));
  EXPECT_FALSE(std::filesystem::exists(snapshot_path(dropped)));
  EXPECT_FALSE(std::filesystem::exists(snapshot_path(unused)));
  EXPECT_TRUE(std::filesystem::exists(snapshot_path(*fresh)));
  EXPECT_TRUE(reg_->GetSnapshot(kept).ok());

  // Storing it again (another resume from the same file) renews its grace.
  Age(snapshot_path(*fresh), kOld);
  ASSERT_TRUE(reg_->PutSnapshot(Bytes("DEJASNAP just stored")).ok());
  report = reg_->Gc();
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->snapshots_removed, 0u);

  // A live run whose log header is not written yet may be resumed from any
  // of them: nothing goes while it runs.
  auto live = reg_->BeginRun(MakeInfo("00000000000d", 2, module), getpid());
  ASSERT_TRUE(live.ok());
  ASSERT_TRUE(reg_->Remove("00000000000a").ok());
  report = reg_->Gc(0);
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->snapshots_removed, 0u);
  // It ends (a live run cannot be removed), then goes.
  ASSERT_TRUE(reg_->FinishRun("00000000000d", MakeEnd(tm::RunEnd::Kind::kExited, 0), 0).ok());
  ASSERT_TRUE(reg_->Remove("00000000000d").ok());
  report = reg_->Gc(0);
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->snapshots_removed, 2u);  // kept, fresh
  EXPECT_EQ(reg_->GetSnapshot(kept).status().code(), Status::Code::kNotFound);
}

}  // namespace
}  // namespace deja::registry
