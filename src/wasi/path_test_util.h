// Test fixture for the path and directory calls: a temporary tree with a
// preopened "sandbox" directory (guest fd 3) next to an "outside" directory
// holding a secret, and a way to call WASI handlers directly with arguments a
// C library would never produce.
#pragma once

#include <fcntl.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "deja/wasi.h"
#include "wasi/ctx.h"
#include "wasi/guest_memory.h"
#include "wasi/registry.h"

namespace deja::wasi::testing {

class SandboxTest : public ::testing::Test {
 protected:
  static constexpr u32 kPreopen = 3;
  static constexpr u32 kOut = 0x100;       // result slot
  static constexpr u32 kScratch = 0x1000;  // strings are placed from here on

  void SetUp() override {
    char tmpl[] = "/tmp/deja_fs_XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    root_ = tmpl;
    sandbox_ = root_ + "/sandbox";
    outside_ = root_ + "/outside";
    ASSERT_EQ(mkdir(sandbox_.c_str(), 0755), 0);
    ASSERT_EQ(mkdir(outside_.c_str(), 0755), 0);
    WriteHostFile(outside_ + "/secret", "top secret");
    MakeWasi(false);
  }
  void TearDown() override {
    wasi_.reset();
    std::error_code ec;
    std::filesystem::remove_all(root_, ec);
  }

  void MakeWasi(bool read_only) {
    wasi_.reset();
    WasiConfig config;
    config.preopens.push_back({sandbox_, "/sandbox", read_only});
    auto w = Wasi::Create(config);
    ASSERT_TRUE(w.ok()) << w.status().ToString();
    wasi_ = std::move(*w);
  }

  static void WriteHostFile(const std::string& path, const std::string& text) {
    std::ofstream(path) << text;
  }
  static std::string ReadHostFile(const std::string& path) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
  static bool Exists(const std::string& path) {
    struct stat st;
    return lstat(path.c_str(), &st) == 0;
  }

  // Places `s` in guest memory; returns its pointer (length is s.size()).
  u32 Put(const std::string& s) {
    if (next_ + s.size() + 16 > memory_.size()) next_ = kScratch;  // long loops wrap
    const u32 ptr = next_;
    std::memcpy(memory_.data() + ptr, s.data(), s.size());
    next_ += static_cast<u32>(s.size()) + 16;
    return ptr;
  }

  // Calls the WASI function `name` of the path area with raw argument slots.
  Errno Call(const char* name, std::initializer_list<u64> args) {
    for (const FuncDef& def : PathFuncs()) {
      if (std::strcmp(def.name, name) == 0) {
        std::vector<u64> slots(args);
        EXPECT_EQ(slots.size(), std::strlen(def.params)) << name;
        GuestMemory mem(memory_);
        return def.fn(wasi_->ctx(), mem, slots);
      }
    }
    ADD_FAILURE() << "no such function " << name;
    return Errno::kNosys;
  }

  // path_open of `path` beneath `dir` with wasi-libc's rights for O_RDWR-ish use.
  Errno Open(u32 dir, const std::string& path, u16 oflags, u64 rights, u32 lookup, u32* fd) {
    const u32 p = Put(path);
    Errno e = Call("path_open", {dir, lookup, p, path.size(), oflags, rights, rights, 0, kOut});
    std::memcpy(fd, memory_.data() + kOut, 4);
    return e;
  }
  Errno Simple(const char* name, const std::string& path, u32 dir = kPreopen) {
    return Call(name, {dir, Put(path), path.size()});
  }
  u32 OutU32() const {
    u32 v;
    std::memcpy(&v, memory_.data() + kOut, 4);
    return v;
  }

  std::string root_, sandbox_, outside_;
  std::unique_ptr<Wasi> wasi_;
  std::vector<u8> memory_ = std::vector<u8>(65536);
  u32 next_ = kScratch;
};

// Rights bits used by the tests.
inline constexpr u64 kRead = u64{1} << 1, kWrite = u64{1} << 6, kReaddir = u64{1} << 14;
inline constexpr u64 kAllRights = (u64{1} << 30) - 1;
// Everything but the rights that make path_open ask for write access.
inline constexpr u64 kReadRights = kAllRights & ~(kWrite | (u64{1} << 8) | (u64{1} << 22));

}  // namespace deja::wasi::testing
