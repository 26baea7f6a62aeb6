// Registry::Gc: makes the index, the logs and the module store agree again
// after crashes, `deja rm` and interrupted imports.
#include <unistd.h>

#include <cerrno>
#include <algorithm>
#include <set>

#include "registry/files.h"
#include "registry/registry.h"
#include "registry/runs.h"

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

bool StartsWith(const std::string& s, std::string_view prefix) {
  return s.compare(0, prefix.size(), prefix) == 0;
}

std::string StripSuffix(const std::string& s, std::string_view suffix) {
  return s.substr(0, s.size() - suffix.size());
}

}  // namespace

Result<GcReport> Registry::Gc(i64 grace_seconds) {
  Database* db = db_->sql.get();
  GcReport report;
  DEJA_ASSIGN_OR_RETURN(std::vector<RunRow> rows, SelectRuns(db, ""));
  SettleDeadRuns(db, *this, &rows);

  // Rows first: what survives decides which logs and modules are referenced.
  std::set<std::string> ids;
  std::set<std::string> hashes;
  for (const RunRow& row : rows) {
    bool live = row.status == kRunning && ProcessAlive(row.pid);
    if (!live && FileSize(LogPath(row.id)) < 0) {
      DEJA_ASSIGN_OR_RETURN(bool deleted, DeleteRun(db, row.id));
      if (deleted) ++report.rows_removed;
      continue;
    }
    ids.insert(row.id);
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

  // Temporary files of writes that never finished (a crash mid-PutModule or
  // mid-Import). A live writer keeps modifying its file, so the grace period
  // spares it; an hour at least, as a slow import may pause between writes.
  const i64 temp_grace = std::max<i64>(grace_seconds, 3600);
  for (const std::string& dir : {runs_dir, modules_dir}) {
    DEJA_ASSIGN_OR_RETURN(std::vector<std::string> names, ListDir(dir, ""));
    for (const std::string& name : names) {
      if (!StartsWith(name, ".tmp-")) continue;
      DEJA_ASSIGN_OR_RETURN(bool removed, RemoveIfOld(dir + name, temp_grace, &report.bytes_freed));
      (void)removed;
    }
  }
  return report;
}

}  // namespace deja::registry
