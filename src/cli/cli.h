// The deja command line: parses flags with CLI11 and runs one subcommand
// (wast, validate, invoke). main.cc only forwards to RunCli.
#pragma once

#include <ostream>
#include <span>
#include <string>

namespace deja::cli {

// Runs the command line `args` (args[0] is the program name), writing normal
// output to `out` and diagnostics to `err`. Returns an exit code from
// exit_codes.h. CLI11's own exceptions are handled here; others propagate.
int RunCli(std::span<const std::string> args, std::ostream& out, std::ostream& err);

}  // namespace deja::cli
