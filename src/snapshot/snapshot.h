// A snapshot file: a suspended guest (its module, engine state and WASI
// state) plus what `deja resume` needs to rebuild the store the same way.
// Layout and guarantees: docs/snapshots.md. The reader treats every byte as
// hostile: sizes are checked against the file and against caps, each
// section's CRC-32C is checked before it is decompressed, and decompression
// stops at the declared size.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <vector>

#include "base/types.h"
#include "deja/status.h"

namespace deja::snapshot {

inline constexpr char kMagic[8] = {'D', 'E', 'J', 'A', 'S', 'N', 'A', 'P'};
// The layout of the file itself (header and sections).
inline constexpr u32 kFormatVersion = 1;

// What a resume needs besides the bytes: the run's configuration.
struct Metadata {
  std::string deja_version;  // of the writer; informative
  std::string module_hash;   // "sha256:<64 hex>"
  std::string module_name;   // as given to `deja run` (argv[0])
  std::vector<std::string> args;
  std::vector<std::string> env;
  u64 max_memory_pages = 65536;
  u32 max_fds = 1024;
  u64 fuel_consumed = 0;  // by the suspended run, up to the snapshot
  std::optional<std::string> invoke;
  std::vector<std::string> invoke_args;
  u8 unknown_imports = 0;   // cli::UnknownImports
  std::string run_id;       // the recording it was taken from; empty if none
  // Where the call stopped: "host-call" (the "deja" "snapshot" import; it
  // returns 0 on resume), "safe-point", or "none" (no call active: a
  // pre-initialised module whose entry point has not started).
  std::string suspend_point;
  // `deja snapshot --init EXPORT`: what to call when nothing is suspended.
  std::string entry;
};

struct Snapshot {
  Metadata meta;
  std::vector<u8> module;        // the .wasm; empty if only referenced by hash
  std::vector<u8> engine_state;  // Store::SaveState
  std::vector<u8> wasi_state;    // Wasi::SaveState; empty if not saved
  u32 engine_state_version = 0;  // read from engine_state's header
};

struct ReadLimits {
  u64 max_metadata_bytes = 1 << 20;
  u64 max_module_bytes = u64{1} << 30;
  u64 max_engine_state_bytes = u64{64} << 30;  // several 4 GiB memories
  u64 max_wasi_state_bytes = u64{64} << 20;
};

// The metadata section's JSON. Errors: kCorruption naming the field that is
// missing or of the wrong type ("snapshot metadata field \"max_fds\" must be
// a whole number from 0 to 4294967295, not \"x\"").
Result<Metadata> ParseMetadata(std::span<const u8> bytes);

// The snapshot as file bytes (zstd level `level` per section).
Result<std::vector<u8>> Encode(const Snapshot& snapshot, int level = 1);
// Errors: kCorruption ("snapshot is truncated at byte N", "... CRC mismatch
// ..."), kUnsupported ("snapshot was written by an incompatible deja ...").
Result<Snapshot> Decode(std::span<const u8> bytes, const ReadLimits& limits = {});

// Writes `bytes` to `path` atomically: a temporary file in the same
// directory, fsync, rename, fsync of the directory.
Status WriteFileAtomically(const std::string& path, std::span<const u8> bytes);
Result<std::vector<u8>> ReadFile(const std::string& path);

Status Write(const std::string& path, const Snapshot& snapshot);
Result<Snapshot> Read(const std::string& path);

}  // namespace deja::snapshot
