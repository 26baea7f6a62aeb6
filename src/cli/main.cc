// The deja executable: everything happens in cli.cc; exceptions that escape
// (std::bad_alloc, library errors) become an internal-error exit code here.
#include <exception>
#include <iostream>
#include <string>
#include <vector>

#include "cli/cli.h"
#include "cli/exit_codes.h"

int main(int argc, char** argv) {
  try {
    std::vector<std::string> args(argv, argv + argc);
    return deja::cli::RunCli(args, std::cout, std::cerr);
  } catch (const std::exception& e) {
    std::cerr << "deja: internal error: " << e.what() << "\n";
    return deja::cli::kExitInternal;
  }
}
