// wasi-libc programs doing descriptor I/O on their stdio: results and
// errors as a C program expects them.
#include <gtest/gtest.h>

#include "wasi/wasi_test_util.h"

namespace deja::wasi {
namespace {

using testing::RunGuest;

TEST(FdGuestTest, ReadWriteSeekMetadataRenumber) {
  auto run = RunGuest("fd_io", WasiConfig{}, "line one\nline two\n");
  EXPECT_EQ(run.outcome, Outcome::kReturned) << run.trap << run.err;
  EXPECT_EQ(run.out, "First\nsecond\nthird\n");
  EXPECT_EQ(run.err, "") << "stderr was renumbered onto stdin's file, never written";
}

TEST(FdGuestTest, ErrorsReachTheProgram) {
  auto run = RunGuest("fd_errors", WasiConfig{}, "input");
  EXPECT_EQ(run.outcome, Outcome::kReturned) << run.trap << run.err;
  EXPECT_EQ(run.out, "errors ok\n");
  EXPECT_EQ(run.err, "");
}

TEST(FdGuestTest, StdioEchoAndExitCode) {
  auto run = RunGuest("stdio_echo", WasiConfig{}, "hello, stdin\nsecond line");
  EXPECT_EQ(run.outcome, Outcome::kExited) << run.trap;
  EXPECT_EQ(run.exit_code, 3);
  EXPECT_EQ(run.out, "HELLO, STDIN\nSECOND LINE");
  EXPECT_EQ(run.err, "echoed 24 bytes\n");
}

TEST(FdGuestTest, LongInputCrossesBufferBoundaries) {
  std::string text;
  for (int i = 0; i < 2000; ++i) text += "line " + std::to_string(i) + "\n";
  std::string upper = text;
  for (char& c : upper) c = static_cast<char>(toupper(static_cast<unsigned char>(c)));
  auto run = RunGuest("stdio_echo", WasiConfig{}, text);
  EXPECT_EQ(run.exit_code, 3);
  EXPECT_EQ(run.out, upper);
  EXPECT_EQ(run.err, "echoed " + std::to_string(text.size()) + " bytes\n");
}

TEST(FdGuestTest, CxxIostreams) {
  auto run = RunGuest("stdio_cxx", WasiConfig{}, "1 2 3\n  40\n-6");
  EXPECT_EQ(run.outcome, Outcome::kReturned) << run.trap << run.err;
  EXPECT_EQ(run.out, "sum 40\n");
  EXPECT_EQ(run.err, "read 5 numbers\n");
  auto empty = RunGuest("stdio_cxx", WasiConfig{}, "");
  EXPECT_EQ(empty.outcome, Outcome::kExited);
  EXPECT_EQ(empty.exit_code, 1);
  EXPECT_EQ(empty.out, "sum 0\n");
}

}  // namespace
}  // namespace deja::wasi
