// `deja serve`: the function platform's server (src/server, docs/SERVER.md).
#include <sys/stat.h>

#include <filesystem>
#include <string>

#include "cli/commands.h"
#include "cli/duration.h"
#include "cli/exit_codes.h"
#include "cli/run_options.h"
#include "registry/registry.h"
#include "server/access_log.h"
#include "server/server.h"
#include "server/store.h"

namespace deja::cli {
namespace {

constexpr const char* kPrefix = "deja serve: ";

struct ServeArgs {
  std::string listen = "127.0.0.1:8080";
  int io_threads = 0;
  int engine_threads = 0;
  std::string read_timeout = "10s";
  std::string drain_timeout = "30s";
  std::string max_module = "32MiB";
  std::string max_body = "8MiB";
  uint32_t tenant_concurrency = 0;
  double tenant_rps = 0;
  uint64_t tenant_fuel_per_minute = 0;
  size_t module_cache = 256;
  std::string access_log = "-";
};

int RunServe(const ServeArgs& args, const CliStreams& io) {
  server::ServerOptions options;
  options.listen = args.listen;
  options.io_threads = args.io_threads;
  options.engine_threads = args.engine_threads;
  if (args.tenant_rps < 0) {
    io.err << kPrefix << "--tenant-rps " << args.tenant_rps << ": not a rate (0: unlimited)\n";
    return kExitUsage;
  }
  options.api.tenant_limits.max_concurrent = args.tenant_concurrency;
  options.api.tenant_limits.requests_per_second = args.tenant_rps;
  options.api.tenant_limits.fuel_per_minute = args.tenant_fuel_per_minute;
  options.api.module_cache_entries = args.module_cache;
  struct DurationFlag {
    const char* name;
    const std::string& text;
    std::chrono::milliseconds* out;
  };
  for (const DurationFlag& flag : {DurationFlag{"--read-timeout", args.read_timeout, &options.read_timeout},
                                   DurationFlag{"--drain-timeout", args.drain_timeout, &options.drain_timeout}}) {
    Result<std::chrono::nanoseconds> d = ParseDuration(flag.text);
    if (!d.ok() || d->count() <= 0) {
      io.err << kPrefix << flag.name << " " << flag.text << ": not a positive duration (e.g. 10s, 500ms)\n";
      return kExitUsage;
    }
    *flag.out = std::chrono::duration_cast<std::chrono::milliseconds>(*d);
  }
  struct SizeFlag {
    const char* name;
    const std::string& text;
    uint64_t* out;
  };
  for (const SizeFlag& flag : {SizeFlag{"--max-module-size", args.max_module, &options.api.max_module_bytes},
                               SizeFlag{"--max-body", args.max_body, &options.api.max_invoke_body}}) {
    Result<uint64_t> size = ParseSize(flag.text);
    if (!size.ok() || *size == 0) {
      io.err << kPrefix << flag.name << " " << flag.text << ": not a positive size (e.g. 8MiB)\n";
      return kExitUsage;
    }
    *flag.out = *size;
  }
  std::string home = registry::Registry::DefaultHome();
  std::error_code ec;
  std::filesystem::create_directories(home, ec);
  if (ec) {
    io.err << kPrefix << "cannot create the home " << home << ": " << ec.message() << "\n";
    return kExitIoError;
  }
  options.api.home = home;
  if (args.access_log != "none") {
    Result<std::unique_ptr<server::AccessLog>> log = server::AccessLog::Open(args.access_log);
    if (!log.ok()) {
      io.err << kPrefix << "--access-log: " << log.status().message() << "\n";
      return kExitIoError;
    }
    options.api.access_log = std::move(log).value();
  }
  Result<std::unique_ptr<server::Store>> store = server::OpenSqliteStore(home);
  if (!store.ok()) {
    io.err << kPrefix << store.status().message() << "\n";
    return kExitIoError;
  }
  Result<std::optional<std::string>> admin = server::FirstAdminToken(**store);
  if (!admin.ok()) {
    io.err << kPrefix << admin.status().message() << "\n";
    return kExitIoError;
  }
  if (*admin) io.err << "admin token: " << **admin << std::endl;
  Status served = server::Serve(**store, options, [&](const std::string& host, uint16_t port) {
    io.err << kPrefix << "listening on http://" << host << ":" << port << " (home " << home << ")" << std::endl;
  });
  if (!served.ok()) {
    io.err << kPrefix << served.message() << "\n";
    return served.code() == Status::Code::kInvalidArgument ? kExitUsage : kExitIoError;
  }
  io.err << kPrefix << "stopped" << std::endl;
  return kExitOk;
}

}  // namespace

Subcommand AddServeCommand(CLI::App& app, const CliStreams& io) {
  auto args = std::make_shared<ServeArgs>();
  CLI::App* cmd = app.add_subcommand(
      "serve", "Serve functions over HTTP: the admin API under /v1, functions at /TENANT/NAME/ (state in "
               "$DEJA_HOME; docs/SERVER.md)");
  cmd->add_option("--listen", args->listen, "HOST:PORT to listen on (port 0: any free port)")
      ->capture_default_str();
  cmd->add_option("--io-threads", args->io_threads, "I/O threads (default: one per core)");
  cmd->add_option("--engine-threads", args->engine_threads,
                  "threads that run guests (default: two per core, at least 4)");
  cmd->add_option("--read-timeout", args->read_timeout,
                  "a request's head, then its body, must arrive within this")->capture_default_str();
  cmd->add_option("--drain-timeout", args->drain_timeout,
                  "on SIGTERM/SIGINT, how long in-flight requests may take to finish")->capture_default_str();
  cmd->add_option("--max-module-size", args->max_module, "largest module (and /v1 body) accepted")
      ->capture_default_str();
  cmd->add_option("--max-body", args->max_body, "largest request body given to a function")
      ->capture_default_str();
  cmd->add_option("--tenant-concurrency", args->tenant_concurrency,
                  "invocations each tenant may run at once; more get 429 (0: unlimited)");
  cmd->add_option("--tenant-rps", args->tenant_rps, "requests per second per tenant; more get 429 (0: unlimited)");
  cmd->add_option("--tenant-fuel-per-minute", args->tenant_fuel_per_minute,
                  "fuel each tenant's invocations may burn per minute; more get 429 (0: unlimited)");
  cmd->add_option("--module-cache", args->module_cache,
                  "compiled modules kept between invocations (0: compile on every invocation)")
      ->capture_default_str();
  cmd->add_option("--access-log", args->access_log,
                  "one JSON line per request to this file (\"-\": stderr, \"none\": off)")
      ->capture_default_str();
  return {cmd, [args, io] { return RunServe(*args, io); }};
}

}  // namespace deja::cli
