// Registry::Gc: makes the index, the logs and the module store agree again
// after crashes, `deja rm` and interrupted imports.
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <algorithm>
#include <optional>
#include <set>

#include "registry/files.h"
#include "registry/lease.h"
#include "registry/registry.h"
#include "registry/runs.h"
#include "timemachine/log.h"

namespace deja::registry {
namespace {

// Unlinks `path` if it is at least `grace_seconds` old; adds its size to
// `bytes_freed`. Returns whether it went.
Result<bool> RemoveIfOld(const std::string& path, i64 grace_seconds, u64* bytes_freed) {
  if (FileAgeSeconds(path) < grace_seconds) return false;
  i64 size = FileSize(path);
  if (::unlink(path.c_str()) != 0) {
    if (errno == ENOENT) return false;  // another gc got there first
    return Status::IoError("cannot remove " + path + ": " + ErrnoText());
  }
  if (size > 0) *bytes_freed += static_cast<u64>(size);
  return true;
}

bool IsDir(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

std::string StripSuffix(const std::string& s, std::string_view suffix) {
  return s.substr(0, s.size() - suffix.size());
}

// The snapshots the kept runs were resumed from, by file name (64 hex), read
// from their logs' headers. Nullopt when a live run's header cannot be read
// yet: it may name any of them, so none may go this time. A finished run's
// unreadable header names nothing (its replay cannot start either).
std::optional<std::set<std::string>> SnapshotsInUse(const Registry& registry,
                                                     const std::set<std::string>& ids,
                                                     const std::set<std::string>& live) {
  std::set<std::string> names;
  for (const std::string& id : ids) {
    auto log = tm::LogReader::Open(registry.LogPath(id));
    if (!log.ok()) {
      if (live.count(id) != 0) return std::nullopt;
      continue;
    }
    const std::string& hash = (*log)->info().resumed_from;
    if (IsValidModuleHash(hash)) names.insert(hash.substr(7));
  }
  return names;
}

}  // namespace

Result<GcReport> Registry::Gc(i64 grace_seconds) {
  Database* db = db_->sql.get();
  GcReport report;
  DEJA_ASSIGN_OR_RETURN(std::vector<RunRow> rows, SelectRuns(db, ""));
  SettleDeadRuns(db, *this, &rows);

  // Rows first: what survives decides which logs and modules are referenced.
  std::set<std::string> ids;
  std::set<std::string> live_ids;
  std::set<std::string> hashes;
  for (const RunRow& row : rows) {
    bool live = row.status == kRunning && LeaseHeld(home_, row.id);
    if (!live && FileSize(LogPath(row.id)) < 0) {
      DEJA_ASSIGN_OR_RETURN(bool deleted, DeleteRun(db, row.id));
      if (deleted) ++report.rows_removed;
      continue;
    }
    ids.insert(row.id);
    if (live) live_ids.insert(row.id);
    hashes.insert(row.module_hash);
  }

  const std::string runs_dir = home_ + "/runs/";
  DEJA_ASSIGN_OR_RETURN(std::vector<std::string> logs, ListDir(runs_dir, ".log"));
  for (const std::string& name : logs) {
    if (ids.count(StripSuffix(name, ".log")) != 0) continue;
    DEJA_ASSIGN_OR_RETURN(bool removed, RemoveIfOld(runs_dir + name, grace_seconds,
                                                    &report.bytes_freed));
    if (removed) ++report.logs_removed;
  }

  const std::string modules_dir = home_ + "/modules/";
  DEJA_ASSIGN_OR_RETURN(std::vector<std::string> modules, ListDir(modules_dir, ".wasm"));
  for (const std::string& name : modules) {
    if (hashes.count("sha256:" + StripSuffix(name, ".wasm")) != 0) continue;
    DEJA_ASSIGN_OR_RETURN(bool removed, RemoveIfOld(modules_dir + name, grace_seconds,
                                                    &report.bytes_freed));
    if (removed) ++report.modules_removed;
  }

  // Snapshots: only when there are any, as it reads every kept log's header.
  const std::string snapshots_dir = home_ + "/snapshots/";
  std::vector<std::string> snapshots;
  const bool have_snapshots = IsDir(snapshots_dir);  // made by the first PutSnapshot
  if (have_snapshots) {
    DEJA_ASSIGN_OR_RETURN(snapshots, ListDir(snapshots_dir, ""));
    std::erase_if(snapshots,
                  [](const std::string& name) { return !IsValidModuleHash("sha256:" + name); });
  }
  if (!snapshots.empty()) {
    std::optional<std::set<std::string>> in_use = SnapshotsInUse(*this, ids, live_ids);
    for (const std::string& name : snapshots) {
      if (!in_use || in_use->count(name) != 0) continue;
      DEJA_ASSIGN_OR_RETURN(bool removed, RemoveIfOld(snapshots_dir + name, grace_seconds,
                                                      &report.bytes_freed));
      if (removed) ++report.snapshots_removed;
    }
  }

  // Temporary files of writes that never finished (a crash mid-PutModule or
  // mid-Import). A live writer holds a lock on its file, so a file nobody
  // locks is a dead writer's, whatever its age.
  for (const std::string& dir : {runs_dir, modules_dir, snapshots_dir}) {
    if (dir == snapshots_dir && !have_snapshots) continue;
    DEJA_TRY(RemoveDeadTempFiles(dir, kTempGraceSeconds, &report.bytes_freed).status());
  }
  return report;
}

}  // namespace deja::registry
