// What the client commands of a `deja serve` share (cmd_tenant.cc,
// cmd_fn.cc): the --server/--token flags and one JSON call with its errors
// printed. Exit codes: 1 the server refused (its message printed), 2 usage
// (no token, bad URL), 3 the server cannot be reached.
#pragma once

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "cli/commands.h"

namespace deja::cli {

struct ClientFlags {
  std::string server;
  std::string token;
};

void AddClientFlags(CLI::App* cmd, ClientFlags& flags);

// Sends the request; on a 2xx returns the parsed JSON body, else prints why
// (starting with `prefix`) and sets *exit.
std::optional<nlohmann::json> Call(const std::string& prefix, const ClientFlags& flags, const std::string& method,
                                   const std::string& target, const std::string& body, const CliStreams& io,
                                   int* exit, const std::string& content_type = "application/json");

}  // namespace deja::cli
