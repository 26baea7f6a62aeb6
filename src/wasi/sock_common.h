// Helpers shared by the socket handlers (sock_funcs.cc, sock_ext.cc,
// sock_getaddrinfo.cc): descriptor checks, guest iovecs, new socket
// descriptors and the per-instance network state.
#pragma once

#include <sys/uio.h>

#include <span>
#include <vector>

#include "wasi/addr_policy.h"
#include "wasi/ctx.h"
#include "wasi/guest_memory.h"

namespace deja::wasi {

// Arguments arrive zero-extended; every socket call's parameters are i32.
inline u32 Arg(std::span<const u64> args, size_t i) { return static_cast<u32>(args[i]); }

// Looks up a socket descriptor holding `needed` rights.
// Errors: kBadf (not open), kNotsock (not a socket), kNotcapable.
Errno GetSocket(WasiCtx& ctx, u32 fd, u64 needed, FdEntry** out);

// The instance's network state, created from the config on first use
// (malformed patterns, reported by OpenListenSockets, then match nothing).
NetState& Net(WasiCtx& ctx);

// Guest iovecs ({u32 buf, u32 buf_len} x count at `ptr`) as host iovecs that
// point straight into guest memory. At most kMaxIovecs (else kInval); every
// buffer in bounds (else kFault); the total is capped at 4 GiB - 1 so byte
// counts fit the guest's u32.
inline constexpr u32 kMaxIovecs = 1024;
struct GuestIovecs {
  std::vector<iovec> host;
  std::vector<GuestMemory::Range> ranges;  // the same buffers, as guest ranges
};
Errno LoadIovecs(GuestMemory& mem, u32 ptr, u32 count, bool writable, GuestIovecs* out);
// Logs the first `n` bytes of the buffers as written (after a host read).
void CommitIovecs(GuestMemory& mem, const GuestIovecs& iovs, size_t n);

// Adds a host socket as a guest descriptor with socket rights. On failure
// (kNfile when max_fds is reached) the host descriptor is closed.
Errno InsertSocket(WasiCtx& ctx, int host_fd, FileType type, u16 fdflags, bool listener,
                   u32* out_fd);

}  // namespace deja::wasi
