// `deja invoke MODULE NAME [ARGS...]`: instantiates a module without imports
// and calls one exported function, printing its results one per line.
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "cli/duration.h"
#include "cli/exit_codes.h"
#include "session/invoke_args.h"
#include "deja/deja.h"
#include "text/wat.h"
#include "text/watchdog.h"

namespace deja::cli {

using session::ExportedFunctions;
using session::FormatValueText;
using session::ParseArgs;
using session::ParseValue;
namespace {

struct InvokeArgs {
  std::string module_file;
  std::string name;
  std::vector<std::string> values;
  uint64_t fuel = 0;
  CLI::Option* fuel_option = nullptr;  // set: --fuel was given
  std::string timeout;
  bool canonicalize_nans = false;
};

// The module's exported function names, for "unknown export" messages.
// Loads and compiles the module; on failure prints why and returns the exit code.
std::optional<Module> LoadModule(const InvokeArgs& args, const CliStreams& io, int* exit_code) {
  Result<std::vector<u8>> wasm = text::LoadModuleFile(args.module_file);
  if (!wasm.ok()) {
    io.err << "deja invoke: " << args.module_file << ": " << wasm.status().ToString() << "\n";
    *exit_code = wasm.status().code() == Status::Code::kIoError ? kExitIoError : kExitFailed;
    return std::nullopt;
  }
  CompileOptions options;
  options.canonicalize_nans = args.canonicalize_nans;
  Result<Module> module = Module::Compile(*wasm, options);
  if (!module.ok()) {
    io.err << "deja invoke: " << args.module_file << ": " << module.status().ToString() << "\n";
    *exit_code = kExitFailed;
    return std::nullopt;
  }
  return std::move(module).value();
}

int ReportOutcome(Outcome outcome, const Store& store, const std::vector<Value>& results,
                  bool timed_out, const CliStreams& io) {
  switch (outcome) {
    case Outcome::kReturned:
      for (const Value& v : results) io.out << FormatValueText(v) << "\n";
      return kExitOk;
    case Outcome::kTrapped:
      io.err << "deja invoke: trap: " << store.trap().ToString() << "\n";
      if (timed_out) io.err << "deja invoke: the --timeout expired\n";
      return kExitTrap;
    case Outcome::kSuspended:
    case Outcome::kExited:
      break;
  }
  io.err << "deja invoke: internal error: the call neither returned nor trapped\n";
  return kExitInternal;
}

int RunInvoke(const InvokeArgs& args, const CliStreams& io) {
  std::optional<std::chrono::nanoseconds> timeout;
  if (!args.timeout.empty()) {
    Result<std::chrono::nanoseconds> d = ParseDuration(args.timeout);
    if (!d.ok()) {
      io.err << "deja invoke: --timeout: " << d.status().message() << "\n";
      return kExitUsage;
    }
    timeout = *d;
  }
  int exit_code = kExitOk;
  std::optional<Module> module = LoadModule(args, io, &exit_code);
  if (!module) return exit_code;
  Store store;
  if (args.fuel_option->count() > 0) store.SetFuel(args.fuel);
  text::Watchdog watchdog(store);
  // The timer covers the start function too.
  if (timeout) watchdog.Arm(*timeout);
  Result<InstanceId> instance = Linker().Instantiate(store, *module);
  if (!instance.ok()) {
    io.err << "deja invoke: cannot instantiate " << args.module_file << ": "
           << instance.status().ToString() << "\n";
    return kExitFailed;
  }
  std::optional<Extern> func = store.GetExport(*instance, args.name);
  if (!func || func->kind != ExternKind::kFunc) {
    io.err << "deja invoke: " << args.module_file << " exports no function \"" << args.name
           << "\" (exported functions: " << ExportedFunctions(store, *instance) << ")\n";
    return kExitUsage;
  }
  Result<std::vector<Value>> values = ParseArgs(args.name, store.GetFuncType(*func), args.values);
  if (!values.ok()) {
    io.err << "deja invoke: " << values.status().message() << "\n";
    return kExitUsage;
  }
  std::vector<Value> results;
  Outcome outcome = store.Call(*func, *values, &results);
  bool timed_out = watchdog.Disarm();
  return ReportOutcome(outcome, store, results, timed_out, io);
}

}  // namespace

Subcommand AddInvokeCommand(CLI::App& app, const CliStreams& io) {
  auto args = std::make_shared<InvokeArgs>();
  CLI::App* sub =
      app.add_subcommand("invoke", "Call an exported function of a module without imports");
  sub->add_option("MODULE", args->module_file, "module file")->required();
  sub->add_option("NAME", args->name, "exported function")->required();
  sub->add_option("ARGS", args->values,
                  "arguments (use -- before negative numbers\n"
                  "that could be read as flags)");
  args->fuel_option = sub->add_option("--fuel", args->fuel,
                                      "stop with an \"out of fuel\" trap after about N "
                                      "instructions")
                          ->type_name("N");
  sub->add_option("--timeout", args->timeout,
                  "stop with an \"interrupted\" trap after DURATION (e.g. 500ms, 2s, 1m)")
      ->type_name("DURATION");
  sub->add_flag("--canonicalize-nans", args->canonicalize_nans,
                "make every NaN result canonical (deterministic floats)");
  sub->footer(
      std::string("Instantiates the module (.wasm or .wat) and calls NAME; its results are\n"
                  "printed one per line. Arguments are read by the function's parameter\n"
                  "types: integers in decimal or 0x hex, floats as decimal, hex, inf or\n"
                  "nan[:0xPAYLOAD], references as null (or N for the externref N).\n\n") +
      kExitCodesHelp);
  return {sub, [args, io] { return RunInvoke(*args, io); }};
}

}  // namespace deja::cli
