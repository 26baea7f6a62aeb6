#include "cli/session_io.h"

namespace deja::cli {

session::SessionIo PrintingIo(const std::string& prefix, const CliStreams& io) {
  session::SessionIo sio;
  std::ostream* err = &io.err;
  sio.on_message = [prefix, err](std::string_view text) {
    *err << prefix << text << "\n";
    err->flush();  // before the guest writes to the same descriptor
  };
  sio.results = &io.out;
  return sio;
}

}  // namespace deja::cli
