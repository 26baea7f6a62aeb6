// Command-line forms of `deja run`'s capabilities and limits: sizes
// (--max-memory), --dir / --dir-ro specs, and --env / --inherit-env, turned
// into the WasiConfig and StoreLimits the embedding API takes.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "deja/status.h"
#include "deja/wasi.h"

namespace deja::cli {

// A byte count: a plain number of bytes, or a number with a unit: B, KiB,
// MiB, GiB (powers of 1024; K, M, G mean the same) or KB, MB, GB (powers of
// 1000). Errors: kInvalidArgument for anything else or above 2^48 bytes.
Result<uint64_t> ParseSize(std::string_view text);

// A count (--fuel, --max-fds, --until ...): decimal digits only, no sign, at
// most `max`. Errors: kInvalidArgument saying what is wrong with `text`.
Result<uint64_t> ParseCount(std::string_view text, uint64_t max = UINT64_MAX);

// --max-memory as a page count for StoreLimits: the size rounded down to
// whole 64 KiB pages. Errors: kInvalidArgument if not a size or above 4 GiB
// (the most a 32-bit memory can address).
Result<uint64_t> MaxMemoryPages(std::string_view text);

// "HOST" or "HOST::GUEST" (the guest name defaults to the host path).
// Errors: kInvalidArgument for an empty host or guest part.
Result<WasiPreopen> ParseDirSpec(std::string_view text, bool read_only);

struct EnvFlags {
  bool inherit = false;               // --inherit-env: the whole host environment
  std::vector<std::string> settings;  // --env NAME=VALUE or --env NAME, in order
};

// The guest's environment ("NAME=VALUE" strings). `host` is the host's
// environment in the same form (environ). A later setting of a name replaces
// an earlier one, so explicit --env values win over --inherit-env; --env NAME
// copies NAME from the host and is skipped when the host lacks it.
// Errors: kInvalidArgument for an empty name or one containing '='.
Result<std::vector<std::string>> BuildGuestEnv(const EnvFlags& flags,
                                               const std::vector<std::string>& host);

}  // namespace deja::cli
