// The guest-visible WASI state of a suspended guest, as bytes: arguments,
// environment, the descriptor table (how to reopen each descriptor, never a
// host descriptor number) and the monotonic clock reading. Wasi::SaveState
// and Wasi::RestoreState are thin wrappers; the format and the decisions are
// in docs/snapshots.md, "WASI state".
#pragma once

#include <span>
#include <vector>

#include "base/types.h"
#include "deja/status.h"
#include "wasi/ctx.h"

namespace deja::wasi {

// First byte of the encoding; RestoreWasiState refuses any other.
inline constexpr u8 kWasiStateVersion = 1;

// Bounds on what a snapshot may ask for (it is hostile input): strings in
// args/env, and the number of args/env entries.
inline constexpr u64 kMaxStateString = 1 << 20;
inline constexpr u64 kMaxStateListEntries = 1 << 16;

// Encodes `ctx`'s state. Errors only when the host refuses a query
// (a file's offset, the monotonic clock).
Result<std::vector<u8>> SaveWasiState(WasiCtx& ctx);

// Applies `bytes` to a context fresh from Wasi::Create: every descriptor is
// rebuilt at its saved number from what this context was granted (stdio,
// preopens by guest name, --listen sockets by address); files are reopened
// beneath their preopen. On error the context is left as it was.
Status RestoreWasiState(WasiCtx& ctx, std::span<const u8> bytes);

}  // namespace deja::wasi
