// The WasmEdge socket extension: creating, binding, connecting sockets,
// datagrams with addresses, local/peer addresses and socket options. Every
// outbound destination and every local bind passes the AddrPolicy.
#include "wasi/sock_ext.h"

#include <sys/socket.h>
#include <sys/time.h>

#include <algorithm>
#include <array>
#include <cstring>

#include "wasi/rights.h"
#include "wasi/sock_common.h"

namespace deja::wasi {
namespace {

constexpr u32 kRiflagPeek = 1, kRiflagWaitall = 2;
constexpr u16 kRoflagTruncated = 1;
constexpr u32 kMaxBacklog = 128;
constexpr u32 kSolSocket = 0;  // the extension's only option level
constexpr i32 kMaxLingerSeconds = 10;

Errno SockGetName(WasiCtx& ctx, GuestMemory& mem, std::span<const u64> args, bool peer) {
  u32 fd = Arg(args, 0), addr_ptr = Arg(args, 1), port_ptr = Arg(args, 2);
  FdEntry* e = nullptr;
  if (Errno err = GetSocket(ctx, fd, 0, &e); err != Errno::kSuccess) return err;
  sockaddr_storage ss{};
  socklen_t len = 0;
  Errno err = peer ? ctx.sys->GetPeerName(e->host_fd, &ss, &len)
                   : ctx.sys->GetSockName(e->host_fd, &ss, &len);
  if (err != Errno::kSuccess) return err;
  SockAddr addr;
  if (!FromHostSockAddr(ss, len, &addr)) return Errno::kAfnosupport;
  return WriteGuestAddr(mem, addr_ptr, port_ptr, addr);
}

// How a WasmEdge option value is laid out in guest memory.
enum class OptKind { kInt, kLinger, kTimeval };
struct OptInfo {
  int host_name;
  OptKind kind;
};

// WasmEdge's __wasi_sock_opt_so_t numbering (0 = SO_REUSEADDR ... 13).
bool LookupOpt(u32 level, u32 name, OptInfo* out) {
  static constexpr std::array<OptInfo, 14> kOpts = {{
      {SO_REUSEADDR, OptKind::kInt},
      {SO_TYPE, OptKind::kInt},
      {SO_ERROR, OptKind::kInt},
      {SO_DONTROUTE, OptKind::kInt},
      {SO_BROADCAST, OptKind::kInt},
      {SO_SNDBUF, OptKind::kInt},
      {SO_RCVBUF, OptKind::kInt},
      {SO_KEEPALIVE, OptKind::kInt},
      {SO_OOBINLINE, OptKind::kInt},
      {SO_LINGER, OptKind::kLinger},
      {SO_RCVLOWAT, OptKind::kInt},
      {SO_RCVTIMEO, OptKind::kTimeval},
      {SO_SNDTIMEO, OptKind::kTimeval},
      {SO_ACCEPTCONN, OptKind::kInt},
  }};
  if (level != kSolSocket || name >= kOpts.size()) return false;
  *out = kOpts[name];
  return true;
}

// Guest sizes: int i32; linger {i32 onoff, i32 seconds}; timeval {i64 sec, i64 usec}.
u32 GuestOptSize(OptKind kind) {
  switch (kind) {
    case OptKind::kInt:
      return 4;
    case OptKind::kLinger:
      return 8;
    case OptKind::kTimeval:
      return 16;
  }
  return 4;
}

// Values the guest cannot read as host numbers are translated: the socket
// type into the extension's numbering, a pending error into a WASI errno.
i32 GuestIntOpt(int host_name, int value) {
  if (host_name == SO_TYPE) {
    return value == SOCK_STREAM ? kWasiSockStream : value == SOCK_DGRAM ? kWasiSockDgram : 0;
  }
  if (host_name == SO_ERROR) return value == 0 ? 0 : static_cast<i32>(FromHostErrno(value));
  return value;
}

}  // namespace

Errno SockOpen(WasiCtx& ctx, GuestMemory& mem, std::span<const u64> args) {
  u32 af = Arg(args, 0), type = Arg(args, 1), ro_fd = Arg(args, 2);
  if (!mem.InBounds(ro_fd, 4)) return Errno::kFault;
  int domain;
  if (af == kWasiAfInet4) {
    domain = AF_INET;
  } else if (af == kWasiAfInet6) {
    domain = AF_INET6;
  } else {
    return Errno::kInval;
  }
  int host_type;
  FileType file_type;
  if (type == kWasiSockStream) {
    host_type = SOCK_STREAM;
    file_type = FileType::kSocketStream;
  } else if (type == kWasiSockDgram) {
    host_type = SOCK_DGRAM;
    file_type = FileType::kSocketDgram;
  } else {
    return Errno::kInval;
  }
  int host_fd = -1;
  if (Errno err = ctx.sys->Socket(domain, host_type, 0, &host_fd); err != Errno::kSuccess) {
    return err;
  }
  u32 fd = 0;
  if (Errno err = InsertSocket(ctx, host_fd, file_type, 0, false, &fd); err != Errno::kSuccess) {
    return err;
  }
  mem.Store<u32>(ro_fd, fd);
  return Errno::kSuccess;
}

Errno SockBind(WasiCtx& ctx, GuestMemory& mem, std::span<const u64> args) {
  u32 fd = Arg(args, 0), addr_ptr = Arg(args, 1), port = Arg(args, 2);
  FdEntry* e = nullptr;
  if (Errno err = GetSocket(ctx, fd, 0, &e); err != Errno::kSuccess) return err;
  SockAddr addr;
  if (Errno err = ReadGuestAddr(mem, addr_ptr, port, &addr); err != Errno::kSuccess) return err;
  if (!Net(ctx).policy.AllowsBind(addr, *ctx.sys)) return Errno::kAcces;
  return ctx.sys->Bind(e->host_fd, addr.get(), addr.len);
}

Errno SockListen(WasiCtx& ctx, GuestMemory&, std::span<const u64> args) {
  u32 fd = Arg(args, 0), backlog = Arg(args, 1);
  FdEntry* e = nullptr;
  if (Errno err = GetSocket(ctx, fd, 0, &e); err != Errno::kSuccess) return err;
  // listen() on an unbound socket would bind every interface on a port the
  // kernel picks; only addresses sock_bind allowed may listen.
  sockaddr_storage ss{};
  socklen_t len = 0;
  SockAddr local;
  if (Errno err = ctx.sys->GetSockName(e->host_fd, &ss, &len); err != Errno::kSuccess) return err;
  if (!FromHostSockAddr(ss, len, &local) || local.port() == 0) return Errno::kAcces;
  u32 capped = backlog > kMaxBacklog ? kMaxBacklog : backlog;  // also caps "negative" values
  if (Errno err = ctx.sys->Listen(e->host_fd, static_cast<int>(capped)); err != Errno::kSuccess) {
    return err;
  }
  e->listener = true;
  return Errno::kSuccess;
}

Errno SockConnect(WasiCtx& ctx, GuestMemory& mem, std::span<const u64> args) {
  u32 fd = Arg(args, 0), addr_ptr = Arg(args, 1), port = Arg(args, 2);
  FdEntry* e = nullptr;
  if (Errno err = GetSocket(ctx, fd, 0, &e); err != Errno::kSuccess) return err;
  SockAddr addr;
  if (Errno err = ReadGuestAddr(mem, addr_ptr, port, &addr); err != Errno::kSuccess) return err;
  if (!Net(ctx).policy.AllowsConnect(addr, *ctx.sys)) return Errno::kAcces;
  return ctx.sys->Connect(e->host_fd, addr.get(), addr.len);
}

Errno SockRecvFrom(WasiCtx& ctx, GuestMemory& mem, std::span<const u64> args) {
  u32 fd = Arg(args, 0), iovs_ptr = Arg(args, 1), iovs_len = Arg(args, 2);
  u32 addr_ptr = Arg(args, 3), flags = Arg(args, 4), port_ptr = Arg(args, 5);
  u32 ro_datalen = Arg(args, 6), ro_flags = Arg(args, 7);
  FdEntry* e = nullptr;
  if (Errno err = GetSocket(ctx, fd, rights::kFdRead, &e); err != Errno::kSuccess) return err;
  if ((flags & ~(kRiflagPeek | kRiflagWaitall)) != 0) return Errno::kInval;
  // Every output is checked before receiving, so no datagram is lost to a
  // bad pointer.
  u32 addr_buf = 0, addr_len = 0;
  if (!mem.InBounds(addr_ptr, 8) || !mem.Load(addr_ptr, &addr_buf) ||
      !mem.Load(addr_ptr + 4, &addr_len)) {
    return Errno::kFault;
  }
  if (addr_len != kTaggedAddrLen) return Errno::kInval;
  if (!mem.InBounds(addr_buf, kTaggedAddrLen) || !mem.InBounds(port_ptr, 4) ||
      !mem.InBounds(ro_datalen, 4) || !mem.InBounds(ro_flags, 2)) {
    return Errno::kFault;
  }
  GuestIovecs iovs;
  if (Errno err = LoadIovecs(mem, iovs_ptr, iovs_len, true, &iovs); err != Errno::kSuccess) {
    return err;
  }
  size_t capacity = 0;
  for (const iovec& v : iovs.host) capacity += v.iov_len;
  // On datagram sockets MSG_TRUNC makes the kernel report the datagram's full
  // length, which says whether it was truncated (on TCP it would discard data).
  bool dgram = e->type == FileType::kSocketDgram;
  int host_flags = ((flags & kRiflagPeek) != 0 ? MSG_PEEK : 0) |
                   ((flags & kRiflagWaitall) != 0 ? MSG_WAITALL : 0) | (dgram ? MSG_TRUNC : 0);
  sockaddr_storage from{};
  socklen_t from_len = 0;
  size_t n = 0;
  if (Errno err = ctx.sys->RecvFrom(e->host_fd, iovs.host, host_flags, &from, &from_len, &n);
      err != Errno::kSuccess) {
    return err;
  }
  bool truncated = n > capacity;
  if (truncated) n = capacity;
  CommitIovecs(mem, iovs, n);
  SockAddr addr;
  if (FromHostSockAddr(from, from_len, &addr)) {
    WriteGuestAddr(mem, addr_ptr, port_ptr, addr);
  } else {  // a connected stream socket reports no sender
    std::array<u8, kTaggedAddrLen> none{};
    mem.Write(addr_buf, none);
    mem.Store<u32>(port_ptr, 0);
  }
  mem.Store<u32>(ro_datalen, static_cast<u32>(n));
  mem.Store<u16>(ro_flags, truncated ? kRoflagTruncated : 0);
  return Errno::kSuccess;
}

Errno SockSendTo(WasiCtx& ctx, GuestMemory& mem, std::span<const u64> args) {
  u32 fd = Arg(args, 0), iovs_ptr = Arg(args, 1), iovs_len = Arg(args, 2);
  u32 addr_ptr = Arg(args, 3), port = Arg(args, 4), flags = Arg(args, 5);
  u32 ro_datalen = Arg(args, 6);
  FdEntry* e = nullptr;
  if (Errno err = GetSocket(ctx, fd, rights::kFdWrite, &e); err != Errno::kSuccess) return err;
  if (flags != 0) return Errno::kInval;
  SockAddr addr;
  if (Errno err = ReadGuestAddr(mem, addr_ptr, port, &addr); err != Errno::kSuccess) return err;
  if (!mem.InBounds(ro_datalen, 4)) return Errno::kFault;
  GuestIovecs iovs;
  if (Errno err = LoadIovecs(mem, iovs_ptr, iovs_len, false, &iovs); err != Errno::kSuccess) {
    return err;
  }
  if (!Net(ctx).policy.AllowsConnect(addr, *ctx.sys)) return Errno::kAcces;
  size_t n = 0;
  if (Errno err = ctx.sys->SendTo(e->host_fd, iovs.host, 0, addr.get(), addr.len, &n);
      err != Errno::kSuccess) {
    return err;
  }
  mem.Store<u32>(ro_datalen, static_cast<u32>(n));
  return Errno::kSuccess;
}

Errno SockGetLocalAddr(WasiCtx& ctx, GuestMemory& mem, std::span<const u64> args) {
  return SockGetName(ctx, mem, args, false);
}

Errno SockGetPeerAddr(WasiCtx& ctx, GuestMemory& mem, std::span<const u64> args) {
  return SockGetName(ctx, mem, args, true);
}

Errno SockGetSockOpt(WasiCtx& ctx, GuestMemory& mem, std::span<const u64> args) {
  u32 fd = Arg(args, 0), level = Arg(args, 1), name = Arg(args, 2);
  u32 value_ptr = Arg(args, 3), len_ptr = Arg(args, 4);
  FdEntry* e = nullptr;
  if (Errno err = GetSocket(ctx, fd, 0, &e); err != Errno::kSuccess) return err;
  OptInfo opt;
  if (!LookupOpt(level, name, &opt)) return Errno::kInval;
  u32 capacity = 0;
  if (!mem.Load(len_ptr, &capacity)) return Errno::kFault;
  u32 size = GuestOptSize(opt.kind);
  if (capacity < size) return Errno::kInval;
  if (!mem.InBounds(value_ptr, size)) return Errno::kFault;
  std::array<u8, 16> out{};
  if (opt.kind == OptKind::kInt) {
    int value = 0;
    socklen_t len = sizeof value;
    if (Errno err = ctx.sys->GetSockOpt(e->host_fd, SOL_SOCKET, opt.host_name, &value, &len);
        err != Errno::kSuccess) {
      return err;
    }
    i32 v = GuestIntOpt(opt.host_name, value);
    std::memcpy(out.data(), &v, 4);
  } else if (opt.kind == OptKind::kLinger) {
    linger l{};
    socklen_t len = sizeof l;
    if (Errno err = ctx.sys->GetSockOpt(e->host_fd, SOL_SOCKET, opt.host_name, &l, &len);
        err != Errno::kSuccess) {
      return err;
    }
    i32 fields[2] = {l.l_onoff, l.l_linger};
    std::memcpy(out.data(), fields, 8);
  } else {
    timeval tv{};
    socklen_t len = sizeof tv;
    if (Errno err = ctx.sys->GetSockOpt(e->host_fd, SOL_SOCKET, opt.host_name, &tv, &len);
        err != Errno::kSuccess) {
      return err;
    }
    i64 fields[2] = {static_cast<i64>(tv.tv_sec), static_cast<i64>(tv.tv_usec)};
    std::memcpy(out.data(), fields, 16);
  }
  mem.Write(value_ptr, std::span<const u8>(out.data(), size));
  mem.Store<u32>(len_ptr, size);
  return Errno::kSuccess;
}

Errno SockSetSockOpt(WasiCtx& ctx, GuestMemory& mem, std::span<const u64> args) {
  u32 fd = Arg(args, 0), level = Arg(args, 1), name = Arg(args, 2);
  u32 value_ptr = Arg(args, 3), len = Arg(args, 4);
  FdEntry* e = nullptr;
  if (Errno err = GetSocket(ctx, fd, 0, &e); err != Errno::kSuccess) return err;
  OptInfo opt;
  if (!LookupOpt(level, name, &opt)) return Errno::kInval;
  if (len != GuestOptSize(opt.kind)) return Errno::kInval;
  std::span<const u8> value;
  if (!mem.View(value_ptr, len, &value)) return Errno::kFault;
  if (opt.kind == OptKind::kInt) {
    i32 v = 0;
    std::memcpy(&v, value.data(), 4);
    int host_value = v;
    return ctx.sys->SetSockOpt(e->host_fd, SOL_SOCKET, opt.host_name, &host_value,
                               sizeof host_value);
  }
  if (opt.kind == OptKind::kLinger) {
    i32 fields[2];
    std::memcpy(fields, value.data(), 8);
    // A lingering close blocks the host's close() until the peer has the
    // data or the time runs out: the guest may not make that unbounded.
    linger l{fields[0], std::clamp(fields[1], 0, kMaxLingerSeconds)};
    return ctx.sys->SetSockOpt(e->host_fd, SOL_SOCKET, opt.host_name, &l, sizeof l);
  }
  i64 fields[2];
  std::memcpy(fields, value.data(), 16);
  if (fields[0] < 0 || fields[1] < 0 || fields[1] >= 1'000'000) return Errno::kInval;
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(fields[0]);
  tv.tv_usec = static_cast<suseconds_t>(fields[1]);
  return ctx.sys->SetSockOpt(e->host_fd, SOL_SOCKET, opt.host_name, &tv, sizeof tv);
}

}  // namespace deja::wasi
