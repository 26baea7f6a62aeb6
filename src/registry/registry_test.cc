#include "registry/registry.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <set>

#include "registry/database.h"
#include "registry/runs.h"
#include "registry/test_util.h"

namespace deja::registry {
namespace {

using testing::Bytes;
using testing::DeadPid;
using testing::FakeModule;
using testing::MakeEnd;
using testing::MakeInfo;
using testing::OpenOrDie;
using testing::ReadFile;
using testing::TempDir;
using testing::WriteFile;
using testing::WriteLog;
using Kind = tm::RunEnd::Kind;

std::string Hash(char c) { return "sha256:" + std::string(64, c); }

TEST(RegistryOpen, CreatesThePrivateLayout) {
  TempDir dir;
  auto reg = OpenOrDie(dir.home());
  ASSERT_NE(reg, nullptr);
  EXPECT_EQ(reg->home(), dir.home());
  struct stat st;
  ASSERT_EQ(stat(dir.home().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  EXPECT_TRUE(std::filesystem::is_directory(dir.home() + "/modules"));
  EXPECT_TRUE(std::filesystem::is_directory(dir.home() + "/runs"));
  EXPECT_TRUE(std::filesystem::is_regular_file(dir.home() + "/deja.db"));
  EXPECT_EQ(reg->LogPath("0123456789ab"), dir.home() + "/runs/0123456789ab.log");
}

TEST(RegistryOpen, TwiceIsIdempotentAndKeepsRows) {
  TempDir dir;
  {
    auto reg = OpenOrDie(dir.home());
    ASSERT_NE(reg, nullptr);
    auto lease = reg->BeginRun(MakeInfo("0123456789ab", 5, Hash('a')), getpid());
    ASSERT_TRUE(lease.ok());
    // A second connection at the same time.
    auto other = OpenOrDie(dir.home());
    ASSERT_NE(other, nullptr);
    auto rows = other->List();
    ASSERT_TRUE(rows.ok());
    EXPECT_EQ(rows->size(), 1u);
  }
  // The lease went with the scope: the run is settled, its pid alive or not.
  auto reg = OpenOrDie(dir.home());
  ASSERT_NE(reg, nullptr);
  auto row = reg->Get("0123456789ab");
  ASSERT_TRUE(row.ok()) << row.status().ToString();
  EXPECT_EQ(row->status, "killed");
  EXPECT_EQ(row->pid, getpid());
}

TEST(RegistryOpen, UsesWalJournalAndRecordsTheSchemaVersion) {
  TempDir dir;
  ASSERT_NE(OpenOrDie(dir.home()), nullptr);
  auto db = Database::Open(dir.home() + "/deja.db");
  ASSERT_TRUE(db.ok());
  auto mode = (*db)->Prepare("PRAGMA journal_mode");
  ASSERT_TRUE(mode.ok());
  ASSERT_TRUE(*mode->Step());
  EXPECT_EQ(mode->Text(0), "wal");
  auto version = (*db)->Prepare("PRAGMA user_version");
  ASSERT_TRUE(version.ok());
  ASSERT_TRUE(*version->Step());
  EXPECT_EQ(version->Int(0), kSchemaVersion);
}

TEST(RegistryOpen, RefusesANewerSchema) {
  TempDir dir;
  ASSERT_NE(OpenOrDie(dir.home()), nullptr);
  {
    auto db = Database::Open(dir.home() + "/deja.db");
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE((*db)->Exec("PRAGMA user_version = 99").ok());
  }
  auto reg = Registry::Open(dir.home());
  ASSERT_FALSE(reg.ok());
  EXPECT_EQ(reg.status().code(), Status::Code::kIoError);
  EXPECT_NE(reg.status().message().find("schema version 99"), std::string_view::npos);
  EXPECT_NE(reg.status().message().find(dir.home() + "/deja.db"), std::string_view::npos);
}

TEST(RegistryOpen, DamagedDatabaseIsACleanError) {
  TempDir dir;
  ASSERT_NE(OpenOrDie(dir.home()), nullptr);
  for (const char* wal_file : {"/deja.db-wal", "/deja.db-shm"}) {
    std::filesystem::remove(dir.home() + wal_file);
  }
  std::vector<u8> garbage(8192, 0x5a);
  WriteFile(dir.home() + "/deja.db", garbage);
  auto reg = Registry::Open(dir.home());
  ASSERT_FALSE(reg.ok());
  EXPECT_EQ(reg.status().code(), Status::Code::kIoError);
  EXPECT_NE(reg.status().message().find("database " + dir.home() + "/deja.db"),
            std::string_view::npos)
      << reg.status().ToString();
}

// Damage inside the file (a bad disk, a half-copied home): every call
// returns, with a result or an error naming the database; none crashes.
TEST(RegistryOpen, DamagedPagesGiveErrorsNotCrashes) {
  TempDir dir;
  {
    auto reg = OpenOrDie(dir.home());
    ASSERT_NE(reg, nullptr);
    int dead = DeadPid();
    for (int i = 0; i < 300; ++i) {
      char id[13];
      std::snprintf(id, sizeof id, "%012x", i * 7919);
      tm::RunInfo info = MakeInfo(id, i, Hash('a'));
      info.args.push_back(std::string(100, static_cast<char>('a' + i % 26)));
      ASSERT_TRUE(reg->BeginRun(info, dead).ok());
    }
  }  // the last connection checkpoints the WAL into deja.db
  std::vector<u8> good = ReadFile(dir.home() + "/deja.db");
  ASSERT_GT(good.size(), 4u * 4096);
  int errors = 0;
  for (size_t at = 100; at < good.size(); at += good.size() / 13) {
    std::vector<u8> bad = good;
    for (size_t i = at; i < std::min(bad.size(), at + 512); ++i) bad[i] = static_cast<u8>(i * 13);
    std::filesystem::remove(dir.home() + "/deja.db-wal");
    std::filesystem::remove(dir.home() + "/deja.db-shm");
    WriteFile(dir.home() + "/deja.db", bad);
    auto reg = Registry::Open(dir.home());
    if (!reg.ok()) {
      ++errors;
      EXPECT_NE(reg.status().message().find(dir.home() + "/deja.db"), std::string_view::npos);
      continue;
    }
    auto rows = (*reg)->List();
    if (!rows.ok()) {
      ++errors;
      EXPECT_NE(rows.status().message().find("database "), std::string_view::npos)
          << rows.status().ToString();
    }
    (void)(*reg)->Resolve("last");
    (void)(*reg)->Resolve("0000");
    (void)(*reg)->Get("000000000000");
    (void)(*reg)->Gc(0);
    (void)(*reg)->BeginRun(MakeInfo("ffffffffffff", 1, Hash('a')), getpid());
  }
  EXPECT_GT(errors, 0);
}

TEST(RegistryOpen, DatabaseWithAForeignRunsTableIsACleanError) {
  TempDir dir;
  ASSERT_NE(OpenOrDie(dir.home()), nullptr);
  {
    auto db = Database::Open(dir.home() + "/deja.db");
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE((*db)->Exec("DROP TABLE runs; CREATE TABLE runs (x INTEGER)").ok());
  }
  auto reg = OpenOrDie(dir.home());
  ASSERT_NE(reg, nullptr);
  auto rows = reg->List();
  ASSERT_FALSE(rows.ok());
  EXPECT_NE(rows.status().message().find("database "), std::string_view::npos);
  EXPECT_FALSE(reg->BeginRun(MakeInfo("0123456789ab", 1, Hash('a')), 1).ok());
}

TEST(RegistryOpen, HomeThatCannotBeCreatedNamesThePath) {
  TempDir dir;
  WriteFile(dir.path() + "/file", Bytes("x"));
  auto reg = Registry::Open(dir.path() + "/file/home");
  ASSERT_FALSE(reg.ok());
  EXPECT_EQ(reg.status().code(), Status::Code::kIoError);
  EXPECT_NE(reg.status().message().find("cannot create " + dir.path() + "/file"),
            std::string_view::npos)
      << reg.status().ToString();
}

TEST(RegistryIds, NewRunIdIsTwelveHexDigitsAndFresh) {
  TempDir dir;
  auto reg = OpenOrDie(dir.home());
  ASSERT_NE(reg, nullptr);
  std::string a = reg->NewRunId();
  std::string b = reg->NewRunId();
  EXPECT_TRUE(IsValidRunId(a)) << a;
  EXPECT_NE(a, b);
}

// A process starting thousands of runs a second: with 32 random bits, 5,000
// ids drawn at once collide with probability ~0.3%, so more than two
// duplicates means the randomness is short (16 bits gave ~190).
TEST(RegistryIds, ThousandsOfIdsInOneSecondRarelyCollide) {
  TempDir dir;
  auto reg = OpenOrDie(dir.home());
  ASSERT_NE(reg, nullptr);
  std::set<std::string> ids;
  int duplicates = 0;
  for (int i = 0; i < 5000; ++i) duplicates += ids.insert(reg->NewRunId()).second ? 0 : 1;
  EXPECT_LE(duplicates, 2);
}

TEST(RegistryModules, HashIsSha256) {
  EXPECT_EQ(Registry::ModuleHash({}),
            "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  std::vector<u8> abc = Bytes("abc");
  EXPECT_EQ(Registry::ModuleHash(abc),
            "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(RegistryModules, PutStoresOnceAndGetReadsBack) {
  TempDir dir;
  auto reg = OpenOrDie(dir.home());
  ASSERT_NE(reg, nullptr);
  std::vector<u8> wasm = FakeModule(1);
  auto first = reg->PutModule(wasm);
  auto second = reg->PutModule(wasm);
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_EQ(*first, Registry::ModuleHash(wasm));
  EXPECT_EQ(*first, *second);
  ASSERT_TRUE(reg->PutModule(FakeModule(2)).ok());
  std::vector<std::string> files;
  for (const auto& e : std::filesystem::directory_iterator(dir.home() + "/modules")) {
    files.push_back(e.path().filename().string());
  }
  EXPECT_EQ(files.size(), 2u);  // no temporary files left behind
  EXPECT_TRUE(std::filesystem::exists(dir.home() + "/modules/" + first->substr(7) + ".wasm"));
  auto back = reg->GetModule(*first);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, wasm);
}

TEST(RegistryModules, PutRepairsAFileOfTheWrongSize) {
  TempDir dir;
  auto reg = OpenOrDie(dir.home());
  ASSERT_NE(reg, nullptr);
  std::vector<u8> wasm = FakeModule(3);
  auto hash = reg->PutModule(wasm);
  ASSERT_TRUE(hash.ok());
  WriteFile(dir.home() + "/modules/" + hash->substr(7) + ".wasm", Bytes("short"));
  ASSERT_TRUE(reg->PutModule(wasm).ok());
  auto back = reg->GetModule(*hash);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, wasm);
}

TEST(RegistryModules, GetChecksTheHash) {
  TempDir dir;
  auto reg = OpenOrDie(dir.home());
  ASSERT_NE(reg, nullptr);
  std::vector<u8> wasm = FakeModule(4);
  auto hash = reg->PutModule(wasm);
  ASSERT_TRUE(hash.ok());
  std::string path = dir.home() + "/modules/" + hash->substr(7) + ".wasm";
  wasm[9] ^= 1;  // same size, one bit off
  WriteFile(path, wasm);
  auto back = reg->GetModule(*hash);
  ASSERT_FALSE(back.ok());
  EXPECT_EQ(back.status().code(), Status::Code::kCorruption);
  EXPECT_NE(back.status().message().find("module " + *hash + " is damaged"),
            std::string_view::npos)
      << back.status().ToString();
}

TEST(RegistryModules, GetUnknownOrMalformedHash) {
  TempDir dir;
  auto reg = OpenOrDie(dir.home());
  ASSERT_NE(reg, nullptr);
  auto missing = reg->GetModule(Hash('b'));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), Status::Code::kNotFound);
  EXPECT_EQ(missing.status().message(), "module " + Hash('b') + " is not in the registry");
  for (const std::string& bad : {std::string("sha256:../../etc/passwd"), std::string("abc"),
                                 "sha256:" + std::string(64, 'G'), std::string()}) {
    auto r = reg->GetModule(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().code(), Status::Code::kInvalidArgument) << bad;
  }
}

TEST(RegistryRuns, CommandLineQuotesWhatAShellWouldSplit) {
  tm::RunInfo info;
  info.args = {"prog.wasm", "plain", "two words", "it's", "", "a=b/c,d:e"};
  EXPECT_EQ(CommandLine(info), "prog.wasm plain 'two words' 'it'\\''s' '' a=b/c,d:e");
  info.invoke = "add";
  info.invoke_args = {"1", "-2", "x y"};
  EXPECT_EQ(CommandLine(info), "--invoke add 1 -2 'x y'");
}

// A run whose recording stopped early (size limit) is not listed as a clean
// exit: its status is "unreplayable", its exit status kept.
TEST(RegistryRuns, StoppedRecordingIsUnreplayable) {
  TempDir dir;
  auto reg = OpenOrDie(dir.home());
  ASSERT_NE(reg, nullptr);
  ASSERT_TRUE(reg->BeginRun(MakeInfo("00000000000a", 200, Hash('a')), getpid()).ok());
  tm::RunEnd end = MakeEnd(Kind::kExited, 0);
  end.recording_stopped = "the log reached its size limit of 1 MiB at host call 7";
  end.recorded_calls = 7;
  ASSERT_TRUE(reg->FinishRun("00000000000a", end, 4096).ok());
  auto row = reg->Get("00000000000a");
  ASSERT_TRUE(row.ok());
  EXPECT_EQ(row->status, "unreplayable");
  EXPECT_EQ(row->exit_status, 0);
}

// `deja rm` racing a live run: refused while it holds its lease; once the
// lease is gone (the row settles as killed) it may go.
TEST(RegistryRuns, RemoveRefusesARunStillBeingRecorded) {
  TempDir dir;
  auto reg = OpenOrDie(dir.home());
  ASSERT_NE(reg, nullptr);
  // Held for the whole test: the run is being recorded.
  auto lease = reg->BeginRun(MakeInfo("00000000000a", 200, Hash('a')), getpid());
  ASSERT_TRUE(lease.ok());
  WriteFile(reg->LogPath("00000000000a"), Bytes("log so far"));
  Status s = reg->Remove("00000000000a");
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument) << s.ToString();
  EXPECT_NE(s.message().find("still being recorded"), std::string_view::npos);
  EXPECT_TRUE(reg->Get("00000000000a").ok());
  EXPECT_TRUE(std::filesystem::exists(reg->LogPath("00000000000a")));

  // Its lease dropped at once, as the kernel drops a killed run's.
  ASSERT_TRUE(reg->BeginRun(MakeInfo("00000000000b", 300, Hash('a')), DeadPid()).ok());
  EXPECT_TRUE(reg->Remove("00000000000b").ok());
  EXPECT_FALSE(reg->Get("00000000000b").ok());
}

TEST(RegistryRuns, BeginFinishAndListNewestFirst) {
  TempDir dir;
  auto reg = OpenOrDie(dir.home());
  ASSERT_NE(reg, nullptr);
  ASSERT_TRUE(reg->BeginRun(MakeInfo("00000000000a", 200, Hash('a')), getpid()).ok());
  ASSERT_TRUE(reg->BeginRun(MakeInfo("00000000000b", 100, Hash('b')), getpid()).ok());
  auto lease_c = reg->BeginRun(MakeInfo("00000000000c", 300, Hash('a')), getpid());
  ASSERT_TRUE(lease_c.ok());  // held to the end of the test
  ASSERT_TRUE(reg->FinishRun("00000000000a", MakeEnd(Kind::kExited, 3), 4096).ok());
  ASSERT_TRUE(reg->FinishRun("00000000000b", MakeEnd(Kind::kTrapped, 134), 10).ok());

  auto rows = reg->List();
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  ASSERT_EQ(rows->size(), 3u);
  EXPECT_EQ((*rows)[0].id, "00000000000c");
  EXPECT_EQ((*rows)[1].id, "00000000000a");
  EXPECT_EQ((*rows)[2].id, "00000000000b");

  const RunRow& running = (*rows)[0];
  EXPECT_EQ(running.status, "running");
  EXPECT_FALSE(running.exit_status.has_value());
  EXPECT_EQ(running.start_unix_ns, 300);
  EXPECT_EQ(running.command, "prog.wasm --flag 'two words'");
  EXPECT_EQ(running.module_name, "prog.wasm");

  const RunRow& exited = (*rows)[1];
  EXPECT_EQ(exited.status, "exited");
  EXPECT_EQ(exited.exit_status, 3);
  EXPECT_EQ(exited.module_hash, Hash('a'));
  EXPECT_EQ(exited.fuel_consumed, 1234u);
  EXPECT_EQ(exited.host_calls, 3u);
  EXPECT_EQ(exited.duration_ns, 5'000'000u);
  EXPECT_EQ(exited.log_bytes, 4096u);
  EXPECT_EQ((*rows)[2].status, "trapped");
  EXPECT_EQ((*rows)[2].exit_status, 134);
}

TEST(RegistryRuns, LargeCountersSurviveTheDatabase) {
  TempDir dir;
  auto reg = OpenOrDie(dir.home());
  ASSERT_NE(reg, nullptr);
  ASSERT_TRUE(reg->BeginRun(MakeInfo("00000000000a", INT64_MIN, Hash('a')), getpid()).ok());
  tm::RunEnd end = MakeEnd(Kind::kOutOfFuel, INT32_MIN);
  end.fuel_consumed = UINT64_MAX;
  ASSERT_TRUE(reg->FinishRun("00000000000a", end, UINT64_MAX - 1).ok());
  auto row = reg->Get("00000000000a");
  ASSERT_TRUE(row.ok());
  EXPECT_EQ(row->start_unix_ns, INT64_MIN);
  EXPECT_EQ(row->fuel_consumed, UINT64_MAX);
  EXPECT_EQ(row->log_bytes, UINT64_MAX - 1);
  EXPECT_EQ(row->exit_status, INT32_MIN);
  EXPECT_EQ(row->status, "out-of-fuel");
}

TEST(RegistryRuns, BadIdsDuplicatesAndUnknownRuns) {
  TempDir dir;
  auto reg = OpenOrDie(dir.home());
  ASSERT_NE(reg, nullptr);
  for (const char* bad : {"", "0123", "0123456789AB", "../../../etc", "0123456789abc"}) {
    Status s = reg->BeginRun(MakeInfo(bad, 1, Hash('a')), getpid()).status();
    EXPECT_EQ(s.code(), Status::Code::kInvalidArgument) << bad;
  }
  ASSERT_TRUE(reg->BeginRun(MakeInfo("0123456789ab", 1, Hash('a')), getpid()).ok());
  Status dup = reg->BeginRun(MakeInfo("0123456789ab", 2, Hash('a')), getpid()).status();
  EXPECT_EQ(dup.code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(dup.message(), "run 0123456789ab is already in the registry");
  Status finish = reg->FinishRun("ffffffffffff", MakeEnd(Kind::kReturned, 0), 1);
  EXPECT_EQ(finish.code(), Status::Code::kNotFound);
  auto get = reg->Get("ffffffffffff");
  ASSERT_FALSE(get.ok());
  EXPECT_EQ(get.status().code(), Status::Code::kNotFound);
  EXPECT_EQ(get.status().message().substr(0, 7), "no run ");
}

TEST(RegistryResolve, ExactPrefixLastAndErrors) {
  TempDir dir;
  auto reg = OpenOrDie(dir.home());
  ASSERT_NE(reg, nullptr);
  auto last = reg->Resolve("last");
  ASSERT_FALSE(last.ok());
  EXPECT_EQ(last.status().code(), Status::Code::kNotFound);
  EXPECT_EQ(last.status().message().substr(0, 7), "no run ");

  ASSERT_TRUE(reg->BeginRun(MakeInfo("abcd00000001", 30, Hash('a')), getpid()).ok());
  ASSERT_TRUE(reg->BeginRun(MakeInfo("abcd00000002", 10, Hash('a')), getpid()).ok());
  ASSERT_TRUE(reg->BeginRun(MakeInfo("1234ffffffff", 20, Hash('a')), getpid()).ok());

  auto exact = reg->Resolve("abcd00000002");
  ASSERT_TRUE(exact.ok());
  EXPECT_EQ(*exact, "abcd00000002");
  auto prefix = reg->Resolve("1234");
  ASSERT_TRUE(prefix.ok());
  EXPECT_EQ(*prefix, "1234ffffffff");
  auto longer = reg->Resolve("abcd000000");
  ASSERT_FALSE(longer.ok());
  auto unique = reg->Resolve("ABCD00000001");  // ids are shown lowercase; case is forgiven
  ASSERT_TRUE(unique.ok());
  EXPECT_EQ(*unique, "abcd00000001");
  last = reg->Resolve("last");
  ASSERT_TRUE(last.ok());
  EXPECT_EQ(*last, "abcd00000001");

  auto ambiguous = reg->Resolve("abcd");
  ASSERT_FALSE(ambiguous.ok());
  EXPECT_EQ(ambiguous.status().code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(ambiguous.status().message(),
            "run id prefix abcd is ambiguous: abcd00000001, abcd00000002");

  auto short_prefix = reg->Resolve("abc");
  ASSERT_FALSE(short_prefix.ok());
  EXPECT_EQ(short_prefix.status().code(), Status::Code::kInvalidArgument);
  EXPECT_NE(short_prefix.status().message().find("too short"), std::string_view::npos);

  for (const char* unknown : {"ffff", "abcd00000003", "abcd%", "abcd_0000001", "1234ffffffff0"}) {
    auto r = reg->Resolve(unknown);
    ASSERT_FALSE(r.ok()) << unknown;
    EXPECT_EQ(r.status().code(), Status::Code::kNotFound) << unknown;
    EXPECT_EQ(r.status().message(), std::string("no run ") + unknown);
  }
}

TEST(RegistryResolve, AmbiguousListIsBounded) {
  TempDir dir;
  auto reg = OpenOrDie(dir.home());
  ASSERT_NE(reg, nullptr);
  for (int i = 0; i < 15; ++i) {
    char id[13];
    std::snprintf(id, sizeof id, "beef%08x", i);
    ASSERT_TRUE(reg->BeginRun(MakeInfo(id, i, Hash('a')), getpid()).ok());
  }
  auto r = reg->Resolve("beef");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("beef00000009, ..."), std::string_view::npos)
      << r.status().ToString();
}

TEST(RegistryRemove, DeletesRowAndLogButNotTheModule) {
  TempDir dir;
  auto reg = OpenOrDie(dir.home());
  ASSERT_NE(reg, nullptr);
  auto hash = reg->PutModule(FakeModule(1));
  ASSERT_TRUE(hash.ok());
  tm::RunInfo info = MakeInfo("0123456789ab", 1, *hash);
  ASSERT_TRUE(reg->BeginRun(info, getpid()).ok());
  WriteLog(reg->LogPath(info.id), info, 3, MakeEnd(Kind::kReturned, 0));
  ASSERT_TRUE(reg->FinishRun(info.id, MakeEnd(Kind::kReturned, 0), 100).ok());

  ASSERT_TRUE(reg->Remove(info.id).ok());
  EXPECT_FALSE(std::filesystem::exists(reg->LogPath(info.id)));
  EXPECT_EQ(reg->Get(info.id).status().code(), Status::Code::kNotFound);
  EXPECT_TRUE(reg->GetModule(*hash).ok());
  Status again = reg->Remove(info.id);
  EXPECT_EQ(again.code(), Status::Code::kNotFound);
  EXPECT_EQ(reg->Remove("../deja").code(), Status::Code::kNotFound);
}

TEST(RegistryRuns, RunWhoseProcessDiedShowsAsKilled) {
  TempDir dir;
  auto reg = OpenOrDie(dir.home());
  ASSERT_NE(reg, nullptr);
  tm::RunInfo killed = MakeInfo("00000000000a", 1, Hash('a'));
  tm::RunInfo ended = MakeInfo("00000000000b", 2, Hash('a'));
  tm::RunInfo live = MakeInfo("00000000000c", 3, Hash('a'));
  int dead = DeadPid();
  ASSERT_TRUE(reg->BeginRun(killed, dead).ok());
  ASSERT_TRUE(reg->BeginRun(ended, dead).ok());
  auto live_lease = reg->BeginRun(live, getpid());
  ASSERT_TRUE(live_lease.ok());
  u64 killed_bytes = WriteLog(reg->LogPath(killed.id), killed, 5, std::nullopt);
  // This one wrote its end frame, then died before FinishRun.
  WriteLog(reg->LogPath(ended.id), ended, 2, MakeEnd(Kind::kExited, 7));

  auto rows = reg->List();
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 3u);
  EXPECT_EQ((*rows)[0].status, "running");
  EXPECT_EQ((*rows)[1].status, "exited");
  EXPECT_EQ((*rows)[1].exit_status, 7);
  EXPECT_EQ((*rows)[2].status, "killed");
  EXPECT_EQ((*rows)[2].host_calls, 5u);
  EXPECT_EQ((*rows)[2].log_bytes, killed_bytes);
  EXPECT_FALSE((*rows)[2].exit_status.has_value());

  // Settled in the database too, not only in what List returned.
  auto db = Database::Open(dir.home() + "/deja.db");
  ASSERT_TRUE(db.ok());
  auto stored = SelectRuns(db->get(), "ORDER BY id");
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ((*stored)[0].status, "killed");
  EXPECT_EQ((*stored)[1].status, "exited");
  EXPECT_EQ((*stored)[2].status, "running");
}

TEST(RegistryRuns, GetSettlesADeadRunWithoutALog) {
  TempDir dir;
  auto reg = OpenOrDie(dir.home());
  ASSERT_NE(reg, nullptr);
  ASSERT_TRUE(reg->BeginRun(MakeInfo("00000000000a", 1, Hash('a')), DeadPid()).ok());
  auto row = reg->Get("00000000000a");
  ASSERT_TRUE(row.ok());
  EXPECT_EQ(row->status, "killed");
  EXPECT_EQ(row->log_bytes, 0u);
}

// Several deja processes record at once, into a home none of them has
// created yet: every row lands, none is lost to SQLITE_BUSY.
TEST(RegistryConcurrency, ProcessesInsertAtTheSameTime) {
  TempDir dir;
  constexpr int kProcesses = 6;
  constexpr int kRunsEach = 25;
  std::vector<pid_t> children;
  for (int p = 0; p < kProcesses; ++p) {
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      auto reg = Registry::Open(dir.home());
      if (!reg.ok()) _exit(10);
      for (int i = 0; i < kRunsEach; ++i) {
        char id[13];
        std::snprintf(id, sizeof id, "%04x%08x", p, i);
        if (!(*reg)->BeginRun(MakeInfo(id, p * 1000 + i, Hash('a')), getpid()).ok()) _exit(11);
        if (!(*reg)->FinishRun(id, MakeEnd(Kind::kReturned, 0), 1).ok()) _exit(12);
        if (!(*reg)->List().ok()) _exit(13);
      }
      _exit(0);
    }
    children.push_back(pid);
  }
  for (pid_t pid : children) {
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    EXPECT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 0);
  }
  auto reg = OpenOrDie(dir.home());
  ASSERT_NE(reg, nullptr);
  auto rows = reg->List();
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), static_cast<size_t>(kProcesses * kRunsEach));
  for (const RunRow& row : *rows) EXPECT_EQ(row.status, "returned") << row.id;
}

}  // namespace
}  // namespace deja::registry
