// Run liveness by lease (lease.h), not by pid: many runs in one process,
// pids that are gone or reused, and a holder killed with SIGKILL.
#include "registry/lease.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>

#include "registry/registry.h"
#include "registry/test_util.h"

namespace deja::registry {
namespace {

using testing::DeadPid;
using testing::MakeInfo;
using testing::OpenOrDie;
using testing::TempDir;

std::string Hash(char c) { return "sha256:" + std::string(64, c); }

std::string StatusOf(Registry& reg, const std::string& id) {
  auto row = reg.Get(id);
  EXPECT_TRUE(row.ok()) << row.status().ToString();
  return row.ok() ? row->status : "";
}

TEST(RunLease, ManyRunsInOneProcessEachHaveTheirOwnLiveness) {
  TempDir dir;
  auto reg = OpenOrDie(dir.home());
  ASSERT_NE(reg, nullptr);
  auto a = reg->BeginRun(MakeInfo("00000000000a", 1, Hash('a')), getpid());
  auto b = reg->BeginRun(MakeInfo("00000000000b", 2, Hash('a')), getpid());
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_TRUE(LeaseHeld(dir.home(), "00000000000a"));
  EXPECT_EQ(StatusOf(*reg, "00000000000a"), "running");
  EXPECT_EQ(StatusOf(*reg, "00000000000b"), "running");
  a->Release();  // a died without an end; the process (and b) live on
  EXPECT_EQ(StatusOf(*reg, "00000000000a"), "killed");
  EXPECT_EQ(StatusOf(*reg, "00000000000b"), "running");
  EXPECT_FALSE(std::filesystem::exists(LeasePath(dir.home(), "00000000000a")));
  ASSERT_TRUE(reg->FinishRun("00000000000b", testing::MakeEnd(tm::RunEnd::Kind::kReturned, 0), 1)
                  .ok());
  b->Release();
  EXPECT_EQ(StatusOf(*reg, "00000000000b"), "returned");
  auto rows = reg->List();
  ASSERT_TRUE(rows.ok());
  EXPECT_EQ(rows->size(), 2u);
}

// The pid in a row decides nothing: a held lease with a pid that is gone is
// running; a live pid (this process, as if the pid were reused) without a
// lease is killed.
TEST(RunLease, PidReuseAndDeadPidsDoNotMatter) {
  TempDir dir;
  auto reg = OpenOrDie(dir.home());
  ASSERT_NE(reg, nullptr);
  auto held = reg->BeginRun(MakeInfo("00000000000c", 1, Hash('a')), DeadPid());
  ASSERT_TRUE(held.ok());
  {
    auto dropped = reg->BeginRun(MakeInfo("00000000000d", 2, Hash('a')), getpid());
    ASSERT_TRUE(dropped.ok());
  }
  EXPECT_EQ(StatusOf(*reg, "00000000000c"), "running");
  EXPECT_EQ(StatusOf(*reg, "00000000000d"), "killed");
  // gc keeps the live one.
  auto report = reg->Gc(0);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(StatusOf(*reg, "00000000000c"), "running");
}

TEST(RunLease, ASecondHolderIsRefused) {
  TempDir dir;
  auto reg = OpenOrDie(dir.home());
  ASSERT_NE(reg, nullptr);
  auto first = RunLease::Acquire(dir.home(), "00000000000e");
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  auto second = RunLease::Acquire(dir.home(), "00000000000e");
  ASSERT_FALSE(second.ok());
  EXPECT_NE(second.status().message().find("already live"), std::string::npos);
}

// Another process records; SIGKILL ends it; the kernel drops its lock.
TEST(RunLease, KilledProcessIsSeenAsKilled) {
  TempDir dir;
  ASSERT_NE(OpenOrDie(dir.home()), nullptr);
  int ready[2];
  ASSERT_EQ(pipe(ready), 0);
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    close(ready[0]);
    auto reg = Registry::Open(dir.home());
    if (!reg.ok()) _exit(1);
    auto lease = (*reg)->BeginRun(MakeInfo("00000000000f", 1, Hash('a')), getpid());
    if (!lease.ok()) _exit(2);
    char c = 'r';
    if (write(ready[1], &c, 1) != 1) _exit(3);
    pause();
    _exit(0);
  }
  close(ready[1]);
  char c = 0;
  ASSERT_EQ(read(ready[0], &c, 1), 1);
  close(ready[0]);
  auto reg = OpenOrDie(dir.home());
  ASSERT_NE(reg, nullptr);
  EXPECT_EQ(StatusOf(*reg, "00000000000f"), "running");
  ASSERT_EQ(kill(child, SIGKILL), 0);
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  EXPECT_EQ(StatusOf(*reg, "00000000000f"), "killed");
}

}  // namespace
}  // namespace deja::registry
