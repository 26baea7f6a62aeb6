// The CLI's side of a session: its messages go to stderr, each line after
// the first of a message as is, the first behind the command's prefix
// ("deja run: "); an invoked export's results go to stdout.
#pragma once

#include <string>

#include "cli/commands.h"
#include "deja/session.h"

namespace deja::cli {

session::SessionIo PrintingIo(const std::string& prefix, const CliStreams& io);

}  // namespace deja::cli
