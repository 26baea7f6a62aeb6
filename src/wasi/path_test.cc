// The path_* calls with the spec's errno semantics, called directly on a
// temporary preopen (escapes are in escape_test.cc).
#include "wasi/path.h"

#include <dirent.h>

#include "wasi/path_test_util.h"
#include "wasi/rights.h"

namespace deja::wasi::testing {
namespace {

using PathTest = SandboxTest;

int OpenHostFds() {
  int n = 0;
  DIR* d = opendir("/proc/self/fd");
  while (readdir(d) != nullptr) ++n;
  closedir(d);
  return n;
}

TEST_F(PathTest, ReadGuestPathChecksEveryByte) {
  GuestMemory mem(memory_);
  std::string out;
  std::memcpy(memory_.data() + 10, "abc", 3);
  EXPECT_EQ(ReadGuestPath(mem, 10, 3, &out), Errno::kSuccess);
  EXPECT_EQ(out, "abc");
  EXPECT_EQ(ReadGuestPath(mem, 10, 0, &out), Errno::kNoent);
  EXPECT_EQ(ReadGuestPath(mem, 65535, 2, &out), Errno::kFault);
  EXPECT_EQ(ReadGuestPath(mem, 0, kMaxPathLen + 1, &out), Errno::kNametoolong);
  const std::string euro = "\xe2\x82\xac";  // valid 3-byte UTF-8
  std::memcpy(memory_.data() + 20, euro.data(), 3);
  EXPECT_EQ(ReadGuestPath(mem, 20, 3, &out), Errno::kSuccess);
  EXPECT_EQ(ReadGuestPath(mem, 20, 2, &out), Errno::kIlseq);  // cut short
}

TEST_F(PathTest, OpenHonorsEveryOflag) {
  u32 fd = 0;
  EXPECT_EQ(Open(kPreopen, "f", 0, kRead, 0, &fd), Errno::kNoent);
  ASSERT_EQ(Open(kPreopen, "f", kOflagCreat, kRead | kWrite, 0, &fd), Errno::kSuccess);
  EXPECT_GT(fd, kPreopen);
  EXPECT_TRUE(Exists(sandbox_ + "/f"));
  EXPECT_EQ(Open(kPreopen, "f", kOflagCreat | kOflagExcl, kRead, 0, &fd), Errno::kExist);
  WriteHostFile(sandbox_ + "/f", "content");
  ASSERT_EQ(Open(kPreopen, "f", kOflagTrunc, kRead | kWrite, 0, &fd), Errno::kSuccess);
  EXPECT_EQ(ReadHostFile(sandbox_ + "/f"), "");
  EXPECT_EQ(Open(kPreopen, "f", kOflagDirectory, kRead, 0, &fd), Errno::kNotdir);
  EXPECT_EQ(Open(kPreopen, "f/", 0, kRead, 0, &fd), Errno::kNotdir);
  EXPECT_EQ(Open(kPreopen, "d", kOflagCreat | kOflagDirectory, kRead, 0, &fd), Errno::kInval);
  ASSERT_EQ(mkdir((sandbox_ + "/d").c_str(), 0755), 0);
  EXPECT_EQ(Open(kPreopen, "d", 0, kRead | kWrite, 0, &fd), Errno::kIsdir);
  ASSERT_EQ(Open(kPreopen, "d", kOflagDirectory, kRead | kReaddir, 0, &fd), Errno::kSuccess);
  EXPECT_EQ(wasi_->ctx().fds.Get(fd)->type, FileType::kDirectory);
  // Symlinks: followed only with lookupflags.symlink_follow.
  ASSERT_EQ(symlink("f", (sandbox_ + "/l").c_str()), 0);
  EXPECT_EQ(Open(kPreopen, "l", 0, kRead, 0, &fd), Errno::kLoop);
  EXPECT_EQ(Open(kPreopen, "l", 0, kRead, 1, &fd), Errno::kSuccess);
  EXPECT_EQ(wasi_->ctx().fds.Get(fd)->type, FileType::kRegularFile);
}

TEST_F(PathTest, OpenRightsAreIntersectedWithTheDirectorysInheriting) {
  u32 fd = 0;
  ASSERT_EQ(Open(kPreopen, "f", kOflagCreat, kAllRights, 0, &fd), Errno::kSuccess);
  FdEntry* dir = wasi_->ctx().fds.Get(kPreopen);
  FdEntry* file = wasi_->ctx().fds.Get(fd);
  ASSERT_NE(file, nullptr);
  EXPECT_EQ(file->rights_base & ~dir->rights_inheriting, 0u);
  EXPECT_EQ(file->rights_base & kReaddir, 0u);  // not a directory right for a file
  EXPECT_NE(file->rights_base & kWrite, 0u);
  // A directory handing down only read: a write-wanting open gets read only.
  dir->rights_inheriting &= ~kWrite;
  ASSERT_EQ(Open(kPreopen, "f", 0, kRead | kWrite, 0, &fd), Errno::kSuccess);
  EXPECT_EQ(wasi_->ctx().fds.Get(fd)->rights_base & kWrite, 0u);
  // Without path_open on the directory nothing opens.
  dir->rights_base &= ~(u64{1} << 13);
  EXPECT_EQ(Open(kPreopen, "f", 0, kRead, 0, &fd), Errno::kNotcapable);
}

TEST_F(PathTest, OpenStopsAtMaxFdsAndLeaksNothing) {
  WasiConfig config;
  config.preopens.push_back({sandbox_, "/sandbox", false});
  config.max_fds = 5;  // stdio, the preopen, one more
  auto w = Wasi::Create(config);
  ASSERT_TRUE(w.ok());
  wasi_ = std::move(*w);
  WriteHostFile(sandbox_ + "/f", "x");
  u32 fd = 0;
  ASSERT_EQ(Open(kPreopen, "f", 0, kRead, 0, &fd), Errno::kSuccess);
  const int before = OpenHostFds();
  Errno e = Open(kPreopen, "f", 0, kRead, 0, &fd);
  EXPECT_TRUE(e == Errno::kNfile || e == Errno::kMfile) << ErrnoName(e);
  EXPECT_EQ(OpenHostFds(), before);
}

TEST_F(PathTest, BadDescriptorsAreRefused) {
  WriteHostFile(sandbox_ + "/f", "x");
  u32 fd = 0;
  EXPECT_EQ(Open(99, "f", 0, kRead, 0, &fd), Errno::kBadf);
  EXPECT_EQ(Open(1, "f", 0, kRead, 0, &fd), Errno::kNotdir);  // stdout
  ASSERT_EQ(Open(kPreopen, "f", 0, kRead, 0, &fd), Errno::kSuccess);
  EXPECT_EQ(Simple("path_create_directory", "x", fd), Errno::kNotdir);
  EXPECT_EQ(Call("path_open", {kPreopen, 0, Put("f"), 1, 0, kRead, 0, 0, 65534}), Errno::kFault);
}

TEST_F(PathTest, DirectoriesAreCreatedAndRemoved) {
  EXPECT_EQ(Simple("path_create_directory", "d"), Errno::kSuccess);
  EXPECT_EQ(Simple("path_create_directory", "d"), Errno::kExist);
  EXPECT_EQ(Simple("path_create_directory", "d/e/"), Errno::kSuccess);  // trailing slash is fine
  EXPECT_EQ(Simple("path_create_directory", "missing/e"), Errno::kNoent);
  EXPECT_EQ(Simple("path_remove_directory", "d"), Errno::kNotempty);
  EXPECT_EQ(Simple("path_remove_directory", "d/e/"), Errno::kSuccess);
  EXPECT_EQ(Simple("path_remove_directory", "d/."), Errno::kInval);
  WriteHostFile(sandbox_ + "/f", "x");
  EXPECT_EQ(Simple("path_remove_directory", "f"), Errno::kNotdir);
  EXPECT_EQ(Simple("path_remove_directory", "d"), Errno::kSuccess);
  EXPECT_FALSE(Exists(sandbox_ + "/d"));
  EXPECT_EQ(Simple("path_create_directory", ""), Errno::kNoent);
}

TEST_F(PathTest, UnlinkRemovesFilesOnly) {
  WriteHostFile(sandbox_ + "/f", "x");
  ASSERT_EQ(mkdir((sandbox_ + "/d").c_str(), 0755), 0);
  ASSERT_EQ(symlink("d", (sandbox_ + "/ld").c_str()), 0);
  EXPECT_EQ(Simple("path_unlink_file", "d"), Errno::kIsdir);
  EXPECT_EQ(Simple("path_unlink_file", "d/"), Errno::kIsdir);
  EXPECT_EQ(Simple("path_unlink_file", "f/"), Errno::kNotdir);
  EXPECT_EQ(Simple("path_unlink_file", "ld/"), Errno::kNotdir);
  EXPECT_EQ(Simple("path_unlink_file", "nope"), Errno::kNoent);
  EXPECT_EQ(Simple("path_unlink_file", "ld"), Errno::kSuccess);  // the link, not its target
  EXPECT_TRUE(Exists(sandbox_ + "/d"));
  EXPECT_EQ(Simple("path_unlink_file", "f"), Errno::kSuccess);
  EXPECT_FALSE(Exists(sandbox_ + "/f"));
}

TEST_F(PathTest, FilestatGetFollowsOnlyWhenAsked) {
  WriteHostFile(sandbox_ + "/f", "12345");
  ASSERT_EQ(symlink("f", (sandbox_ + "/l").c_str()), 0);
  auto stat = [&](const std::string& p, u32 lookup, u64* size, u8* type) {
    Errno e = Call("path_filestat_get", {kPreopen, lookup, Put(p), p.size(), kOut});
    std::memcpy(size, memory_.data() + kOut + 32, 8);
    *type = memory_[kOut + 16];
    return e;
  };
  u64 size = 0;
  u8 type = 0;
  ASSERT_EQ(stat("l", 1, &size, &type), Errno::kSuccess);
  EXPECT_EQ(size, 5u);
  EXPECT_EQ(type, static_cast<u8>(FileType::kRegularFile));
  ASSERT_EQ(stat("l", 0, &size, &type), Errno::kSuccess);
  EXPECT_EQ(type, static_cast<u8>(FileType::kSymbolicLink));
  ASSERT_EQ(stat(".", 0, &size, &type), Errno::kSuccess);
  EXPECT_EQ(type, static_cast<u8>(FileType::kDirectory));
  EXPECT_EQ(stat("nope", 0, &size, &type), Errno::kNoent);
  EXPECT_EQ(stat("f/", 0, &size, &type), Errno::kNotdir);
  EXPECT_EQ(Call("path_filestat_get", {kPreopen, 0, Put("f"), 1, 65530}), Errno::kFault);
}

TEST_F(PathTest, SetTimesChangesTheNamedFile) {
  WriteHostFile(sandbox_ + "/f", "x");
  ASSERT_EQ(symlink("f", (sandbox_ + "/l").c_str()), 0);
  const u64 t = 1'000'000'000ull * 1234567;
  EXPECT_EQ(Call("path_filestat_set_times",
                 {kPreopen, 1, Put("l"), 1, t, t + 5, kFstflagAtim | kFstflagMtim}),
            Errno::kSuccess);
  struct stat st;
  ASSERT_EQ(stat((sandbox_ + "/f").c_str(), &st), 0);
  EXPECT_EQ(st.st_atim.tv_sec, 1234567);
  EXPECT_EQ(st.st_mtim.tv_sec, 1234567);
  EXPECT_EQ(st.st_mtim.tv_nsec, 5);
  EXPECT_EQ(Call("path_filestat_set_times",
                 {kPreopen, 0, Put("f"), 1, t, t, kFstflagAtim | kFstflagAtimNow}),
            Errno::kInval);
  EXPECT_EQ(Call("path_filestat_set_times", {kPreopen, 0, Put("no"), 2, 0, 0, kFstflagMtimNow}),
            Errno::kNoent);
}

TEST_F(PathTest, SymlinkAndReadlink) {
  const std::string target = "some/where/../else";
  EXPECT_EQ(Call("path_symlink", {Put(target), target.size(), kPreopen, Put("l"), 1}),
            Errno::kSuccess);
  EXPECT_EQ(Call("path_symlink", {Put(target), target.size(), kPreopen, Put("l"), 1}),
            Errno::kExist);
  EXPECT_EQ(Call("path_symlink", {Put(target), target.size(), kPreopen, Put("n/"), 2}),
            Errno::kNoent);
  const u32 buf = 0x800;
  EXPECT_EQ(Call("path_readlink", {kPreopen, Put("l"), 1, buf, 64, kOut}), Errno::kSuccess);
  EXPECT_EQ(OutU32(), target.size());
  EXPECT_EQ(std::string(reinterpret_cast<char*>(memory_.data() + buf), target.size()), target);
  // A short buffer gets a truncated target (wasmtime), not an error.
  EXPECT_EQ(Call("path_readlink", {kPreopen, Put("l"), 1, buf, 4, kOut}), Errno::kSuccess);
  EXPECT_EQ(OutU32(), 4u);
  WriteHostFile(sandbox_ + "/f", "x");
  EXPECT_EQ(Call("path_readlink", {kPreopen, Put("f"), 1, buf, 64, kOut}), Errno::kInval);
  EXPECT_EQ(Call("path_readlink", {kPreopen, Put("l"), 1, 65530, 64, kOut}), Errno::kFault);
}

TEST_F(PathTest, RenameAndLink) {
  WriteHostFile(sandbox_ + "/a", "A");
  ASSERT_EQ(mkdir((sandbox_ + "/d").c_str(), 0755), 0);
  auto rename = [&](const std::string& from, const std::string& to) {
    return Call("path_rename", {kPreopen, Put(from), from.size(), kPreopen, Put(to), to.size()});
  };
  auto link = [&](const std::string& from, const std::string& to) {
    return Call("path_link", {kPreopen, 0, Put(from), from.size(), kPreopen, Put(to), to.size()});
  };
  EXPECT_EQ(rename("a", "d/b"), Errno::kSuccess);
  EXPECT_EQ(ReadHostFile(sandbox_ + "/d/b"), "A");
  EXPECT_EQ(rename("d/b/", "c"), Errno::kNotdir);
  EXPECT_EQ(rename("nope", "c"), Errno::kNoent);
  EXPECT_EQ(rename("d", "e/"), Errno::kSuccess);
  EXPECT_EQ(link("e/b", "h"), Errno::kSuccess);
  EXPECT_EQ(link("e/b", "h"), Errno::kExist);
  EXPECT_EQ(link("e", "h2"), Errno::kPerm);  // no hard links to directories
  EXPECT_EQ(link("e/b/", "h3"), Errno::kNotdir);
  struct stat st;
  ASSERT_EQ(stat((sandbox_ + "/h").c_str(), &st), 0);
  EXPECT_EQ(st.st_nlink, 2u);
}

}  // namespace
}  // namespace deja::wasi::testing
