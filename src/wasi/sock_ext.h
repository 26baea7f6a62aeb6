// Handlers of the WasmEdge socket extension to WASI preview 1 (module
// "wasi_snapshot_preview1"): sock_open ... sock_getaddrinfo. The ABI and the
// deny-by-default rules they apply are documented in docs/wasi_sockets.md.
#pragma once

#include <span>

#include "wasi/ctx.h"
#include "wasi/guest_memory.h"

namespace deja::wasi {

// sock_open(af: u8 family, type: u8 socktype, ro_fd: *u32)
Errno SockOpen(WasiCtx& ctx, GuestMemory& mem, std::span<const u64> args);
// sock_bind(fd, addr: *address, port: u32) — local address must match a listen pattern.
Errno SockBind(WasiCtx& ctx, GuestMemory& mem, std::span<const u64> args);
// sock_listen(fd, backlog) — the socket must have been bound by sock_bind.
Errno SockListen(WasiCtx& ctx, GuestMemory& mem, std::span<const u64> args);
// sock_connect(fd, addr: *address, port: u32) — destination must match allow_connect.
Errno SockConnect(WasiCtx& ctx, GuestMemory& mem, std::span<const u64> args);
// sock_recv_from(fd, iovs, iovs_len, addr: *address, riflags, ro_port: *u32,
//                ro_datalen: *u32, ro_flags: *u16)
Errno SockRecvFrom(WasiCtx& ctx, GuestMemory& mem, std::span<const u64> args);
// sock_send_to(fd, iovs, iovs_len, addr: *address, port: u32, siflags, ro_datalen: *u32)
Errno SockSendTo(WasiCtx& ctx, GuestMemory& mem, std::span<const u64> args);
// sock_getlocaladdr / sock_getpeeraddr(fd, addr: *address (128-byte buffer), ro_port: *u32)
Errno SockGetLocalAddr(WasiCtx& ctx, GuestMemory& mem, std::span<const u64> args);
Errno SockGetPeerAddr(WasiCtx& ctx, GuestMemory& mem, std::span<const u64> args);
// sock_getsockopt(fd, level, name, value: *u8, value_len: *u32 (in: capacity, out: size))
Errno SockGetSockOpt(WasiCtx& ctx, GuestMemory& mem, std::span<const u64> args);
// sock_setsockopt(fd, level, name, value: *u8, value_len: u32)
Errno SockSetSockOpt(WasiCtx& ctx, GuestMemory& mem, std::span<const u64> args);
// sock_getaddrinfo(node, node_len, service, service_len, hints: *addrinfo,
//                  res: **addrinfo, max_len, ro_len: *u32) — sock_getaddrinfo.cc
Errno SockGetAddrInfo(WasiCtx& ctx, GuestMemory& mem, std::span<const u64> args);

}  // namespace deja::wasi
