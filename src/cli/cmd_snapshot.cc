// `deja snapshot --init [--export EXPORT] MODULE -o OUT [--emit-wasm W]`:
// pre-initialisation. Runs the module's initialisation once (_initialize,
// the named export, or _start up to the guest's "deja" "snapshot" request)
// and writes a snapshot that `deja run OUT` starts from, skipping that work
// on every later start; with --emit-wasm, when the initialisation returned,
// also a plain module with that state baked in (snapshot/emit_wasm.h).
#include <memory>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "cli/session_io.h"
#include "session/guest_run.h"
#include "session/snapshot_io.h"
#include "session/spec.h"
#include "deja/deja.h"
#include "deja/wasi.h"
#include "snapshot/emit_wasm.h"
#include "snapshot/snapshot.h"
#include "text/wat.h"
#include "wasi/system.h"

namespace deja::cli {
namespace {

constexpr const char* kPrefix = "deja snapshot: ";

struct SnapshotArgs {
  std::string module_file;
  std::string init_export;  // empty: _initialize if exported, else _start
  std::string out;
  std::string emit_wasm;  // empty: no plain module
  bool init = false;
};

// The instance's initialised state as a plain module at `path`.
int EmitWasm(session::GuestRun& session, std::span<const u8> wasm, const std::string& path,
             const CliStreams& io) {
  Result<std::vector<u8>> baked =
      snapshot::EmitInitializedWasm(wasm, session.mutable_store(), *session.instance());
  if (!baked.ok()) {
    io.err << kPrefix << "cannot write " << path << " (the snapshot is written): "
           << baked.status().message() << "\n";
    return kExitFailed;
  }
  if (Status s = snapshot::WriteFileAtomically(path, *baked); !s.ok()) {
    io.err << kPrefix << "cannot write " << path << ": " << s.ToString() << "\n";
    return kExitIoError;
  }
  io.err << kPrefix << "initialised module written to " << path << " (" << baked->size()
         << " bytes)\n";
  return kExitOk;
}

int RunSnapshot(const SnapshotArgs& args, const CliStreams& io) {
  if (!args.init) {
    io.err << kPrefix << "say what to snapshot: --init (the only mode so far)\n";
    return kExitUsage;
  }
  Result<std::vector<u8>> wasm = text::LoadModuleFile(args.module_file);
  if (!wasm.ok()) {
    io.err << kPrefix << args.module_file << ": " << wasm.status().ToString() << "\n";
    return kExitIoError;
  }
  Result<Module> module = Module::Compile(*wasm);
  if (!module.ok()) {
    io.err << kPrefix << args.module_file << ": " << module.status().ToString() << "\n";
    return kExitFailed;
  }
  std::string entry = args.init_export;
  if (entry.empty()) {
    entry = "_start";
    for (const ExportDesc& e : module->exports()) {
      if (e.name == "_initialize" && e.kind == ExternKind::kFunc) entry = "_initialize";
    }
  }
  if (!args.emit_wasm.empty() && entry == "_start") {
    io.err << kPrefix << "--emit-wasm needs an initialisation that returns (_initialize, or "
           << "--export NAME): _start stops inside its own call, which a plain module cannot "
           << "hold\n";
    return kExitUsage;
  }
  session::RunSpec spec;
  spec.file = args.module_file;
  spec.record = false;
  // A reactor is resumed into --invoke later; a command into _start.
  Result<std::unique_ptr<Wasi>> wasi =
      Wasi::Create(session::GuestConfig(spec), wasi::MakePosixSystem());
  if (!wasi.ok()) {
    io.err << kPrefix << "cannot set up WASI: " << wasi.status().ToString() << "\n";
    return kExitInternal;
  }
  session::SessionIo sio = PrintingIo(kPrefix, io);
  session::RunResult result;
  session::Messages messages(sio, &result.messages);
  session::GuestRun session(spec, result, messages);
  session.InitOnly(entry);
  snapshot::Metadata meta = session::SnapshotMetadata(spec, *wasm);
  meta.entry = entry;
  Wasi& guest_wasi = **wasi;
  bool written = false;
  session.set_suspend_handler([&] {
    written = true;
    int code = session::WriteSnapshot(session, guest_wasi, meta, *wasm, args.out, "", result,
                                      messages);
    if (code != kExitSuspended || args.emit_wasm.empty()) return code;
    int emitted = EmitWasm(session, *wasm, args.emit_wasm, io);
    return emitted == kExitOk ? code : emitted;
  });
  int code = session.Run(guest_wasi, *module);
  if (!written) {
    io.err << kPrefix << entry << " ended without a snapshot request (exit " << code << ")\n";
    return code == kExitOk ? kExitFailed : code;
  }
  return code == kExitSuspended ? kExitOk : code;
}

}  // namespace

Subcommand AddSnapshotCommand(CLI::App& app, const CliStreams& io) {
  auto args = std::make_shared<SnapshotArgs>();
  CLI::App* sub = app.add_subcommand("snapshot", "Pre-initialise a module into a snapshot");
  sub->add_flag("--init", args->init, "run the module's initialisation and snapshot the result");
  sub->add_option("MODULE", args->module_file, "module file (.wasm or .wat)")->required();
  sub->add_option("--export", args->init_export,
                  "the initialisation to run (default: _initialize if exported,\n"
                  "else _start up to its \"deja\" \"snapshot\" call)")
      ->type_name("EXPORT");
  sub->add_option("-o,--output", args->out, "the snapshot file to write")->required();
  sub->add_option("--emit-wasm", args->emit_wasm,
                  "also write a plain module with the initialised memory,\n"
                  "globals and tables baked in, for any runtime (needs an\n"
                  "initialisation that returns: _initialize or --export)")
      ->type_name("WASM");
  sub->footer(
      "Start the pre-initialised module with `deja run OUT` (or `deja resume OUT`);\n"
      "a reactor with `deja run --invoke NAME OUT ARGS`. In the --emit-wasm module\n"
      "the start function is gone and _initialize does nothing: both ran already.\n"
      "Exit status: 0 when OUT (and WASM) were written; 1 when WASM cannot hold\n"
      "the state (e.g. a table holds a host reference); otherwise as `deja run`.");
  return {sub, [args, io] { return RunSnapshot(*args, io); }};
}

}  // namespace deja::cli
