// `deja replay ID`: re-executes a recorded run against its log with no real
// I/O and no waiting, reproducing its stdout, stderr and exit status, and
// checks every host call, the outcome and the final-state digest against the
// recording. Exit codes: kReplayFooter below.
#include <unistd.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "cli/run_lookup.h"
#include "cli/run_session.h"
#include "snapshot/snapshot.h"
#include "deja/deja.h"
#include "deja/wasi.h"
#include "text/wat.h"
#include "timemachine/replayer.h"
#include "wasi/ctx.h"

namespace deja::cli {
namespace {

constexpr const char* kPrefix = "deja replay: ";
constexpr int kExitDiverged = 65;    // the replay does not match the recording
constexpr int kExitIncomplete = 66;  // the recording ends before the run did (it was killed)
constexpr int kExitDamaged = 67;     // the log is damaged: it stops at a bad frame

struct ReplayArgs {
  std::string id;
  std::string module_file;  // --module: replay against another module
  uint64_t until = 0;
  bool verbose = false;
  bool quiet = false;
  CLI::Option* until_option = nullptr;
};

// The run as it was recorded, minus everything that replay answers from the
// log (arguments, environment, files, sockets).
RunPlan PlanFromRecording(const tm::RunInfo& info, const registry::RunRow& row,
                          const std::string& module_file) {
  RunPlan plan;
  plan.module_file = module_file.empty() ? info.module_name : module_file;
  plan.limits.max_memory_pages = info.max_memory_pages;
  if (info.max_memory_pages != StoreLimits{}.max_memory_pages) {
    plan.max_memory = std::to_string(info.max_memory_pages) + " pages";
  }
  plan.fuel = info.fuel;
  plan.timeout_text = info.timeout;
  if (row.status == tm::RunEndKindName(tm::RunEnd::Kind::kInterrupted)) {
    // --timeout is not deterministic, but where it stopped the guest is:
    // the fuel consumed by then.
    plan.fuel = row.fuel_consumed;
    plan.fuel_is_timeout = true;
  }
  plan.invoke = info.invoke;
  plan.invoke_args = info.invoke_args;
  plan.unknown_imports = static_cast<UnknownImports>(info.unknown_imports);
  return plan;
}

void PrintBacktrace(const Trap& trap, const CliStreams& io) {
  std::string text = trap.ToString();
  size_t first = text.find('\n');
  if (first != std::string::npos) io.err << text.substr(first + 1) << "\n";
}

void PrintDivergence(const tm::Divergence& d, const Trap* trap, const CliStreams& io) {
  io.err << kPrefix << "diverged at host call " << d.index << ": " << d.reason << "\n";
  io.err << "  recorded: " << (d.expected.empty() ? "(no call)" : d.expected) << "\n";
  io.err << "  replayed: " << (d.actual.empty() ? "(no call)" : d.actual) << "\n";
  if (trap != nullptr) PrintBacktrace(*trap, io);
}

// Shows "host call N of M" on a terminal when a replay takes a while.
class Progress {
 public:
  Progress(u64 total, bool enabled) : total_(total), enabled_(enabled && isatty(2) == 1) {}
  ~Progress() {
    if (shown_) io_clear();
  }
  void Update(u64 index) {
    if (!enabled_ || (index & 0xfff) != 0) return;
    auto now = std::chrono::steady_clock::now();
    if (now - start_ < std::chrono::milliseconds(500) || now - last_ < std::chrono::milliseconds(100)) {
      return;
    }
    last_ = now;
    shown_ = true;
    std::string line = "\r" + std::string(kPrefix) + "host call " + std::to_string(index);
    if (total_ > 0) line += " of " + std::to_string(total_) + " (" +
                            std::to_string(index * 100 / total_) + "%)";
    (void)!::write(2, line.data(), line.size());
  }

 private:
  void io_clear() { (void)!::write(2, "\r\033[K", 4); }
  u64 total_;
  bool enabled_;
  bool shown_ = false;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point last_ = start_;
};

int RunReplay(const ReplayArgs& args, const CliStreams& io) {
  int exit_code = kExitOk;
  std::optional<FoundRun> run = FindRun(kPrefix, args.id, io, &exit_code);
  if (!run) return exit_code;
  std::unique_ptr<tm::LogReader> log = OpenLog(kPrefix, *run, io, &exit_code);
  if (log == nullptr) return exit_code;
  const tm::RunInfo& info = log->info();

  Result<std::vector<u8>> wasm = args.module_file.empty()
                                     ? run->registry->GetModule(info.module_hash)
                                     : text::LoadModuleFile(args.module_file);
  if (!wasm.ok()) {
    io.err << kPrefix << (args.module_file.empty() ? info.module_hash : args.module_file) << ": "
           << wasm.status().ToString() << "\n";
    return kExitIoError;
  }
  Result<Module> module = Module::Compile(*wasm);
  if (!module.ok()) {
    io.err << kPrefix << "module: " << module.status().ToString() << "\n";
    return kExitFailed;
  }
  RunPlan plan = PlanFromRecording(info, run->row, args.module_file);

  Progress progress(run->row.host_calls, !args.quiet);
  tm::ReplayOptions options;
  options.output = tm::WriteToFds(STDOUT_FILENO, STDERR_FILENO);
  if (args.until_option->count() > 0) options.until = args.until;
  options.progress = [&progress](u64 index) { progress.Update(index); };
  tm::Replayer replayer(*log, options);

  // Nothing is granted: every WASI call is answered by the replayer.
  WasiConfig config;
  config.stdin_fd = config.stdout_fd = config.stderr_fd = -1;
  WasiOptions wasi_options;
  wasi_options.interceptor = &replayer;
  Result<std::unique_ptr<Wasi>> wasi = Wasi::Create(config, wasi_options);
  if (!wasi.ok()) {
    io.err << kPrefix << "internal error: " << wasi.status().ToString() << "\n";
    return kExitInternal;
  }

  RunSession session(plan, io, kPrefix);
  bool stopped = false;
  session.set_trap_handler([&](const Trap& trap) -> std::optional<int> {
    if (replayer.stopped_at_until()) {
      stopped = true;
      io.err << kPrefix << "stopped after host call " << args.until << " (--until)\n";
      PrintBacktrace(trap, io);
      return kExitOk;
    }
    if (const std::optional<tm::Divergence>& d = replayer.divergence()) {
      stopped = true;
      const std::optional<tm::RunEnd>& end = log->end();
      if (d->expected.empty() && end && end->kind == tm::RunEnd::Kind::kInterruptedInHostCall &&
          d->index == end->host_calls) {
        // The recorded run was blocked in this call when --timeout ended it.
        io.err << kPrefix << "time limit (--timeout " << info.timeout
               << ") reached while the guest waited in host call " << d->index << ": "
               << d->actual << "\n";
        PrintBacktrace(trap, io);
        return end->exit_status;
      }
      if (d->expected.empty() && log->damaged()) {
        io.err << kPrefix << "the recording is damaged after " << replayer.calls()
               << " host calls (everything before was reproduced): "
               << log->truncation_reason() << "\n";
        io.err << "  next call: " << d->actual << "\n";
        PrintBacktrace(trap, io);
        return kExitDamaged;
      }
      if (d->expected.empty() && !log->end()) {
        io.err << kPrefix << "the recording ends after " << replayer.calls()
               << " host calls: the recorded run did not finish (killed?)"
               << (log->truncated() ? ": " + log->truncation_reason() : std::string()) << "\n";
        io.err << "  next call: " << d->actual << "\n";
        PrintBacktrace(trap, io);
        return kExitIncomplete;
      }
      PrintDivergence(*d, &trap, io);
      return kExitDiverged;
    }
    if (!replayer.log_error().ok()) {
      stopped = true;
      io.err << kPrefix << "the log cannot be read: " << replayer.log_error().ToString() << "\n";
      return kExitDamaged;
    }
    return std::nullopt;
  });
  // A resumed run starts from the snapshot it was resumed from; WASI needs
  // no state of its own, as the replayer answers every call.
  std::optional<snapshot::Snapshot> snap;
  if (!info.resumed_from.empty()) {
    Result<std::vector<u8>> bytes = run->registry->GetSnapshot(info.resumed_from);
    Result<snapshot::Snapshot> decoded =
        bytes.ok() ? snapshot::Decode(*bytes) : Result<snapshot::Snapshot>(bytes.status());
    if (!decoded.ok()) {
      io.err << kPrefix << "the run was resumed from snapshot " << info.resumed_from << ": "
             << decoded.status().ToString() << "\n";
      return kExitIoError;
    }
    snap = std::move(decoded).value();
  }
  int code = snap ? session.Resume(**wasi, *module, *snap) : session.Run(**wasi, *module);
  if (stopped) return code;

  if (std::optional<tm::Divergence> left = replayer.CheckNoCallsLeft()) {
    PrintDivergence(*left, nullptr, io);
    return kExitDiverged;
  }
  const std::optional<tm::RunEnd>& end = log->end();
  if (!end && log->damaged()) {
    io.err << kPrefix << "the recording is damaged: " << log->truncation_reason()
           << "; the replayed run ended with status " << code << "\n";
    return kExitDamaged;
  }
  if (!end) {
    io.err << kPrefix << "the recording has no end (the recorded run was killed?)"
           << (log->truncated() ? ": " + log->truncation_reason() : std::string())
           << "; the replayed run ended with status " << code << "\n";
    return kExitIncomplete;
  }
  const tm::RunEnd& replayed = session.end();
  std::string digest = session.store().StateDigest();
  std::vector<std::string> differences;
  if (end->kind != replayed.kind) {
    differences.push_back(std::string("outcome: recorded ") + tm::RunEndKindName(end->kind) +
                          ", replayed " + tm::RunEndKindName(replayed.kind));
  }
  if (end->exit_status != code) {
    differences.push_back("exit status: recorded " + std::to_string(end->exit_status) +
                          ", replayed " + std::to_string(code));
  }
  if (end->results != replayed.results) differences.push_back("results of --invoke differ");
  if (end->state_digest != digest) {
    differences.push_back("final state digest: recorded " + end->state_digest + ", replayed " +
                          digest);
  }
  if (!differences.empty()) {
    io.err << kPrefix << "the replayed run ended differently from the recording:\n";
    for (const std::string& d : differences) io.err << "  " << d << "\n";
    return kExitDiverged;
  }
  if (args.verbose) {
    io.err << kPrefix << run->row.id << ": " << replayer.calls()
           << " host calls replayed; outcome, exit status " << code
           << " and final state (digest " << digest << ") match the recording\n";
  }
  return code;
}

constexpr const char* kReplayFooter =
    "Re-executes a recorded run (an id from `deja ls`, a unique prefix of one,\n"
    "or \"last\") against its log: every WASI call is answered from the log,\n"
    "with no real I/O and no waiting. The guest's recorded stdout and stderr\n"
    "are written out again; deja's own messages start with \"deja replay:\".\n"
    "Each call is checked against the recorded one (which function, which\n"
    "arguments, which guest bytes it read), and at the end the outcome, exit\n"
    "status and a digest of the final guest state.\n"
    "\n"
    "Exit status:\n"
    "  N    the recorded run's own exit status: the replay matched it\n"
    "  0    with --until: stopped after that host call (backtrace on stderr)\n"
    "  2    usage error, or an ambiguous id prefix\n"
    "  3    no such run, or its log or module cannot be read\n"
    "  65   the replay diverged from the recording: stderr names the host\n"
    "       call, the recorded and the replayed call, and the backtrace\n"
    "  66   the recording ends before the run did (the recorded run was\n"
    "       killed); everything recorded was reproduced\n"
    "  67   the log is damaged (a frame fails its checksum with more log after\n"
    "       it, or does not decompress); everything before it was reproduced";

}  // namespace

Subcommand AddReplayCommand(CLI::App& app, const CliStreams& io) {
  auto args = std::make_shared<ReplayArgs>();
  CLI::App* sub = app.add_subcommand("replay", "Re-execute a recorded run exactly, from its log");
  sub->add_option("ID", args->id, "run id, unique prefix, or \"last\"")->required();
  args->until_option =
      sub->add_option("--until", args->until,
                      "stop after host call N (0-based, as in `deja trace`)\n"
                      "and print the Wasm backtrace there")
          ->type_name("N");
  sub->add_option("--module", args->module_file,
                  "replay against this module instead of the recorded one\n"
                  "(e.g. to check that a fix behaves the same)")
      ->type_name("FILE");
  sub->add_flag("-v,--verbose", args->verbose, "say so on stderr when the replay matched");
  sub->add_flag("-q,--quiet", args->quiet, "no progress display on a terminal");
  sub->footer(kReplayFooter);
  return {sub, [args, io] { return RunReplay(*args, io); }};
}

}  // namespace deja::cli
