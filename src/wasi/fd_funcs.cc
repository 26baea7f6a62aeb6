// Descriptor-level WASI functions (fd_*): I/O, seeking, metadata, flags,
// rights and the descriptor table itself. Every handler checks the
// descriptor and its rights first, then every guest range, then acts.
#include <fcntl.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <vector>

#include "wasi/registry.h"
#include "wasi/rights.h"

namespace deja::wasi {
namespace {

u32 U32(std::span<const u64> args, size_t i) { return static_cast<u32>(args[i]); }

#define DEJA_WASI_TRY(expr)                              \
  do {                                                   \
    if (Errno e_ = (expr); e_ != Errno::kSuccess) return e_; \
  } while (0)

// No guest needs more: Linux's own IOV_MAX is 1024.
constexpr u32 kMaxIovecs = 1024;

// The host iovecs of a guest iovec array, all bounds-checked before any I/O.
// Small lists (the common one- or two-buffer call) need no allocation.
class Iovecs {
 public:
  // kInval past kMaxIovecs, kFault for the array or any buffer out of bounds.
  Errno Load(GuestMemory& mem, u32 ptr, u32 count) {
    if (count > kMaxIovecs) return Errno::kInval;
    if (!mem.InBounds(ptr, u64{count} * 8)) return Errno::kFault;
    if (count > kSmall) {
      big_.resize(count);
      big_guest_.resize(count);
    }
    iovec* host = count > kSmall ? big_.data() : small_.data();
    guest_ = count > kSmall ? big_guest_.data() : small_guest_.data();
    for (u32 i = 0; i < count; ++i) {
      u32 buf = 0, len = 0;
      mem.Load(ptr + 8 * i, &buf);
      mem.Load(ptr + 8 * i + 4, &len);
      std::span<u8> bytes;
      if (!mem.Writable(buf, len, &bytes)) return Errno::kFault;
      host[i] = {bytes.data(), bytes.size()};
      guest_[i] = buf;
    }
    list_ = {host, count};
    return Errno::kSuccess;
  }
  std::span<const iovec> list() const { return list_; }
  // Logs the first `n` bytes, in iovec order, as written by the host.
  void Commit(GuestMemory& mem, size_t n) const {
    for (size_t i = 0; i < list_.size() && n > 0; ++i) {
      size_t part = std::min(n, list_[i].iov_len);
      mem.Commit(guest_[i], static_cast<u32>(part));
      n -= part;
    }
  }

 private:
  static constexpr u32 kSmall = 4;
  std::array<iovec, kSmall> small_;
  std::array<u32, kSmall> small_guest_;
  std::vector<iovec> big_;
  std::vector<u32> big_guest_;
  u32* guest_ = nullptr;
  std::span<const iovec> list_;
};

bool IsStream(FileType t) {
  return t != FileType::kRegularFile && t != FileType::kDirectory &&
         t != FileType::kBlockDevice;
}

// Looks up a descriptor for I/O: a directory is EISDIR (as read(2) says),
// a positioned call (`positioned`) on a stream is ESPIPE, then rights.
Errno GetIoFd(WasiCtx& ctx, u32 fd, u64 needed, bool positioned, FdEntry** out) {
  FdEntry* e = ctx.fds.Get(fd);
  if (e == nullptr) return Errno::kBadf;
  if (e->type == FileType::kDirectory) return Errno::kIsdir;
  if (positioned && IsStream(e->type)) return Errno::kSpipe;
  if ((e->rights_base & needed) != needed) return Errno::kNotcapable;
  *out = e;
  return Errno::kSuccess;
}

enum class Io { kRead, kWrite, kPread, kPwrite };

// fd_read, fd_write, fd_pread, fd_pwrite: (fd, iovs, iovs_len, [offset,] out).
// The result pointer is checked before the I/O, so a bad pointer never hides
// I/O that happened.
Errno DoIo(WasiCtx& ctx, GuestMemory& mem, std::span<const u64> a, Io io) {
  bool reads = io == Io::kRead || io == Io::kPread;
  bool positioned = io == Io::kPread || io == Io::kPwrite;
  u64 needed = (reads ? rights::kFdRead : rights::kFdWrite) | (positioned ? rights::kFdSeek : 0);
  FdEntry* e;
  DEJA_WASI_TRY(GetIoFd(ctx, U32(a, 0), needed, positioned, &e));
  Iovecs iov;
  DEJA_WASI_TRY(iov.Load(mem, U32(a, 1), U32(a, 2)));
  u32 out_ptr = U32(a, positioned ? 4 : 3);
  if (!mem.InBounds(out_ptr, 4)) return Errno::kFault;
  size_t n = 0;
  System& sys = *ctx.sys;
  switch (io) {
    case Io::kRead: DEJA_WASI_TRY(sys.Readv(e->host_fd, iov.list(), &n)); break;
    case Io::kWrite: DEJA_WASI_TRY(sys.Writev(e->host_fd, iov.list(), &n)); break;
    case Io::kPread: DEJA_WASI_TRY(sys.Preadv(e->host_fd, iov.list(), a[3], &n)); break;
    case Io::kPwrite: DEJA_WASI_TRY(sys.Pwritev(e->host_fd, iov.list(), a[3], &n)); break;
  }
  if (reads) iov.Commit(mem, n);
  mem.Store(out_ptr, static_cast<u32>(n));
  return Errno::kSuccess;
}

Errno FdRead(WasiCtx& ctx, GuestMemory& mem, std::span<const u64> a) {
  return DoIo(ctx, mem, a, Io::kRead);
}
Errno FdWrite(WasiCtx& ctx, GuestMemory& mem, std::span<const u64> a) {
  return DoIo(ctx, mem, a, Io::kWrite);
}
Errno FdPread(WasiCtx& ctx, GuestMemory& mem, std::span<const u64> a) {
  return DoIo(ctx, mem, a, Io::kPread);
}
Errno FdPwrite(WasiCtx& ctx, GuestMemory& mem, std::span<const u64> a) {
  return DoIo(ctx, mem, a, Io::kPwrite);
}

// Seeking a stream is ESPIPE whatever its rights; elsewhere a missing right
// is ENOTCAPABLE. A zero move from the current position (what fd_tell and
// lseek(fd, 0, SEEK_CUR) do) needs only the tell right, as in wasmtime.
Errno SeekTo(WasiCtx& ctx, GuestMemory& mem, u32 fd, i64 offset, u32 whence, u32 out_ptr) {
  FdEntry* e;
  DEJA_WASI_TRY(GetFd(ctx.fds, fd, 0, &e));
  if (IsStream(e->type)) return Errno::kSpipe;
  u64 needed = offset == 0 && whence == 1 ? rights::kFdTell : rights::kFdSeek;
  if ((e->rights_base & needed) != needed) return Errno::kNotcapable;
  static constexpr int kWhence[] = {SEEK_SET, SEEK_CUR, SEEK_END};
  if (whence > 2) return Errno::kInval;
  if (!mem.InBounds(out_ptr, 8)) return Errno::kFault;
  u64 pos = 0;
  DEJA_WASI_TRY(ctx.sys->Seek(e->host_fd, offset, kWhence[whence], &pos));
  mem.Store(out_ptr, pos);
  return Errno::kSuccess;
}

Errno FdSeek(WasiCtx& ctx, GuestMemory& mem, std::span<const u64> a) {
  return SeekTo(ctx, mem, U32(a, 0), static_cast<i64>(a[1]), U32(a, 2), U32(a, 3));
}
Errno FdTell(WasiCtx& ctx, GuestMemory& mem, std::span<const u64> a) {
  return SeekTo(ctx, mem, U32(a, 0), 0, 1, U32(a, 1));
}

Errno FdClose(WasiCtx& ctx, GuestMemory&, std::span<const u64> a) {
  FdEntry entry;
  DEJA_WASI_TRY(ctx.fds.Take(U32(a, 0), &entry));
  if (!entry.owned || entry.host_fd < 0) return Errno::kSuccess;
  return ctx.sys->Close(entry.host_fd);
}

Errno FdRenumber(WasiCtx& ctx, GuestMemory&, std::span<const u64> a) {
  FdEntry closed;
  bool was_closed = false;
  DEJA_WASI_TRY(ctx.fds.Renumber(U32(a, 0), U32(a, 1), &closed, &was_closed));
  if (was_closed && closed.owned && closed.host_fd >= 0) (void)ctx.sys->Close(closed.host_fd);
  return Errno::kSuccess;
}

Errno FdFdstatGet(WasiCtx& ctx, GuestMemory& mem, std::span<const u64> a) {
  FdEntry* e;
  DEJA_WASI_TRY(GetFd(ctx.fds, U32(a, 0), 0, &e));
  // fdstat: filetype u8 @0, fs_flags u16 @2, rights_base @8, rights_inheriting @16.
  std::array<u8, 24> buf{};
  buf[0] = static_cast<u8>(e->type);
  std::memcpy(buf.data() + 2, &e->fdflags, 2);
  std::memcpy(buf.data() + 8, &e->rights_base, 8);
  std::memcpy(buf.data() + 16, &e->rights_inheriting, 8);
  return mem.Write(U32(a, 1), buf) ? Errno::kSuccess : Errno::kFault;
}

// Only append and nonblock can change on an open Linux descriptor; the sync
// flags are fixed at open (path_open), so asking for them is ENOTSUP.
Errno FdFdstatSetFlags(WasiCtx& ctx, GuestMemory&, std::span<const u64> a) {
  FdEntry* e;
  DEJA_WASI_TRY(GetFd(ctx.fds, U32(a, 0), rights::kFdFdstatSetFlags, &e));
  u32 flags = U32(a, 1);
  constexpr u32 kKnown = kFdflagAppend | kFdflagDsync | kFdflagNonblock | kFdflagRsync | kFdflagSync;
  if ((flags & ~kKnown) != 0) return Errno::kInval;
  if ((flags & (kFdflagDsync | kFdflagRsync | kFdflagSync)) !=
      (e->fdflags & (kFdflagDsync | kFdflagRsync | kFdflagSync))) {
    return Errno::kNotsup;
  }
  int host = 0;
  DEJA_WASI_TRY(ctx.sys->GetFlags(e->host_fd, &host));
  host &= ~(O_APPEND | O_NONBLOCK);
  if (flags & kFdflagAppend) host |= O_APPEND;
  if (flags & kFdflagNonblock) host |= O_NONBLOCK;
  DEJA_WASI_TRY(ctx.sys->SetFlags(e->host_fd, host));
  e->fdflags = static_cast<u16>((e->fdflags & ~(kFdflagAppend | kFdflagNonblock)) |
                                (flags & (kFdflagAppend | kFdflagNonblock)));
  return Errno::kSuccess;
}

// Rights can only shrink: asking for one the descriptor lacks is ENOTCAPABLE.
Errno FdFdstatSetRights(WasiCtx& ctx, GuestMemory&, std::span<const u64> a) {
  FdEntry* e;
  DEJA_WASI_TRY(GetFd(ctx.fds, U32(a, 0), 0, &e));
  u64 base = a[1], inheriting = a[2];
  if ((base & ~e->rights_base) != 0 || (inheriting & ~e->rights_inheriting) != 0) {
    return Errno::kNotcapable;
  }
  e->rights_base = base;
  e->rights_inheriting = inheriting;
  return Errno::kSuccess;
}

Errno FdFilestatGet(WasiCtx& ctx, GuestMemory& mem, std::span<const u64> a) {
  FdEntry* e;
  DEJA_WASI_TRY(GetFd(ctx.fds, U32(a, 0), rights::kFdFilestatGet, &e));
  u32 out_ptr = U32(a, 1);
  if (!mem.InBounds(out_ptr, 64)) return Errno::kFault;
  struct stat st;
  DEJA_WASI_TRY(ctx.sys->Fstat(e->host_fd, &st));
  return StoreFilestat(mem, out_ptr, st, e->type);
}

Errno FdFilestatSetSize(WasiCtx& ctx, GuestMemory&, std::span<const u64> a) {
  FdEntry* e;
  DEJA_WASI_TRY(GetFd(ctx.fds, U32(a, 0), rights::kFdFilestatSetSize, &e));
  return ctx.sys->Ftruncate(e->host_fd, a[1]);
}

Errno FdFilestatSetTimes(WasiCtx& ctx, GuestMemory&, std::span<const u64> a) {
  FdEntry* e;
  DEJA_WASI_TRY(GetFd(ctx.fds, U32(a, 0), rights::kFdFilestatSetTimes, &e));
  timespec times[2];
  DEJA_WASI_TRY(TimesFromFstflags(a[1], a[2], static_cast<u16>(U32(a, 3)), times));
  return ctx.sys->Futimens(e->host_fd, times);
}

Errno FdAdvise(WasiCtx& ctx, GuestMemory&, std::span<const u64> a) {
  FdEntry* e;
  DEJA_WASI_TRY(GetFd(ctx.fds, U32(a, 0), rights::kFdAdvise, &e));
  // WASI advice values, in order: normal, sequential, random, willneed,
  // dontneed, noreuse.
  static constexpr int kAdvice[] = {POSIX_FADV_NORMAL,   POSIX_FADV_SEQUENTIAL,
                                    POSIX_FADV_RANDOM,   POSIX_FADV_WILLNEED,
                                    POSIX_FADV_DONTNEED, POSIX_FADV_NOREUSE};
  u32 advice = U32(a, 3);
  if (advice > 5) return Errno::kInval;
  if (IsStream(e->type)) return Errno::kSpipe;
  return ctx.sys->Advise(e->host_fd, a[1], a[2], kAdvice[advice]);
}

Errno FdAllocate(WasiCtx& ctx, GuestMemory&, std::span<const u64> a) {
  FdEntry* e;
  DEJA_WASI_TRY(GetFd(ctx.fds, U32(a, 0), rights::kFdAllocate, &e));
  if (a[2] == 0) return Errno::kInval;  // as posix_fallocate(3) says
  return ctx.sys->Allocate(e->host_fd, a[1], a[2]);
}

Errno FdSync(WasiCtx& ctx, GuestMemory&, std::span<const u64> a) {
  FdEntry* e;
  DEJA_WASI_TRY(GetFd(ctx.fds, U32(a, 0), rights::kFdSync, &e));
  return ctx.sys->Sync(e->host_fd);
}

Errno FdDatasync(WasiCtx& ctx, GuestMemory&, std::span<const u64> a) {
  FdEntry* e;
  DEJA_WASI_TRY(GetFd(ctx.fds, U32(a, 0), rights::kFdDatasync, &e));
  return ctx.sys->Datasync(e->host_fd);
}

#undef DEJA_WASI_TRY

constexpr FuncDef kFdFuncs[] = {
    {"fd_advise", FdAdvise},
    {"fd_allocate", FdAllocate},
    {"fd_close", FdClose},
    {"fd_datasync", FdDatasync},
    {"fd_fdstat_get", FdFdstatGet},
    {"fd_fdstat_set_flags", FdFdstatSetFlags},
    {"fd_fdstat_set_rights", FdFdstatSetRights},
    {"fd_filestat_get", FdFilestatGet},
    {"fd_filestat_set_size", FdFilestatSetSize},
    {"fd_filestat_set_times", FdFilestatSetTimes},
    {"fd_pread", FdPread},
    {"fd_pwrite", FdPwrite},
    {"fd_read", FdRead},
    {"fd_renumber", FdRenumber},
    {"fd_seek", FdSeek},
    {"fd_sync", FdSync},
    {"fd_tell", FdTell},
    {"fd_write", FdWrite},
};

}  // namespace

std::span<const FuncDef> FdFuncs() { return kFdFuncs; }

}  // namespace deja::wasi
