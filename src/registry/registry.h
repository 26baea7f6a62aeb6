// The local registry of recorded runs, under $DEJA_HOME: modules stored once
// by content hash (modules/<hex>.wasm), one log per run (runs/<id>.log), and
// an SQLite index of runs (deja.db). Logs are the source of truth: a run's
// row can be rebuilt from its log (Import does so). Layout: docs/REGISTRY.md.
#pragma once

#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/types.h"
#include "deja/status.h"
#include "registry/retention.h"
#include "timemachine/record.h"

namespace deja::registry {

// One row of the index: what `deja ls` and `deja describe` show.
struct RunRow {
  std::string id;
  i64 start_unix_ns = 0;
  std::string module_hash;
  std::string module_name;
  std::string command;        // argv joined for display (or "--invoke NAME ARGS")
  std::string status;         // "running", or RunEndKindName() of the end
  int pid = 0;                // of the recording process (to tell "running" from "killed")
  std::optional<i32> exit_status;
  u64 duration_ns = 0;
  u64 fuel_consumed = 0;
  u64 host_calls = 0;
  u64 log_bytes = 0;
};

struct GcReport {
  u64 modules_removed = 0;
  u64 logs_removed = 0;       // logs without a row
  u64 rows_removed = 0;       // rows whose log is gone
  u64 snapshots_removed = 0;  // stored snapshots no kept run was resumed from
  u64 bytes_freed = 0;
};

// One Registry is used by one thread at a time; any number of processes may
// open the same home at once (SQLite in WAL mode, see docs/REGISTRY.md).
// Held by a recording run (Registry::BeginRun); movable, released on
// destruction (lease.cc).
class RunLease {
 public:
  RunLease() = default;
  RunLease(RunLease&& other) noexcept;
  RunLease& operator=(RunLease&& other) noexcept;
  ~RunLease();
  bool held() const { return fd_ >= 0; }
  void Release();
  // Creates and locks run `id`'s lock file in `home` (its "live" folder).
  static Result<RunLease> Acquire(const std::string& home, const std::string& id);

 private:
  int fd_ = -1;
  std::string path_;
};

class Registry {
 public:
  // $DEJA_HOME, else $XDG_DATA_HOME/deja, else $HOME/.local/share/deja.
  static std::string DefaultHome();
  // Creates the directories and the database if needed.
  // Errors: kIoError naming the path ("cannot create ...", "database ...").
  static Result<std::unique_ptr<Registry>> Open(const std::string& home);
  ~Registry();

  const std::string& home() const { return home_; }

  // "sha256:<64 hex>" of `wasm`.
  static std::string ModuleHash(std::span<const u8> wasm);
  // Stores the module once (written to a temporary file, then renamed).
  Result<std::string> PutModule(std::span<const u8> wasm);
  // Errors: kNotFound "module sha256:... is not in the registry".
  Result<std::vector<u8>> GetModule(const std::string& hash) const;
  // Snapshot files that resumed runs started from (snapshots.cc), by the
  // "sha256:<64 hex>" of their bytes. Errors: kNotFound, kCorruption.
  Result<std::string> PutSnapshot(std::span<const u8> bytes);
  Result<std::vector<u8>> GetSnapshot(const std::string& hash) const;

  // A fresh run id: 12 lowercase hex digits (48 bits; 32 of them random).
  std::string NewRunId() const;
  std::string LogPath(const std::string& id) const;

  // Inserts the row of a starting run (status "running") and returns its
  // lease: the run counts as running while the lease is held (by this or
  // any process), however many runs share the process, whatever happens to
  // its pid. Destroy the lease after FinishRun; a run whose lease is gone
  // without an end is settled as "killed" (lease.h). `pid` is shown, not
  // trusted.
  Result<RunLease> BeginRun(const tm::RunInfo& info, int pid);
  // Fills in how it ended.
  Status FinishRun(const std::string& id, const tm::RunEnd& end, u64 log_bytes);

  // Newest first. A "running" row whose lease nobody holds is settled on
  // the way (and in the database): from its log's end, else status "killed".
  Result<std::vector<RunRow>> List() const;
  // An id or a unique prefix of one (at least 4 characters) to the full id.
  // Errors: kNotFound "no run ...", kInvalidArgument "run id prefix ... is
  // ambiguous: a, b, ...".
  Result<std::string> Resolve(std::string_view id_or_prefix) const;
  Result<RunRow> Get(const std::string& id) const;
  // Deletes the run's row and log (its module stays until Gc). Refuses a
  // run still being recorded (kInvalidArgument "... is still being recorded").
  Status Remove(const std::string& id);
  // Deletes modules no run refers to, logs without a row, rows without a
  // log and stored snapshots no kept run's log names (RunInfo::resumed_from). A "running" row whose lease is held is kept; one whose
  // lease is gone is settled first (from its log's end, else "killed") and
  // kept with its log. Files modified less than `grace_seconds` ago are
  // spared: a `deja run` starting meanwhile writes its module and log before
  // its row exists. Rules: docs/REGISTRY.md.
  static constexpr i64 kGcGraceSeconds = 60;
  Result<GcReport> Gc(i64 grace_seconds = kGcGraceSeconds);

  // Retention (retention.h, docs/REGISTRY.md "Retention"). A pinned run is
  // kept whatever the policy says. Errors: kNotFound for an unknown id.
  Status SetPinned(const std::string& id, bool pinned);
  Result<std::set<std::string>> PinnedRuns() const;
  // Applies the policy in force (LoadRetentionPolicy: retention.conf, then
  // DEJA_KEEP_*): removes the runs it lets go (row and log) and the modules
  // no run refers to any more. Cheap (one aggregate query while within every
  // limit): the run path calls it once a run's log is finished. Concurrent
  // calls are safe.
  Result<RetentionReport> ApplyRetention();
  // The same with a given policy and clock; a dry run removes nothing and
  // returns what would go and why (`deja gc --dry-run`).
  Result<RetentionReport> ApplyRetention(const RetentionPolicy& policy, bool dry_run,
                                         i64 now_unix_ns);

  // One self-contained file: module, log (and so the RunInfo/RunEnd inside
  // it). Format: docs/REGISTRY.md ("Export files").
  Status Export(const std::string& id, const std::string& path) const;
  // Adds an exported run; keeps its id. Errors: kCorruption (damaged file,
  // module hash mismatch), kInvalidArgument "run ... is already in the registry".
  Result<std::string> Import(const std::string& path);

 private:
  struct Db;
  Registry(std::string home, std::unique_ptr<Db> db);
  std::string home_;
  std::unique_ptr<Db> db_;
};

}  // namespace deja::registry
