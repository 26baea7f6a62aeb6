// Hostile raw calls through a real linked module (raw_call_test_util.h: a
// .wat module forwarding every wasi_snapshot_preview1 import): pointers and
// lengths at and past the end of memory, NUL bytes, escaping paths. Each
// proves the call fails cleanly and leaves no descriptor or file behind.
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "wasi/path.h"
#include "wasi/raw_call_test_util.h"

namespace deja::wasi::testing {
namespace {

class EscapeRawTest : public ::testing::Test {
 protected:
  static constexpr u32 kFd = 3, kOut = 0x100, kPath = 0x200, kBuf = 0x1000;
  static constexpr u64 kRead = u64{1} << 1;

  void SetUp() override {
    char tmpl[] = "/tmp/deja_escraw_XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    root_ = tmpl;
    std::filesystem::create_directories(root_ + "/sandbox");
    std::filesystem::create_directories(root_ + "/outside");
    std::ofstream(root_ + "/outside/secret") << "top secret";
    std::ofstream(root_ + "/sandbox/file") << "inside";
    WasiConfig config;
    config.preopens.push_back({root_ + "/sandbox", "/sandbox", false});
    raw_ = std::make_unique<RawWasi>(config);
    ASSERT_TRUE(raw_->ok());
  }
  void TearDown() override {
    raw_.reset();
    std::error_code ec;
    std::filesystem::remove_all(root_, ec);
  }
  u32 OpenAt(u32 path_ptr, u32 len, u32 out = kOut) {
    return raw_->Call("path_open", {kFd, 1, path_ptr, len, 0, kRead, 0, 0, out});
  }
  static u32 E(Errno e) { return static_cast<u32>(e); }

  std::string root_;
  std::unique_ptr<RawWasi> raw_;
};

TEST_F(EscapeRawTest, PathPointersPastMemoryAreEfault) {
  const u32 fds = raw_->ctx().fds.size();
  EXPECT_EQ(OpenAt(kRawMemorySize - 2, 4), E(Errno::kFault));
  EXPECT_EQ(OpenAt(kRawMemorySize, 0), E(Errno::kNoent));   // empty, at the very end: in bounds
  EXPECT_EQ(OpenAt(0xffffff00u, 0x200), E(Errno::kFault));  // would wrap in 32 bits
  EXPECT_EQ(OpenAt(0, 0xffffffffu), E(Errno::kFault));
  // A valid path with the result pointer out of bounds: nothing is opened.
  raw_->PutBytes(kPath, "file");
  EXPECT_EQ(OpenAt(kPath, 4, kRawMemorySize - 3), E(Errno::kFault));
  EXPECT_EQ(raw_->ctx().fds.size(), fds);
  EXPECT_EQ(raw_->Call("path_create_directory", {kFd, kRawMemorySize - 1, 5}), E(Errno::kFault));
  EXPECT_EQ(raw_->Call("path_symlink", {kRawMemorySize - 1, 5, kFd, kPath, 4}), E(Errno::kFault));
}

TEST_F(EscapeRawTest, EscapingPathsFailThroughTheLinkedImport) {
  for (const std::string& p : {std::string("../outside/secret"), root_ + "/outside/secret",
                               std::string("file/../../outside/secret")}) {
    raw_->PutBytes(kPath, p);
    const u32 e = OpenAt(kPath, static_cast<u32>(p.size()));
    EXPECT_TRUE(e == E(kEscapeErrno) || e == E(Errno::kNotdir)) << p << " -> " << e;
  }
  const std::string nul("file\0/../../outside/secret", 26);
  raw_->PutBytes(kPath, nul);
  EXPECT_EQ(OpenAt(kPath, static_cast<u32>(nul.size())), E(Errno::kInval));
  raw_->PutBytes(kPath, "../evil");
  EXPECT_EQ(raw_->Call("path_create_directory", {kFd, kPath, 7}), E(kEscapeErrno));
  EXPECT_FALSE(std::filesystem::exists(root_ + "/evil"));
}

TEST_F(EscapeRawTest, DirectoryBuffersPastMemoryAreEfault) {
  EXPECT_EQ(raw_->Call("fd_readdir", {kFd, kRawMemorySize - 10, 100, 0, kOut}), E(Errno::kFault));
  EXPECT_EQ(raw_->Call("fd_readdir", {kFd, kBuf, 100, 0, kRawMemorySize - 2}), E(Errno::kFault));
  EXPECT_EQ(raw_->Call("fd_prestat_dir_name", {kFd, kRawMemorySize - 4, 8}), E(Errno::kFault));
  EXPECT_EQ(raw_->Call("fd_prestat_get", {kFd, kRawMemorySize - 4}), E(Errno::kFault));
  raw_->PutBytes(kPath, "file");
  EXPECT_EQ(raw_->Call("path_readlink", {kFd, kPath, 4, kRawMemorySize - 4, 64, kOut}),
            E(Errno::kFault));
  // The same calls in bounds work.
  ASSERT_EQ(raw_->Call("fd_readdir", {kFd, kBuf, 4096, 0, kOut}), 0u);
  EXPECT_GE(raw_->Get<u32>(kOut), 3 * 24u);  // ".", "..", "file"
  ASSERT_EQ(raw_->Call("fd_prestat_dir_name", {kFd, kBuf, 8}), 0u);
  EXPECT_EQ(raw_->GetBytes(kBuf, 8), "/sandbox");
}

}  // namespace
}  // namespace deja::wasi::testing
