// Reading a recording: `deja logs ID` (the guest's stdout and stderr as
// recorded), `deja trace ID` (one line per host call), `deja trace http ID`
// (HTTP exchanges), `deja export ID FILE` and `deja import FILE`.
#include <unistd.h>

#include <memory>
#include <optional>
#include <string>

#include "cli/commands.h"
#include "cli/durable_lookup.h"
#include "cli/exit_codes.h"
#include "cli/run_lookup.h"
#include "timemachine/trace.h"

namespace deja::cli {
namespace {

struct LogsArgs {
  std::string id;
  bool stdout_only = false;
  bool stderr_only = false;
};

bool WriteAll(int fd, std::span<const u8> bytes) {
  while (!bytes.empty()) {
    ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    bytes = bytes.subspan(static_cast<size_t>(n));
  }
  return true;
}

int RunLogs(const LogsArgs& args, const CliStreams& io);

// A durable instance's id: each segment's recorded run in order.
template <typename Args, typename Fn>
int ForEachSegment(const std::string& prefix, const Args& args, const CliStreams& io, Fn fn) {
  int exit_code = kExitOk;
  std::optional<durable::Instance> inst = FindInstance(prefix, args.id, io, &exit_code);
  if (!inst) return exit_code;
  for (const std::string& run : SegmentRuns(*inst)) {
    Args one = args;
    one.id = run;
    if (int code = fn(one); code != kExitOk) return code;
  }
  return kExitOk;
}

int RunLogs(const LogsArgs& args, const CliStreams& io) {
  const std::string prefix = "deja logs: ";
  if (IsInstanceId(args.id)) {
    return ForEachSegment(prefix, args, io, [&](const LogsArgs& one) { return RunLogs(one, io); });
  }
  int exit_code = kExitOk;
  std::optional<FoundRun> run = FindRun(prefix, args.id, io, &exit_code);
  if (!run) return exit_code;
  std::unique_ptr<tm::LogReader> log = OpenLog(prefix, *run, io, &exit_code);
  if (log == nullptr) return exit_code;
  io.out.flush();
  tm::CallRecord rec;
  while (true) {
    Result<bool> next = log->Next(&rec);
    if (!next.ok()) {
      io.err << prefix << next.status().ToString() << "\n";
      return kExitIoError;
    }
    if (!*next) break;
    for (const tm::Output& out : rec.outputs) {
      bool is_stdout = out.stream == 1;
      if ((is_stdout && args.stderr_only) || (!is_stdout && args.stdout_only)) continue;
      // Both streams to stdout when only one is asked for: it is the data.
      int fd = (args.stdout_only || args.stderr_only) ? 1 : (is_stdout ? 1 : 2);
      if (!WriteAll(fd, rec.Bytes(out))) return kExitIoError;
    }
  }
  return kExitOk;
}

struct TraceArgs {
  std::string id;
  bool json = false;
};

int RunTrace(const TraceArgs& args, bool http, const CliStreams& io) {
  const std::string prefix = http ? "deja trace http: " : "deja trace: ";
  if (IsInstanceId(args.id)) {
    return ForEachSegment(prefix, args, io, [&](const TraceArgs& one) {
      if (!args.json) io.out << "# segment run " << one.id << "\n";
      return RunTrace(one, http, io);
    });
  }
  int exit_code = kExitOk;
  std::optional<FoundRun> run = FindRun(prefix, args.id, io, &exit_code);
  if (!run) return exit_code;
  std::unique_ptr<tm::LogReader> log = OpenLog(prefix, *run, io, &exit_code);
  if (log == nullptr) return exit_code;
  tm::TraceOptions options;
  options.json = args.json;
  Status written = http ? tm::WriteHttpTrace(*log, io.out, options)
                        : tm::WriteTrace(*log, io.out, options);
  io.out.flush();
  if (!written.ok()) {
    io.err << prefix << written.ToString() << "\n";
    return kExitIoError;
  }
  return kExitOk;
}

int RunExport(const std::string& id, const std::string& file, const CliStreams& io) {
  int exit_code = kExitOk;
  std::optional<FoundRun> run = FindRun("deja export: ", id, io, &exit_code);
  if (!run) return exit_code;
  Status exported = run->registry->Export(run->row.id, file);
  if (!exported.ok()) {
    io.err << "deja export: " << exported.ToString() << "\n";
    return kExitIoError;
  }
  return kExitOk;
}

int RunImport(const std::string& file, const CliStreams& io) {
  int exit_code = kExitOk;
  std::unique_ptr<registry::Registry> reg = OpenRegistry("deja import: ", io, &exit_code);
  if (reg == nullptr) return exit_code;
  Result<std::string> id = reg->Import(file);
  if (!id.ok()) {
    io.err << "deja import: " << file << ": " << id.status().ToString() << "\n";
    return id.status().code() == Status::Code::kInvalidArgument ? kExitUsage : kExitIoError;
  }
  io.out << *id << "\n";
  return kExitOk;
}

}  // namespace

std::vector<Subcommand> AddLogsCommands(CLI::App& app, const CliStreams& io) {
  std::vector<Subcommand> commands;
  auto logs = std::make_shared<LogsArgs>();
  CLI::App* sub = app.add_subcommand("logs", "Print a recorded run's stdout and stderr");
  sub->add_option("ID", logs->id, "run id, unique prefix, or \"last\"")->required();
  sub->add_flag("--stdout", logs->stdout_only, "only the guest's stdout");
  sub->add_flag("--stderr", logs->stderr_only, "only the guest's stderr (printed to stdout)");
  commands.push_back({sub, [logs, io] { return RunLogs(*logs, io); }});

  auto trace = std::make_shared<TraceArgs>();
  CLI::App* trace_cmd = app.add_subcommand("trace", "List a recorded run's host calls");
  trace_cmd->add_option("ID", trace->id, "run id, unique prefix, or \"last\"");
  trace_cmd->add_flag("--json", trace->json, "one JSON object per line (docs/TRACE.md)");
  trace_cmd->footer(
      "One line per WASI call: index, time since start, the call with its\n"
      "arguments decoded, result, bytes moved; then how the run ended.");
  auto http = std::make_shared<TraceArgs>();
  CLI::App* http_cmd = trace_cmd->add_subcommand(
      "http", "HTTP/1.x requests and responses on the run's sockets and stdio");
  http_cmd->add_option("ID", http->id, "run id, unique prefix, or \"last\"")->required();
  http_cmd->add_flag("--json", http->json, "one JSON object per exchange");
  commands.push_back({http_cmd, [http, io] { return RunTrace(*http, true, io); }});
  commands.push_back({trace_cmd, [trace, io, trace_cmd] {
                        if (trace->id.empty()) {
                          io.err << "deja trace: a run ID is required\n" << trace_cmd->help();
                          return kExitUsage;
                        }
                        return RunTrace(*trace, false, io);
                      }});

  auto transfer = std::make_shared<std::pair<std::string, std::string>>();
  sub = app.add_subcommand("export", "Write a run (module, log, metadata) to one file");
  sub->add_option("ID", transfer->first, "run id, unique prefix, or \"last\"")->required();
  sub->add_option("FILE", transfer->second, "the file to write")->required();
  sub->footer("`deja import FILE` on another machine makes the run replayable there.");
  commands.push_back({sub, [transfer, io] { return RunExport(transfer->first, transfer->second, io); }});

  auto import = std::make_shared<std::string>();
  sub = app.add_subcommand("import", "Add a run written by `deja export`; prints its id");
  sub->add_option("FILE", *import, "an export file")->required();
  commands.push_back({sub, [import, io] { return RunImport(*import, io); }});
  return commands;
}

}  // namespace deja::cli
