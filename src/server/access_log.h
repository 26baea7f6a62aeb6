// Structured access log of `deja serve` (docs/SERVER.md, "Access log"): one
// JSON object per line per request, to stderr or a file (--access-log).
// Thread-safe; a line is written whole with one write(2), so lines from
// several engine threads never interleave.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include "deja/status.h"

namespace deja::server {

// What the routes learn about a request; the invocation fields stay empty
// (and are left out of the line) for other routes.
struct AccessEntry {
  int64_t time_ms = 0;  // when the request was complete (Unix ms)
  std::string method;
  std::string path;     // without the query (it may carry secrets)
  int status = 0;
  uint64_t duration_us = 0;
  uint64_t bytes_in = 0;
  uint64_t bytes_out = 0;
  std::string tenant;
  std::string function;
  int64_t version = 0;
  std::string run_id;
  std::string traceparent;  // accepted (valid) only
};

// The line for `entry`, newline included.
std::string AccessLogLine(const AccessEntry& entry);

class AccessLog {
 public:
  // "-": stderr; else the file, appended to (created 0640).
  static Result<std::unique_ptr<AccessLog>> Open(const std::string& path);
  ~AccessLog();
  void Write(const AccessEntry& entry);

 private:
  AccessLog(int fd, bool owned) : fd_(fd), owned_(owned) {}
  std::mutex mu_;
  int fd_;
  bool owned_;
};

}  // namespace deja::server
