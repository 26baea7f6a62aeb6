#include "cli/run_format.h"

#include <ctime>
#include <cstdio>

namespace deja::cli {

std::string FormatTime(i64 unix_ns) {
  std::time_t secs = static_cast<std::time_t>(unix_ns / 1'000'000'000);
  std::tm tm{};
  localtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
  return buf;
}

std::string FormatDuration(u64 ns) {
  char buf[32];
  if (ns < 1'000'000) {
    std::snprintf(buf, sizeof buf, "%lluus", static_cast<unsigned long long>(ns / 1000));
  } else if (ns < 1'000'000'000) {
    std::snprintf(buf, sizeof buf, "%.1fms", static_cast<double>(ns) / 1e6);
  } else if (ns < 60'000'000'000ULL) {
    std::snprintf(buf, sizeof buf, "%.2fs", static_cast<double>(ns) / 1e9);
  } else {
    u64 secs = ns / 1'000'000'000;
    std::snprintf(buf, sizeof buf, "%llum%02llus", static_cast<unsigned long long>(secs / 60),
                  static_cast<unsigned long long>(secs % 60));
  }
  return buf;
}

std::string FormatBytes(u64 bytes) {
  char buf[32];
  if (bytes < 1024) {
    std::snprintf(buf, sizeof buf, "%llu B", static_cast<unsigned long long>(bytes));
  } else if (bytes < 1024 * 1024) {
    std::snprintf(buf, sizeof buf, "%.1f KiB", static_cast<double>(bytes) / 1024);
  } else if (bytes < 1024ULL * 1024 * 1024) {
    std::snprintf(buf, sizeof buf, "%.1f MiB", static_cast<double>(bytes) / (1024.0 * 1024));
  } else {
    std::snprintf(buf, sizeof buf, "%.2f GiB", static_cast<double>(bytes) / (1024.0 * 1024 * 1024));
  }
  return buf;
}

std::string FormatStatus(const registry::RunRow& row) {
  using Kind = tm::RunEnd::Kind;
  if (row.status == tm::RunEndKindName(Kind::kReturned) ||
      row.status == tm::RunEndKindName(Kind::kExited)) {
    return "exit " + std::to_string(row.exit_status.value_or(0));
  }
  if (row.status == tm::RunEndKindName(Kind::kTrapped)) return "trap";
  if (row.status == tm::RunEndKindName(Kind::kOutOfFuel)) return "out of fuel";
  if (row.status == tm::RunEndKindName(Kind::kInterrupted) ||
      row.status == tm::RunEndKindName(Kind::kInterruptedInHostCall)) {
    return "timed out";
  }
  return row.status;  // failed, killed, running
}

nlohmann::json RowJson(const registry::RunRow& row) {
  nlohmann::json j;
  j["id"] = row.id;
  j["start_unix_ns"] = row.start_unix_ns;
  j["module_hash"] = row.module_hash;
  j["module"] = row.module_name;
  j["command"] = row.command;
  j["status"] = row.status;
  j["pid"] = row.pid;
  if (row.exit_status) {
    j["exit_status"] = *row.exit_status;
  } else {
    j["exit_status"] = nullptr;
  }
  j["duration_ns"] = row.duration_ns;
  j["fuel_consumed"] = row.fuel_consumed;
  j["host_calls"] = row.host_calls;
  j["log_bytes"] = row.log_bytes;
  return j;
}

nlohmann::json InfoJson(const tm::RunInfo& info) {
  nlohmann::json j;
  j["id"] = info.id;
  j["start_unix_ns"] = info.start_unix_ns;
  j["deja_version"] = info.deja_version;
  j["module_hash"] = info.module_hash;
  j["module"] = info.module_name;
  j["args"] = info.args;
  j["env"] = info.env;
  j["dirs"] = info.dirs;
  j["listen"] = info.listen;
  j["allow_connect"] = info.allow_connect;
  if (info.invoke) {
    j["invoke"] = *info.invoke;
    j["invoke_args"] = info.invoke_args;
  }
  j["max_memory_pages"] = info.max_memory_pages;
  if (info.fuel) j["fuel"] = *info.fuel;
  if (!info.timeout.empty()) j["timeout"] = info.timeout;
  j["max_fds"] = info.max_fds;
  return j;
}

nlohmann::json EndJson(const tm::RunEnd& end) {
  nlohmann::json j;
  j["outcome"] = tm::RunEndKindName(end.kind);
  j["exit_status"] = end.exit_status;
  if (end.kind == tm::RunEnd::Kind::kExited) j["guest_exit_code"] = end.guest_exit_code;
  if (!end.message.empty()) j["message"] = end.message;
  if (!end.results.empty()) j["results"] = end.results;
  j["fuel_consumed"] = end.fuel_consumed;
  j["host_calls"] = end.host_calls;
  j["duration_ns"] = end.duration_ns;
  j["state_digest"] = end.state_digest;
  return j;
}

}  // namespace deja::cli
