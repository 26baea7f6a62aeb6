// Opening the registry and the life of a run's row: BeginRun, FinishRun,
// lookups by id, prefix or "last", and removal.
#include "registry/registry.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>

#include "registry/files.h"
#include "registry/lease.h"
#include "registry/runs.h"

namespace deja::registry {
namespace {

constexpr size_t kMinPrefix = 4;
// An ambiguous prefix lists at most this many of the runs it matches.
constexpr int kAmbiguousShown = 10;

constexpr std::string_view kNewestFirst = "ORDER BY start_unix_ns DESC, id DESC";

}  // namespace

Registry::Registry(std::string home, std::unique_ptr<Db> db)
    : home_(std::move(home)), db_(std::move(db)) {}

Registry::~Registry() = default;

Result<std::unique_ptr<Registry>> Registry::Open(const std::string& home) {
  // The registry holds programs' arguments, environment and I/O: private.
  DEJA_TRY(MakeDirs(home, 0700));
  DEJA_TRY(MakeDirs(home + "/modules", 0700));
  DEJA_TRY(MakeDirs(home + "/runs", 0700));
  DEJA_TRY(MakeDirs(home + "/live", 0700));
  auto db = std::make_unique<Db>();
  DEJA_ASSIGN_OR_RETURN(db->sql, Database::Open(home + "/deja.db"));
  DEJA_TRY(PrepareSchema(db->sql.get()));
  return std::unique_ptr<Registry>(new Registry(home, std::move(db)));
}

Result<RunLease> Registry::BeginRun(const tm::RunInfo& info, int pid) {
  if (!IsValidRunId(info.id)) {
    return Status::InvalidArgument("\"" + info.id + "\" is not a run id (12 lowercase hex digits)");
  }
  // Locked before the row exists, so no one ever sees it running unleased.
  DEJA_ASSIGN_OR_RETURN(RunLease lease, RunLease::Acquire(home_, info.id));
  DEJA_TRY(InsertRun(db_->sql.get(), StartRow(info, pid), info));
  return lease;
}

Status Registry::FinishRun(const std::string& id, const tm::RunEnd& end, u64 log_bytes) {
  RunRow row;
  row.id = id;
  ApplyEnd(end, &row);
  row.log_bytes = log_bytes;
  DEJA_ASSIGN_OR_RETURN(bool changed, UpdateRunEnd(db_->sql.get(), row));
  if (!changed) return Status::NotFound("no run " + id + " in the registry");
  return {};
}

Result<std::vector<RunRow>> Registry::List() const {
  DEJA_ASSIGN_OR_RETURN(std::vector<RunRow> rows, SelectRuns(db_->sql.get(), kNewestFirst));
  SettleDeadRuns(db_->sql.get(), *this, &rows);
  return rows;
}

Result<RunRow> Registry::Get(const std::string& id) const {
  DEJA_ASSIGN_OR_RETURN(std::vector<RunRow> rows,
                        SelectRuns(db_->sql.get(), "WHERE id = ?1", id));
  if (rows.empty()) return Status::NotFound("no run " + id + " in the registry");
  SettleDeadRuns(db_->sql.get(), *this, &rows);
  return std::move(rows[0]);
}

Result<std::string> Registry::Resolve(std::string_view id_or_prefix) const {
  Database* db = db_->sql.get();
  if (id_or_prefix == "last") {
    DEJA_ASSIGN_OR_RETURN(std::vector<RunRow> newest,
                          SelectRuns(db, std::string(kNewestFirst) + " LIMIT 1"));
    if (newest.empty()) return Status::NotFound("no run recorded yet (\"last\" names the newest)");
    return newest[0].id;
  }
  std::string key(id_or_prefix);
  std::transform(key.begin(), key.end(), key.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  DEJA_ASSIGN_OR_RETURN(std::vector<RunRow> exact, SelectRuns(db, "WHERE id = ?1", key));
  if (!exact.empty()) return exact[0].id;
  if (key.size() < kMinPrefix) {
    return Status::InvalidArgument("run id prefix \"" + std::string(id_or_prefix) +
                                   "\" is too short: give at least " +
                                   std::to_string(kMinPrefix) + " characters");
  }
  DEJA_ASSIGN_OR_RETURN(
      std::vector<RunRow> matches,
      SelectRuns(db,
                 "WHERE substr(id, 1, length(?1)) = ?1 ORDER BY id LIMIT " +
                     std::to_string(kAmbiguousShown + 1),
                 key));
  if (matches.empty()) return Status::NotFound("no run " + std::string(id_or_prefix));
  if (matches.size() == 1) return matches[0].id;
  std::string list;
  for (size_t i = 0; i < matches.size() && i < kAmbiguousShown; ++i) {
    list += (i == 0 ? "" : ", ") + matches[i].id;
  }
  if (matches.size() > kAmbiguousShown) list += ", ...";
  return Status::InvalidArgument("run id prefix " + std::string(id_or_prefix) +
                                 " is ambiguous: " + list);
}

Status Registry::Remove(const std::string& id) {
  if (!IsValidRunId(id)) return Status::NotFound("no run " + id + " in the registry");
  // A run still being recorded keeps writing its log: removing it would only
  // unlink the file under it (its space held until it ends) and make its end
  // fail to reach the index. Settled rows (no one holds the lease) may go.
  if (auto row = Get(id); row.ok() && row->status == kRunning && LeaseHeld(home_, id)) {
    return Status::InvalidArgument("run " + id + " is still being recorded (pid " +
                                   std::to_string(row->pid) + "); stop it first");
  }
  DEJA_ASSIGN_OR_RETURN(bool deleted, DeleteRun(db_->sql.get(), id));
  std::string log = LogPath(id);
  bool had_log = ::unlink(log.c_str()) == 0;
  if (!had_log && errno != ENOENT) return Status::IoError("cannot remove " + log + ": " + ErrnoText());
  if (!deleted && !had_log) return Status::NotFound("no run " + id + " in the registry");
  return {};
}

}  // namespace deja::registry
