// `deja validate MODULE`: decodes, validates and compiles a .wasm or .wat file.
#include <memory>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "cli/wasm_features.h"
#include "deja/module.h"
#include "text/wat.h"

namespace deja::cli {
namespace {

struct ValidateArgs {
  std::string file;
  std::vector<std::string> wasm_features;
};

int RunValidate(const ValidateArgs& args, const CliStreams& io) {
  const std::string& file = args.file;
  Result<Features> features = ParseWasmFeatures(args.wasm_features);
  if (!features.ok()) {
    io.err << "deja validate: " << features.status().message() << "\n";
    return kExitUsage;
  }
  CompileOptions options;
  options.features = *features;
  Result<std::vector<u8>> wasm = text::LoadModuleFile(file);
  if (!wasm.ok()) {
    io.err << "deja validate: " << file << ": " << wasm.status().ToString() << "\n";
    return wasm.status().code() == Status::Code::kIoError ? kExitIoError : kExitFailed;
  }
  Result<Module> module = Module::Compile(*wasm, options);
  if (!module.ok()) {
    io.err << "deja validate: " << file << ": " << module.status().ToString() << "\n";
    return kExitFailed;
  }
  io.out << "ok\n";
  return kExitOk;
}

}  // namespace

Subcommand AddValidateCommand(CLI::App& app, const CliStreams& io) {
  auto args = std::make_shared<ValidateArgs>();
  CLI::App* sub = app.add_subcommand("validate", "Check that a module (.wasm or .wat) is valid");
  sub->add_option("MODULE", args->file, "module file")->required();
  AddWasmFeaturesOption(sub, &args->wasm_features);
  sub->footer(std::string("Decodes, validates and compiles the module. Prints \"ok\", or the\n"
                          "error naming its function and byte offset.\n\n") +
              kExitCodesHelp);
  return {sub, [args, io] { return RunValidate(*args, io); }};
}

}  // namespace deja::cli
