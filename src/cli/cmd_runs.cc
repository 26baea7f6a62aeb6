// The registry's run list: `deja ls`, `deja describe ID`, `deja rm ID...`,
// `deja pin/unpin ID...`, `deja gc [--dry-run]`.
#include <chrono>
#include <iomanip>
#include <memory>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "cli/run_format.h"
#include "cli/run_lookup.h"
#include "timemachine/log.h"

namespace deja::cli {
namespace {

struct LsArgs {
  bool quiet = false;
  bool json = false;
  size_t limit = 0;
};

std::string Cut(const std::string& text, size_t width) {
  return text.size() <= width ? text : text.substr(0, width - 3) + "...";
}

// "[resumed] " for a run started from a snapshot. The index does not keep
// it, so it comes from the log's header (one small read per row shown).
std::string ResumedMark(const registry::Registry& reg, const registry::RunRow& row) {
  Result<std::unique_ptr<tm::LogReader>> log = tm::LogReader::Open(reg.LogPath(row.id));
  return log.ok() && !(*log)->info().resumed_from.empty() ? "[resumed] " : "";
}

// "keeps 1000 runs, 1.0 GiB of logs, 30d (defaults)": the policy in force.
std::string PolicyText(const registry::RetentionPolicy& p) {
  auto or_unlimited = [](bool set, const std::string& text) { return set ? text : "unlimited"; };
  return "keeps at most " + or_unlimited(p.max_runs > 0, std::to_string(p.max_runs)) + " runs, " +
         or_unlimited(p.max_bytes > 0, registry::FormatLimitBytes(p.max_bytes)) + " of logs, " +
         or_unlimited(p.max_age_seconds > 0, registry::FormatLimitAge(p.max_age_seconds)) + " (" +
         p.origin + ")";
}

int RunLs(const LsArgs& args, const CliStreams& io) {
  int exit_code = kExitOk;
  std::unique_ptr<registry::Registry> reg = OpenRegistry("deja ls: ", io, &exit_code);
  if (reg == nullptr) return exit_code;
  Result<std::vector<registry::RunRow>> rows = reg->List();
  Result<std::set<std::string>> pinned =
      rows.ok() ? reg->PinnedRuns() : Result<std::set<std::string>>(rows.status());
  if (!pinned.ok()) {
    io.err << "deja ls: " << pinned.status().ToString() << "\n";
    return kExitIoError;
  }
  auto is_pinned = [&pinned](const registry::RunRow& row) { return pinned->count(row.id) != 0; };
  size_t count = args.limit > 0 ? std::min(args.limit, rows->size()) : rows->size();
  if (args.quiet) {
    for (size_t i = 0; i < count; ++i) io.out << (*rows)[i].id << "\n";
    return kExitOk;
  }
  if (args.json) {
    for (size_t i = 0; i < count; ++i) {
      nlohmann::json j = RowJson((*rows)[i]);
      j["pinned"] = is_pinned((*rows)[i]);
      io.out << j.dump() << "\n";
    }
    return kExitOk;
  }
  io.out << std::left << std::setw(14) << "ID" << std::setw(21) << "STARTED" << std::setw(10)
         << "DURATION" << std::setw(13) << "STATUS" << std::setw(10) << "CALLS" << std::setw(11)
         << "LOG"
         << "COMMAND\n";
  for (size_t i = 0; i < count; ++i) {
    const registry::RunRow& row = (*rows)[i];
    io.out << std::setw(14) << row.id << std::setw(21) << FormatTime(row.start_unix_ns)
           << std::setw(10) << (row.status == "running" ? "-" : FormatDuration(row.duration_ns))
           << std::setw(13) << FormatStatus(row) << std::setw(10) << row.host_calls << std::setw(11)
           << FormatBytes(row.log_bytes)
           << Cut((is_pinned(row) ? "[pinned] " : "") + ResumedMark(*reg, row) + row.command, 60)
           << "\n";
  }
  // Totals over every run (not only those shown), and what retention keeps.
  u64 bytes = 0;
  for (const registry::RunRow& row : *rows) bytes += row.log_bytes;
  io.out << rows->size() << (rows->size() == 1 ? " run, " : " runs, ") << FormatBytes(bytes)
         << " of logs, " << pinned->size() << " pinned";
  Result<registry::RetentionPolicy> policy = registry::LoadRetentionPolicy(reg->home());
  if (policy.ok()) {
    io.out << "; retention " << PolicyText(*policy) << "\n";
  } else {
    io.out << "\n";
    io.err << "deja ls: retention: " << policy.status().ToString() << "\n";
  }
  return kExitOk;
}

std::string Join(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& item : items) out += (out.empty() ? "" : " ") + item;
  return out.empty() ? "(none)" : out;
}

int RunDescribe(const std::string& id, bool json, const CliStreams& io) {
  const std::string prefix = "deja describe: ";
  int exit_code = kExitOk;
  std::optional<FoundRun> run = FindRun(prefix, id, io, &exit_code);
  if (!run) return exit_code;
  std::unique_ptr<tm::LogReader> log = OpenLog(prefix, *run, io, &exit_code);
  if (log == nullptr) return exit_code;
  Result<u64> records = log->Skip();
  const tm::RunInfo& info = log->info();
  const registry::RunRow& row = run->row;
  if (json) {
    nlohmann::json j = RowJson(row);
    j["info"] = InfoJson(info);
    if (!info.resumed_from.empty()) j["resumed_from"] = info.resumed_from;
    if (!info.continued_from.empty()) {
      j["continued_from"] = info.continued_from;
      j["continued_calls"] = info.continued_calls;
    }
    if (log->end()) j["end"] = EndJson(*log->end());
    j["log_path"] = run->registry->LogPath(row.id);
    j["log_records"] = records.ok() ? *records : 0;
    if (log->truncated()) j["log_truncated"] = log->truncation_reason();
    io.out << j.dump(2) << "\n";
    return kExitOk;
  }
  auto line = [&io](const char* key, const std::string& value) {
    io.out << std::left << std::setw(15) << key << value << "\n";
  };
  line("id", row.id);
  line("status", FormatStatus(row) + (row.status == "running" && row.pid != 0
                                          ? " (pid " + std::to_string(row.pid) + ")"
                                          : ""));
  line("started", FormatTime(row.start_unix_ns));
  line("duration", FormatDuration(row.duration_ns));
  line("module", info.module_name + " (" + info.module_hash + ")");
  line("command", row.command);
  // A resumed run started from a stored snapshot (deja replay restores it first).
  if (!info.resumed_from.empty()) line("resumed from", "snapshot " + info.resumed_from);
  // A continued run's first calls are the killed run's records, copied.
  if (!info.continued_from.empty()) {
    line("continues", "run " + info.continued_from + " (its " +
                          std::to_string(info.continued_calls) + " recorded calls, then live)");
  }
  line("args", Join(info.args));
  line("env", Join(info.env));
  line("dirs", Join(info.dirs));
  if (!info.listen.empty()) line("listen", Join(info.listen));
  if (!info.allow_connect.empty()) line("allow-connect", Join(info.allow_connect));
  std::string limits = "memory " + std::to_string(info.max_memory_pages) + " pages, fds " +
                       std::to_string(info.max_fds);
  if (info.fuel) limits += ", fuel " + std::to_string(*info.fuel);
  if (!info.timeout.empty()) limits += ", timeout " + info.timeout;
  line("limits", limits);
  line("host calls", std::to_string(records.ok() ? *records : row.host_calls));
  line("fuel used", std::to_string(row.fuel_consumed));
  line("log", FormatBytes(row.log_bytes) + " " + run->registry->LogPath(row.id));
  if (log->truncated()) line("log damage", log->truncation_reason());
  if (const std::optional<tm::RunEnd>& end = log->end()) {
    line("outcome", std::string(tm::RunEndKindName(end->kind)) + ", exit status " +
                        std::to_string(end->exit_status));
    for (const std::string& r : end->results) line("result", r);
    line("state digest", end->state_digest);
    if (!end->message.empty()) {
      std::istringstream lines(end->message);
      std::string text;
      bool first = true;
      while (std::getline(lines, text)) {
        line(first ? "message" : "", text);
        first = false;
      }
    }
  }
  line("deja version", info.deja_version);
  return kExitOk;
}

int RunRm(const std::vector<std::string>& ids, const CliStreams& io) {
  int status = kExitOk;
  for (const std::string& id : ids) {
    int exit_code = kExitOk;
    std::optional<FoundRun> run = FindRun("deja rm: ", id, io, &exit_code);
    if (!run) {
      status = exit_code;
      continue;
    }
    Status removed = run->registry->Remove(run->row.id);
    if (!removed.ok()) {
      io.err << "deja rm: " << run->row.id << ": " << removed.ToString() << "\n";
      status = kExitIoError;
      continue;
    }
    io.out << run->row.id << "\n";
  }
  return status;
}

int RunPin(const std::vector<std::string>& ids, bool pin, const CliStreams& io) {
  const std::string prefix = pin ? "deja pin: " : "deja unpin: ";
  int status = kExitOk;
  for (const std::string& id : ids) {
    int exit_code = kExitOk;
    std::optional<FoundRun> run = FindRun(prefix, id, io, &exit_code);
    if (!run) {
      status = exit_code;
      continue;
    }
    Status done = run->registry->SetPinned(run->row.id, pin);
    if (!done.ok()) {
      io.err << prefix << run->row.id << ": " << done.ToString() << "\n";
      status = kExitIoError;
      continue;
    }
    io.out << run->row.id << "\n";
  }
  return status;
}

int RunGc(bool dry_run, const CliStreams& io) {
  int exit_code = kExitOk;
  std::unique_ptr<registry::Registry> reg = OpenRegistry("deja gc: ", io, &exit_code);
  if (reg == nullptr) return exit_code;
  Result<registry::RetentionPolicy> policy = registry::LoadRetentionPolicy(reg->home());
  if (!policy.ok()) {
    io.err << "deja gc: retention: " << policy.status().ToString() << "\n";
    return kExitUsage;
  }
  auto now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                 std::chrono::system_clock::now().time_since_epoch())
                 .count();
  Result<registry::RetentionReport> kept = reg->ApplyRetention(*policy, dry_run, now);
  if (!kept.ok()) {
    io.err << "deja gc: " << kept.status().ToString() << "\n";
    return kExitIoError;
  }
  for (const registry::RetentionRemoval& r : kept->removed) {
    io.out << (dry_run ? "would remove " : "removed ") << r.id << "  " << std::left << std::setw(11)
           << FormatBytes(r.log_bytes) << r.reason << "\n";
  }
  io.out << "retention " << PolicyText(kept->policy) << ": "
         << (dry_run ? "would remove " : "removed ") << kept->removed.size() << " runs; "
         << kept->kept_runs << " kept (" << kept->pinned_runs << " pinned), "
         << FormatBytes(kept->kept_bytes) << " of logs\n";
  if (dry_run) return kExitOk;
  Result<registry::GcReport> report = reg->Gc();
  if (!report.ok()) {
    io.err << "deja gc: " << report.status().ToString() << "\n";
    return kExitIoError;
  }
  io.out << "removed " << report->modules_removed << " unused modules, " << report->logs_removed
         << " orphan logs, " << report->rows_removed << " runs without a log, "
         << report->snapshots_removed << " unused snapshots; freed "
         << FormatBytes(report->bytes_freed + kept->bytes_freed) << "\n";
  return kExitOk;
}

}  // namespace

std::vector<Subcommand> AddRunsCommands(CLI::App& app, const CliStreams& io) {
  std::vector<Subcommand> commands;
  auto ls = std::make_shared<LsArgs>();
  CLI::App* sub = app.add_subcommand("ls", "List recorded runs, newest first");
  sub->add_flag("-q,--quiet", ls->quiet, "print only run ids");
  sub->add_flag("--json", ls->json, "one JSON object per run");
  sub->add_option("-n,--last", ls->limit, "show only the N newest runs")->type_name("N");
  sub->footer("Runs are recorded by `deja run` in $DEJA_HOME (see `deja run --help`).");
  commands.push_back({sub, [ls, io] { return RunLs(*ls, io); }});

  auto describe = std::make_shared<std::pair<std::string, bool>>();
  sub = app.add_subcommand("describe", "Show everything recorded about a run");
  sub->add_option("ID", describe->first, "run id, unique prefix, or \"last\"")->required();
  sub->add_flag("--json", describe->second, "as a JSON object");
  commands.push_back(
      {sub, [describe, io] { return RunDescribe(describe->first, describe->second, io); }});

  auto ids = std::make_shared<std::vector<std::string>>();
  sub = app.add_subcommand("rm", "Delete recorded runs (their modules go at the next gc)");
  sub->add_option("ID", *ids, "run ids, unique prefixes, or \"last\"")->required();
  commands.push_back({sub, [ids, io] { return RunRm(*ids, io); }});

  for (bool pin : {true, false}) {
    auto pin_ids = std::make_shared<std::vector<std::string>>();
    sub = app.add_subcommand(
        pin ? "pin" : "unpin",
        pin ? "Keep runs whatever the retention policy says" : "Let retention remove runs again");
    sub->add_option("ID", *pin_ids, "run ids, unique prefixes, or \"last\"")->required();
    commands.push_back({sub, [pin_ids, pin, io] { return RunPin(*pin_ids, pin, io); }});
  }

  auto dry_run = std::make_shared<bool>(false);
  sub = app.add_subcommand(
      "gc",
      "Apply the retention policy, then delete unused modules and snapshots and orphaned logs");
  sub->add_flag("--dry-run", *dry_run, "only list the runs retention would remove, and why");
  sub->footer(
      "Retention (docs/REGISTRY.md): at most max_runs runs, max_size bytes of logs,\n"
      "runs no older than max_age; pinned runs (deja pin) are always kept. Set in\n"
      "$DEJA_HOME/retention.conf or DEJA_KEEP_RUNS, DEJA_KEEP_SIZE, DEJA_KEEP_AGE;\n"
      "every recorded run applies it as it finishes.");
  commands.push_back({sub, [dry_run, io] { return RunGc(*dry_run, io); }});
  return commands;
}

}  // namespace deja::cli
