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
#include "cli/durable_lookup.h"
#include "cli/exit_codes.h"
#include "cli/run_options.h"
#include "cli/session_io.h"
#include "base/types.h"
#include "deja/session.h"

namespace deja::cli {
namespace {

constexpr const char* kPrefix = "deja replay: ";

struct ReplayArgs {
  std::string id;
  std::string module_file;  // --module: replay against another module
  std::string until;
  bool verbose = false;
  bool quiet = false;
  CLI::Option* until_option = nullptr;
};

// Shows "host call N of M" on a terminal when a replay takes a while.
class Progress {
 public:
  Progress(u64 total, bool enabled) : total_(total), enabled_(enabled && isatty(2) == 1) {}
  u64 total() const { return total_; }
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
  if (IsInstanceId(args.id)) {
    // Each segment in order: all but the last end suspended (75) where the
    // instance parked; anything else stops the replay with that status.
    int exit_code = kExitOk;
    std::optional<durable::Instance> inst = FindInstance(kPrefix, args.id, io, &exit_code);
    if (!inst) return exit_code;
    std::vector<std::string> runs = SegmentRuns(*inst);
    int status = kExitOk;
    for (size_t i = 0; i < runs.size(); ++i) {
      ReplayArgs one = args;
      one.id = runs[i];
      status = RunReplay(one, io);
      if (i + 1 < runs.size() && status != kExitSuspended) return status;
    }
    return status;
  }
  session::ReplaySpec spec;
  spec.id = args.id;
  spec.module_file = args.module_file;
  if (args.until_option->count() > 0) {
    Result<uint64_t> until = ParseCount(args.until);
    if (!until.ok()) {
      io.err << kPrefix << until.status().WithContext("--until").message() << "\n";
      return kExitUsage;
    }
    spec.until = *until;
  }
  std::optional<Progress> progress;
  progress.emplace(0, !args.quiet);
  spec.progress = [&progress, quiet = args.quiet](u64 index, u64 total) {
    if (progress->total() != total) progress.emplace(total, !quiet);
    progress->Update(index);
  };
  session::ReplayResult replayed = session::Replay(spec, PrintingIo(kPrefix, io));
  progress.reset();
  if (args.verbose && replayed.verdict == session::ReplayVerdict::kMatched) {
    io.err << kPrefix << replayed.run.run_id << ": " << replayed.run.host_calls
           << " host calls replayed; outcome, exit status " << replayed.run.exit_status
           << " and final state (digest " << replayed.state_digest << ") match the recording\n";
  }
  return replayed.run.exit_status;
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
