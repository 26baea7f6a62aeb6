#include "wasi/sock_common.h"

#include <limits>

#include "wasi/rights.h"

namespace deja::wasi {

Errno GetSocket(WasiCtx& ctx, u32 fd, u64 needed, FdEntry** out) {
  FdEntry* e = ctx.fds.Get(fd);
  if (e == nullptr) return Errno::kBadf;
  // The type is checked before the rights: a file lacks socket rights, and
  // the guest should learn that it is not a socket.
  if (e->type != FileType::kSocketStream && e->type != FileType::kSocketDgram) {
    return Errno::kNotsock;
  }
  if ((e->rights_base & needed) != needed) return Errno::kNotcapable;
  *out = e;
  return Errno::kSuccess;
}

NetState& Net(WasiCtx& ctx) {
  if (!ctx.net) {
    auto policy = AddrPolicy::Create(ctx.config.allow_connect, ctx.config.listen);
    ctx.net = std::make_shared<NetState>();
    if (policy.ok()) ctx.net->policy = std::move(*policy);
  }
  return *ctx.net;
}

Errno LoadIovecs(GuestMemory& mem, u32 ptr, u32 count, bool writable, GuestIovecs* out) {
  if (count > kMaxIovecs) return Errno::kInval;
  out->host.clear();
  out->ranges.clear();
  u64 total = 0;
  constexpr u64 kMaxTotal = std::numeric_limits<u32>::max();
  for (u32 i = 0; i < count; ++i) {
    u32 buf = 0, len = 0;
    u64 at = u64{ptr} + u64{i} * 8;
    if (at + 8 > mem.raw().size() || !mem.Load(static_cast<u32>(at), &buf) ||
        !mem.Load(static_cast<u32>(at + 4), &len)) {
      return Errno::kFault;
    }
    if (!mem.InBounds(buf, len)) return Errno::kFault;
    if (total + len > kMaxTotal) len = static_cast<u32>(kMaxTotal - total);
    total += len;
    std::span<u8> span;
    if (writable) {
      mem.Writable(buf, len, &span);
    } else {
      std::span<const u8> view;
      mem.View(buf, len, &view);
      span = {const_cast<u8*>(view.data()), view.size()};  // only read by the host
    }
    out->host.push_back(iovec{span.data(), span.size()});
    out->ranges.emplace_back(buf, len);
  }
  return Errno::kSuccess;
}

void CommitIovecs(GuestMemory& mem, const GuestIovecs& iovs, size_t n) {
  for (const auto& [ptr, len] : iovs.ranges) {
    if (n == 0) break;
    u32 written = n < len ? static_cast<u32>(n) : len;
    mem.Commit(ptr, written);
    n -= written;
  }
}

Errno InsertSocket(WasiCtx& ctx, int host_fd, FileType type, u16 fdflags, bool listener,
                   u32* out_fd) {
  FdEntry entry;
  entry.host_fd = host_fd;
  entry.type = type;
  entry.rights_base = BaseRights(type, false);
  entry.rights_inheriting = InheritingRights(type, false);
  entry.fdflags = fdflags;
  entry.listener = listener;
  Errno e = ctx.fds.Insert(std::move(entry), out_fd);
  if (e != Errno::kSuccess) (void)ctx.sys->Close(host_fd);
  return e;
}

}  // namespace deja::wasi
