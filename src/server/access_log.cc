#include "server/access_log.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>

#include <nlohmann/json.hpp>

namespace deja::server {
namespace {

// "2026-12-07T23:15:04.123Z"
std::string IsoTime(int64_t ms) {
  time_t seconds = static_cast<time_t>(ms / 1000);
  struct tm utc;
  gmtime_r(&seconds, &utc);
  char text[40];
  size_t n = strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &utc);
  snprintf(text + n, sizeof text - n, ".%03dZ", static_cast<int>(ms % 1000));
  return text;
}

}  // namespace

std::string AccessLogLine(const AccessEntry& e) {
  nlohmann::ordered_json j;
  j["time"] = IsoTime(e.time_ms);
  j["method"] = e.method;
  j["path"] = e.path;
  j["status"] = e.status;
  j["duration_us"] = e.duration_us;
  j["bytes_in"] = e.bytes_in;
  j["bytes_out"] = e.bytes_out;
  if (!e.tenant.empty()) j["tenant"] = e.tenant;
  if (!e.function.empty()) j["function"] = e.function;
  if (e.version > 0) j["version"] = e.version;
  if (!e.run_id.empty()) j["run_id"] = e.run_id;
  if (!e.traceparent.empty()) j["traceparent"] = e.traceparent;
  // Paths are the client's bytes: never let invalid UTF-8 throw.
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

Result<std::unique_ptr<AccessLog>> AccessLog::Open(const std::string& path) {
  if (path == "-") return std::unique_ptr<AccessLog>(new AccessLog(2, false));
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  if (fd < 0) return Status::IoError("cannot open the access log " + path + ": " + strerror(errno));
  return std::unique_ptr<AccessLog>(new AccessLog(fd, true));
}

AccessLog::~AccessLog() {
  if (owned_) close(fd_);
}

void AccessLog::Write(const AccessEntry& entry) {
  std::string line = AccessLogLine(entry);
  std::lock_guard lock(mu_);
  const char* p = line.data();
  size_t left = line.size();
  while (left > 0) {
    ssize_t n = write(fd_, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // a full disk loses log lines, never requests
    p += n;
    left -= static_cast<size_t>(n);
  }
}

}  // namespace deja::server
