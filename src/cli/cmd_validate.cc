// `deja validate MODULE`: decodes, validates and compiles a .wasm or .wat file.
#include <memory>
#include <string>

#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "deja/module.h"
#include "text/wat.h"

namespace deja::cli {
namespace {

int RunValidate(const std::string& file, const CliStreams& io) {
  Result<std::vector<u8>> wasm = text::LoadModuleFile(file);
  if (!wasm.ok()) {
    io.err << "deja validate: " << file << ": " << wasm.status().ToString() << "\n";
    return wasm.status().code() == Status::Code::kIoError ? kExitIoError : kExitFailed;
  }
  Result<Module> module = Module::Compile(*wasm);
  if (!module.ok()) {
    io.err << "deja validate: " << file << ": " << module.status().ToString() << "\n";
    return kExitFailed;
  }
  io.out << "ok\n";
  return kExitOk;
}

}  // namespace

Subcommand AddValidateCommand(CLI::App& app, const CliStreams& io) {
  auto file = std::make_shared<std::string>();
  CLI::App* sub = app.add_subcommand("validate", "Check that a module (.wasm or .wat) is valid");
  sub->add_option("MODULE", *file, "module file")->required();
  sub->footer(std::string("Decodes, validates and compiles the module. Prints \"ok\", or the\n"
                          "error naming its function and byte offset.\n\n") +
              kExitCodesHelp);
  return {sub, [file, io] { return RunValidate(*file, io); }};
}

}  // namespace deja::cli
