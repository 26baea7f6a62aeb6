// Directory descriptor calls of wasi_snapshot_preview1: fd_prestat_get,
// fd_prestat_dir_name (how wasi-libc discovers its preopens) and fd_readdir.
#include <dirent.h>
#include <fcntl.h>

#include <cstring>
#include <vector>

#include "wasi/path.h"
#include "wasi/rights.h"

namespace deja::wasi {
namespace {

constexpr u32 kDirentSize = 24;  // d_next u64, d_ino u64, d_namlen u32, d_type u8, 3 padding
constexpr size_t kHostDirBuffer = 32 * 1024;

// Appends entries to the guest's buffer, truncating the last one when it
// does not fit, as the spec describes ("fills the buffer as much as
// possible"): the guest sees a full buffer and retries with a bigger one.
class DirentWriter {
 public:
  explicit DirentWriter(std::span<u8> out) : out_(out) {}

  // Returns false once the buffer is full.
  bool Add(u64 next, u64 ino, FileType type, std::string_view name) {
    std::array<u8, kDirentSize> head{};
    const u32 namlen = static_cast<u32>(name.size());
    std::memcpy(head.data(), &next, 8);
    std::memcpy(head.data() + 8, &ino, 8);
    std::memcpy(head.data() + 16, &namlen, 4);
    head[20] = static_cast<u8>(type);
    return Put(head.data(), head.size()) && Put(name.data(), name.size());
  }
  u32 used() const { return static_cast<u32>(used_); }

 private:
  bool Put(const void* data, size_t n) {
    const size_t take = std::min(n, out_.size() - used_);
    if (take > 0) std::memcpy(out_.data() + used_, data, take);
    used_ += take;
    return used_ < out_.size();
  }
  std::span<u8> out_;
  size_t used_ = 0;
};

// The WASI type of a getdents64 entry; DT_UNKNOWN (some file systems) asks.
FileType EntryType(System& sys, int dirfd, u8 d_type, const std::string& name) {
  if (d_type != DT_UNKNOWN) return FileTypeFromMode(DTTOIF(d_type));
  struct stat st;
  if (sys.FstatAt(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) != Errno::kSuccess) {
    return FileType::kUnknown;
  }
  return FileTypeFromMode(st.st_mode);
}

// Lists `dirfd` from entry number `cookie` on. Cookies are entry numbers in
// wasmtime's order: "." is 0, ".." is 1 (both given the directory's own inode:
// the parent of a preopen lies outside), then the host's entries in the
// order the file system returns them. Each call reads afresh from a new
// descriptor, so cookies stay valid across calls and no seek position is
// shared with anything else.
Errno ListDir(System& sys, int dirfd, u64 cookie, DirentWriter* w) {
  struct stat self;
  if (Errno e = sys.Fstat(dirfd, &self); e != Errno::kSuccess) return e;
  const u64 ino = static_cast<u64>(self.st_ino);
  if (cookie == 0 && !w->Add(1, ino, FileType::kDirectory, ".")) return Errno::kSuccess;
  if (cookie <= 1 && !w->Add(2, ino, FileType::kDirectory, "..")) return Errno::kSuccess;

  int fd = -1;
  if (Errno e = OpenBeneath(sys, dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0, &fd);
      e != Errno::kSuccess) {
    return e;
  }
  HostFd holder(&sys, fd, true);
  std::vector<u8> buf(kHostDirBuffer);
  u64 index = 2;
  for (;;) {
    size_t n = 0;
    if (Errno e = sys.ReadDir(fd, buf, &n); e != Errno::kSuccess) return e;
    if (n == 0) return Errno::kSuccess;
    for (size_t off = 0; off + 19 < n;) {
      // linux_dirent64: d_ino u64, d_off i64, d_reclen u16, d_type u8, name.
      u64 d_ino;
      u16 reclen;
      std::memcpy(&d_ino, buf.data() + off, 8);
      std::memcpy(&reclen, buf.data() + off + 16, 2);
      if (reclen == 0 || off + reclen > n) return Errno::kIo;
      const u8 d_type = buf[off + 18];
      const char* name_ptr = reinterpret_cast<const char*>(buf.data() + off + 19);
      std::string name(name_ptr, strnlen(name_ptr, reclen - 19));
      off += reclen;
      if (name == "." || name == "..") continue;
      if (index++ < cookie) continue;
      if (!w->Add(index, d_ino, EntryType(sys, fd, d_type, name), name)) return Errno::kSuccess;
    }
  }
}

}  // namespace

Errno FdPrestatGet(WasiCtx& ctx, GuestMemory& mem, std::span<const u64> a) {
  FdEntry* e = nullptr;
  if (Errno err = GetFd(ctx.fds, ArgU32(a, 0), 0, &e); err != Errno::kSuccess) return err;
  if (!e->preopen) return Errno::kBadf;
  const u32 out = ArgU32(a, 1);
  if (!mem.InBounds(out, 8)) return Errno::kFault;
  mem.Store<u32>(out, 0);  // tag 0 = dir, then padding
  mem.Store<u32>(out + 4, static_cast<u32>(e->guest_path.size()));
  return Errno::kSuccess;
}

Errno FdPrestatDirName(WasiCtx& ctx, GuestMemory& mem, std::span<const u64> a) {
  FdEntry* e = nullptr;
  if (Errno err = GetFd(ctx.fds, ArgU32(a, 0), 0, &e); err != Errno::kSuccess) return err;
  // As wasmtime: an open descriptor that is no preopen is ENOTDIR here
  // (fd_prestat_get says EBADF), and a short buffer is ENAMETOOLONG.
  if (!e->preopen) return Errno::kNotdir;
  const u32 buf = ArgU32(a, 1), len = ArgU32(a, 2);
  if (e->guest_path.size() > len) return Errno::kNametoolong;
  const auto* name = reinterpret_cast<const u8*>(e->guest_path.data());
  return mem.Write(buf, std::span(name, e->guest_path.size())) ? Errno::kSuccess : Errno::kFault;
}

Errno FdReaddir(WasiCtx& ctx, GuestMemory& mem, std::span<const u64> a) {
  FdEntry* e = nullptr;
  if (Errno err = GetFd(ctx.fds, ArgU32(a, 0), 0, &e); err != Errno::kSuccess) return err;
  if (e->type != FileType::kDirectory) return Errno::kNotdir;
  if ((e->rights_base & rights::kFdReaddir) == 0) return Errno::kNotcapable;
  const u32 buf = ArgU32(a, 1), buf_len = ArgU32(a, 2), out = ArgU32(a, 4);
  std::span<u8> dest;
  if (!mem.InBounds(out, 4) || !mem.Writable(buf, buf_len, &dest)) return Errno::kFault;
  DirentWriter writer(dest);
  if (Errno err = ListDir(*ctx.sys, e->host_fd, a[3], &writer); err != Errno::kSuccess) {
    mem.Commit(buf, writer.used());
    return err;
  }
  mem.Commit(buf, writer.used());
  mem.Store<u32>(out, writer.used());
  return Errno::kSuccess;
}

}  // namespace deja::wasi
