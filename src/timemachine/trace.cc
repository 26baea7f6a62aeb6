// `deja trace`: one line per recorded call, as text for people or as JSON
// lines for tools (field names in docs/TRACE.md), then how the run ended.
#include "timemachine/trace.h"

#include <cinttypes>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "timemachine/trace_internal.h"

namespace deja::tm {
namespace internal {
namespace {

using Json = nlohmann::ordered_json;

const char* StreamName(u8 stream) { return stream == 2 ? "stderr" : "stdout"; }

// Guest bytes and messages need not be UTF-8; JSON output must be.
std::string Dump(const Json& j) { return j.dump(-1, ' ', false, Json::error_handler_t::replace); }

std::string FirstLine(std::string_view s) {
  size_t nl = s.find('\n');
  return std::string(nl == std::string_view::npos ? s : s.substr(0, nl));
}

// What the call did, beyond its errno: "(fd 5, stdout 13 B)".
std::vector<std::string> Extras(std::string_view name, const CallRecord& rec) {
  std::vector<std::string> out;
  CallEffect e = DecodeEffect(name, rec);
  if (e.transferred) out.push_back("transferred " + std::to_string(*e.transferred) + " B");
  if (e.new_fd) out.push_back("fd " + std::to_string(*e.new_fd));
  if (e.time) out.push_back("time " + std::to_string(*e.time));
  if (e.random_len) out.push_back(std::to_string(*e.random_len) + " B random");
  if (rec.exit_code) out.push_back("exit code " + std::to_string(*rec.exit_code));
  for (const Output& o : rec.outputs) {
    out.push_back(std::string(StreamName(o.stream)) + " " + std::to_string(o.len) + " B");
  }
  return out;
}

std::string TextLine(const RunInfo& info, const CallRecord& rec) {
  char head[48];
  std::snprintf(head, sizeof head, "#%-5" PRIu64 " ", rec.index);
  std::string name = CallName(info, rec);
  std::string line =
      head + Seconds(rec.time_ns) + "  " + FormatCall(name, rec.args, RecordMemory(rec));
  if (rec.result) line += " = " + std::to_string(*rec.result) + " " + ErrnoText(*rec.result);
  u64 r = BytesRead(rec), w = BytesWritten(rec);
  if (r != 0 || w != 0) {
    line += "  [read " + std::to_string(r) + " B, wrote " + std::to_string(w) + " B]";
  }
  std::vector<std::string> extras = Extras(name, rec);
  for (size_t i = 0; i < extras.size(); ++i) line += (i == 0 ? " (" : ", ") + extras[i];
  if (!extras.empty()) line += ')';
  return line;
}

Json JsonLine(const RunInfo& info, const CallRecord& rec) {
  std::string name = CallName(info, rec);
  Json j;
  j["index"] = rec.index;
  j["t_ns"] = rec.time_ns;
  j["dur_ns"] = rec.duration_ns;
  j["call"] = name;
  Json args = Json::array();
  for (const FormattedArg& a : FormatArgs(name, rec.args, RecordMemory(rec))) {
    Json arg;
    arg["name"] = a.name;
    arg["value"] = a.value;
    if (a.len) arg["len"] = *a.len;
    arg["decoded"] = a.text;
    if (a.sep == "->") arg["out"] = true;
    args.push_back(std::move(arg));
  }
  j["args"] = std::move(args);
  j["result"] = rec.result ? Json(*rec.result) : Json(nullptr);
  j["errno"] = rec.result ? Json(ErrnoText(*rec.result)) : Json(nullptr);
  j["bytes_read"] = BytesRead(rec);
  j["bytes_written"] = BytesWritten(rec);
  Json outputs = Json::array();
  for (const Output& o : rec.outputs)
    outputs.push_back({{"stream", StreamName(o.stream)}, {"bytes", o.len}});
  j["outputs"] = std::move(outputs);
  CallEffect e = DecodeEffect(name, rec);
  if (rec.exit_code) j["exit_code"] = *rec.exit_code;
  if (e.transferred) {
    j["fd"] = *e.fd;
    j["transferred"] = *e.transferred;
  }
  if (e.new_fd) j["new_fd"] = *e.new_fd;
  if (e.time) j["time"] = *e.time;
  if (e.random_len) j["random_len"] = *e.random_len;
  return j;
}

}  // namespace

std::string CallName(const RunInfo& info, const CallRecord& rec) {
  if (rec.call < info.call_names.size()) return info.call_names[rec.call];
  return "call" + std::to_string(rec.call);
}

std::string Seconds(u64 ns) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "+%" PRIu64 ".%06" PRIu64 "s", ns / 1'000'000'000,
                ns % 1'000'000'000 / 1000);
  return buf;
}

void TraceFormatter::Record(const CallRecord& rec) {
  if (json_) {
    out_ << Dump(JsonLine(info_, rec)) << '\n';
  } else {
    out_ << TextLine(info_, rec) << '\n';
  }
}

void TraceFormatter::End(const std::optional<RunEnd>& end, bool truncated,
                         std::string_view reason) {
  if (json_) {
    Json j;
    if (end) {
      j["kind"] = RunEndKindName(end->kind);
      j["exit_status"] = end->exit_status;
      j["guest_exit_code"] = end->guest_exit_code;
      j["message"] = end->message;
      j["results"] = end->results;
      j["fuel_consumed"] = end->fuel_consumed;
      j["host_calls"] = end->host_calls;
      j["duration_ns"] = end->duration_ns;
      j["state_digest"] = end->state_digest;
    } else {
      j["kind"] = "truncated";
      j["reason"] = truncated ? std::string(reason) : std::string("the log has no end frame");
    }
    out_ << Dump(Json{{"end", std::move(j)}}) << '\n';
    return;
  }
  if (!end) {
    out_ << "(recording ends here: "
         << (truncated ? std::string(reason) : std::string("the log has no end frame")) << ")\n";
    return;
  }
  std::string line = std::string("end: ") + RunEndKindName(end->kind) + ", exit status " +
                     std::to_string(end->exit_status);
  if (end->kind == RunEnd::Kind::kExited) {
    line += " (proc_exit " + std::to_string(end->guest_exit_code) + ")";
  }
  line += ", " + Seconds(end->duration_ns).substr(1) + ", fuel " +
          std::to_string(end->fuel_consumed) + ", " + std::to_string(end->host_calls) +
          " host calls";
  if (!end->state_digest.empty()) line += ", digest " + end->state_digest;
  for (const std::string& r : end->results) line += ", result " + r;
  if (!end->message.empty()) line += ": " + FirstLine(end->message);
  out_ << line << '\n';
}

}  // namespace internal

Status WriteTrace(LogReader& log, std::ostream& out, const TraceOptions& options) {
  internal::TraceFormatter f(log.info(), out, options.json);
  CallRecord rec;
  while (true) {
    DEJA_ASSIGN_OR_RETURN(bool more, log.Next(&rec));
    if (!more) break;
    f.Record(rec);
  }
  f.End(log.end(), log.truncated(), log.truncation_reason());
  out.flush();
  if (!out) return Status::IoError("cannot write the trace");
  return Status();
}

}  // namespace deja::tm
