#include "cli/server_client.h"

#include "cli/exit_codes.h"
#include "server/client.h"

namespace deja::cli {

void AddClientFlags(CLI::App* cmd, ClientFlags& flags) {
  cmd->add_option("--server", flags.server, "server URL (default: $DEJA_SERVER, else http://127.0.0.1:8080)");
  cmd->add_option("--token", flags.token, "API token (default: $DEJA_TOKEN)");
}

// Sends the request; on success returns the parsed JSON body, else prints why and sets *exit.
std::optional<nlohmann::json> Call(const std::string& prefix, const ClientFlags& flags, const std::string& method,
                                   const std::string& target, const std::string& body, const CliStreams& io,
                                   int* exit, const std::string& content_type) {
  server::ClientEndpoint e = server::ResolveEndpoint(flags.server, flags.token);
  if (e.token.empty()) {
    io.err << prefix << "a token is needed: --token TOKEN or DEJA_TOKEN\n";
    *exit = kExitUsage;
    return std::nullopt;
  }
  server::ClientRequest req{e.server, method, target, e.token, body, body.empty() ? "" : content_type};
  Result<server::ClientResponse> res = server::HttpCall(req);
  if (!res.ok()) {
    io.err << prefix << res.status().message() << "\n";
    *exit = res.status().code() == Status::Code::kInvalidArgument ? kExitUsage : kExitIoError;
    return std::nullopt;
  }
  if (res->status / 100 != 2) {
    io.err << prefix << "the server answered " << server::DescribeError(*res) << "\n";
    *exit = kExitFailed;
    return std::nullopt;
  }
  nlohmann::json j = nlohmann::json::parse(res->body, nullptr, false);
  if (j.is_discarded()) {
    io.err << prefix << "the server's answer is not JSON\n";
    *exit = kExitFailed;
    return std::nullopt;
  }
  return j;
}

}  // namespace deja::cli
