// Guest stdio as an in-memory buffer or a pipe (WasiConfig's WasiStream),
// next to the host descriptors the other tests use.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <string>

#include "deja/deja.h"
#include "deja/wasi.h"
#include "text/wat.h"
#include "wasi/ctx.h"
#include "wasi/rights.h"
#include "wasi/wasi_test_util.h"

namespace deja::wasi {
namespace {

using testing::GuestPath;

struct Ran {
  Outcome outcome = Outcome::kReturned;
  int exit_code = 0;
};

// Runs tests/guests/<name>.wasm's _start in an existing Wasi.
Ran RunIn(const std::string& name, Wasi& wasi) {
  Ran ran;
  auto bytes = text::LoadModuleFile(GuestPath(name));
  EXPECT_TRUE(bytes.ok()) << bytes.status().ToString();
  if (!bytes.ok()) return ran;
  auto module = Module::Compile(*bytes);
  EXPECT_TRUE(module.ok()) << module.status().ToString();
  if (!module.ok()) return ran;
  Store store;
  Linker linker;
  wasi.Link(store, linker);
  auto instance = linker.Instantiate(store, *module);
  EXPECT_TRUE(instance.ok()) << instance.status().ToString();
  if (!instance.ok()) return ran;
  std::vector<Value> results;
  ran.outcome = store.Call(*store.GetExport(*instance, "_start"), {}, &results);
  if (ran.outcome == Outcome::kExited) ran.exit_code = store.exit_code();
  return ran;
}

WasiConfig BufferConfig(std::string input, uint64_t capacity = 1 << 20) {
  WasiConfig config;
  config.args = {"stdio_echo"};
  config.stdin_stream.kind = StdioKind::kBuffer;
  config.stdin_stream.input = std::move(input);
  config.stdout_stream.kind = StdioKind::kBuffer;
  config.stdout_stream.capacity = capacity;
  config.stderr_stream.kind = StdioKind::kBuffer;
  return config;
}

TEST(StdioStreamTest, BuffersInAndOut) {
  auto wasi = Wasi::Create(BufferConfig("hello, buffer\n"));
  ASSERT_TRUE(wasi.ok()) << wasi.status().ToString();
  Ran ran = RunIn("stdio_echo", **wasi);
  EXPECT_EQ(ran.outcome, Outcome::kExited);
  EXPECT_EQ(ran.exit_code, 3);
  EXPECT_EQ((*wasi)->StdioOutput(1), "HELLO, BUFFER\n");
  EXPECT_EQ((*wasi)->StdioOutput(2), "echoed 14 bytes\n");
  EXPECT_EQ((*wasi)->StdioOutput(0), "");  // not an output
  EXPECT_EQ((*wasi)->TakeStdioPipe(1), -1);  // not a pipe
}

TEST(StdioStreamTest, TwoWasisKeepTheirOwnOutput) {
  auto a = Wasi::Create(BufferConfig("first"));
  auto b = Wasi::Create(BufferConfig("second"));
  ASSERT_TRUE(a.ok() && b.ok());
  RunIn("stdio_echo", **b);
  RunIn("stdio_echo", **a);
  EXPECT_EQ((*a)->StdioOutput(1), "FIRST");
  EXPECT_EQ((*b)->StdioOutput(1), "SECOND");
}

TEST(StdioStreamTest, OutputPastTheCapacityFails) {
  std::string input(5000, 'x');
  auto wasi = Wasi::Create(BufferConfig(input, 4096));
  ASSERT_TRUE(wasi.ok()) << wasi.status().ToString();
  Ran ran = RunIn("stdio_echo", **wasi);
  // The guest's write past 4096 bytes fails, so it does not finish (exit 3).
  EXPECT_FALSE(ran.outcome == Outcome::kExited && ran.exit_code == 3);
  std::string out = (*wasi)->StdioOutput(1);
  EXPECT_LE(out.size(), 4096u);
  EXPECT_EQ(out, std::string(out.size(), 'X'));
  EXPECT_NE((*wasi)->StdioOutput(2).find("CHECK failed"), std::string::npos);
}

TEST(StdioStreamTest, CapacityOverTheLimitIsRefused) {
  auto wasi = Wasi::Create(BufferConfig("", uint64_t{2} << 30));
  ASSERT_FALSE(wasi.ok());
  EXPECT_EQ(wasi.status().code(), Status::Code::kInvalidArgument);
  EXPECT_NE(wasi.status().message().find("stdout buffer capacity"), std::string::npos)
      << wasi.status().ToString();
}

TEST(StdioStreamTest, GuestCannotSeekOrWriteStdinBuffer) {
  auto wasi = Wasi::Create(BufferConfig("abc"));
  ASSERT_TRUE(wasi.ok());
  const FdEntry* in = (*wasi)->ctx().fds.Get(0);
  const FdEntry* out = (*wasi)->ctx().fds.Get(1);
  ASSERT_NE(in, nullptr);
  ASSERT_NE(out, nullptr);
  EXPECT_EQ(in->rights_base & rights::kFdWrite, 0u);
  EXPECT_NE(in->rights_base & rights::kFdRead, 0u);
  EXPECT_EQ(out->rights_base & (rights::kFdSeek | rights::kFdTell | rights::kFdRead), 0u);
  EXPECT_NE(out->rights_base & rights::kFdWrite, 0u);
}

TEST(StdioStreamTest, PipesBothWays) {
  WasiConfig config;
  config.args = {"stdio_echo"};
  config.stdin_stream.kind = StdioKind::kPipe;
  config.stdout_stream.kind = StdioKind::kPipe;
  config.stderr_stream.kind = StdioKind::kBuffer;
  auto wasi = Wasi::Create(config);
  ASSERT_TRUE(wasi.ok()) << wasi.status().ToString();
  int in = (*wasi)->TakeStdioPipe(0);
  int out = (*wasi)->TakeStdioPipe(1);
  ASSERT_GE(in, 0);
  ASSERT_GE(out, 0);
  EXPECT_EQ((*wasi)->TakeStdioPipe(0), -1);  // taken once
  ASSERT_EQ(write(in, "piped", 5), 5);
  close(in);  // the guest's EOF
  Ran ran = RunIn("stdio_echo", **wasi);
  EXPECT_EQ(ran.exit_code, 3);
  char buf[64];
  ssize_t n = read(out, buf, sizeof buf);
  close(out);
  ASSERT_EQ(n, 5);
  EXPECT_EQ(std::string(buf, 5), "PIPED");
  EXPECT_EQ((*wasi)->StdioOutput(2), "echoed 5 bytes\n");
}

TEST(StdioStreamTest, UntakenPipeEndsAreClosedWithTheWasi) {
  int probe = dup(0);
  ASSERT_GE(probe, 0);
  close(probe);  // the lowest free descriptor now
  {
    WasiConfig config;
    config.stdout_stream.kind = StdioKind::kPipe;
    auto wasi = Wasi::Create(config);
    ASSERT_TRUE(wasi.ok());
  }
  int again = dup(0);
  EXPECT_EQ(again, probe);  // nothing leaked
  close(again);
}

// A snapshot matches stdio by the descriptors Create set up, so buffered
// streams are saved as stdio and come back as the resuming Wasi's streams.
TEST(StdioStreamTest, SnapshotKeepsBufferedStdioAsStdio) {
  auto saved = Wasi::Create(BufferConfig("in"));
  ASSERT_TRUE(saved.ok());
  auto bytes = (*saved)->SaveState();
  ASSERT_TRUE(bytes.ok()) << bytes.status().ToString();
  auto resumed = Wasi::Create(BufferConfig("again"));
  ASSERT_TRUE(resumed.ok());
  ASSERT_TRUE((*resumed)->RestoreState(*bytes).ok());
  for (u32 fd = 0; fd < 3; ++fd) {
    const FdEntry* e = (*resumed)->ctx().fds.Get(fd);
    ASSERT_NE(e, nullptr) << fd;
    EXPECT_EQ(e->host_fd, (*resumed)->ctx().stdio_host_fd[fd]) << fd;
  }
  Ran ran = RunIn("stdio_echo", **resumed);
  EXPECT_EQ(ran.exit_code, 3);
  EXPECT_EQ((*resumed)->StdioOutput(1), "AGAIN");
}

}  // namespace
}  // namespace deja::wasi
