#include <gtest/gtest.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "registry/export_format.h"
#include "registry/files.h"
#include "registry/registry.h"
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

// Builds export files by hand, for the inputs Export never writes.
class ExportBuilder {
 public:
  ExportBuilder() {
    bytes_.resize(kExportHeaderSize);
    std::memcpy(bytes_.data(), kExportMagic, sizeof kExportMagic);
    PutU32Le(kExportVersion, bytes_.data() + sizeof kExportMagic);
  }
  ExportBuilder& Section(u32 type, std::span<const u8> payload) {
    u8 head[kSectionHeaderSize];
    PutU32Le(type, head);
    PutU64Le(payload.size(), head + 4);
    PutU32Le(tm::Crc32c(payload, SectionCrcSeed(type, payload.size())), head + 12);
    bytes_.insert(bytes_.end(), head, head + sizeof head);
    bytes_.insert(bytes_.end(), payload.begin(), payload.end());
    return *this;
  }
  ExportBuilder& Manifest(const std::string& id, i64 start, const std::string& hash) {
    nlohmann::json m = {{"format", "deja-export"}, {"version", 1},      {"id", id},
                        {"start_unix_ns", start},  {"module_hash", hash}};
    std::string text = m.dump();
    return Section(1, Bytes(text));
  }
  const std::vector<u8>& bytes() const { return bytes_; }

 private:
  std::vector<u8> bytes_;
};

class ExportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    src_ = OpenOrDie(dir_.path() + "/src");
    dst_ = OpenOrDie(dir_.path() + "/dst");
    ASSERT_NE(src_, nullptr);
    ASSERT_NE(dst_, nullptr);
  }

  // A run recorded into src_: its module, row and log.
  tm::RunInfo Record(const std::string& id, const std::optional<tm::RunEnd>& end, int pid,
                     u64 records = 20) {
    auto hash = src_->PutModule(wasm_);
    EXPECT_TRUE(hash.ok());
    tm::RunInfo info = MakeInfo(id, 1'700'000'000'000'000'000, *hash);
    auto lease = src_->BeginRun(info, pid);
    EXPECT_TRUE(lease.ok());
    // A run of this process is live until the test ends; one of a dead pid
    // died at once (its lease gone).
    if (lease.ok() && pid == getpid()) leases_.push_back(std::move(lease).value());
    u64 bytes = WriteLog(src_->LogPath(id), info, records, end);
    if (end.has_value()) {
      EXPECT_TRUE(src_->FinishRun(id, *end, bytes).ok());
    }
    return info;
  }

  // The destination holds nothing: no row, no log, no module, no
  // temporary file.
  void ExpectUntouched() {
    auto rows = dst_->List();
    ASSERT_TRUE(rows.ok());
    EXPECT_TRUE(rows->empty());
    EXPECT_TRUE(std::filesystem::is_empty(dst_->home() + "/runs"));
    EXPECT_TRUE(std::filesystem::is_empty(dst_->home() + "/modules"));
  }

  TempDir dir_;
  std::unique_ptr<Registry> src_;
  std::vector<RunLease> leases_;  // runs of this process still recording
  std::unique_ptr<Registry> dst_;
  std::vector<u8> wasm_ = FakeModule(5);
};

TEST_F(ExportTest, RoundTripIntoAFreshHome) {
  tm::RunEnd end = MakeEnd(Kind::kExited, 42);
  tm::RunInfo info = Record("0123456789ab", end, getpid());
  std::string file = dir_.path() + "/run.deja";
  Status exported = src_->Export(info.id, file);
  ASSERT_TRUE(exported.ok()) << exported.ToString();

  auto id = dst_->Import(file);
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  EXPECT_EQ(*id, info.id);
  auto a = src_->Get(info.id);
  auto b = dst_->Get(info.id);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(b->status, "exited");
  EXPECT_EQ(b->exit_status, 42);
  EXPECT_EQ(b->start_unix_ns, a->start_unix_ns);
  EXPECT_EQ(b->module_hash, a->module_hash);
  EXPECT_EQ(b->module_name, a->module_name);
  EXPECT_EQ(b->command, a->command);
  EXPECT_EQ(b->duration_ns, a->duration_ns);
  EXPECT_EQ(b->fuel_consumed, a->fuel_consumed);
  EXPECT_EQ(b->host_calls, a->host_calls);
  EXPECT_EQ(b->log_bytes, a->log_bytes);
  EXPECT_EQ(b->pid, 0);
  EXPECT_EQ(ReadFile(dst_->LogPath(info.id)), ReadFile(src_->LogPath(info.id)));
  auto module = dst_->GetModule(a->module_hash);
  ASSERT_TRUE(module.ok());
  EXPECT_EQ(*module, wasm_);
  auto last = dst_->Resolve("last");
  ASSERT_TRUE(last.ok());
  EXPECT_EQ(*last, info.id);

  // Once only.
  auto again = dst_->Import(file);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.status().code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(again.status().message(), "run 0123456789ab is already in the registry");
}

TEST_F(ExportTest, RunStillRecordingExportsItsLogSoFar) {
  tm::RunInfo info = Record("0123456789ab", std::nullopt, getpid(), 7);
  std::string file = dir_.path() + "/run.deja";
  ASSERT_TRUE(src_->Export(info.id, file).ok());
  auto row = src_->Get(info.id);
  ASSERT_TRUE(row.ok());
  EXPECT_EQ(row->status, "running");

  auto id = dst_->Import(file);
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  auto imported = dst_->Get(*id);
  ASSERT_TRUE(imported.ok());
  EXPECT_EQ(imported->status, "killed");
  EXPECT_EQ(imported->host_calls, 7u);
  EXPECT_FALSE(imported->exit_status.has_value());
}

TEST_F(ExportTest, KilledRunTravelsAsKilled) {
  tm::RunInfo info = Record("0123456789ab", std::nullopt, DeadPid(), 3);
  std::string file = dir_.path() + "/run.deja";
  ASSERT_TRUE(src_->Export(info.id, file).ok());
  auto id = dst_->Import(file);
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  EXPECT_EQ(dst_->Get(*id)->status, "killed");
}

TEST_F(ExportTest, ExportErrors) {
  std::string file = dir_.path() + "/run.deja";
  EXPECT_EQ(src_->Export("ffffffffffff", file).code(), Status::Code::kNotFound);
  EXPECT_EQ(src_->Export("../../etc/x", file).code(), Status::Code::kNotFound);
  // A row whose log is gone.
  auto hash = src_->PutModule(wasm_);
  ASSERT_TRUE(hash.ok());
  ASSERT_TRUE(src_->BeginRun(MakeInfo("0123456789ab", 1, *hash), getpid()).ok());
  Status no_log = src_->Export("0123456789ab", file);
  EXPECT_EQ(no_log.code(), Status::Code::kNotFound);
  EXPECT_NE(no_log.message().find("has no log"), std::string_view::npos);
  // Nowhere to write.
  Record("0123456789ac", MakeEnd(Kind::kReturned, 0), getpid());
  Status bad_dir = src_->Export("0123456789ac", dir_.path() + "/missing/run.deja");
  EXPECT_EQ(bad_dir.code(), Status::Code::kIoError);
  EXPECT_FALSE(std::filesystem::exists(file));
}

TEST_F(ExportTest, ImportOfWhatIsNotAnExport) {
  auto missing = dst_->Import(dir_.path() + "/missing.deja");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), Status::Code::kNotFound);

  std::string file = dir_.path() + "/x.deja";
  for (const std::string& content : {std::string(), std::string("DEJAEXP"),
                                     std::string("hello, this is not an export file")}) {
    WriteFile(file, Bytes(content));
    auto r = dst_->Import(file);
    ASSERT_FALSE(r.ok()) << content;
    EXPECT_EQ(r.status().code(), Status::Code::kCorruption) << content;
    EXPECT_NE(r.status().message().find("not a deja export file"), std::string_view::npos)
        << r.status().ToString();
  }
  auto dir = dst_->Import(dir_.path());
  EXPECT_FALSE(dir.ok());
  ExpectUntouched();
}

// Every single-byte change and every cut is caught, with nothing left behind.
TEST_F(ExportTest, DamagedOrTruncatedExportIsACleanError) {
  tm::RunInfo info = Record("0123456789ab", MakeEnd(Kind::kReturned, 0), getpid());
  std::string good_file = dir_.path() + "/run.deja";
  ASSERT_TRUE(src_->Export(info.id, good_file).ok());
  std::vector<u8> good = ReadFile(good_file);
  ASSERT_GT(good.size(), 200u);
  std::string file = dir_.path() + "/bad.deja";

  size_t step = std::max<size_t>(1, good.size() / 400);
  std::vector<size_t> offsets;
  for (size_t at = 0; at < 64; ++at) offsets.push_back(at);  // header, first section header
  for (size_t at = 64; at < good.size(); at += step) offsets.push_back(at);
  offsets.push_back(good.size() - 1);

  for (size_t at : offsets) {
    std::vector<u8> flipped = good;
    flipped[at] ^= 0x41;
    WriteFile(file, flipped);
    auto r = dst_->Import(file);
    ASSERT_FALSE(r.ok()) << "byte " << at << " changed";
    EXPECT_EQ(r.status().code(), Status::Code::kCorruption) << at << ": " << r.status().ToString();

    std::vector<u8> cut(good.begin(), good.begin() + static_cast<std::ptrdiff_t>(at));
    WriteFile(file, cut);
    r = dst_->Import(file);
    ASSERT_FALSE(r.ok()) << "cut at " << at;
    EXPECT_EQ(r.status().code(), Status::Code::kCorruption) << at << ": " << r.status().ToString();
  }
  ExpectUntouched();
  // And the good file still imports.
  auto id = dst_->Import(good_file);
  ASSERT_TRUE(id.ok()) << id.status().ToString();
}

TEST_F(ExportTest, HostileSectionsAreBounded) {
  std::string hash = Registry::ModuleHash(wasm_);
  std::string file = dir_.path() + "/x.deja";
  auto import = [&](const std::vector<u8>& bytes) {
    WriteFile(file, bytes);
    auto r = dst_->Import(file);
    EXPECT_FALSE(r.ok());
    return r.ok() ? std::string() : std::string(r.status().message());
  };

  // A length far past the end of the file.
  ExportBuilder huge;
  std::vector<u8> bytes = huge.bytes();
  u8 head[kSectionHeaderSize];
  PutU32Le(2, head);
  PutU64Le(UINT64_MAX - 3, head + 4);
  PutU32Le(0, head + 12);
  bytes.insert(bytes.end(), head, head + sizeof head);
  EXPECT_NE(import(bytes).find("remain (truncated?)"), std::string::npos);

  // An oversized manifest, a manifest that is not JSON, ids that are paths.
  std::vector<u8> big(kMaxManifestBytes + 1, ' ');
  EXPECT_NE(import(ExportBuilder().Section(1, big).bytes()).find("at most"), std::string::npos);
  EXPECT_NE(import(ExportBuilder().Section(1, Bytes("{\"format\":")).bytes()).find("JSON"),
            std::string::npos);
  EXPECT_NE(import(ExportBuilder().Manifest("../../../x", 1, hash).bytes()).find("run id"),
            std::string::npos);
  EXPECT_NE(import(ExportBuilder().Manifest("0123456789ab", 1, "sha256:/etc").bytes())
                .find("module hash"),
            std::string::npos);

  // Sections missing or repeated.
  EXPECT_NE(import(ExportBuilder().Manifest("0123456789ab", 1, hash).bytes()).find("no module"),
            std::string::npos);
  EXPECT_NE(import(ExportBuilder()
                       .Manifest("0123456789ab", 1, hash)
                       .Manifest("0123456789ab", 1, hash)
                       .bytes())
                .find("two manifest"),
            std::string::npos);
  EXPECT_NE(import(ExportBuilder().Manifest("0123456789ab", 1, hash).Section(2, wasm_).bytes())
                .find("no log"),
            std::string::npos);

  // A module that is not the one the manifest names.
  std::vector<u8> other = FakeModule(6);
  EXPECT_NE(import(ExportBuilder()
                       .Manifest("0123456789ab", 1, hash)
                       .Section(2, other)
                       .Section(3, Bytes("log"))
                       .bytes())
                .find("module hash mismatch"),
            std::string::npos);

  // A log that is not a log, and a log of another run.
  EXPECT_NE(import(ExportBuilder()
                       .Manifest("0123456789ab", 1, hash)
                       .Section(2, wasm_)
                       .Section(3, Bytes("not a log at all"))
                       .bytes())
                .find("not a deja log"),
            std::string::npos);
  tm::RunInfo info = Record("00000000beef", MakeEnd(Kind::kReturned, 0), getpid());
  std::vector<u8> log = ReadFile(src_->LogPath(info.id));
  EXPECT_NE(import(ExportBuilder()
                       .Manifest("0123456789ab", info.start_unix_ns, hash)
                       .Section(2, wasm_)
                       .Section(3, log)
                       .bytes())
                .find("the log is of run 00000000beef"),
            std::string::npos);
  ExpectUntouched();

  // Unknown sections are skipped: a later format may add some.
  auto ok = [&]() {
    WriteFile(file, ExportBuilder()
                        .Manifest(info.id, info.start_unix_ns, hash)
                        .Section(99, Bytes("future"))
                        .Section(2, wasm_)
                        .Section(3, log)
                        .bytes());
    return dst_->Import(file);
  }();
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(*ok, info.id);
}

}  // namespace
}  // namespace deja::registry

namespace deja::registry {
namespace {

// An import killed after its log was put in place but before its row went in
// (the transaction rolled back) left runs/<id>.log alone: the next import of
// the same run takes it for its own leftover instead of saying "already in
// the registry" until gc.
TEST_F(ExportTest, ImportRecoversFromAKilledImportsLeftoverLog) {
  tm::RunInfo info = Record("0123456789ab", MakeEnd(Kind::kExited, 0), getpid());
  std::string file = dir_.path() + "/run.deja";
  ASSERT_TRUE(src_->Export(info.id, file).ok());
  // The leftover: a whole log, or the beginning of one (no end frame).
  std::vector<u8> log = ReadFile(src_->LogPath(info.id));
  for (size_t keep : {log.size(), log.size() / 2}) {
    WriteFile(dst_->LogPath(info.id), std::vector<u8>(log.begin(), log.begin() + keep));
    auto rows = dst_->List();
    ASSERT_TRUE(rows.ok());
    EXPECT_TRUE(rows->empty());
    auto id = dst_->Import(file);
    ASSERT_TRUE(id.ok()) << id.status().ToString();
    EXPECT_EQ(ReadFile(dst_->LogPath(info.id)), log);
    auto row = dst_->Get(info.id);
    ASSERT_TRUE(row.ok());
    EXPECT_EQ(row->status, "exited");
    ASSERT_TRUE(dst_->Remove(info.id).ok());
  }

  // A log of another run under that id (another start time) is not taken.
  tm::RunInfo other = info;
  other.start_unix_ns += 1;
  WriteLog(dst_->LogPath(info.id), other, 3, std::nullopt);
  auto id = dst_->Import(file);
  ASSERT_FALSE(id.ok());
  EXPECT_EQ(id.status().code(), Status::Code::kInvalidArgument);
  EXPECT_NE(id.status().message().find("exists"), std::string_view::npos);
}

// A killed importer's temporary file goes at the next import, not after an
// hour; one whose writer still holds its lock, or a fresh one, stays.
TEST_F(ExportTest, DeadImportersTempFilesGoAtOnce) {
  tm::RunInfo info = Record("0123456789ab", MakeEnd(Kind::kExited, 0), getpid());
  std::string file = dir_.path() + "/run.deja";
  ASSERT_TRUE(src_->Export(info.id, file).ok());
  const std::string runs = dst_->home() + "/runs/";
  auto age = [](const std::string& path) {
    struct timespec old[2] = {{1'000'000'000, 0}, {1'000'000'000, 0}};
    ASSERT_EQ(utimensat(AT_FDCWD, path.c_str(), old, 0), 0);
  };
  WriteFile(runs + ".tmp-dead", Bytes("partial log"));
  age(runs + ".tmp-dead");
  WriteFile(runs + ".tmp-locked", Bytes("being written"));
  age(runs + ".tmp-locked");
  int held = ::open((runs + ".tmp-locked").c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_GE(held, 0);
  ASSERT_EQ(::flock(held, LOCK_EX), 0);
  WriteFile(runs + ".tmp-fresh", Bytes("just created"));

  auto id = dst_->Import(file);
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  EXPECT_FALSE(std::filesystem::exists(runs + ".tmp-dead"));
  EXPECT_TRUE(std::filesystem::exists(runs + ".tmp-locked"));
  EXPECT_TRUE(std::filesystem::exists(runs + ".tmp-fresh"));

  // gc: the same rule (the lock, not an hour).
  ::close(held);
  auto report = dst_->Gc();
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_FALSE(std::filesystem::exists(runs + ".tmp-locked"));
  EXPECT_TRUE(std::filesystem::exists(runs + ".tmp-fresh"));
}

// Where the file system allows it, a temporary file has no name at all until
// Commit, so a killed writer cannot leave one.
TEST(TempFileTest, UnnamedUntilCommitted) {
  TempDir dir;
  {
    auto tmp = TempFile::Create(dir.path());
    ASSERT_TRUE(tmp.ok()) << tmp.status().ToString();
    ASSERT_TRUE(tmp->Write(Bytes("abc")).ok());
    EXPECT_EQ(ReadFile(tmp->path()), Bytes("abc"));  // readable through its path
    if (tmp->path().rfind("/proc/", 0) != 0) GTEST_SKIP() << "no O_TMPFILE here";
    EXPECT_TRUE(std::filesystem::is_empty(dir.path()));
    ASSERT_TRUE(tmp->Commit(dir.path() + "/a", /*replace=*/false).ok());
  }
  EXPECT_EQ(ReadFile(dir.path() + "/a"), Bytes("abc"));
  // Not replacing: an existing file stays; replacing: it is swapped whole.
  auto tmp = TempFile::Create(dir.path());
  ASSERT_TRUE(tmp.ok());
  ASSERT_TRUE(tmp->Write(Bytes("xyz")).ok());
  Status s = tmp->Commit(dir.path() + "/a", /*replace=*/false);
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument) << s.ToString();
  EXPECT_EQ(ReadFile(dir.path() + "/a"), Bytes("abc"));
  ASSERT_TRUE(tmp->Commit(dir.path() + "/a", /*replace=*/true).ok());
  EXPECT_EQ(ReadFile(dir.path() + "/a"), Bytes("xyz"));
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir.path()),
                          std::filesystem::directory_iterator()),
            1);
}

}  // namespace
}  // namespace deja::registry
