#include "registry/runs.h"

#include <errno.h>
#include <signal.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "registry/files.h"
#include "registry/lease.h"
#include "timemachine/log.h"

namespace deja::registry {
namespace {

constexpr const char* kCreateSchema = R"sql(
CREATE TABLE IF NOT EXISTS runs (
  id            TEXT PRIMARY KEY NOT NULL,
  start_unix_ns INTEGER NOT NULL,
  module_hash   TEXT NOT NULL,
  module_name   TEXT NOT NULL,
  command       TEXT NOT NULL,
  args          TEXT NOT NULL,
  invoke        TEXT,
  status        TEXT NOT NULL,
  pid           INTEGER NOT NULL,
  exit_status   INTEGER,
  duration_ns   INTEGER NOT NULL DEFAULT 0,
  fuel_consumed INTEGER NOT NULL DEFAULT 0,
  host_calls    INTEGER NOT NULL DEFAULT 0,
  log_bytes     INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS runs_by_start ON runs (start_unix_ns DESC, id DESC);
CREATE INDEX IF NOT EXISTS runs_by_module ON runs (module_hash);
)sql";

constexpr std::string_view kRowColumns =
    "SELECT id, start_unix_ns, module_hash, module_name, command, status, pid, exit_status, "
    "duration_ns, fuel_consumed, host_calls, log_bytes FROM runs ";

bool IsLowerHex(std::string_view s) {
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

// Characters a POSIX shell takes literally outside quotes.
bool ShellSafe(std::string_view arg) {
  if (arg.empty()) return false;
  for (char c : arg) {
    bool safe = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                std::string_view("_-+=@%:,./").find(c) != std::string_view::npos;
    if (!safe) return false;
  }
  return true;
}

void AppendArg(std::string_view arg, std::string* out) {
  if (!out->empty()) out->push_back(' ');
  if (ShellSafe(arg)) {
    out->append(arg);
    return;
  }
  // Single quotes keep everything literal; a quote inside becomes '\''.
  out->push_back('\'');
  for (char c : arg) {
    if (c == '\'') {
      out->append("'\\''");
    } else {
      out->push_back(c);
    }
  }
  out->push_back('\'');
}

// SQLite integers are signed 64-bit; u64 counters are stored bit for bit.
i64 ToSql(u64 v) { return static_cast<i64>(v); }
u64 FromSql(i64 v) { return static_cast<u64>(v); }

}  // namespace

Status PrepareSchema(Database* db) {
  // WAL lets `deja ls` read while runs are being recorded. Switching to it
  // needs a moment of exclusive access, so it is retried under contention.
  Status wal;
  for (int attempt = 0; attempt < 100; ++attempt) {
    wal = db->Exec("PRAGMA journal_mode = WAL");
    if (wal.ok()) break;
    if (wal.message().find("locked") == std::string_view::npos) return wal;
    usleep(20000);
  }
  DEJA_TRY(wal);
  // With WAL, NORMAL loses at most the last transactions on power loss, and
  // never corrupts the database; a row can be rebuilt from its log.
  DEJA_TRY(db->Exec("PRAGMA synchronous = NORMAL"));

  DEJA_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(db));
  DEJA_ASSIGN_OR_RETURN(Statement version, db->Prepare("PRAGMA user_version"));
  DEJA_ASSIGN_OR_RETURN(bool has_row, version.Step());
  i64 found = has_row ? version.Int(0) : 0;
  if (found > kSchemaVersion || found < 0) {
    return Status::IoError("database " + db->path() + ": schema version " +
                           std::to_string(found) + " is newer than this deja reads (" +
                           std::to_string(kSchemaVersion) + ")");
  }
  if (found == 0) {
    DEJA_TRY(db->Exec(kCreateSchema));
    DEJA_TRY(db->Exec(("PRAGMA user_version = " + std::to_string(kSchemaVersion)).c_str()));
  }
  return tx.Commit();
}

bool IsValidRunId(std::string_view id) { return id.size() == 12 && IsLowerHex(id); }

bool IsValidModuleHash(std::string_view hash) {
  constexpr std::string_view kPrefix = "sha256:";
  return hash.size() == kPrefix.size() + 64 && hash.substr(0, kPrefix.size()) == kPrefix &&
         IsLowerHex(hash.substr(kPrefix.size()));
}

std::string CommandLine(const tm::RunInfo& info) {
  std::string out;
  if (info.invoke.has_value()) {
    out = "--invoke";
    AppendArg(*info.invoke, &out);
    for (const std::string& arg : info.invoke_args) AppendArg(arg, &out);
    return out;
  }
  for (const std::string& arg : info.args) AppendArg(arg, &out);
  return out;
}

RunRow StartRow(const tm::RunInfo& info, int pid) {
  RunRow row;
  row.id = info.id;
  row.start_unix_ns = info.start_unix_ns;
  row.module_hash = info.module_hash;
  row.module_name = info.module_name;
  row.command = CommandLine(info);
  row.status = kRunning;
  row.pid = pid;
  return row;
}

void ApplyEnd(const tm::RunEnd& end, RunRow* row) {
  // A run whose recording stopped early ran on, but its log must not pass
  // for a complete one: its status says so (its exit status is still kept).
  row->status = end.recording_stopped.empty() ? std::string(tm::RunEndKindName(end.kind))
                                              : std::string(kUnreplayable);
  row->exit_status = end.exit_status;
  row->duration_ns = end.duration_ns;
  row->fuel_consumed = end.fuel_consumed;
  row->host_calls = end.host_calls;
}

Status InsertRun(Database* db, const RunRow& row, const tm::RunInfo& info) {
  DEJA_ASSIGN_OR_RETURN(
      Statement insert,
      db->Prepare("INSERT INTO runs (id, start_unix_ns, module_hash, module_name, command, args, "
                  "invoke, status, pid, exit_status, duration_ns, fuel_consumed, host_calls, "
                  "log_bytes) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)"));
  // Arguments need not be UTF-8; "replace" keeps the dump from failing on them.
  std::string args =
      nlohmann::json(info.args).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  insert.Bind(1, row.id).Bind(2, row.start_unix_ns).Bind(3, row.module_hash);
  insert.Bind(4, row.module_name).Bind(5, row.command).Bind(6, args);
  if (info.invoke.has_value()) {
    insert.Bind(7, *info.invoke);
  } else {
    insert.BindNull(7);
  }
  insert.Bind(8, row.status).Bind(9, i64{row.pid});
  if (row.exit_status.has_value()) {
    insert.Bind(10, i64{*row.exit_status});
  } else {
    insert.BindNull(10);
  }
  insert.Bind(11, ToSql(row.duration_ns)).Bind(12, ToSql(row.fuel_consumed));
  insert.Bind(13, ToSql(row.host_calls)).Bind(14, ToSql(row.log_bytes));
  Status s = insert.Run();
  if (!s.ok() && s.message().find("UNIQUE") != std::string_view::npos) {
    return Status::InvalidArgument("run " + row.id + " is already in the registry");
  }
  return s;
}

Result<bool> UpdateRunEnd(Database* db, const RunRow& row,
                          std::optional<std::string_view> only_if_status) {
  std::string sql =
      "UPDATE runs SET status = ?2, exit_status = ?3, duration_ns = ?4, fuel_consumed = ?5, "
      "host_calls = ?6, log_bytes = ?7 WHERE id = ?1";
  if (only_if_status.has_value()) sql += " AND status = ?8";
  DEJA_ASSIGN_OR_RETURN(Statement update, db->Prepare(sql));
  update.Bind(1, row.id).Bind(2, row.status);
  if (row.exit_status.has_value()) {
    update.Bind(3, i64{*row.exit_status});
  } else {
    update.BindNull(3);
  }
  update.Bind(4, ToSql(row.duration_ns)).Bind(5, ToSql(row.fuel_consumed));
  update.Bind(6, ToSql(row.host_calls)).Bind(7, ToSql(row.log_bytes));
  if (only_if_status.has_value()) update.Bind(8, *only_if_status);
  DEJA_TRY(update.Run());
  return db->Changes() > 0;
}

Result<std::vector<RunRow>> SelectRuns(Database* db, std::string_view where,
                                       std::optional<std::string_view> param) {
  DEJA_ASSIGN_OR_RETURN(Statement select, db->Prepare(std::string(kRowColumns) + std::string(where)));
  if (param.has_value()) select.Bind(1, *param);
  std::vector<RunRow> rows;
  for (;;) {
    DEJA_ASSIGN_OR_RETURN(bool has_row, select.Step());
    if (!has_row) break;
    RunRow& row = rows.emplace_back();
    row.id = select.Text(0);
    row.start_unix_ns = select.Int(1);
    row.module_hash = select.Text(2);
    row.module_name = select.Text(3);
    row.command = select.Text(4);
    row.status = select.Text(5);
    row.pid = static_cast<int>(select.Int(6));
    if (!select.IsNull(7)) row.exit_status = static_cast<i32>(select.Int(7));
    row.duration_ns = FromSql(select.Int(8));
    row.fuel_consumed = FromSql(select.Int(9));
    row.host_calls = FromSql(select.Int(10));
    row.log_bytes = FromSql(select.Int(11));
  }
  return rows;
}

Result<bool> DeleteRun(Database* db, const std::string& id) {
  DEJA_ASSIGN_OR_RETURN(Statement del, db->Prepare("DELETE FROM runs WHERE id = ?1"));
  del.Bind(1, id);
  DEJA_TRY(del.Run());
  return db->Changes() > 0;
}

void SettleDeadRuns(Database* db, const Registry& registry, std::vector<RunRow>* rows) {
  for (RunRow& row : *rows) {
    // Not by pid: many runs share one process, and pids are reused.
    if (row.status != kRunning || LeaseHeld(registry.home(), row.id)) continue;
    std::string path = registry.LogPath(row.id);
    row.status = kKilled;
    if (auto reader = tm::LogReader::Open(path); reader.ok()) {
      // A run may die between writing its end frame and FinishRun. Else it
      // lasted at least until its last recorded call returned.
      tm::CallRecord rec;
      u64 records = 0;
      u64 last_ns = 0;
      while (true) {
        Result<bool> next = (*reader)->Next(&rec);
        if (!next.ok() || !*next) break;
        ++records;
        last_ns = rec.time_ns + rec.duration_ns;
      }
      if ((*reader)->end().has_value()) {
        ApplyEnd(*(*reader)->end(), &row);
      } else {
        row.host_calls = records;
        row.duration_ns = last_ns;
      }
    }
    i64 size = FileSize(path);
    row.log_bytes = size > 0 ? static_cast<u64>(size) : 0;
    (void)UpdateRunEnd(db, row, kRunning);
    RemoveStaleLease(registry.home(), row.id);
  }
}

}  // namespace deja::registry
