// The WASI entry point: linking, the trampoline's errno/exit handling, and a
// whole wasi-libc program running through it.
#include "wasi/dispatch.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <set>
#include <string>

#include "wasi/raw_call_test_util.h"
#include "wasi/rights.h"
#include "wasi/wasi_test_util.h"

namespace deja::wasi {
namespace {

using testing::RunGuest;

TEST(DispatchTest, HelloPrintsItsArguments) {
  WasiConfig config;
  config.args = {"hello", "a", "bc"};
  auto run = RunGuest("hello", config);
  // wasi-libc's _start returns (no proc_exit) when main returns 0.
  EXPECT_EQ(run.outcome, Outcome::kReturned) << run.trap;
  EXPECT_EQ(run.exit_code, 0);
  EXPECT_EQ(run.out, "hello from deja a bc\n");
  EXPECT_EQ(run.err, "");
}

TEST(DispatchTest, FunctionNamesAreUniqueAndTyped) {
  std::set<std::string> names;
  for (const FuncDef* def : AllFuncs()) {
    EXPECT_TRUE(names.insert(def->name).second) << def->name;
    FuncType type = FuncTypeOf(*def);
    EXPECT_LE(type.results.size(), 1u) << def->name;
    for (ValType t : type.params) EXPECT_TRUE(t == ValType::kI32 || t == ValType::kI64);
  }
  EXPECT_TRUE(names.count("fd_write"));
  EXPECT_TRUE(names.count("proc_exit"));
}

// The type comes from the function table: clock_time_get(id: clockid,
// precision: timestamp, time: out) -> errno is (i32 i64 i32) -> i32.
TEST(DispatchTest, FuncTypeOfComesFromTheFunctionTable) {
  const FuncDef* clock = nullptr;
  const FuncDef* exit = nullptr;
  for (const FuncDef* def : AllFuncs()) {
    if (std::string_view(def->name) == "clock_time_get") clock = def;
    if (std::string_view(def->name) == "proc_exit") exit = def;
  }
  ASSERT_NE(clock, nullptr);
  ASSERT_NE(exit, nullptr);
  FuncType type = FuncTypeOf(*clock);
  EXPECT_EQ(type.params, (std::vector<ValType>{ValType::kI32, ValType::kI64, ValType::kI32}));
  EXPECT_EQ(type.results, std::vector<ValType>{ValType::kI32});
  EXPECT_EQ(clock->spec, FindFuncSpec("clock_time_get"));
  EXPECT_EQ(FuncTypeOf(*exit).results.size(), 0u);
}

// Every function of the table has a handler in some area, under its plain
// name; a "_v2" name shares its plain name's entry.
TEST(DispatchTest, EveryTableEntryIsImplemented) {
  std::set<std::string> linked;
  for (const FuncDef* def : AllFuncs()) linked.insert(def->name);
  for (const FuncSpec& spec : kWasiFuncs) EXPECT_TRUE(linked.count(spec.name)) << spec.name;
  EXPECT_EQ(FindFuncSpec("sock_open_v2"), FindFuncSpec("sock_open"));
  EXPECT_EQ(FindFuncSpec("no_such_call"), nullptr);
  EXPECT_STREQ(FindFuncSpec("path_open")->params, "iiiiillii");
  EXPECT_EQ(FindFuncSpec("path_open")->arg_count, 8);  // the path is one (ptr, len) argument
}

// Instantiates `wat` with WASI linked and runs its export "run".
struct WatRun {
  Outcome outcome = Outcome::kTrapped;
  std::vector<Value> results;
  int exit_code = 0;
};
WatRun RunWat(Wasi& wasi, const std::string& wat) {
  WatRun run;
  auto bytes = text::WatToWasm(wat);
  EXPECT_TRUE(bytes.ok()) << bytes.status().ToString();
  if (!bytes.ok()) return run;
  auto module = Module::Compile(*bytes);
  EXPECT_TRUE(module.ok()) << module.status().ToString();
  if (!module.ok()) return run;
  Store store;
  Linker linker;
  wasi.Link(store, linker);
  auto instance = linker.Instantiate(store, *module);
  EXPECT_TRUE(instance.ok()) << instance.status().ToString();
  if (!instance.ok()) return run;
  run.outcome = store.Call(*store.GetExport(*instance, "run"), {}, &run.results);
  if (run.outcome == Outcome::kExited) run.exit_code = store.exit_code();
  return run;
}

WasiConfig NoStdio() {
  WasiConfig c;
  c.stdin_fd = c.stdout_fd = c.stderr_fd = -1;
  return c;
}

TEST(DispatchTest, ModuleWithoutMemoryGetsEfault) {
  auto wasi = Wasi::Create(NoStdio());
  ASSERT_TRUE(wasi.ok());
  auto run = RunWat(**wasi, R"((module
    (import "wasi_snapshot_preview1" "args_sizes_get" (func $f (param i32 i32) (result i32)))
    (import "wasi_snapshot_preview1" "sched_yield" (func $y (result i32)))
    (func (export "run") (result i32 i32)
      (call $f (i32.const 0) (i32.const 4)) (call $y))))");
  ASSERT_EQ(run.outcome, Outcome::kReturned);
  EXPECT_EQ(run.results[0].i32(), static_cast<u32>(Errno::kFault));
  EXPECT_EQ(run.results[1].i32(), 0u) << "calls without pointers still work";
}

TEST(DispatchTest, ProcExitEndsTheCallWithItsCode) {
  auto wasi = Wasi::Create(NoStdio());
  ASSERT_TRUE(wasi.ok());
  const char* wat = R"((module
    (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
    (memory 1)
    (func (export "run") (call $exit (i32.const 117)) unreachable)))";
  auto run = RunWat(**wasi, wat);
  EXPECT_EQ(run.outcome, Outcome::kExited) << "the unreachable after proc_exit never runs";
  EXPECT_EQ(run.exit_code, 117);
  EXPECT_FALSE((*wasi)->ctx().exit_requested) << "cleared for the next call";
  EXPECT_EQ((*wasi)->ctx().exit_code, 117);
  auto again = RunWat(**wasi, wat);
  EXPECT_EQ(again.outcome, Outcome::kExited);
}

TEST(DispatchTest, WrongImportTypeIsUnlinkable) {
  auto wasi = Wasi::Create(NoStdio());
  ASSERT_TRUE(wasi.ok());
  auto bytes = text::WatToWasm(R"((module
    (import "wasi_snapshot_preview1" "fd_write" (func (param i32) (result i32)))))");
  ASSERT_TRUE(bytes.ok());
  auto module = Module::Compile(*bytes);
  ASSERT_TRUE(module.ok());
  Store store;
  Linker linker;
  (*wasi)->Link(store, linker);
  auto instance = linker.Instantiate(store, *module);
  ASSERT_FALSE(instance.ok());
  EXPECT_EQ(instance.status().code(), Status::Code::kUnlinkable);
}

class CreateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/deja_create_XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    std::filesystem::create_directory(dir_ + "/sub");
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string dir_;
};

TEST_F(CreateTest, StdioThenPreopensInOrder) {
  WasiConfig config;
  config.stdin_fd = -1;  // no stdin at all
  config.preopens = {{dir_, "/data", false}, {dir_ + "/sub", "ro", true}};
  auto wasi = Wasi::Create(config);
  ASSERT_TRUE(wasi.ok()) << wasi.status().ToString();
  FdTable& fds = (*wasi)->ctx().fds;
  EXPECT_EQ(fds.Get(0), nullptr);
  ASSERT_NE(fds.Get(1), nullptr);
  EXPECT_FALSE(fds.Get(1)->owned) << "stdio belongs to the embedder";
  EXPECT_EQ(fds.Get(1)->host_fd, 1);
  FdEntry* data = fds.Get(3);
  ASSERT_NE(data, nullptr);
  EXPECT_TRUE(data->preopen);
  EXPECT_EQ(data->guest_path, "/data");
  EXPECT_EQ(data->type, FileType::kDirectory);
  EXPECT_EQ(data->rights_base, rights::kDirectory);
  EXPECT_EQ(data->rights_inheriting, rights::kDirectoryInheriting);
  FdEntry* ro = fds.Get(4);
  ASSERT_NE(ro, nullptr);
  EXPECT_TRUE(ro->read_only);
  EXPECT_EQ(ro->rights_base & rights::kModifying, 0u);
  // It hands down only the rights to write file contents (so that an open for
  // writing reaches path_open and fails there with EROFS), never a tree change.
  EXPECT_EQ(ro->rights_inheriting & rights::kModifying, rights::kFileContentWrite);
  EXPECT_TRUE(ro->rights_base & rights::kPathOpen);
  EXPECT_TRUE(ro->rights_inheriting & rights::kFdRead);
  EXPECT_EQ(fds.Get(5), nullptr);
}

TEST_F(CreateTest, PreopenDescriptorsCloseWithTheWasi) {
  WasiConfig config = NoStdio();
  config.preopens = {{dir_, ".", false}};
  int host_fd = -1;
  {
    auto wasi = Wasi::Create(config);
    ASSERT_TRUE(wasi.ok());
    host_fd = (*wasi)->ctx().fds.Get(3)->host_fd;
    EXPECT_NE(fcntl(host_fd, F_GETFD), -1);
    EXPECT_TRUE(fcntl(host_fd, F_GETFD) & FD_CLOEXEC);
  }
  EXPECT_EQ(fcntl(host_fd, F_GETFD), -1);
}

TEST_F(CreateTest, BadPreopensAndStdioAreErrors) {
  WasiConfig config = NoStdio();
  config.preopens = {{dir_ + "/missing", "/m", false}};
  auto missing = Wasi::Create(config);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), Status::Code::kNotFound);
  EXPECT_NE(missing.status().message().find("missing"), std::string::npos);

  {
    int f = open((dir_ + "/file").c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
    ASSERT_GE(f, 0);
    close(f);
  }
  config.preopens = {{dir_ + "/file", "/f", false}};
  auto not_dir = Wasi::Create(config);
  ASSERT_FALSE(not_dir.ok());
  EXPECT_EQ(not_dir.status().code(), Status::Code::kIoError);

  WasiConfig bad_stdio;
  bad_stdio.stdout_fd = 987;
  auto stdio = Wasi::Create(bad_stdio);
  ASSERT_FALSE(stdio.ok());
  EXPECT_EQ(stdio.status().code(), Status::Code::kInvalidArgument);
}

TEST_F(CreateTest, MaxFdsBoundsThePreopens) {
  WasiConfig config;
  config.max_fds = 4;
  config.preopens = {{dir_, "a", false}, {dir_, "b", false}};
  auto wasi = Wasi::Create(config);
  ASSERT_FALSE(wasi.ok());
  EXPECT_EQ(wasi.status().code(), Status::Code::kResourceExhausted);
}

TEST(CreateStdioTest, GuestFlagChangesOnBorrowedStdioAreUndone) {
  int p[2];
  ASSERT_EQ(pipe(p), 0);
  WasiConfig config = NoStdio();
  config.stdin_fd = p[0];
  {
    testing::RawWasi raw(config);
    ASSERT_EQ(raw.Call("fd_fdstat_set_flags", {0, kFdflagNonblock}), 0u);
    EXPECT_TRUE(fcntl(p[0], F_GETFL) & O_NONBLOCK);
    ASSERT_EQ(raw.Call("fd_close", {0}), 0u);
  }
  EXPECT_FALSE(fcntl(p[0], F_GETFL) & O_NONBLOCK) << "restored even after the guest closed it";
  EXPECT_NE(fcntl(p[0], F_GETFD), -1) << "and never closed by deja";
  close(p[0]);
  close(p[1]);
}

TEST_F(CreateTest, ADirectoryAsStdioGrantsNoPaths) {
  int dir = open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  ASSERT_GE(dir, 0);
  WasiConfig config = NoStdio();
  config.stdin_fd = dir;
  {
    auto wasi = Wasi::Create(config);
    ASSERT_TRUE(wasi.ok());
    FdEntry* in = (*wasi)->ctx().fds.Get(0);
    ASSERT_NE(in, nullptr);
    EXPECT_EQ(in->type, FileType::kDirectory);
    EXPECT_EQ(in->rights_base, rights::kFdFilestatGet);
    EXPECT_EQ(in->rights_inheriting, 0u);
  }
  close(dir);
}

TEST(RightsTest, StdioRightsFollowTheFileType) {
  // Regular files seek; pipes and terminals do not.
  EXPECT_TRUE(BaseRights(FileType::kRegularFile, false) & rights::kFdSeek);
  EXPECT_FALSE(BaseRights(FileType::kCharacterDevice, false) & rights::kFdSeek);
  EXPECT_FALSE(BaseRights(FileType::kUnknown, false) & rights::kFdTell);
  EXPECT_TRUE(BaseRights(FileType::kSocketStream, false) & rights::kSockAccept);
  EXPECT_EQ(InheritingRights(FileType::kRegularFile, false), 0u);
  timespec t[2];
  EXPECT_EQ(TimesFromFstflags(1'500'000'000'000'000'123, 0, kFstflagAtim | kFstflagMtimNow, t),
            Errno::kSuccess);
  EXPECT_EQ(t[0].tv_sec, 1'500'000'000);
  EXPECT_EQ(t[0].tv_nsec, 123);
  EXPECT_EQ(t[1].tv_nsec, UTIME_NOW);
  EXPECT_EQ(TimesFromFstflags(0, 0, 0, t), Errno::kSuccess);
  EXPECT_EQ(t[0].tv_nsec, UTIME_OMIT);
  EXPECT_EQ(t[1].tv_nsec, UTIME_OMIT);
}

}  // namespace
}  // namespace deja::wasi
