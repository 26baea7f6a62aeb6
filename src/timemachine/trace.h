// Reading recordings for people and tools: one line per host call with its
// arguments decoded (fds, flags, paths, byte counts), as text or JSON, and
// HTTP/1.x exchanges reconstructed from socket and stdio streams.
#pragma once

#include <functional>
#include <optional>
#include <ostream>
#include <span>
#include <string>
#include <string_view>

#include "base/types.h"
#include "deja/status.h"
#include "timemachine/log.h"
#include "timemachine/record.h"

namespace deja::tm {

// Guest bytes at [ptr, ptr+len) if known (from a record's read ops, or live
// memory during replay); nullopt otherwise.
using MemoryLookup = std::function<std::optional<std::span<const u8>>(u32 ptr, u32 len)>;

// "path_open(fd=3, dirflags=SYMLINK_FOLLOW, path=\"data/in.txt\", oflags=0, ...)":
// the call's arguments by name, strings and paths quoted (cut at 64 bytes).
std::string FormatCall(std::string_view name, std::span<const u64> args,
                       const MemoryLookup& memory);
// A MemoryLookup over the read ops of a record.
MemoryLookup RecordMemory(const CallRecord& rec);

struct TraceOptions {
  bool json = false;  // one JSON object per line instead of text
};
// Writes one line per call: index, time since start, the call (FormatCall),
// result (errno name), bytes read/written, and for the end its outcome.
Status WriteTrace(LogReader& log, std::ostream& out, const TraceOptions& options);
// Writes each HTTP/1.x request and response found in the run's socket and
// stdio streams: start line, headers, body size, timing, which fd.
Status WriteHttpTrace(LogReader& log, std::ostream& out, const TraceOptions& options);

}  // namespace deja::tm
