// The sandbox's file boundary under attack: every test names a way out of a
// preopen and proves that nothing outside is opened, read, changed or linked.
#include <atomic>
#include <thread>

#include "wasi/path.h"
#include "wasi/path_test_util.h"
#include "wasi/rights.h"

namespace deja::wasi::testing {
namespace {

class EscapeTest : public SandboxTest {
 protected:
  // Opens `path` for reading; on success, returns the host fd's inode.
  Errno OpenIno(const std::string& path, u32 lookup, ino_t* ino) {
    u32 fd = 0;
    Errno e = Open(kPreopen, path, 0, kRead, lookup, &fd);
    if (e == Errno::kSuccess) {
      FdEntry entry;
      EXPECT_EQ(wasi_->ctx().fds.Take(fd, &entry), Errno::kSuccess);
      struct stat st;
      EXPECT_EQ(fstat(entry.host_fd, &st), 0);
      *ino = st.st_ino;
      close(entry.host_fd);
    }
    return e;
  }
  ino_t SecretIno() const {
    struct stat st;
    EXPECT_EQ(stat((outside_ + "/secret").c_str(), &st), 0);
    return st.st_ino;
  }
  void ExpectNoOpen(const std::string& path, u32 lookup = 1) {
    ino_t ino = 0;
    Errno e = OpenIno(path, lookup, &ino);
    EXPECT_NE(e, Errno::kSuccess) << path;
  }
};

TEST_F(EscapeTest, DotDotChainsAreRefused) {
  ASSERT_EQ(mkdir((sandbox_ + "/a").c_str(), 0755), 0);
  ino_t ino;
  EXPECT_EQ(OpenIno("../outside/secret", 1, &ino), kEscapeErrno);
  EXPECT_EQ(OpenIno("a/../../outside/secret", 1, &ino), kEscapeErrno);
  EXPECT_EQ(OpenIno("a/./../a/../../../../../../etc/passwd", 1, &ino), kEscapeErrno);
  EXPECT_EQ(Simple("path_create_directory", "../evil"), kEscapeErrno);
  EXPECT_EQ(Simple("path_create_directory", "a/../../evil"), kEscapeErrno);
  EXPECT_EQ(Simple("path_unlink_file", "../outside/secret"), kEscapeErrno);
  EXPECT_EQ(Simple("path_remove_directory", ".."), kEscapeErrno);
  EXPECT_FALSE(Exists(root_ + "/evil"));
  EXPECT_TRUE(Exists(outside_ + "/secret"));
  // ".." that stays inside is fine.
  EXPECT_EQ(OpenIno("a/..", 1, &ino), Errno::kSuccess);
}

TEST_F(EscapeTest, AbsolutePathsAreRefused) {
  ino_t ino;
  EXPECT_EQ(OpenIno(outside_ + "/secret", 1, &ino), kEscapeErrno);
  EXPECT_EQ(OpenIno("/etc/passwd", 1, &ino), kEscapeErrno);
  EXPECT_EQ(OpenIno("/", 1, &ino), kEscapeErrno);
  EXPECT_EQ(Simple("path_create_directory", root_ + "/evil"), kEscapeErrno);
  EXPECT_EQ(Simple("path_create_directory", "//"), kEscapeErrno);
  EXPECT_FALSE(Exists(root_ + "/evil"));
}

TEST_F(EscapeTest, SymlinksToRootOrParentAreNotFollowedOut) {
  ASSERT_EQ(symlink("/", (sandbox_ + "/root").c_str()), 0);
  ASSERT_EQ(symlink("..", (sandbox_ + "/up").c_str()), 0);
  ASSERT_EQ(symlink("../outside/secret", (sandbox_ + "/sec").c_str()), 0);
  ASSERT_EQ(symlink((outside_ + "/secret").c_str(), (sandbox_ + "/abs").c_str()), 0);
  for (const char* p : {"root/etc/passwd", "up/outside/secret", "sec", "abs", "up/sandbox/sec"}) {
    ExpectNoOpen(p);
  }
  // Not following: the link itself opens nothing (O_NOFOLLOW is ELOOP).
  ExpectNoOpen("sec", 0);
  // stat and utimes that follow stay inside too.
  const u32 p = Put("sec");
  EXPECT_EQ(Call("path_filestat_get", {kPreopen, 1, p, 3, kOut}), kEscapeErrno);
  struct stat before, after;
  ASSERT_EQ(stat((outside_ + "/secret").c_str(), &before), 0);
  EXPECT_EQ(Call("path_filestat_set_times", {kPreopen, 1, p, 3, 5, 5, kFstflagAtim | kFstflagMtim}),
            kEscapeErrno);
  EXPECT_EQ(Call("path_filestat_set_times", {kPreopen, 0, Put("up/"), 3, 5, 5, kFstflagMtim}),
            kEscapeErrno);
  ASSERT_EQ(stat((outside_ + "/secret").c_str(), &after), 0);
  EXPECT_EQ(before.st_mtim.tv_sec, after.st_mtim.tv_sec);
  // Creating through a symlinked parent is refused; the link's own name is not.
  EXPECT_EQ(Simple("path_create_directory", "up/evil"), kEscapeErrno);
  EXPECT_EQ(Simple("path_create_directory", "root/tmp/evil"), kEscapeErrno);
  EXPECT_FALSE(Exists(root_ + "/evil"));
}

TEST_F(EscapeTest, SymlinkChainsStayInsideOrLoop) {
  ASSERT_EQ(symlink("../outside/secret", (sandbox_ + "/l3").c_str()), 0);
  ASSERT_EQ(symlink("l3", (sandbox_ + "/l2").c_str()), 0);
  ASSERT_EQ(symlink("./l2", (sandbox_ + "/l1").c_str()), 0);
  ExpectNoOpen("l1");
  const u32 p = Put("l1");
  EXPECT_EQ(Call("path_filestat_set_times", {kPreopen, 1, p, 2, 0, 0, kFstflagMtimNow}),
            kEscapeErrno);
  // A chain that ends inside works; a cycle is ELOOP.
  WriteHostFile(sandbox_ + "/inside", "ok");
  ASSERT_EQ(symlink("inside", (sandbox_ + "/i2").c_str()), 0);
  ASSERT_EQ(symlink("i2", (sandbox_ + "/i1").c_str()), 0);
  ino_t ino;
  EXPECT_EQ(OpenIno("i1", 1, &ino), Errno::kSuccess);
  ASSERT_EQ(symlink("loop_b", (sandbox_ + "/loop_a").c_str()), 0);
  ASSERT_EQ(symlink("loop_a", (sandbox_ + "/loop_b").c_str()), 0);
  EXPECT_EQ(OpenIno("loop_a", 1, &ino), Errno::kLoop);
  EXPECT_EQ(Call("path_filestat_set_times", {kPreopen, 1, Put("loop_a"), 6, 0, 0, kFstflagMtimNow}),
            Errno::kLoop);
}

// A host thread flips sandbox/d between a real directory and a symlink to
// the outside while the guest opens, stats and re-times d/secret in a loop:
// the outside secret is never opened and never touched.
TEST_F(EscapeTest, SymlinkSwappedInDuringTheCallNeverLeaks) {
  const std::string d = sandbox_ + "/d", real = sandbox_ + "/real", link = sandbox_ + "/link";
  ASSERT_EQ(mkdir(real.c_str(), 0755), 0);
  WriteHostFile(real + "/secret", "inside");
  ASSERT_EQ(symlink(outside_.c_str(), link.c_str()), 0);
  ASSERT_EQ(symlink("real", d.c_str()), 0);
  struct stat before;
  ASSERT_EQ(stat((outside_ + "/secret").c_str(), &before), 0);
  const ino_t secret = SecretIno();
  std::atomic<bool> stop{false};
  std::thread flipper([&] {
    const std::string tmp = sandbox_ + "/tmp_swap";
    for (bool to_outside = true; !stop.load(); to_outside = !to_outside) {
      // rename(2) replaces d atomically: it always exists, pointing in or out.
      (void)unlink(tmp.c_str());
      if (symlink(to_outside ? "../outside" : "real", tmp.c_str()) == 0) {
        (void)rename(tmp.c_str(), d.c_str());
      }
    }
  });
  int inside_opens = 0;
  for (int i = 0; i < 3000; ++i) {
    ino_t ino = 0;
    if (OpenIno("d/secret", 1, &ino) == Errno::kSuccess) {
      ASSERT_NE(ino, secret) << "opened the outside secret";
      ++inside_opens;
    }
    (void)Call("path_filestat_set_times", {kPreopen, 1, Put("d/secret"), 8, 7, 7, kFstflagMtim});
    (void)Call("path_filestat_get", {kPreopen, 1, Put("d/secret"), 8, kOut});
  }
  stop = true;
  flipper.join();
  struct stat after;
  ASSERT_EQ(stat((outside_ + "/secret").c_str(), &after), 0);
  EXPECT_EQ(before.st_mtim.tv_sec, after.st_mtim.tv_sec) << "outside secret re-timed";
  EXPECT_GT(inside_opens, 0) << "the race never let the inside file open";
}

TEST_F(EscapeTest, HardLinksCannotReachOutside) {
  ASSERT_EQ(symlink("../outside/secret", (sandbox_ + "/sec").c_str()), 0);
  const std::string out = "../outside/secret", sec = "sec", x = "x", y = "y";
  EXPECT_EQ(Call("path_link", {kPreopen, 0, Put(out), out.size(), kPreopen, Put(x), 1}),
            kEscapeErrno);
  // Following a symlink while linking is refused (as wasmtime), so a link
  // through "sec" can only ever link the symlink itself.
  EXPECT_EQ(Call("path_link", {kPreopen, 1, Put(sec), 3, kPreopen, Put(x), 1}), Errno::kInval);
  EXPECT_EQ(Call("path_link", {kPreopen, 0, Put(sec), 3, kPreopen, Put(y), 1}), Errno::kSuccess);
  struct stat st;
  ASSERT_EQ(lstat((sandbox_ + "/y").c_str(), &st), 0);
  EXPECT_TRUE(S_ISLNK(st.st_mode));
  ExpectNoOpen("y");
  EXPECT_EQ(Call("path_link", {kPreopen, 0, Put(x), 1, kPreopen, Put("../stolen"), 9}),
            kEscapeErrno);
  // A hard link the host made beforehand is just a file of the sandbox.
  ASSERT_EQ(link((outside_ + "/secret").c_str(), (sandbox_ + "/granted").c_str()), 0);
  ino_t ino;
  EXPECT_EQ(OpenIno("granted", 1, &ino), Errno::kSuccess);
}

TEST_F(EscapeTest, RenamesCannotMoveAnythingAcrossTheBoundary) {
  ASSERT_EQ(mkdir((sandbox_ + "/dir").c_str(), 0755), 0);
  auto rename = [&](const std::string& from, const std::string& to) {
    return Call("path_rename", {kPreopen, Put(from), from.size(), kPreopen, Put(to), to.size()});
  };
  EXPECT_EQ(rename("dir", "../outside/dir"), kEscapeErrno);
  EXPECT_EQ(rename("dir", root_ + "/dir"), kEscapeErrno);
  EXPECT_EQ(rename("../outside/secret", "stolen"), kEscapeErrno);
  EXPECT_EQ(rename("dir/..", "x"), Errno::kBusy);  // the preopen itself stays put
  EXPECT_TRUE(Exists(sandbox_ + "/dir"));
  EXPECT_FALSE(Exists(outside_ + "/dir"));
  EXPECT_FALSE(Exists(sandbox_ + "/stolen"));
  // A directory fd opened beneath survives its directory being renamed and
  // still cannot climb out of it.
  u32 fd = 0;
  ASSERT_EQ(Open(kPreopen, "dir", kOflagDirectory, kReadRights, 0, &fd), Errno::kSuccess);
  EXPECT_EQ(rename("dir", "moved"), Errno::kSuccess);
  EXPECT_EQ(Simple("path_create_directory", "../../outside/evil", fd), kEscapeErrno);
  EXPECT_EQ(Simple("path_create_directory", "sub", fd), Errno::kSuccess);
  EXPECT_TRUE(Exists(sandbox_ + "/moved/sub"));
}

TEST_F(EscapeTest, MagicLinksAreRefused) {
  // A preopen of /proc/self: its fd/N and cwd/root entries are magic links.
  wasi_.reset();
  WasiConfig config;
  config.preopens.push_back({"/proc/self", "/proc", true});
  auto w = Wasi::Create(config);
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  wasi_ = std::move(*w);
  for (const char* p : {"root/etc/passwd", "cwd", "fd/0", "fd/3", "exe"}) {
    ino_t ino;
    EXPECT_EQ(OpenIno(p, 1, &ino), Errno::kLoop) << p;
  }
  // A plain symlink into /proc from a normal sandbox is absolute: refused.
  MakeWasi(false);
  ASSERT_EQ(symlink("/proc/self/root", (sandbox_ + "/p").c_str()), 0);
  ExpectNoOpen("p/etc/passwd");
}

TEST_F(EscapeTest, RenumberOverAPreopenDropsItsCapability) {
  const FuncDef* renumber = nullptr;
  for (const FuncDef& def : FdFuncs()) {
    if (std::strcmp(def.name, "fd_renumber") == 0) renumber = &def;
  }
  if (renumber == nullptr) GTEST_SKIP() << "fd_renumber is not registered yet";
  WriteHostFile(sandbox_ + "/file", "x");
  u32 fd = 0;
  ASSERT_EQ(Open(kPreopen, "file", 0, kRead, 0, &fd), Errno::kSuccess);
  GuestMemory mem(memory_);
  const u64 args[] = {fd, kPreopen};
  ASSERT_EQ(renumber->fn(wasi_->ctx(), mem, std::span<const u64>(args)), Errno::kSuccess);
  // fd 3 is now the file: no preopen, no path calls, nothing beneath it.
  EXPECT_EQ(Call("fd_prestat_get", {kPreopen, kOut}), Errno::kBadf);
  ino_t ino;
  EXPECT_EQ(OpenIno("../outside/secret", 1, &ino), Errno::kNotdir);
  EXPECT_EQ(OpenIno("file", 1, &ino), Errno::kNotdir);
}

TEST_F(EscapeTest, LongPathsAreCappedBeforeCopying) {
  std::string dots;
  while (dots.size() < 4000) dots += "../";
  ino_t ino;
  EXPECT_EQ(OpenIno(dots + "etc/passwd", 1, &ino), kEscapeErrno);
  EXPECT_EQ(OpenIno(std::string(kMaxPathLen + 1, 'a'), 1, &ino), Errno::kNametoolong);
  // A length reaching past the end of memory is EFAULT, never a read.
  EXPECT_EQ(Call("path_open", {kPreopen, 1, 65000, 4096, 0, kRead, 0, 0, kOut}), Errno::kFault);
  EXPECT_EQ(Call("path_open", {kPreopen, 1, 10, 0xffffffff, 0, kRead, 0, 0, kOut}), Errno::kFault);
}

TEST_F(EscapeTest, NulBytesAndBadUtf8AreRejected) {
  WriteHostFile(sandbox_ + "/file", "x");
  const std::string nul("file\0../../outside/secret", 25);
  ino_t ino;
  EXPECT_EQ(OpenIno(nul, 1, &ino), Errno::kInval);
  EXPECT_EQ(OpenIno(std::string("file\0", 5), 1, &ino), Errno::kInval);
  EXPECT_EQ(OpenIno("fi\xffle", 1, &ino), Errno::kIlseq);
  EXPECT_EQ(OpenIno("\xc0\xaf", 1, &ino), Errno::kIlseq);  // overlong "/"
  EXPECT_EQ(Call("path_symlink", {Put(nul), nul.size(), kPreopen, Put("l"), 1}), Errno::kInval);
  EXPECT_FALSE(Exists(sandbox_ + "/l"));
}

// An absolute symlink target would point host tools at the host's root:
// refused with EPERM (as wasmtime), nothing is created. Relative targets,
// even ones leading out, are stored (lookups never follow them out).
TEST_F(EscapeTest, AbsoluteSymlinkTargetIsRefused) {
  for (const std::string target : {"/", "/etc/passwd", "//x"}) {
    EXPECT_EQ(Call("path_symlink", {Put(target), target.size(), kPreopen, Put("l"), 1}),
              Errno::kPerm)
        << target;
    struct stat st;
    EXPECT_NE(lstat((sandbox_ + "/l").c_str(), &st), 0) << target;
  }
  EXPECT_EQ(Call("path_symlink", {Put("../x"), 4, kPreopen, Put("l"), 1}), Errno::kSuccess);
  char buf[16] = {};
  EXPECT_EQ(readlink((sandbox_ + "/l").c_str(), buf, sizeof buf - 1), 4);
  EXPECT_STREQ(buf, "../x");
}

TEST_F(EscapeTest, ReadOnlyPreopenRefusesEveryMutation) {
  WriteHostFile(sandbox_ + "/file", "keep");
  ASSERT_EQ(mkdir((sandbox_ + "/dir").c_str(), 0755), 0);
  MakeWasi(true);
  EXPECT_EQ(Simple("path_create_directory", "new"), Errno::kRofs);
  EXPECT_EQ(Simple("path_remove_directory", "dir"), Errno::kRofs);
  EXPECT_EQ(Simple("path_unlink_file", "file"), Errno::kRofs);
  EXPECT_EQ(Call("path_symlink", {Put("file"), 4, kPreopen, Put("l"), 1}), Errno::kRofs);
  EXPECT_EQ(Call("path_rename", {kPreopen, Put("file"), 4, kPreopen, Put("f2"), 2}), Errno::kRofs);
  EXPECT_EQ(Call("path_link", {kPreopen, 0, Put("file"), 4, kPreopen, Put("f2"), 2}), Errno::kRofs);
  EXPECT_EQ(Call("path_filestat_set_times", {kPreopen, 0, Put("file"), 4, 0, 0, kFstflagMtimNow}),
            Errno::kRofs);
  u32 fd = 0;
  EXPECT_EQ(Open(kPreopen, "new", kOflagCreat, kRead, 0, &fd), Errno::kRofs);
  EXPECT_EQ(Open(kPreopen, "file", kOflagTrunc, kRead, 0, &fd), Errno::kRofs);
  EXPECT_EQ(Open(kPreopen, "file", 0, kRead | kWrite, 0, &fd), Errno::kRofs);
  // Reading works, and what opens carries no right to modify anything.
  ASSERT_EQ(Open(kPreopen, "file", 0, kReadRights, 0, &fd), Errno::kSuccess);
  FdEntry* e = wasi_->ctx().fds.Get(fd);
  ASSERT_NE(e, nullptr);
  EXPECT_TRUE(e->read_only);
  EXPECT_EQ(e->rights_base & (kWrite | (u64{1} << 23)), 0u);
  ASSERT_EQ(Open(kPreopen, "dir", kOflagDirectory, kReadRights, 0, &fd), Errno::kSuccess);
  EXPECT_EQ(Simple("path_create_directory", "sub", fd), Errno::kRofs);
  EXPECT_EQ(ReadHostFile(sandbox_ + "/file"), "keep");
  EXPECT_FALSE(Exists(sandbox_ + "/new"));
}

}  // namespace
}  // namespace deja::wasi::testing
