// WASI preview 1 socket calls (sock_accept, sock_recv, sock_send,
// sock_shutdown), the table of every socket function including the WasmEdge
// extension (sock_ext.cc, sock_getaddrinfo.cc), and the pre-opened listeners.
#include <sys/socket.h>

#include <array>

#include "wasi/registry.h"
#include "wasi/rights.h"
#include "wasi/sock_common.h"
#include "wasi/sock_ext.h"

namespace deja::wasi {
namespace {

// riflags / roflags / sdflags of wasi_snapshot_preview1.
constexpr u32 kRiflagPeek = 1, kRiflagWaitall = 2;
constexpr u16 kRoflagTruncated = 1;
constexpr u32 kSdflagRd = 1, kSdflagWr = 2;
constexpr int kListenBacklog = 128;

Errno SockAccept(WasiCtx& ctx, GuestMemory& mem, std::span<const u64> args) {
  u32 fd = Arg(args, 0), flags = Arg(args, 1), ro_fd = Arg(args, 2);
  FdEntry* e = nullptr;
  if (Errno err = GetSocket(ctx, fd, rights::kSockAccept, &e); err != Errno::kSuccess) return err;
  if ((flags & ~u32{kFdflagNonblock}) != 0) return Errno::kInval;
  // Checked before accepting, so a bad pointer does not lose a connection.
  if (!mem.InBounds(ro_fd, 4)) return Errno::kFault;
  int host_fd = -1;
  int accept_flags = (flags & kFdflagNonblock) != 0 ? SOCK_NONBLOCK : 0;
  if (Errno err = ctx.sys->Accept(e->host_fd, accept_flags, &host_fd); err != Errno::kSuccess) {
    return err;
  }
  u32 new_fd = 0;
  Errno err = InsertSocket(ctx, host_fd, FileType::kSocketStream,
                           static_cast<u16>(flags & kFdflagNonblock), false, &new_fd);
  if (err != Errno::kSuccess) return err;
  mem.Store<u32>(ro_fd, new_fd);
  return Errno::kSuccess;
}

Errno SockRecv(WasiCtx& ctx, GuestMemory& mem, std::span<const u64> args) {
  u32 fd = Arg(args, 0), iovs_ptr = Arg(args, 1), iovs_len = Arg(args, 2);
  u32 flags = Arg(args, 3), ro_datalen = Arg(args, 4), ro_flags = Arg(args, 5);
  FdEntry* e = nullptr;
  if (Errno err = GetSocket(ctx, fd, rights::kFdRead, &e); err != Errno::kSuccess) return err;
  if ((flags & ~(kRiflagPeek | kRiflagWaitall)) != 0) return Errno::kInval;
  if (!mem.InBounds(ro_datalen, 4) || !mem.InBounds(ro_flags, 2)) return Errno::kFault;
  GuestIovecs iovs;
  if (Errno err = LoadIovecs(mem, iovs_ptr, iovs_len, true, &iovs); err != Errno::kSuccess) {
    return err;
  }
  int host_flags = ((flags & kRiflagPeek) != 0 ? MSG_PEEK : 0) |
                   ((flags & kRiflagWaitall) != 0 ? MSG_WAITALL : 0);
  size_t n = 0;
  int msg_flags = 0;
  if (Errno err = ctx.sys->Recv(e->host_fd, iovs.host, host_flags, &n, &msg_flags);
      err != Errno::kSuccess) {
    return err;
  }
  CommitIovecs(mem, iovs, n);
  mem.Store<u32>(ro_datalen, static_cast<u32>(n));
  mem.Store<u16>(ro_flags, (msg_flags & MSG_TRUNC) != 0 ? kRoflagTruncated : 0);
  return Errno::kSuccess;
}

Errno SockSend(WasiCtx& ctx, GuestMemory& mem, std::span<const u64> args) {
  u32 fd = Arg(args, 0), iovs_ptr = Arg(args, 1), iovs_len = Arg(args, 2);
  u32 flags = Arg(args, 3), so_datalen = Arg(args, 4);
  FdEntry* e = nullptr;
  if (Errno err = GetSocket(ctx, fd, rights::kFdWrite, &e); err != Errno::kSuccess) return err;
  if (flags != 0) return Errno::kInval;  // siflags has no flags defined
  if (!mem.InBounds(so_datalen, 4)) return Errno::kFault;
  GuestIovecs iovs;
  if (Errno err = LoadIovecs(mem, iovs_ptr, iovs_len, false, &iovs); err != Errno::kSuccess) {
    return err;
  }
  size_t n = 0;
  if (Errno err = ctx.sys->Send(e->host_fd, iovs.host, 0, &n); err != Errno::kSuccess) return err;
  mem.Store<u32>(so_datalen, static_cast<u32>(n));
  return Errno::kSuccess;
}

Errno SockShutdown(WasiCtx& ctx, GuestMemory&, std::span<const u64> args) {
  u32 fd = Arg(args, 0), how = Arg(args, 1);
  FdEntry* e = nullptr;
  if (Errno err = GetSocket(ctx, fd, rights::kSockShutdown, &e); err != Errno::kSuccess) {
    return err;
  }
  int host_how;
  switch (how) {
    case kSdflagRd:
      host_how = SHUT_RD;
      break;
    case kSdflagWr:
      host_how = SHUT_WR;
      break;
    case kSdflagRd | kSdflagWr:
      host_how = SHUT_RDWR;
      break;
    default:
      return Errno::kInval;
  }
  return ctx.sys->Shutdown(e->host_fd, host_how);
}

// Preview 1 first, then the WasmEdge extension under its plain names and the
// "_v2" names newer WasmEdge toolchains import (the same functions).
constexpr std::array kSocketFuncs = {
    FuncDef{"sock_accept", SockAccept},
    FuncDef{"sock_recv", SockRecv},
    FuncDef{"sock_send", SockSend},
    FuncDef{"sock_shutdown", SockShutdown},
    FuncDef{"sock_open", SockOpen},
    FuncDef{"sock_bind", SockBind},
    FuncDef{"sock_listen", SockListen},
    FuncDef{"sock_connect", SockConnect},
    FuncDef{"sock_recv_from", SockRecvFrom},
    FuncDef{"sock_send_to", SockSendTo},
    FuncDef{"sock_getlocaladdr", SockGetLocalAddr},
    FuncDef{"sock_getpeeraddr", SockGetPeerAddr},
    FuncDef{"sock_getsockopt", SockGetSockOpt},
    FuncDef{"sock_setsockopt", SockSetSockOpt},
    FuncDef{"sock_getaddrinfo", SockGetAddrInfo},
    FuncDef{"sock_accept_v2", SockAccept},
    FuncDef{"sock_recv_v2", SockRecv},
    FuncDef{"sock_send_v2", SockSend},
    FuncDef{"sock_open_v2", SockOpen},
    FuncDef{"sock_bind_v2", SockBind},
    FuncDef{"sock_listen_v2", SockListen},
    FuncDef{"sock_connect_v2", SockConnect},
    FuncDef{"sock_recv_from_v2", SockRecvFrom},
    FuncDef{"sock_send_to_v2", SockSendTo},
    FuncDef{"sock_getlocaladdr_v2", SockGetLocalAddr},
    FuncDef{"sock_getpeeraddr_v2", SockGetPeerAddr},
};

// "HOST:PORT" of a listen entry as one address: numeric, or the first
// address a name resolves to.
Result<SockAddr> ResolveListenAddr(WasiCtx& ctx, const std::string& text) {
  std::string host, port_text;
  u16 port = 0;
  if (!SplitHostPort(text, &host, &port_text) || !ParsePort(port_text, &port)) {
    return Status::InvalidArgument("listen address '" + text +
                                   "': expected HOST:PORT (IPv6 in brackets, port 0-65535)");
  }
  SockAddr addr;
  if (ParseNumericHost(host, port, &addr)) return addr;
  std::vector<sockaddr_storage> found;
  Errno err = ctx.sys->GetAddrInfo(host, port_text, AF_UNSPEC, SOCK_STREAM, &found);
  if (err == Errno::kSuccess) {
    for (const sockaddr_storage& ss : found) {
      if (FromHostSockAddr(ss, sizeof ss, &addr)) return addr;
    }
    err = Errno::kNoent;
  }
  return Status::IoError("listen address '" + text + "': cannot resolve '" + host +
                         "': " + ErrnoName(err));
}

Status OpenListener(WasiCtx& ctx, const std::string& text, const SockAddr& addr) {
  auto fail = [&text, &addr](const char* what, Errno err) {
    return Status::IoError("listen address '" + text + "' (" + FormatSockAddr(addr) + "): " + what +
                           ": " + ErrnoName(err));
  };
  int host_fd = -1;
  if (Errno err = ctx.sys->Socket(addr.family(), SOCK_STREAM, 0, &host_fd);
      err != Errno::kSuccess) {
    return fail("socket", err);
  }
  // A restarted server must be able to rebind while old connections linger.
  int one = 1;
  Errno err = ctx.sys->SetSockOpt(host_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  const char* what = "setsockopt";
  if (err == Errno::kSuccess) {
    what = "bind";
    err = ctx.sys->Bind(host_fd, addr.get(), addr.len);
  }
  if (err == Errno::kSuccess) {
    what = "listen";
    err = ctx.sys->Listen(host_fd, kListenBacklog);
  }
  if (err != Errno::kSuccess) {
    (void)ctx.sys->Close(host_fd);
    return fail(what, err);
  }
  u32 guest_fd = 0;
  if (err = InsertSocket(ctx, host_fd, FileType::kSocketStream, 0, true, &guest_fd);
      err != Errno::kSuccess) {
    return Status::ResourceExhausted("listen address '" + text + "': no free descriptor (" +
                                     ErrnoName(err) + ")");
  }
  // A snapshot rebinds this descriptor when the resuming run grants `text` again.
  ctx.fds.Get(guest_fd)->listen_address = text;
  return Status();
}

}  // namespace

std::span<const FuncDef> SocketFuncs() { return kSocketFuncs; }

Status OpenListenSockets(WasiCtx& ctx) {
  auto policy = AddrPolicy::Create(ctx.config.allow_connect, ctx.config.listen);
  if (!policy.ok()) return policy.take_status();
  ctx.net = std::make_shared<NetState>();
  ctx.net->policy = std::move(*policy);
  for (const std::string& text : ctx.config.listen) {
    // An entry with a wildcard only permits the guest's own sock_bind.
    if (text.find('*') != std::string::npos) continue;
    DEJA_ASSIGN_OR_RETURN(SockAddr addr, ResolveListenAddr(ctx, text));
    DEJA_TRY(OpenListener(ctx, text, addr));
  }
  return Status();
}

}  // namespace deja::wasi
