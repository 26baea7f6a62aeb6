// Retention (retention.h): the policy, where it is configured, which runs it
// lets go, and Registry's pins and ApplyRetention.
#include "registry/retention.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <set>
#include <unordered_map>

#include "registry/files.h"
#include "registry/registry.h"
#include "registry/runs.h"

namespace deja::registry {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

// Digits then an optional unit from `units` (name, multiplier); "unlimited"
// is 0. False on anything else or on overflow.
struct Unit {
  std::string_view name;
  u64 factor;
};
bool ParseScaled(std::string_view text, std::span<const Unit> units, u64* out) {
  text = Trim(text);
  if (text == "unlimited") {
    *out = 0;
    return true;
  }
  size_t digits = 0;
  u64 value = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') {
    u64 d = static_cast<u64>(text[digits] - '0');
    if (value > (UINT64_MAX - d) / 10) return false;
    value = value * 10 + d;
    ++digits;
  }
  if (digits == 0) return false;
  std::string_view unit = Trim(text.substr(digits));
  if (unit.empty()) {
    *out = value;
    return true;
  }
  for (const Unit& u : units) {
    if (unit != u.name) continue;
    if (value != 0 && u.factor > UINT64_MAX / value) return false;
    *out = value * u.factor;
    return true;
  }
  return false;
}

constexpr Unit kSizeUnits[] = {{"B", 1},
                               {"K", u64{1} << 10},
                               {"KiB", u64{1} << 10},
                               {"M", u64{1} << 20},
                               {"MiB", u64{1} << 20},
                               {"G", u64{1} << 30},
                               {"GiB", u64{1} << 30},
                               {"T", u64{1} << 40},
                               {"TiB", u64{1} << 40}};
constexpr Unit kAgeUnits[] = {{"s", 1}, {"m", 60}, {"h", 3600}, {"d", 86400}, {"w", 7 * 86400}};
constexpr Unit kNoUnits[] = {{"", 1}};

// Sets one key; `where` names the file and line, or the variable.
Status SetKey(std::string_view key, std::string_view value, const std::string& where,
              RetentionPolicy* policy) {
  u64 v = 0;
  if (key == "max_runs") {
    if (!ParseScaled(value, kNoUnits, &v)) {
      return Status::InvalidArgument(where + ": max_runs must be a count or \"unlimited\", not \"" +
                                     std::string(Trim(value)) + "\"");
    }
    policy->max_runs = v;
  } else if (key == "max_size") {
    if (!ParseScaled(value, kSizeUnits, &v)) {
      return Status::InvalidArgument(where + ": max_size must be a size (500MiB, 2GiB, bytes) " +
                                     "or \"unlimited\", not \"" + std::string(Trim(value)) + "\"");
    }
    policy->max_bytes = v;
  } else if (key == "max_age") {
    if (!ParseScaled(value, kAgeUnits, &v) || v > u64{INT64_MAX} / 1000000000) {
      return Status::InvalidArgument(where + ": max_age must be an age (30d, 12h, 2w, seconds) " +
                                     "or \"unlimited\", not \"" + std::string(Trim(value)) + "\"");
    }
    policy->max_age_seconds = static_cast<i64>(v);
  } else {
    return Status::InvalidArgument(where + ": unknown key \"" + std::string(key) +
                                   "\" (known: max_runs, max_size, max_age)");
  }
  return {};
}

i64 NowUnixNs() {
  struct timespec ts;
  ::clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<i64>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

// Modification time of `path` in Unix ns, 0 when it cannot be told.
i64 ModifiedUnixNs(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return 0;
  return static_cast<i64>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
}

constexpr const char* kCreatePins =
    "CREATE TABLE IF NOT EXISTS pins (id TEXT PRIMARY KEY NOT NULL)";

}  // namespace

Status ParseRetentionConfig(std::string_view text, std::string_view origin,
                            RetentionPolicy* policy) {
  size_t line_no = 0;
  while (!text.empty()) {
    size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
    ++line_no;
    if (size_t hash = line.find('#'); hash != std::string_view::npos) line = line.substr(0, hash);
    line = Trim(line);
    if (line.empty()) continue;
    std::string where = std::string(origin) + ":" + std::to_string(line_no);
    size_t eq = line.find('=');
    if (eq == std::string_view::npos) {
      return Status::InvalidArgument(where + ": expected \"key = value\", not \"" +
                                     std::string(line) + "\"");
    }
    DEJA_TRY(SetKey(Trim(line.substr(0, eq)), line.substr(eq + 1), where, policy));
  }
  return {};
}

Result<RetentionPolicy> LoadRetentionPolicy(const std::string& home) {
  RetentionPolicy policy;
  std::vector<std::string> origins;
  const std::string path = home + "/" + std::string(kRetentionFile);
  if (FileSize(path) >= 0) {
    DEJA_ASSIGN_OR_RETURN(std::vector<u8> bytes, ReadWholeFile(path, 64 * 1024));
    DEJA_TRY(ParseRetentionConfig(
        std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()), path,
        &policy));
    origins.push_back(path);
  }
  static constexpr std::pair<const char*, const char*> kVars[] = {
      {"DEJA_KEEP_RUNS", "max_runs"}, {"DEJA_KEEP_SIZE", "max_size"}, {"DEJA_KEEP_AGE", "max_age"}};
  for (const auto& [var, key] : kVars) {
    const char* value = std::getenv(var);
    if (value == nullptr || *value == '\0') continue;
    DEJA_TRY(SetKey(key, value, var, &policy));
    origins.push_back(var);
  }
  if (!origins.empty()) {
    policy.origin = "defaults";
    for (const std::string& o : origins) policy.origin += ", " + o;
  }
  return policy;
}

std::string FormatLimitBytes(u64 bytes) {
  static constexpr const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(bytes);
  size_t unit = 0;
  while (v >= 1024 && unit + 1 < std::size(kUnits)) {
    v /= 1024;
    ++unit;
  }
  char buf[32];
  if (unit == 0) {
    std::snprintf(buf, sizeof buf, "%llu B", static_cast<unsigned long long>(bytes));
  } else {
    std::snprintf(buf, sizeof buf, "%.1f %s", v, kUnits[unit]);
  }
  return buf;
}

std::string FormatLimitAge(i64 seconds) {
  if (seconds % 86400 == 0) return std::to_string(seconds / 86400) + "d";
  if (seconds % 3600 == 0) return std::to_string(seconds / 3600) + "h";
  if (seconds % 60 == 0) return std::to_string(seconds / 60) + "m";
  return std::to_string(seconds) + "s";
}

RetentionReport PlanRetention(std::span<const RetentionCandidate> runs,
                              const RetentionPolicy& policy, i64 now_unix_ns) {
  RetentionReport report;
  report.policy = policy;
  u64 counted_runs = 0, counted_bytes = 0;
  for (const RetentionCandidate& run : runs) {
    const i64 age_ns = now_unix_ns - run.recorded_unix_ns;
    std::string reason;
    if (run.pinned) {
      ++report.pinned_runs;
    } else if (run.running || age_ns < kRetentionGraceSeconds * i64{1000000000}) {
      // kept, and counted below
    } else if (policy.max_age_seconds > 0 && age_ns > policy.max_age_seconds * i64{1000000000}) {
      reason = "older than " + FormatLimitAge(policy.max_age_seconds) + " (max_age)";
    } else if (policy.max_runs > 0 && counted_runs >= policy.max_runs) {
      reason = "beyond the newest " + std::to_string(policy.max_runs) + " runs (max_runs)";
    } else if (policy.max_bytes > 0 && counted_bytes + run.log_bytes > policy.max_bytes) {
      reason = "newer runs' logs fill " + FormatLimitBytes(policy.max_bytes) + " (max_size)";
    }
    if (!reason.empty()) {
      report.removed.push_back({run.id, run.log_bytes, std::move(reason)});
      continue;
    }
    ++report.kept_runs;
    report.kept_bytes += run.log_bytes;
    if (!run.pinned) {
      ++counted_runs;
      counted_bytes += run.log_bytes;
    }
  }
  return report;
}

Status Registry::SetPinned(const std::string& id, bool pinned) {
  Database* db = db_->sql.get();
  DEJA_ASSIGN_OR_RETURN(std::vector<RunRow> rows, SelectRuns(db, "WHERE id = ?1", id));
  if (rows.empty()) return Status::NotFound("no run " + id + " in the registry");
  DEJA_TRY(db->Exec(kCreatePins));
  DEJA_ASSIGN_OR_RETURN(Statement st,
                        db->Prepare(pinned ? "INSERT OR IGNORE INTO pins (id) VALUES (?1)"
                                           : "DELETE FROM pins WHERE id = ?1"));
  st.Bind(1, id);
  return st.Run();
}

Result<std::set<std::string>> Registry::PinnedRuns() const {
  Database* db = db_->sql.get();
  std::set<std::string> ids;
  // The table exists once something was pinned; reading creates nothing.
  DEJA_ASSIGN_OR_RETURN(
      Statement exists,
      db->Prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'pins'"));
  DEJA_ASSIGN_OR_RETURN(bool has_table, exists.Step());
  if (!has_table) return ids;
  DEJA_ASSIGN_OR_RETURN(Statement st, db->Prepare("SELECT id FROM pins"));
  while (true) {
    DEJA_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    ids.insert(st.Text(0));
  }
  return ids;
}

Result<RetentionReport> Registry::ApplyRetention() {
  DEJA_ASSIGN_OR_RETURN(RetentionPolicy policy, LoadRetentionPolicy(home_));
  return ApplyRetention(policy, /*dry_run=*/false, NowUnixNs());
}

Result<RetentionReport> Registry::ApplyRetention(const RetentionPolicy& policy, bool dry_run,
                                                 i64 now_unix_ns) {
  if (!dry_run) {
    // The common case on the run path: the whole registry is within every
    // limit, which one aggregate query tells without reading each row.
    DEJA_ASSIGN_OR_RETURN(Statement totals,
                          db_->sql->Prepare("SELECT COUNT(*), COALESCE(SUM(log_bytes), 0), "
                                            "COALESCE(MIN(start_unix_ns), 0) FROM runs"));
    DEJA_ASSIGN_OR_RETURN(bool has_row, totals.Step());
    if (has_row) {
      auto count = static_cast<u64>(totals.Int(0));
      auto bytes = static_cast<u64>(totals.Int(1));
      i64 oldest = totals.Int(2);
      if ((policy.max_runs == 0 || count <= policy.max_runs) &&
          (policy.max_bytes == 0 || bytes <= policy.max_bytes) &&
          (policy.max_age_seconds == 0 ||
           now_unix_ns - oldest <= policy.max_age_seconds * i64{1000000000})) {
        RetentionReport report;
        report.policy = policy;
        report.kept_runs = count;
        report.kept_bytes = bytes;
        return report;
      }
    }
  }
  DEJA_ASSIGN_OR_RETURN(std::vector<RunRow> rows, List());  // newest first, dead runs settled
  DEJA_ASSIGN_OR_RETURN(std::set<std::string> pinned, PinnedRuns());
  std::vector<RetentionCandidate> runs;
  runs.reserve(rows.size());
  for (const RunRow& row : rows) {
    RetentionCandidate c;
    c.id = row.id;
    c.recorded_unix_ns = row.start_unix_ns;
    c.log_bytes = row.log_bytes;
    c.running = row.status == kRunning;
    c.pinned = pinned.count(row.id) != 0;
    runs.push_back(std::move(c));
  }
  // A run is recorded at the later of its start and its log's last write (an
  // imported run, or a long one that just ended). Only a run planned for
  // removal needs its log looked at: a later time can only keep it, which
  // may in turn plan another for removal, so plan again until none is new.
  std::unordered_map<std::string, size_t> index;
  for (size_t i = 0; i < runs.size(); ++i) index.emplace(runs[i].id, i);
  std::vector<bool> looked(runs.size(), false);
  RetentionReport report;
  while (true) {
    report = PlanRetention(runs, policy, now_unix_ns);
    bool changed = false;
    for (const RetentionRemoval& r : report.removed) {
      size_t i = index.at(r.id);
      if (looked[i]) continue;
      looked[i] = true;
      i64 written = ModifiedUnixNs(LogPath(r.id));
      if (written > runs[i].recorded_unix_ns) {
        runs[i].recorded_unix_ns = written;
        changed = true;
      }
    }
    if (!changed) break;
  }
  if (dry_run || report.removed.empty()) return report;

  std::set<std::string> hashes;
  for (const RunRow& row : rows) {
    for (const RetentionRemoval& r : report.removed) {
      if (r.id == row.id) hashes.insert(row.module_hash);
    }
  }
  for (const RetentionRemoval& r : report.removed) {
    i64 size = FileSize(LogPath(r.id));
    Status removed = Remove(r.id);
    if (removed.code() == Status::Code::kNotFound) continue;  // another process got there first
    DEJA_TRY(removed);
    if (size > 0) report.bytes_freed += static_cast<u64>(size);
  }
  // Modules no run refers to any more go now too, unless freshly written (a
  // run starting meanwhile stores its module before its row exists).
  Database* db = db_->sql.get();
  if (!pinned.empty()) {  // pins of runs `deja rm` removed
    DEJA_TRY(db->Exec("DELETE FROM pins WHERE id NOT IN (SELECT id FROM runs)"));
  }
  for (const std::string& hash : hashes) {
    if (!IsValidModuleHash(hash)) continue;
    DEJA_ASSIGN_OR_RETURN(std::vector<RunRow> users,
                          SelectRuns(db, "WHERE module_hash = ?1 LIMIT 1", hash));
    if (!users.empty()) continue;
    std::string path = home_ + "/modules/" + hash.substr(7) + ".wasm";
    if (FileAgeSeconds(path) < kGcGraceSeconds) continue;
    i64 size = FileSize(path);
    if (::unlink(path.c_str()) != 0) {
      if (errno == ENOENT) continue;
      return Status::IoError("cannot remove " + path + ": " + ErrnoText());
    }
    ++report.modules_removed;
    if (size > 0) report.bytes_freed += static_cast<u64>(size);
  }
  return report;
}

}  // namespace deja::registry
