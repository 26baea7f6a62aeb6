// Descriptor-level WASI functions (fd_*): I/O, seeking, metadata, flags,
// rights and the descriptor table itself.
#include <array>
#include <vector>

#include "wasi/registry.h"
#include "wasi/rights.h"

namespace deja::wasi {
namespace {

u32 U32(std::span<const u64> args, size_t i) { return static_cast<u32>(args[i]); }

// No guest needs more: Linux's own IOV_MAX is 1024.
constexpr u32 kMaxIovecs = 1024;

// The host iovecs of a guest iovec array, all bounds-checked before any I/O.
// Small lists stay on the stack (the common one- or two-buffer write).
class Iovecs {
 public:
  // kInval past kMaxIovecs, kFault for any array entry or buffer out of bounds.
  Errno Load(GuestMemory& mem, u32 ptr, u32 count) {
    if (count > kMaxIovecs) return Errno::kInval;
    if (!mem.InBounds(ptr, u64{count} * 8)) return Errno::kFault;
    iovec* out = count <= small_.size() ? small_.data() : (big_.resize(count), big_.data());
    for (u32 i = 0; i < count; ++i) {
      u32 buf = 0, len = 0;
      mem.Load(ptr + 8 * i, &buf);
      mem.Load(ptr + 8 * i + 4, &len);
      std::span<u8> bytes;
      if (!mem.Writable(buf, len, &bytes)) return Errno::kFault;
      out[i] = {bytes.data(), bytes.size()};
      guest_.push_back(buf);
    }
    list_ = {out, count};
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
  std::array<iovec, 4> small_;
  std::vector<iovec> big_;
  std::vector<u32> guest_;
  std::span<const iovec> list_;
};

// Validates the result pointer before any I/O, so a bad pointer cannot turn
// into I/O that happened but was reported as EFAULT.
Errno StoreSize(GuestMemory& mem, u32 ptr, size_t n) {
  return mem.Store(ptr, static_cast<u32>(n)) ? Errno::kSuccess : Errno::kFault;
}

Errno FdWrite(WasiCtx& ctx, GuestMemory& mem, std::span<const u64> a) {
  FdEntry* e;
  if (Errno r = GetFd(ctx.fds, U32(a, 0), rights::kFdWrite, &e); r != Errno::kSuccess) return r;
  Iovecs iov;
  if (Errno r = iov.Load(mem, U32(a, 1), U32(a, 2)); r != Errno::kSuccess) return r;
  if (!mem.InBounds(U32(a, 3), 4)) return Errno::kFault;
  size_t n = 0;
  if (Errno r = ctx.sys->Writev(e->host_fd, iov.list(), &n); r != Errno::kSuccess) return r;
  return StoreSize(mem, U32(a, 3), n);
}

Errno FdRead(WasiCtx& ctx, GuestMemory& mem, std::span<const u64> a) {
  FdEntry* e;
  if (Errno r = GetFd(ctx.fds, U32(a, 0), rights::kFdRead, &e); r != Errno::kSuccess) return r;
  Iovecs iov;
  if (Errno r = iov.Load(mem, U32(a, 1), U32(a, 2)); r != Errno::kSuccess) return r;
  if (!mem.InBounds(U32(a, 3), 4)) return Errno::kFault;
  size_t n = 0;
  if (Errno r = ctx.sys->Readv(e->host_fd, iov.list(), &n); r != Errno::kSuccess) return r;
  iov.Commit(mem, n);
  return StoreSize(mem, U32(a, 3), n);
}

Errno FdClose(WasiCtx& ctx, GuestMemory&, std::span<const u64> a) {
  FdEntry entry;
  if (Errno r = ctx.fds.Take(U32(a, 0), &entry); r != Errno::kSuccess) return r;
  if (!entry.owned || entry.host_fd < 0) return Errno::kSuccess;
  return ctx.sys->Close(entry.host_fd);
}

Errno FdFdstatGet(WasiCtx& ctx, GuestMemory& mem, std::span<const u64> a) {
  FdEntry* e;
  if (Errno r = GetFd(ctx.fds, U32(a, 0), 0, &e); r != Errno::kSuccess) return r;
  // fdstat: filetype u8 @0, fs_flags u16 @2, rights_base @8, rights_inheriting @16.
  std::array<u8, 24> buf{};
  buf[0] = static_cast<u8>(e->type);
  std::memcpy(buf.data() + 2, &e->fdflags, 2);
  std::memcpy(buf.data() + 8, &e->rights_base, 8);
  std::memcpy(buf.data() + 16, &e->rights_inheriting, 8);
  return mem.Write(U32(a, 1), buf) ? Errno::kSuccess : Errno::kFault;
}

bool IsStream(FileType t) {
  return t != FileType::kRegularFile && t != FileType::kDirectory &&
         t != FileType::kBlockDevice;
}

// Seeking a stream is ESPIPE whatever its rights; elsewhere a missing right
// is ENOTCAPABLE. fd_tell (offset 0 from the current position) needs only
// the tell right, as in wasmtime.
Errno FdSeek(WasiCtx& ctx, GuestMemory& mem, std::span<const u64> a) {
  auto offset = static_cast<i64>(a[1]);
  u32 whence = U32(a, 2), out_ptr = U32(a, 3);
  FdEntry* e;
  if (Errno r = GetFd(ctx.fds, U32(a, 0), 0, &e); r != Errno::kSuccess) return r;
  if (IsStream(e->type)) return Errno::kSpipe;
  u64 needed = offset == 0 && whence == 1 ? rights::kFdTell : rights::kFdSeek;
  if ((e->rights_base & needed) != needed) return Errno::kNotcapable;
  static constexpr int kWhence[] = {SEEK_SET, SEEK_CUR, SEEK_END};
  if (whence > 2) return Errno::kInval;
  if (!mem.InBounds(out_ptr, 8)) return Errno::kFault;
  u64 pos = 0;
  if (Errno r = ctx.sys->Seek(e->host_fd, offset, kWhence[whence], &pos); r != Errno::kSuccess) {
    return r;
  }
  mem.Store(out_ptr, pos);
  return Errno::kSuccess;
}

constexpr FuncDef kFdFuncs[] = {
    {"fd_close", "i", "i", FdClose},
    {"fd_fdstat_get", "ii", "i", FdFdstatGet},
    {"fd_read", "iiii", "i", FdRead},
    {"fd_seek", "ilii", "i", FdSeek},
    {"fd_write", "iiii", "i", FdWrite},
};

}  // namespace

std::span<const FuncDef> FdFuncs() { return kFdFuncs; }

}  // namespace deja::wasi
