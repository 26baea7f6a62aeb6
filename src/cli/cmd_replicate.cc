// `deja replicate RUN --to DIR...`: replication by re-execution. Instead of
// copying a guest's final state, ship what produced it (the module and the
// run's log, one export file) to each replica home, re-execute it there
// (replay: every host call answered from the log) and compare the final
// state digests with the recording's. docs/DURABLE.md, "Replication".
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <stdlib.h>
#include <unistd.h>

#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "deja/session.h"
#include "registry/registry.h"
#include "timemachine/log.h"

namespace deja::cli {
namespace {

constexpr const char* kPrefix = "deja replicate: ";

struct ReplicateArgs {
  std::string id;
  std::vector<std::string> to;
};

struct Replica {
  std::string home;
  std::string error;  // shipping or replay failed: why
  bool shipped = false;
  session::ReplayResult result;
};

// A temporary file removed when this goes out of scope.
class TempFile {
 public:
  TempFile() {
    std::string pattern = (std::filesystem::temp_directory_path() / "deja-replicate-XXXXXX").string();
    int fd = mkstemp(pattern.data());
    if (fd >= 0) {
      close(fd);
      path_ = pattern;
    }
  }
  ~TempFile() {
    if (!path_.empty()) unlink(path_.c_str());
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Puts the export file into `replica`'s registry. A replica that already
// holds the run (by id) keeps its copy: that copy is what it re-executes.
void Ship(const std::string& file, const std::string& id, Replica* replica) {
  Result<std::unique_ptr<registry::Registry>> reg = registry::Registry::Open(replica->home);
  if (!reg.ok()) {
    replica->error = reg.status().ToString();
    return;
  }
  if ((*reg)->Get(id).ok()) return;
  Result<std::string> imported = (*reg)->Import(file);
  if (!imported.ok()) {
    replica->error = "cannot ship the run: " + imported.status().ToString();
    return;
  }
  replica->shipped = true;
}

void Reexecute(const std::string& id, Replica* replica) {
  session::ReplaySpec spec;
  spec.id = id;
  spec.home = replica->home;
  spec.output = [](int, std::span<const uint8_t>) {};
  replica->result = session::Replay(spec, session::SessionIo{});
  if (replica->result.state_digest.empty()) {
    const std::vector<std::string>& said = replica->result.run.messages;
    replica->error = said.empty() ? "the replay did not reach the end" : said.back();
  }
}

int RunReplicate(const ReplicateArgs& args, const CliStreams& io) {
  std::string home = registry::Registry::DefaultHome();
  Result<std::unique_ptr<registry::Registry>> reg = registry::Registry::Open(home);
  if (!reg.ok()) {
    io.err << kPrefix << "cannot open the registry at " << home << ": " << reg.status().ToString() << "\n";
    return kExitIoError;
  }
  Result<std::string> id = (*reg)->Resolve(args.id);
  if (!id.ok()) {
    bool missing = id.status().code() == Status::Code::kNotFound;
    io.err << kPrefix << id.status().message() << " (registry: " << home << ")\n";
    return missing ? kExitIoError : kExitUsage;
  }
  Result<std::unique_ptr<tm::LogReader>> log = tm::LogReader::Open((*reg)->LogPath(*id));
  Result<u64> records = log.ok() ? (*log)->Skip() : Result<u64>(log.status());
  if (!records.ok()) {
    io.err << kPrefix << "cannot read the log of run " << *id << ": " << records.status().ToString() << "\n";
    return kExitIoError;
  }
  const std::optional<tm::RunEnd>& end = (*log)->end();
  if (!end || end->state_digest.empty()) {
    io.err << kPrefix << "run " << *id << " has no recorded end (still running, or killed): "
           << "there is no final state to replicate\n";
    return kExitUsage;
  }
  if (!(*log)->info().resumed_from.empty()) {
    io.err << kPrefix << "run " << *id << " was resumed from a snapshot, which an export does "
           << "not carry: replicate the run that made the snapshot\n";
    return kExitUsage;
  }
  for (const std::string& dir : args.to) {
    if (std::filesystem::weakly_canonical(dir) == std::filesystem::weakly_canonical(home)) {
      io.err << kPrefix << "--to " << dir << " is the origin registry itself\n";
      return kExitUsage;
    }
  }
  TempFile file;
  if (file.path().empty()) {
    io.err << kPrefix << "cannot create a temporary file in "
           << std::filesystem::temp_directory_path().string() << "\n";
    return kExitIoError;
  }
  if (Status s = (*reg)->Export(*id, file.path()); !s.ok()) {
    io.err << kPrefix << "cannot export run " << *id << ": " << s.ToString() << "\n";
    return kExitIoError;
  }
  std::error_code ec;
  u64 shipped_bytes = std::filesystem::file_size(file.path(), ec);

  std::vector<Replica> replicas(args.to.size());
  for (size_t i = 0; i < replicas.size(); ++i) {
    replicas[i].home = args.to[i];
    Ship(file.path(), *id, &replicas[i]);
  }
  // Each replica re-executes on its own thread, as separate machines would.
  std::vector<std::thread> threads;
  for (Replica& r : replicas) {
    if (r.error.empty()) threads.emplace_back(Reexecute, *id, &r);
  }
  for (std::thread& t : threads) t.join();

  int differ = 0, failed = 0;
  u64 state_bytes = 0;
  for (size_t i = 0; i < replicas.size(); ++i) {
    const Replica& r = replicas[i];
    io.out << "replica " << i + 1 << " " << r.home << ": ";
    if (!r.error.empty()) {
      ++failed;
      io.out << "failed: " << r.error << "\n";
      continue;
    }
    state_bytes = std::max(state_bytes, r.result.memory_bytes);
    bool same = r.result.state_digest == end->state_digest;
    differ += same ? 0 : 1;
    io.out << "digest " << r.result.state_digest << (same ? " (same)" : " DIFFERS") << ", "
           << r.result.run.host_calls << " host calls, "
           << (r.shipped ? std::to_string(shipped_bytes) + " bytes shipped" : "already held the run")
           << "\n";
  }
  io.err << kPrefix << replicas.size() - differ - failed << " of " << replicas.size()
         << " replicas reached the recorded final state (digest " << end->state_digest << ", "
         << state_bytes << " bytes of memory) from " << shipped_bytes
         << " bytes shipped each (module and log of " << *records << " host calls)\n";
  if (differ > 0) {
    for (size_t i = 0; i < replicas.size(); ++i) {
      const Replica& r = replicas[i];
      if (r.error.empty() && r.result.state_digest != end->state_digest) {
        io.err << kPrefix << "replica " << i + 1 << " (" << r.home << ") differs: digest "
               << r.result.state_digest << ", the recording's " << end->state_digest << "\n";
      }
    }
    return session::kStatusDiverged;
  }
  return failed > 0 ? kExitIoError : kExitOk;
}

constexpr const char* kReplicateFooter =
    "Ships a finished run (its module and log, one export file) to each replica\n"
    "home given with --to (created if needed; a home that already holds the\n"
    "run keeps its copy), re-executes it there (replay, one thread per replica)\n"
    "and compares each replica's final state digest with the recording's.\n"
    "One line per replica on stdout; a summary (bytes shipped, state size) on\n"
    "stderr.\n"
    "\n"
    "Exit status:\n"
    "  0    every replica reached the recorded final state\n"
    "  2    usage error, or the run has no recorded end\n"
    "  3    no such run, or a replica could not be shipped to or replayed\n"
    "  65   a replica's final state differs (named on stderr)";

}  // namespace

Subcommand AddReplicateCommand(CLI::App& app, const CliStreams& io) {
  auto args = std::make_shared<ReplicateArgs>();
  CLI::App* sub = app.add_subcommand(
      "replicate", "Re-execute a recorded run in replica homes and compare final states");
  sub->add_option("RUN", args->id, "run id, unique prefix, or \"last\"")->required();
  sub->add_option("--to", args->to, "a replica home (a directory; repeat for each replica)")
      ->type_name("DIR")
      ->required();
  sub->footer(kReplicateFooter);
  return {sub, [args, io] { return RunReplicate(*args, io); }};
}

}  // namespace deja::cli
