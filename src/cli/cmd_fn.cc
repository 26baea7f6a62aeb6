// `deja fn deploy|ls|versions|promote|rollback|invoke|logs|check`: the
// functions of a tenant on a `deja serve` (docs/SERVER.md), with a tenant
// token. Exit codes as server_client.h; `fn invoke` exits 1 when the
// function's answer is not 2xx, `fn check` when a replay diverged.
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "cli/duration.h"
#include "cli/exit_codes.h"
#include "cli/run_options.h"
#include "cli/server_client.h"
#include "server/client.h"

namespace deja::cli {
namespace {

struct FnArgs {
  ClientFlags flags;
  std::string name;
  std::string module;
  std::vector<std::string> env;
  std::string fuel, max_memory, timeout;
  std::vector<std::string> allow_hosts;
  bool no_record = false, is_private = false, allow_unknown_imports = false, stage = false;
  int64_t version = 0;
  std::string path;
  std::string method = "GET";
  std::string data;
  bool include_headers = false;
  int limit = 0;
};

std::string Join(const nlohmann::json& j, const char* key) {
  return j.contains(key) && !j[key].is_null() ? j[key].dump() : "-";
}

int Deploy(const FnArgs& a, const CliStreams& io) {
  const std::string prefix = "deja fn deploy: ";
  std::ifstream in(a.module, std::ios::binary);
  if (!in) {
    io.err << prefix << "cannot read " << a.module << "\n";
    return kExitIoError;
  }
  std::ostringstream bytes;
  bytes << in.rdbuf();
  std::string query = "?live=" + std::string(a.stage ? "false" : "true");
  for (const std::string& e : a.env) {
    if (e.find('=') == std::string::npos || e[0] == '=') {
      io.err << prefix << "--env " << e << ": not NAME=VALUE\n";
      return kExitUsage;
    }
    query += "&env=" + server::UrlEncode(e);
  }
  if (!a.fuel.empty()) {
    Result<uint64_t> n = ParseCount(a.fuel);
    if (!n.ok() || *n == 0) {
      io.err << prefix << "--fuel " << a.fuel << ": not a positive count\n";
      return kExitUsage;
    }
    query += "&fuel=" + std::to_string(*n);
  }
  if (!a.max_memory.empty()) {
    Result<uint64_t> n = ParseSize(a.max_memory);
    if (!n.ok() || *n == 0) {
      io.err << prefix << "--max-memory " << a.max_memory << ": not a size (e.g. 64MiB)\n";
      return kExitUsage;
    }
    query += "&max_memory=" + std::to_string(*n);
  }
  if (!a.timeout.empty()) {
    Result<std::chrono::nanoseconds> d = ParseDuration(a.timeout);
    if (!d.ok() || d->count() < 1'000'000) {
      io.err << prefix << "--timeout " << a.timeout << ": not a duration of 1ms or more\n";
      return kExitUsage;
    }
    query += "&timeout_ms=" + std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(*d).count());
  }
  for (const std::string& h : a.allow_hosts) query += "&allow_host=" + server::UrlEncode(h);
  if (a.no_record) query += "&record=false";
  if (a.is_private) query += "&public=false";
  if (a.allow_unknown_imports) query += "&allow_unknown_imports=true";
  int exit = kExitOk;
  auto j = Call(prefix, a.flags, "POST", "/v1/functions/" + server::UrlEncode(a.name) + "/versions" + query,
                bytes.str(), io, &exit, "application/wasm");
  if (j) {
    io.out << a.name << " version " << (*j)["version"] << (a.stage ? " (staged)" : " (live)") << " "
           << (*j)["module"].get<std::string>() << "\n";
  }
  return exit;
}

int Invoke(const FnArgs& a, const CliStreams& io) {
  const std::string prefix = "deja fn invoke: ";
  server::ClientEndpoint e = server::ResolveEndpoint(a.flags.server, a.flags.token);
  // The function answers at /TENANT/NAME: the tenant is the token's.
  int exit = kExitOk;
  std::optional<nlohmann::json> me = Call(prefix, a.flags, "GET", "/v1/whoami", "", io, &exit);
  if (!me) return exit;
  std::string path = a.path.empty() || a.path[0] == '/' ? a.path : "/" + a.path;
  std::string body = a.data;
  if (!body.empty() && body[0] == '@') {
    std::ifstream in(body.substr(1), std::ios::binary);
    if (!in) {
      io.err << prefix << "cannot read " << body.substr(1) << "\n";
      return kExitIoError;
    }
    std::ostringstream s;
    s << in.rdbuf();
    body = s.str();
  }
  server::ClientRequest req{e.server, a.method, "/" + (*me)["tenant"].get<std::string>() + "/" +
                                                    server::UrlEncode(a.name) + path,
                            e.token, body, body.empty() ? "" : "application/octet-stream"};
  Result<server::ClientResponse> res = server::HttpCall(req);
  if (!res.ok()) {
    io.err << prefix << res.status().message() << "\n";
    return kExitIoError;
  }
  if (a.include_headers) {
    io.out << "HTTP/1.1 " << res->status << "\n";
    for (const auto& [k, v] : res->headers) io.out << k << ": " << v << "\n";
    io.out << "\n";
  } else {
    for (const auto& [k, v] : res->headers) {
      if (k.rfind("X-Deja-", 0) == 0) io.err << k << ": " << v << "\n";
    }
  }
  io.out << res->body;
  io.out.flush();
  if (res->status / 100 != 2) {
    io.err << prefix << "the function answered " << server::DescribeError(*res) << "\n";
    return kExitFailed;
  }
  return kExitOk;
}

int Logs(const FnArgs& a, const CliStreams& io) {
  int exit = kExitOk;
  std::string target = "/v1/functions/" + server::UrlEncode(a.name) + "/invocations?limit=" +
                       std::to_string(a.limit > 0 ? a.limit : 10);
  auto j = Call("deja fn logs: ", a.flags, "GET", target, "", io, &exit);
  if (!j) return exit;
  for (const auto& v : (*j)["invocations"]) {
    io.out << "invocation " << v["id"] << " version " << v["version"] << " " << v["method"].get<std::string>()
           << " " << v["path"].get<std::string>() << " -> " << v["status"] << " " << v["outcome"].get<std::string>()
           << " " << v["wall_us"] << "us run " << (v["run_id"].get<std::string>().empty() ? "-" : v["run_id"].get<std::string>())
           << "\n";
    if (!v["error"].get<std::string>().empty()) io.out << "  error: " << v["error"].get<std::string>() << "\n";
    server::ClientEndpoint e = server::ResolveEndpoint(a.flags.server, a.flags.token);
    Result<server::ClientResponse> logs = server::HttpCall(
        {e.server, "GET", "/v1/invocations/" + v["id"].dump() + "/logs", e.token, "", ""});
    if (logs.ok() && logs->status == 200 && !logs->body.empty()) {
      std::istringstream lines(logs->body);
      for (std::string line; std::getline(lines, line);) io.out << "  | " << line << "\n";
    }
  }
  return exit;
}

int Check(const FnArgs& a, const CliStreams& io) {
  int exit = kExitOk;
  std::string target = "/v1/functions/" + server::UrlEncode(a.name) + "/versions/" + std::to_string(a.version) +
                       "/check" + (a.limit > 0 ? "?limit=" + std::to_string(a.limit) : "");
  auto j = Call("deja fn check: ", a.flags, "POST", target, "", io, &exit);
  if (!j) return exit;
  for (const auto& r : (*j)["results"]) {
    io.out << "invocation " << r["invocation"] << " (run " << r["run_id"].get<std::string>() << "): "
           << r["verdict"].get<std::string>() << "\n";
    if (r.contains("divergence")) {
      const auto& d = r["divergence"];
      io.out << "  at host call " << d["call_index"] << ": recorded "
             << (d["recorded_call"].get<std::string>().empty() ? "(no more calls)" : d["recorded_call"].get<std::string>())
             << ", version " << (*j)["version"] << " made "
             << (d["replayed_call"].get<std::string>().empty() ? "(no more calls)" : d["replayed_call"].get<std::string>())
             << "\n";
    }
    if (r.contains("detail")) {
      std::istringstream lines(r["detail"].get<std::string>());
      for (std::string line; std::getline(lines, line);) io.out << "  " << line << "\n";
    }
  }
  io.out << "version " << (*j)["version"] << " against live version " << (*j)["live_version"] << ": "
         << (*j)["checked"] << " replayed, " << (*j)["diverged"] << " diverged, " << (*j)["failed"] << " failed\n";
  return (*j)["diverged"].get<int>() > 0 || (*j)["failed"].get<int>() > 0 ? kExitFailed : kExitOk;
}

}  // namespace

Subcommand AddFnCommand(CLI::App& app, const CliStreams& io) {
  auto a = std::make_shared<FnArgs>();
  CLI::App* fn = app.add_subcommand("fn", "Functions on a deja serve (tenant token; docs/SERVER.md)");
  fn->require_subcommand(1);
  auto sub = [&](const char* name, const char* help) {
    CLI::App* c = fn->add_subcommand(name, help);
    AddClientFlags(c, a->flags);
    return c;
  };
  CLI::App* deploy = sub("deploy", "Upload MODULE as a new version of NAME and make it live");
  deploy->add_option("NAME", a->name, "function name")->required();
  deploy->add_option("MODULE", a->module, "the .wasm module")->required();
  deploy->add_option("--env", a->env, "NAME=VALUE in the function's environment (repeatable)")
      ->allow_extra_args(false);
  deploy->add_option("--fuel", a->fuel, "fuel per invocation");
  deploy->add_option("--max-memory", a->max_memory, "memory per invocation (e.g. 64MiB)");
  deploy->add_option("--timeout", a->timeout, "wall time per invocation (e.g. 2s; default 10s)");
  deploy->add_option("--allow-host", a->allow_hosts, "HOST:PORT the function may connect to (repeatable)")
      ->allow_extra_args(false);
  deploy->add_flag("--no-record", a->no_record, "do not record invocations");
  deploy->add_flag("--private", a->is_private, "invoking needs a token with the invoke scope");
  deploy->add_flag("--allow-unknown-imports", a->allow_unknown_imports,
                   "accept imports beyond WASI preview 1 (they trap when called)");
  deploy->add_flag("--stage", a->stage, "create the version without making it live");
  CLI::App* ls = sub("ls", "List functions");
  CLI::App* versions = sub("versions", "List the versions of NAME");
  versions->add_option("NAME", a->name, "function name")->required();
  CLI::App* promote = sub("promote", "Make version N of NAME live");
  promote->add_option("NAME", a->name, "function name")->required();
  promote->add_option("N", a->version, "version")->required();
  CLI::App* rollback = sub("rollback", "Make an earlier version live (default: the one before the live one)");
  rollback->add_option("NAME", a->name, "function name")->required();
  rollback->add_option("N", a->version, "version");
  CLI::App* invoke = sub("invoke", "Call NAME over HTTP (as /TENANT/NAME/PATH) and print its answer");
  invoke->add_option("NAME", a->name, "function name")->required();
  invoke->add_option("PATH", a->path, "path after the function (PATH_INFO), with ?query");
  invoke->add_option("-X,--method", a->method, "HTTP method")->capture_default_str();
  invoke->add_option("-d,--data", a->data, "request body (@FILE reads a file)");
  invoke->add_flag("-i,--include", a->include_headers, "print the response's status and headers");
  CLI::App* logs = sub("logs", "Recent invocations of NAME with their logs (stderr)");
  logs->add_option("NAME", a->name, "function name")->required();
  logs->add_option("--limit", a->limit, "how many (default 10)");
  CLI::App* check = sub("check", "Replay recent invocations of the live version against version N");
  check->add_option("NAME", a->name, "function name")->required();
  check->add_option("N", a->version, "the version to check")->required();
  check->add_option("--limit", a->limit, "how many invocations (default 20)");

  return {fn, [=] {
    const CliStreams& s = io;
    int exit = kExitOk;
    std::string fpath = "/v1/functions/" + server::UrlEncode(a->name);
    if (deploy->parsed()) return Deploy(*a, s);
    if (invoke->parsed()) return Invoke(*a, s);
    if (logs->parsed()) return Logs(*a, s);
    if (check->parsed()) return Check(*a, s);
    if (ls->parsed()) {
      auto j = Call("deja fn ls: ", a->flags, "GET", "/v1/functions", "", s, &exit);
      if (j) {
        for (const auto& f : (*j)["functions"]) {
          s.out << f["name"].get<std::string>() << "\tlive " << Join(f, "live_version") << "\n";
        }
      }
    } else if (versions->parsed()) {
      auto j = Call("deja fn versions: ", a->flags, "GET", fpath + "/versions", "", s, &exit);
      if (j) {
        for (const auto& v : (*j)["versions"]) {
          s.out << v["version"] << "\t" << (v["live"].get<bool>() ? "live" : "-") << "\t"
                << v["module"].get<std::string>() << "\t" << v["module_size"] << " bytes\n";
        }
      }
    } else if (promote->parsed() || rollback->parsed()) {
      bool is_promote = promote->parsed();
      nlohmann::json body = nlohmann::json::object();
      if (a->version > 0) body["version"] = a->version;
      auto j = Call(is_promote ? "deja fn promote: " : "deja fn rollback: ", a->flags, "POST",
                    fpath + (is_promote ? "/promote" : "/rollback"), body.dump(), s, &exit);
      if (j) s.out << a->name << ": version " << (*j)["live_version"] << " is live (was " << Join(*j, "previous") << ")\n";
    }
    return exit;
  }};
}

}  // namespace deja::cli
