// A guest suspended mid-run (fuel), its engine and WASI state saved, and
// both restored into a new Store and Wasi over a copy of its directory at
// another host path: run + resume gives exactly the uninterrupted run's
// stdout and files (tests/guests/snap_files.c).
#include <gtest/gtest.h>
#include <stdio.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "deja/deja.h"
#include "deja/wasi.h"
#include "text/wat.h"
#include "wasi/wasi_test_util.h"

namespace deja::wasi {
namespace {

namespace fs = std::filesystem;

std::string ReadHostFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// wasi-libc returns from _start after main returns 0, or calls proc_exit.
bool Ended(Outcome o) { return o == Outcome::kReturned || o == Outcome::kExited; }

struct Saved {
  std::vector<u8> engine, wasi;
};

// One process's worth of a run: a Wasi over `dir`, a Store, the module
// instantiated; stdout goes to a temporary file.
class GuestProcess {
 public:
  GuestProcess(const Module& module, const std::string& dir) : out_(tmpfile()) {
    WasiConfig config;
    config.args = {"snap_files"};
    config.preopens.push_back({dir, "/data", false});
    config.stdout_fd = fileno(out_);
    auto wasi = Wasi::Create(config);
    EXPECT_TRUE(wasi.ok()) << wasi.status().ToString();
    if (!wasi.ok()) return;
    wasi_ = std::move(*wasi);
    wasi_->Link(store_, linker_);
    auto instance = linker_.Instantiate(store_, module);
    EXPECT_TRUE(instance.ok()) << instance.status().ToString();
    if (instance.ok()) instance_ = *instance;
  }
  ~GuestProcess() {
    wasi_.reset();
    fclose(out_);
  }
  Outcome Start() {
    std::vector<Value> results;
    return store_.Call(*store_.GetExport(instance_, "_start"), {}, &results);
  }
  Outcome Resume() {
    std::vector<Value> results;
    return store_.Resume({}, &results);
  }
  std::string out() { return testing::ReadAll(out_); }
  Store& store() { return store_; }
  Wasi& wasi() { return *wasi_; }
  bool ok() const { return wasi_ != nullptr; }

 private:
  FILE* out_;
  std::unique_ptr<Wasi> wasi_;
  Store store_;
  Linker linker_;
  InstanceId instance_ = 0;
};

class WasiSnapshotTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/deja_wsnap_XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    root_ = tmpl;
    auto bytes = text::LoadModuleFile(testing::GuestPath("snap_files"));
    ASSERT_TRUE(bytes.ok()) << bytes.status().ToString();
    auto module = Module::Compile(*bytes);
    ASSERT_TRUE(module.ok()) << module.status().ToString();
    module_ = std::make_unique<Module>(std::move(*module));
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(root_, ec);
  }
  fs::path NewDir(const std::string& name) {
    fs::path dir = root_ / name;
    fs::create_directories(dir);
    std::ofstream(dir / "in.txt") << "the quick brown fox jumps over the lazy dog, 0123456789";
    std::ofstream(dir / "log.txt") << "log:";
    return dir;
  }

  fs::path root_;
  std::unique_ptr<Module> module_;
};

TEST_F(WasiSnapshotTest, ResumedRunMatchesUninterruptedRun) {
  const fs::path whole = NewDir("whole");
  std::string expected_out;
  u64 total_fuel = 0;
  {
    GuestProcess run(*module_, whole);
    ASSERT_TRUE(run.ok());
    run.store().SetFuel(u64{1} << 62);
    ASSERT_TRUE(Ended(run.Start()));
    expected_out = run.out();
    total_fuel = run.store().fuel_consumed();
  }
  ASSERT_NE(expected_out.find("done\n"), std::string::npos) << expected_out;
  for (int part : {1, 2, 3}) {
    SCOPED_TRACE(part);
    const fs::path before = NewDir("before" + std::to_string(part));
    Saved saved;
    std::string out;
    {
      GuestProcess run(*module_, before);
      ASSERT_TRUE(run.ok());
      run.store().SetSuspendOnOutOfFuel(true);
      run.store().SetFuel(total_fuel * part / 4);
      ASSERT_EQ(run.Start(), Outcome::kSuspended);
      auto engine = run.store().SaveState();
      ASSERT_TRUE(engine.ok()) << engine.status().ToString();
      auto wasi = run.wasi().SaveState();
      ASSERT_TRUE(wasi.ok()) << wasi.status().ToString();
      saved = {std::move(*engine), std::move(*wasi)};
      out = run.out();
    }
    EXPECT_LT(out.size(), expected_out.size());  // it stopped mid-copy
    // The resuming machine holds the same files at another host path.
    const fs::path after = root_ / ("after" + std::to_string(part));
    fs::copy(before, after, fs::copy_options::recursive);
    GuestProcess run(*module_, after);
    ASSERT_TRUE(run.ok());
    Status st = run.store().RestoreState(saved.engine);
    ASSERT_TRUE(st.ok()) << st.ToString();
    st = run.wasi().RestoreState(saved.wasi);
    ASSERT_TRUE(st.ok()) << st.ToString();
    run.store().SetFuel(std::nullopt);
    ASSERT_TRUE(Ended(run.Resume()));
    EXPECT_EQ(out + run.out(), expected_out);
    EXPECT_EQ(ReadHostFile(after / "log.txt"), ReadHostFile(whole / "log.txt"));
    EXPECT_EQ(ReadHostFile(after / "copy.txt"), ReadHostFile(whole / "copy.txt"));
  }
}

}  // namespace
}  // namespace deja::wasi
