// Retention: the registry records every run by default, so without a policy
// it grows without bound. A policy keeps at most so many runs, so many bytes
// of logs and runs so old; pinned runs are kept whatever it says. Rules,
// defaults and configuration: docs/REGISTRY.md ("Retention").
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/types.h"
#include "deja/status.h"

namespace deja::registry {

struct RetentionPolicy {
  // 0 turns a limit off.
  u64 max_runs = 1000;
  u64 max_bytes = u64{1} << 30;          // total log bytes of the kept runs
  i64 max_age_seconds = 30 * 24 * 3600;  // since recorded (or imported)
  // Where the values came from, for `deja gc --dry-run`: "defaults", the
  // config file, the environment variables that were set.
  std::string origin = "defaults";
};

// The file <home>/retention.conf: "key = value" lines, '#' comments, keys
// max_runs (a count), max_size (bytes: 500MiB, 2GiB, 100000), max_age (10d,
// 12h, 3600s, 2w); "unlimited" or 0 turns one off. Errors name file and line.
inline constexpr std::string_view kRetentionFile = "retention.conf";
Status ParseRetentionConfig(std::string_view text, std::string_view origin,
                            RetentionPolicy* policy);
// The policy in force for `home`: defaults, then the file, then the
// environment (DEJA_KEEP_RUNS, DEJA_KEEP_SIZE, DEJA_KEEP_AGE, same values).
Result<RetentionPolicy> LoadRetentionPolicy(const std::string& home);

// What retention knows of one run (newest first in a list).
struct RetentionCandidate {
  std::string id;
  i64 recorded_unix_ns = 0;  // the later of its start and its log's last write
  u64 log_bytes = 0;
  bool running = false;  // never removed; counted
  bool pinned = false;   // never removed; not counted against the limits
};

struct RetentionRemoval {
  std::string id;
  u64 log_bytes = 0;
  std::string reason;  // "older than 30d (max_age)", ...
};

struct RetentionReport {
  RetentionPolicy policy;
  std::vector<RetentionRemoval> removed;  // or that would be, on a dry run
  u64 kept_runs = 0;                      // pinned ones included
  u64 kept_bytes = 0;                     // their logs
  u64 pinned_runs = 0;
  u64 modules_removed = 0;
  u64 bytes_freed = 0;  // logs and modules
};

// Runs recorded in the last `grace_seconds` are always kept: the one that
// just finished, and a run or import still being written.
inline constexpr i64 kRetentionGraceSeconds = 60;

// Which of `runs` (newest first) the policy lets go at `now_unix_ns`, and
// what stays. Pure: ApplyRetention removes what it returns.
RetentionReport PlanRetention(std::span<const RetentionCandidate> runs,
                              const RetentionPolicy& policy, i64 now_unix_ns);

// "1.5 GiB", "30d": limits as people write them.
std::string FormatLimitBytes(u64 bytes);
std::string FormatLimitAge(i64 seconds);

}  // namespace deja::registry
