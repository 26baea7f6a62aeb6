// The flags `deja run` shares with `deja start` (capabilities, limits,
// imports, the module and its arguments), defined once here and turned into
// a session::RunSpec by MakeRunSpec (cmd_run.cc).
#pragma once

#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "cli/run_options.h"
#include "deja/session.h"
#include "deja/status.h"

namespace deja::cli {

struct RunArgs {
  std::string module_file;
  std::vector<std::string> args;  // argv[1..], or --invoke's arguments
  std::vector<std::string> dirs;
  std::vector<std::string> dirs_ro;
  EnvFlags env;
  std::vector<std::string> listen;
  std::vector<std::string> allow_connect;
  std::vector<std::string> wasm_features;
  std::string max_memory;
  std::string timeout;
  std::string fuel;  // counts as text: ParseCount refuses signs and overflow
  std::string max_fds;
  std::string max_table_elements;
  std::string max_log_size;
  std::string invoke;
  bool trap_unknown = false;
  bool default_unknown = false;
  bool no_record = false;
  std::string continue_from;  // deja run --continue-from (not a flag of deja start)
  std::string snapshot_to;
  std::string suspend_after_fuel;
  CLI::Option* suspend_after_fuel_option = nullptr;
  CLI::Option* fuel_option = nullptr;  // count() > 0: the flag was given
  CLI::Option* invoke_option = nullptr;
  CLI::Option* max_memory_option = nullptr;
  CLI::Option* timeout_option = nullptr;
  CLI::Option* max_fds_option = nullptr;
  CLI::Option* max_table_elements_option = nullptr;
  CLI::Option* dir_option = nullptr;  // to interleave --dir and --dir-ro
  CLI::Option* dir_ro_option = nullptr;
  CLI::App* app = nullptr;
};

// Declares MODULE, ARGS and the shared flags on `sub`, storing into `args`
// (which must outlive the parse). --snapshot-to, --suspend-after-fuel and
// --no-record are deja run's own.
void AddRunFlags(CLI::App* sub, RunArgs* args);

// Checks every flag before anything runs. Errors: kInvalidArgument naming the flag.
Result<session::RunSpec> MakeRunSpec(const RunArgs& args, bool snapshot);

}  // namespace deja::cli
