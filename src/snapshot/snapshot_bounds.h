// Bounds on a snapshot's engine state derived from its module, so that a
// forged size (a zstd bomb) is refused before it is decompressed
// (snapshot_bounds.cc; docs/snapshots.md, "Guarantees and checks").
#pragma once

#include <span>
#include <vector>

#include "base/types.h"
#include "deja/status.h"

namespace deja::snapshot {

struct StateBound {
  u64 bytes = 0;  // the most an engine state of this module can take; 0: unknown
  u64 funcs = 0;  // defined functions
  u64 imported_funcs = 0;
  u64 tables = 0, memories = 0, globals = 0;  // imports included
  std::vector<u64> memory_pages;              // each memory's largest size
};

// The bound for a store `deja run` builds from `wasm` with at most
// `max_memory_pages` per memory and the default StoreLimits. Errors: those
// of decoding the module.
Result<StateBound> EngineStateBound(std::span<const u8> wasm, u64 max_memory_pages);

// Checks the first decompressed bytes of an engine state section of
// `raw_size` bytes: its header (magic, version, a payload size that fills
// the section) and, when `bound` is known, the object counts and the first
// memory's stored pages against it. A prefix too short to hold a part is
// not an error for that part. Errors: kCorruption.
Status CheckStatePrefix(std::span<const u8> prefix, u64 raw_size, const StateBound& bound);

// What the suspended thread's part may take at most (StoreLimits defaults).
u64 ThreadStateAllowance();

}  // namespace deja::snapshot
