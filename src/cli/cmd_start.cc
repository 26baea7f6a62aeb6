// `deja start [run flags] MODULE [ARGS...]`: creates a durable instance of
// MODULE (docs/DURABLE.md) and prints its id alone on stdout at once; a
// `deja worker` runs it. The flags are `deja run`'s (run_flags.h), checked
// here, before anything is created.
#include <sys/stat.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <vector>
#include <string>

#include "cli/commands.h"
#include "cli/durable_lookup.h"
#include "cli/exit_codes.h"
#include "cli/run_flags.h"
#include "deja/session.h"
#include "durable/spec_codec.h"
#include "registry/registry.h"

namespace deja::cli {
namespace {

constexpr const char* kPrefix = "deja start: ";

// The module is copied under the store, named by its content hash (one
// copy for any number of instances), so an instance does not depend on the
// file staying where it was.
Result<std::string> KeepModule(const std::string& home, const std::string& file) {
  namespace fs = std::filesystem;
  std::ifstream in(file, std::ios::binary);
  std::vector<u8> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (!in.good() && !in.eof()) return Status::IoError("cannot read " + file);
  std::error_code ec;
  fs::create_directories(home + "/durable/modules", ec);
  if (ec) return Status::IoError("cannot create " + home + "/durable/modules: " + ec.message());
  std::string hash = registry::Registry::ModuleHash(bytes);  // "sha256:<hex>"
  std::string ext = fs::path(file).extension().string() == ".wat" ? ".wat" : ".wasm";
  std::string dest = home + "/durable/modules/" + hash.substr(hash.find(':') + 1) + ext;
  if (fs::exists(dest, ec)) return dest;
  std::string tmp = dest + ".tmp" + std::to_string(::getpid());
  {
    std::ofstream out(tmp, std::ios::binary);
    out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    if (!out.good()) return Status::IoError("cannot write " + tmp);
  }
  fs::rename(tmp, dest, ec);
  if (ec) return Status::IoError("cannot write " + dest + ": " + ec.message());
  return dest;
}

int RunStart(const RunArgs& args, const CliStreams& io) {
  struct stat st;
  if (::stat(args.module_file.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
    io.err << kPrefix << "cannot read " << args.module_file << ": no such file\n";
    return kExitIoError;
  }
  if (session::IsSnapshotFile(args.module_file)) {
    io.err << kPrefix << args.module_file
           << " is a snapshot; deja start takes a module (.wasm or .wat)\n";
    return kExitUsage;
  }
  Result<session::RunSpec> spec = MakeRunSpec(args, false);
  if (!spec.ok()) {
    io.err << kPrefix << spec.status().message() << "\n";
    return kExitUsage;
  }
  if (spec->timeout || spec->fuel) {
    io.err << kPrefix << "--timeout and --fuel do not apply to a durable instance (it may "
                         "live for months); use deja run\n";
    return kExitUsage;
  }
  if (args.no_record) {
    io.err << kPrefix << "--no-record: a durable instance is always recorded\n";
    return kExitUsage;
  }
  int exit_code = kExitOk;
  std::unique_ptr<durable::InstanceStore> store = OpenInstanceStore(kPrefix, io, &exit_code);
  if (store == nullptr) return exit_code;
  Result<std::string> module = KeepModule(registry::Registry::DefaultHome(), args.module_file);
  if (!module.ok()) {
    io.err << kPrefix << module.status().ToString() << "\n";
    return kExitIoError;
  }
  // argv[0] is the name as given, as for deja run.
  durable::NewInstance n;
  n.module = *module;
  n.name = std::filesystem::path(args.module_file).filename().string();
  session::RunSpec kept = *spec;
  n.spec_json = durable::EncodeSpec(kept);
  Result<std::string> id = store->Create(n);
  if (!id.ok()) {
    io.err << kPrefix << id.status().ToString() << "\n";
    return kExitIoError;
  }
  io.out << *id << "\n";
  return kExitOk;
}

}  // namespace

Subcommand AddStartCommand(CLI::App& app, const CliStreams& io) {
  auto args = std::make_shared<RunArgs>();
  CLI::App* sub = app.add_subcommand("start", "Create a durable instance of a WASI program");
  AddRunFlags(sub, args.get());
  sub->footer(
      "Creates a durable instance of MODULE with the capabilities and limits the\n"
      "flags give (as deja run's; --fuel and --timeout do not apply), prints its\n"
      "id alone on stdout and returns at once. `deja worker` runs it; a guest\n"
      "that sleeps past the worker's threshold is snapshotted and woken when due,\n"
      "across worker restarts. See deja ps, wait, logs, cancel; docs/DURABLE.md.\n"
      "\n"
      "Exit status: 0 created; 2 bad flags or a snapshot given; 3 MODULE cannot\n"
      "be read or the store in $DEJA_HOME cannot be written.");
  return {sub, [args, io] { return RunStart(*args, io); }};
}

}  // namespace deja::cli
