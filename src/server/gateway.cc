#include "server/gateway.h"

#include <strings.h>

#include "server/cgi.h"

namespace deja::server {

Result<GuestRequest> MapRequest(const HttpRequest& request, std::string_view script_name,
                                const std::vector<std::string>& config_env) {
  CgiRequest cgi;
  cgi.method = request.method;
  cgi.target = request.target;
  cgi.script_name = std::string(script_name);
  for (const auto& [name, value] : request.headers) {
    // Credentials are the platform's, never the guest's.
    if (strcasecmp(name.c_str(), "Authorization") == 0) continue;
    cgi.headers.push_back({name, value});
  }
  cgi.content_length = request.body.size();
  cgi.server_name = request.server_name;
  cgi.server_port = request.server_port;
  cgi.remote_addr = request.remote_addr;
  cgi.remote_port = request.remote_port;
  CgiOptions options;
  options.matched_route = std::string(script_name) + "/...";
  for (const std::string& kv : config_env) {
    size_t eq = kv.find('=');
    options.config_env.emplace_back(kv.substr(0, eq), eq == std::string::npos ? "" : kv.substr(eq + 1));
  }
  DEJA_ASSIGN_OR_RETURN(auto env, CgiEnvironment(cgi, options));
  GuestRequest g;
  std::vector<std::string> argv = CgiArguments(cgi);
  if (!argv.empty()) g.args.assign(argv.begin() + 1, argv.end());
  g.env = CgiEnvStrings(env);
  g.stdin_data = request.body;
  return g;
}

Result<HttpResponse> MapResponse(std::string_view output) {
  DEJA_ASSIGN_OR_RETURN(CgiParsedOutput parsed, ParseCgiOutput(output));
  const CgiResponse& cgi = parsed.response;
  if (cgi.kind == CgiResponseKind::kLocalRedirect) {
    return Status::InvalidArgument("the function answered with a local redirect to " + cgi.location +
                                   ", which deja serve does not follow");
  }
  HttpResponse response;
  response.status = cgi.status;
  for (const HttpHeader& h : cgi.headers) response.Set(h.name, h.value);
  if (cgi.kind == CgiResponseKind::kClientRedirect) {
    bool has_location = false;
    for (const HttpHeader& h : cgi.headers) has_location |= strcasecmp(h.name.c_str(), "Location") == 0;
    if (!has_location) response.Set("Location", cgi.location);
  }
  response.body = std::move(parsed.body);
  return response;
}

}  // namespace deja::server
