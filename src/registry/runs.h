// The `runs` table of the registry's database (schema: docs/REGISTRY.md) and
// what keeps its rows honest: a "running" row whose lease nobody holds
// (lease.h) is settled from its log (its end, or "killed" when it has none).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "registry/database.h"
#include "registry/registry.h"

namespace deja::registry {

struct Registry::Db {
  std::unique_ptr<Database> sql;
};

inline constexpr int kSchemaVersion = 1;
inline constexpr std::string_view kRunning = "running";
inline constexpr std::string_view kKilled = "killed";
// The run ended, but its log stopped early (size limit): not replayable to its end.
inline constexpr std::string_view kUnreplayable = "unreplayable";

// WAL mode, then the tables (created, or checked to be a version this deja
// reads). Errors name the database.
Status PrepareSchema(Database* db);

// 12 lowercase hex digits: what NewRunId makes. Ids become file names, so
// anything else (from a command line or an export file) is refused.
bool IsValidRunId(std::string_view id);
// "sha256:" and 64 lowercase hex digits.
bool IsValidModuleHash(std::string_view hash);

// argv joined with spaces, quoting the arguments a shell would split or
// mangle; "--invoke NAME ARGS..." for an --invoke run.
std::string CommandLine(const tm::RunInfo& info);

// The row of a run as its RunInfo describes it, before it ends.
RunRow StartRow(const tm::RunInfo& info, int pid);
// Copies how the run ended into `row` (status, exit status, counters).
void ApplyEnd(const tm::RunEnd& end, RunRow* row);

Status InsertRun(Database* db, const RunRow& row, const tm::RunInfo& info);
// Writes the end fields of `row` (status ... log_bytes). Only a row still in
// `only_if_status` is changed when that is given. Returns whether it changed.
Result<bool> UpdateRunEnd(Database* db, const RunRow& row,
                          std::optional<std::string_view> only_if_status = std::nullopt);
// Rows matching `where` (SQL after FROM runs; ?1 is `param` when given).
Result<std::vector<RunRow>> SelectRuns(Database* db, std::string_view where,
                                       std::optional<std::string_view> param = std::nullopt);
Result<bool> DeleteRun(Database* db, const std::string& id);

// Settles the "running" rows in `rows` whose lease nobody holds, in `rows` and,
// as far as it can, in the database: from the end frame of the run's log if
// it has one, else as "killed". A failure to update the database is not an
// error: the rows are right either way, and the next caller tries again.
void SettleDeadRuns(Database* db, const Registry& registry, std::vector<RunRow>* rows);

}  // namespace deja::registry
