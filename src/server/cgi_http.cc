#include "server/cgi_http.h"

namespace deja::server {

Result<CgiGuestInput> CgiMapRequest(const HttpRequest& request, std::string_view script_name,
                                    const CgiOptions& options) {
  CgiRequest cgi;
  cgi.method = request.method;
  cgi.target = request.target;
  cgi.script_name = std::string(script_name);
  cgi.headers.reserve(request.headers.size());
  for (const auto& [name, value] : request.headers) cgi.headers.push_back({name, value});
  cgi.content_length = request.body.size();
  cgi.server_name = request.server_name;
  cgi.server_port = request.server_port;
  cgi.remote_addr = request.remote_addr;
  cgi.remote_port = request.remote_port;
  DEJA_ASSIGN_OR_RETURN(auto env, CgiEnvironment(cgi, options));
  CgiGuestInput in;
  in.guest.env = CgiEnvStrings(env);
  in.guest.stdin_data = request.body;
  std::vector<std::string> args = CgiArguments(cgi);
  in.args.assign(args.begin() + 1, args.end());
  return in;
}

Result<HttpResponse> CgiMapResponse(std::string_view output, const CgiParseLimits& limits) {
  DEJA_ASSIGN_OR_RETURN(CgiParsedOutput parsed, ParseCgiOutput(output, limits));
  HttpResponse r;
  const CgiResponse& cgi = parsed.response;
  if (cgi.kind == CgiResponseKind::kLocalRedirect) {
    r.status = 302;
    r.Set("Location", cgi.location);
    return r;
  }
  r.status = cgi.status;
  for (const HttpHeader& h : cgi.headers) r.Set(h.name, h.value);
  r.body = std::move(parsed.body);
  return r;
}

}  // namespace deja::server
