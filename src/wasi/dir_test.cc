// fd_prestat_get, fd_prestat_dir_name and fd_readdir on a temporary preopen.
#include <map>

#include "wasi/path.h"
#include "wasi/path_test_util.h"

namespace deja::wasi::testing {
namespace {

struct Dirent {
  u64 next = 0, ino = 0;
  u8 type = 0;
  std::string name;
};

class DirTest : public SandboxTest {
 protected:
  static constexpr u32 kBuf = 0x2000;

  // One fd_readdir call; returns the bytes used (in *used) and the complete
  // entries in the buffer.
  Errno ReadDir(u32 fd, u32 len, u64 cookie, u32* used, std::vector<Dirent>* out) {
    Errno e = Call("fd_readdir", {fd, kBuf, len, cookie, kOut});
    *used = OutU32();
    for (u32 off = 0; off + 24 <= *used;) {
      Dirent d;
      u32 namlen;
      std::memcpy(&d.next, memory_.data() + kBuf + off, 8);
      std::memcpy(&d.ino, memory_.data() + kBuf + off + 8, 8);
      std::memcpy(&namlen, memory_.data() + kBuf + off + 16, 4);
      d.type = memory_[kBuf + off + 20];
      if (off + 24 + namlen > *used) break;  // the truncated last entry
      d.name.assign(reinterpret_cast<char*>(memory_.data() + kBuf + off + 24), namlen);
      out->push_back(d);
      off += 24 + namlen;
    }
    return e;
  }
  // Lists everything with `len`-byte buffers, resuming from each last complete entry.
  std::vector<Dirent> ListAll(u32 fd, u32 len) {
    std::vector<Dirent> all;
    u64 cookie = 0;
    for (int calls = 0; calls < 100000; ++calls) {
      std::vector<Dirent> batch;
      u32 used = 0;
      EXPECT_EQ(ReadDir(fd, len, cookie, &used, &batch), Errno::kSuccess);
      all.insert(all.end(), batch.begin(), batch.end());
      if (used < len) return all;
      EXPECT_FALSE(batch.empty()) << "buffer too small for one entry";
      if (batch.empty()) return all;
      cookie = batch.back().next;
    }
    return all;
  }
};

TEST_F(DirTest, PrestatDescribesPreopensOnly) {
  ASSERT_EQ(Call("fd_prestat_get", {kPreopen, kOut}), Errno::kSuccess);
  EXPECT_EQ(memory_[kOut], 0);  // tag: dir
  u32 len;
  std::memcpy(&len, memory_.data() + kOut + 4, 4);
  EXPECT_EQ(len, 8u);  // "/sandbox"
  EXPECT_EQ(Call("fd_prestat_get", {1, kOut}), Errno::kBadf);
  EXPECT_EQ(Call("fd_prestat_get", {4, kOut}), Errno::kBadf);
  EXPECT_EQ(Call("fd_prestat_get", {kPreopen, 65535}), Errno::kFault);

  const u32 buf = 0x800;
  ASSERT_EQ(Call("fd_prestat_dir_name", {kPreopen, buf, 8}), Errno::kSuccess);
  EXPECT_EQ(std::string(reinterpret_cast<char*>(memory_.data() + buf), 8), "/sandbox");
  EXPECT_EQ(Call("fd_prestat_dir_name", {kPreopen, buf, 7}), Errno::kNametoolong);
  EXPECT_EQ(Call("fd_prestat_dir_name", {1, buf, 64}), Errno::kNotdir);  // as wasmtime
  EXPECT_EQ(Call("fd_prestat_dir_name", {9, buf, 64}), Errno::kBadf);
  EXPECT_EQ(Call("fd_prestat_dir_name", {kPreopen, 65532, 8}), Errno::kFault);
}

TEST_F(DirTest, ReaddirListsDotsFirstThenEveryEntry) {
  WriteHostFile(sandbox_ + "/file", "x");
  ASSERT_EQ(mkdir((sandbox_ + "/dir").c_str(), 0755), 0);
  ASSERT_EQ(symlink("file", (sandbox_ + "/link").c_str()), 0);
  std::vector<Dirent> all = ListAll(kPreopen, 4096);
  ASSERT_EQ(all.size(), 5u);
  EXPECT_EQ(all[0].name, ".");
  EXPECT_EQ(all[1].name, "..");
  std::map<std::string, u8> types;
  for (size_t i = 0; i < all.size(); ++i) {
    EXPECT_EQ(all[i].next, i + 1);  // cookies are entry numbers
    types[all[i].name] = all[i].type;
  }
  EXPECT_EQ(types["file"], static_cast<u8>(FileType::kRegularFile));
  EXPECT_EQ(types["dir"], static_cast<u8>(FileType::kDirectory));
  EXPECT_EQ(types["link"], static_cast<u8>(FileType::kSymbolicLink));
  EXPECT_EQ(types["."], static_cast<u8>(FileType::kDirectory));
  struct stat st;
  ASSERT_EQ(lstat((sandbox_ + "/file").c_str(), &st), 0);
  for (const Dirent& d : all) {
    if (d.name == "file") {
      EXPECT_EQ(d.ino, st.st_ino);
    }
  }
}

TEST_F(DirTest, CookiesResumeAcrossSmallBuffersAndManyHostReads) {
  // Enough long names to need several getdents64 calls on the host side.
  for (int i = 0; i < 1500; ++i) {
    WriteHostFile(sandbox_ + "/entry_with_a_long_name_" + std::to_string(i), "");
  }
  std::vector<Dirent> big = ListAll(kPreopen, 0x4000);
  std::vector<Dirent> small = ListAll(kPreopen, 70);  // about two entries per call
  ASSERT_EQ(big.size(), 1502u);
  ASSERT_EQ(small.size(), big.size());
  for (size_t i = 0; i < big.size(); ++i) {
    EXPECT_EQ(small[i].name, big[i].name);
    EXPECT_EQ(small[i].next, i + 1);
  }
  // Past the end: nothing.
  u32 used = 1;
  std::vector<Dirent> none;
  EXPECT_EQ(ReadDir(kPreopen, 4096, 1502, &used, &none), Errno::kSuccess);
  EXPECT_EQ(used, 0u);
  EXPECT_EQ(ReadDir(kPreopen, 4096, ~u64{0}, &used, &none), Errno::kSuccess);
  EXPECT_EQ(used, 0u);
}

TEST_F(DirTest, ReaddirTruncatesTheLastEntryToFillTheBuffer) {
  WriteHostFile(sandbox_ + "/a_rather_long_file_name", "");
  u32 used = 0;
  std::vector<Dirent> got;
  // "." (25 bytes) and ".." (26) fit; the third entry is cut at 60 bytes.
  ASSERT_EQ(ReadDir(kPreopen, 60, 0, &used, &got), Errno::kSuccess);
  EXPECT_EQ(used, 60u);
  ASSERT_EQ(got.size(), 2u);
  // A buffer smaller than one header still gets filled.
  ASSERT_EQ(ReadDir(kPreopen, 10, 0, &used, &got), Errno::kSuccess);
  EXPECT_EQ(used, 10u);
  EXPECT_EQ(Call("fd_readdir", {kPreopen, 65530, 100, 0, kOut}), Errno::kFault);
}

TEST_F(DirTest, ReaddirNeedsADirectoryWithTheRight) {
  WriteHostFile(sandbox_ + "/f", "x");
  u32 fd = 0;
  ASSERT_EQ(Open(kPreopen, "f", 0, kRead, 0, &fd), Errno::kSuccess);
  EXPECT_EQ(Call("fd_readdir", {fd, kBuf, 100, 0, kOut}), Errno::kNotdir);
  EXPECT_EQ(Call("fd_readdir", {77, kBuf, 100, 0, kOut}), Errno::kBadf);
  ASSERT_EQ(mkdir((sandbox_ + "/d").c_str(), 0755), 0);
  ASSERT_EQ(Open(kPreopen, "d", kOflagDirectory, kRead, 0, &fd), Errno::kSuccess);
  EXPECT_EQ(Call("fd_readdir", {fd, kBuf, 100, 0, kOut}), Errno::kNotcapable);
  ASSERT_EQ(Open(kPreopen, "d", kOflagDirectory, kRead | kReaddir, 0, &fd), Errno::kSuccess);
  std::vector<Dirent> all = ListAll(fd, 256);
  EXPECT_EQ(all.size(), 2u);  // an empty directory still has "." and ".."
}

}  // namespace
}  // namespace deja::wasi::testing
