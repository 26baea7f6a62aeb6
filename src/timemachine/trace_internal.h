// Shared by call_format.cc, trace.cc and trace_http.cc: decoded arguments of
// one call, guest memory as a record saw it, and the facts a trace shows
// about a call's effect (bytes moved, new descriptors, clock readings).
#pragma once

#include <memory>
#include <optional>
#include <ostream>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/types.h"
#include "timemachine/record.h"
#include "timemachine/trace.h"

namespace deja::tm::internal {

// One argument as FormatCall prints it: `name` `sep` `text`, where sep is
// "=" for inputs and "->" for pointers the call writes through.
struct FormattedArg {
  std::string name;
  std::string sep;
  std::string text;
  u64 value = 0;           // the raw slot (the pointer, for a (ptr, len) pair)
  std::optional<u64> len;  // the second slot of a (ptr, len) pair
};

// The arguments of `name` decoded by kind; "a0", "a1", ... with raw values
// when the function is unknown or the slot count does not match.
std::vector<FormattedArg> FormatArgs(std::string_view name, std::span<const u64> args,
                                     const MemoryLookup& memory);

// The function name without the WasmEdge "_v2" suffix ("sock_accept_v2" is
// the same function as "sock_accept").
std::string_view BaseName(std::string_view name);

// A MemoryLookup over the write ops of a record: what the call left in the
// guest's memory.
MemoryLookup WrittenMemory(const CallRecord& rec);

// A little-endian u32 at `ptr`, if `memory` has all four bytes.
std::optional<u32> LoadU32(const MemoryLookup& memory, u32 ptr);
std::optional<u64> LoadU64(const MemoryLookup& memory, u32 ptr);

// The first `n` bytes of the iovec array (ptr, count): the array itself is
// read from `iovecs`, the buffers' contents from `data`. nullopt when any of
// it is missing.
std::optional<std::vector<u8>> GatherIovecs(const MemoryLookup& iovecs, const MemoryLookup& data,
                                            u32 iovs_ptr, u32 iovs_count, u64 n);

// What a successful call did that a reader cares about, decoded from its
// arguments and write ops. Fields are set only where they apply.
struct CallEffect {
  std::optional<u32> fd;           // the descriptor the data moved on
  std::optional<u64> transferred;  // bytes read or written (fd_read, sock_send, ...)
  bool inbound = false;            // transferred into the guest (a read)
  std::optional<u32> new_fd;       // path_open, sock_accept, sock_open
  std::optional<u64> time;         // clock_time_get
  std::optional<u64> random_len;   // random_get
};
CallEffect DecodeEffect(std::string_view name, const CallRecord& rec);

// Where the data of a transfer call sits: its iovec array and result pointer.
struct TransferArgs {
  u32 fd = 0;
  u32 iovs_ptr = 0;
  u32 iovs_count = 0;
  u32 count_ptr = 0;  // where the call stored the bytes it moved
  bool inbound = false;
  bool peek = false;  // RECV_PEEK: the bytes stay queued and are read again
};
// fd_read, fd_pread, sock_recv, sock_recv_from and their writing twins;
// nullopt for other calls or too few arguments.
std::optional<TransferArgs> TransferOf(std::string_view name, std::span<const u64> args);

// "ESUCCESS" is shown as "SUCCESS"; unknown numbers as "E?".
std::string ErrnoText(u32 errno_value);

// Bytes of a record's read and write ops.
u64 BytesRead(const CallRecord& rec);
u64 BytesWritten(const CallRecord& rec);

// The name of a record's call in its log ("call17" when out of range).
std::string CallName(const RunInfo& info, const CallRecord& rec);
// "+1.234567s" for a time in nanoseconds since the start.
std::string Seconds(u64 ns);

// WriteTrace's work, fed record by record (so it is testable without a log).
class TraceFormatter {
 public:
  TraceFormatter(const RunInfo& info, std::ostream& out, bool json)
      : info_(info), out_(out), json_(json) {}
  void Record(const CallRecord& rec);
  // The last line: how the run ended, or where the recording stops.
  void End(const std::optional<RunEnd>& end, bool truncated, std::string_view reason);

 private:
  const RunInfo& info_;
  std::ostream& out_;
  bool json_;
};

// WriteHttpTrace's work: follows descriptors and streams record by record,
// prints every exchange at Finish.
class HttpTracer {
 public:
  HttpTracer(const RunInfo& info, std::ostream& out, bool json);
  ~HttpTracer();
  void Record(const CallRecord& rec);
  void Finish();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace deja::tm::internal
