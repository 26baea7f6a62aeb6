#include "server/invoke.h"

#include <strings.h>

#include <chrono>

#include "deja/session.h"
#include "server/gateway.h"
#include "server/json_error.h"
#include "server/trace_context.h"

namespace deja::server {
namespace {

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string FirstLine(const std::string& text) { return text.substr(0, text.find('\n')); }

}  // namespace

void AddFigureHeaders(const Invocation& v, HttpResponse& r) {
  r.Set("X-Deja-Version", std::to_string(v.version));
  if (!v.run_id.empty()) r.Set("X-Deja-Run-Id", v.run_id);
  r.Set("X-Deja-Wall-Us", std::to_string(v.wall_us));
  r.Set("X-Deja-Fuel", std::to_string(v.fuel));
  r.Set("X-Deja-Memory-Peak", std::to_string(v.peak_memory));
  r.Set("X-Deja-Host-Calls", std::to_string(v.host_calls));
  r.Set("X-Deja-Bytes-In", std::to_string(v.bytes_in));
  r.Set("X-Deja-Bytes-Out", std::to_string(v.bytes_out));
}

InvokeOutcome InvokeVersion(const InvokeTarget& t, const HttpRequest& request) {
  const VersionConfig& config = t.version.config;
  std::string script_name = "/" + t.tenant + "/" + t.function;
  // A traceparent that is not exactly one valid header does not reach the
  // guest (W3C Trace Context: a receiver drops it and starts a new trace).
  std::string_view traceparent = AcceptedTraceparent(request);
  const HttpRequest* mapped_from = &request;
  HttpRequest without_traceparent;
  if (traceparent.empty() && !request.Header("traceparent").empty()) {
    without_traceparent = request;
    std::erase_if(without_traceparent.headers, [](const auto& h) {
      return h.first.size() == 11 && strncasecmp(h.first.c_str(), "traceparent", 11) == 0;
    });
    mapped_from = &without_traceparent;
  }
  Result<GuestRequest> mapped_request = MapRequest(*mapped_from, script_name, config.env);
  bool guest_ok = mapped_request.ok();
  GuestRequest guest = guest_ok ? std::move(*mapped_request) : GuestRequest{};
  session::RunSpec spec;
  spec.source = session::Source::kModule;
  spec.file = t.module_path;
  spec.prepared = t.prepared;
  spec.args = std::move(guest.args);
  spec.env = std::move(guest.env);
  spec.allow_connect = config.allow_hosts;
  spec.stdin_stream.kind = StdioKind::kBuffer;
  spec.stdin_stream.input = std::move(guest.stdin_data);
  spec.stdout_stream.kind = StdioKind::kBuffer;
  spec.stdout_stream.capacity = kMaxGuestOutput;
  spec.stderr_stream.kind = StdioKind::kBuffer;
  spec.stderr_stream.capacity = kMaxStoredLogs;
  spec.max_fds = 64;
  if (config.max_memory) {
    spec.limits.max_memory_pages = (*config.max_memory + 65535) / 65536;
    spec.max_memory_text = std::to_string(*config.max_memory) + " bytes";
  }
  spec.fuel = config.fuel;
  spec.timeout = std::chrono::milliseconds(config.timeout_ms);
  spec.timeout_text = std::to_string(config.timeout_ms) + " ms";
  spec.unknown_imports = config.allow_unknown_imports ? session::UnknownImports::kTrap
                                                      : session::UnknownImports::kError;
  spec.record = config.record;
  spec.home = t.home;

  InvokeOutcome out;
  out.traceparent = std::string(traceparent);
  Invocation& v = out.invocation;
  HttpResponse& r = out.response;
  v.tenant_id = t.tenant_id;
  v.function = t.function;
  v.version = t.version.number;
  v.started_at_ms = NowMs();
  v.method = request.method;
  v.path = request.target.substr(0, 1024);
  v.bytes_in = request.body.size();

  if (!guest_ok) {
    v.error = "request to " + script_name + ": " + std::string(mapped_request.status().message());
    v.status = 400;
    v.outcome = "refused";
    r = JsonError(400, v.error);
    return out;
  }
  session::SessionIo io;
  session::RunResult run = session::Run(spec, io);
  v.run_id = run.run_id;
  v.outcome = session::RunOutcomeName(run.outcome);
  v.wall_us = static_cast<uint64_t>(run.duration.count() / 1000);
  v.fuel = run.fuel_consumed;
  v.peak_memory = run.memory_bytes;
  v.host_calls = run.host_calls;
  v.logs = run.stderr_output.substr(0, kMaxStoredLogs);
  const std::string who = "function " + t.tenant + "/" + t.function + " version " +
                          std::to_string(t.version.number);

  using session::RunOutcome;
  if (run.outcome == RunOutcome::kTimedOut) {
    v.error = who + " timed out after " + spec.timeout_text;
    r = JsonError(504, v.error);
  } else if (run.outcome == RunOutcome::kOutOfFuel) {
    v.error = who + " ran out of fuel (" + std::to_string(config.fuel.value_or(0)) + ")";
    r = JsonError(504, v.error);
  } else if (run.outcome == RunOutcome::kTrapped) {
    v.error = who + " trapped: " + FirstLine(run.trap);
    r = JsonError(502, v.error);
  } else if (run.outcome == RunOutcome::kNotStarted) {
    std::string why;
    for (const std::string& m : run.messages) why += (why.empty() ? "" : "; ") + m;
    v.error = who + " did not start: " + why;
    r = JsonError(run.error == session::StartError::kLimit ? 507 : 502, v.error);
  } else if (run.outcome == RunOutcome::kExited && run.guest_exit_code.value_or(0) != 0) {
    v.error = who + " exited with status " + std::to_string(*run.guest_exit_code);
    r = JsonError(502, v.error);
  } else {
    Result<HttpResponse> mapped = MapResponse(run.stdout_output);
    if (mapped.ok()) {
      r = std::move(*mapped);
    } else {
      v.error = who + ": " + std::string(mapped.status().message());
      r = JsonError(502, v.error);
    }
  }
  v.status = r.status;
  v.bytes_out = r.body.size();
  AddFigureHeaders(v, r);
  if (!out.traceparent.empty()) r.Set("traceparent", out.traceparent);
  return out;
}

}  // namespace deja::server
