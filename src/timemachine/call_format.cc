// Formatting one WASI call for people: the decoding of each argument kind of
// WASI's function table (flag names, clock ids, quoted paths, iovec totals).
#include <array>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <string>
#include <utility>

#include "base/hex.h"
#include "timemachine/trace.h"
#include "timemachine/trace_internal.h"
#include "wasi/errno.h"
#include "wasi/func_table.h"
#include "wasi/sock_addr.h"

namespace deja::tm {
namespace internal {
namespace {

// The arguments of each function and their kinds come from WASI's own table
// (wasi/func_table.h), the one dispatch links with.
using Kind = wasi::ArgKind;

bool IsPair(Kind k) { return wasi::ArgSlots(k) == 2; }

struct FlagName {
  u64 bit;
  const char* name;
};

// Known bits by name, joined with '|'; leftover bits in hex; "0" for none.
std::string Flags(u64 v, std::span<const FlagName> names) {
  if (v == 0) return "0";
  std::string out;
  for (const FlagName& f : names) {
    if ((v & f.bit) == 0) continue;
    if (!out.empty()) out += '|';
    out += f.name;
    v &= ~f.bit;
  }
  if (v != 0) {
    if (!out.empty()) out += '|';
    out += Hex(v);
  }
  return out;
}

// One of a list of names by value, else the number.
std::string Enum(u64 v, std::span<const char* const> names) {
  return v < names.size() ? names[v] : std::to_string(v);
}

constexpr size_t kMaxString = 64;

std::string Quote(std::span<const u8> bytes) {
  std::string out = "\"";
  size_t n = std::min(bytes.size(), kMaxString);
  for (size_t i = 0; i < n; ++i) {
    u8 c = bytes[i];
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c >= 0x20 && c < 0x7f) {
          out += static_cast<char>(c);
        } else {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\x%02x", c);
          out += buf;
        }
    }
  }
  out += '"';
  if (bytes.size() > kMaxString) out += "...";
  return out;
}

// WASI's own limit on iovecs per call (IOV_MAX); a larger count never
// reached the host, and is not walked here either.
constexpr u32 kMaxIovecs = 1024;
constexpr u64 kRecvPeek = 1;

std::string IovsText(u32 ptr, u32 count, const MemoryLookup& memory) {
  if (count > kMaxIovecs || u64{ptr} + u64{count} * 8 > u64{UINT32_MAX} + 1) {
    return Hex(ptr) + "[" + std::to_string(count) + "]";
  }
  u64 total = 0;
  bool known = true;
  for (u32 i = 0; i < count && known; ++i) {
    std::optional<u32> len = LoadU32(memory, ptr + i * 8 + 4);
    if (!len)
      known = false;
    else
      total += *len;
  }
  if (!known) return Hex(ptr) + "[" + std::to_string(count) + "]";
  return "[" + std::to_string(total) + " bytes in " + std::to_string(count) +
         (count == 1 ? " buf]" : " bufs]");
}

std::string SockAddrText(u32 ptr, const MemoryLookup& memory) {
  std::optional<u32> buf = LoadU32(memory, ptr), len = LoadU32(memory, ptr + 4);
  if (!buf || !len || *len > wasi::kTaggedAddrLen) return Hex(ptr);
  std::optional<std::span<const u8>> bytes = memory(*buf, *len);
  wasi::SockAddr addr;
  if (!bytes || wasi::DecodeGuestAddr(*bytes, 0, &addr) != wasi::Errno::kSuccess) return Hex(ptr);
  return wasi::FormatIp(addr);
}

std::string Decode(Kind kind, u64 v, const MemoryLookup& memory) {
  static constexpr FlagName kOflags[] = {{1, "CREAT"}, {2, "DIRECTORY"}, {4, "EXCL"}, {8, "TRUNC"}};
  static constexpr FlagName kFdflags[] = {
      {1, "APPEND"}, {2, "DSYNC"}, {4, "NONBLOCK"}, {8, "RSYNC"}, {16, "SYNC"}};
  static constexpr FlagName kLookup[] = {{1, "SYMLINK_FOLLOW"}};
  static constexpr FlagName kFst[] = {{1, "ATIM"}, {2, "ATIM_NOW"}, {4, "MTIM"}, {8, "MTIM_NOW"}};
  static constexpr FlagName kRiflags[] = {{1, "RECV_PEEK"}, {2, "RECV_WAITALL"}};
  static constexpr FlagName kSdflags[] = {{1, "RD"}, {2, "WR"}};
  static constexpr const char* kClocks[] = {"REALTIME", "MONOTONIC", "PROCESS_CPUTIME_ID",
                                            "THREAD_CPUTIME_ID"};
  static constexpr const char* kWhence[] = {"SET", "CUR", "END"};
  static constexpr const char* kAdvice[] = {"NORMAL",   "SEQUENTIAL", "RANDOM",
                                            "WILLNEED", "DONTNEED",   "NOREUSE"};
  static constexpr const char* kAf[] = {"UNSPEC", "INET4", "INET6"};
  static constexpr const char* kSockType[] = {"ANY", "DGRAM", "STREAM"};
  auto u32v = static_cast<u32>(v);
  switch (kind) {
    case Kind::kFd:
    case Kind::kU32:
      return std::to_string(u32v);
    case Kind::kI32:
      return std::to_string(static_cast<i32>(u32v));
    case Kind::kU64:
      return std::to_string(v);
    case Kind::kI64:
      return std::to_string(static_cast<i64>(v));
    case Kind::kPtr:
    case Kind::kOut:
    case Kind::kRights:
      return Hex(v);
    case Kind::kOflags:
      return Flags(u32v, kOflags);
    case Kind::kFdflags:
      return Flags(u32v, kFdflags);
    case Kind::kLookup:
      return Flags(u32v, kLookup);
    case Kind::kFstflags:
      return Flags(u32v, kFst);
    case Kind::kRiflags:
      return Flags(u32v, kRiflags);
    case Kind::kSdflags:
      return Flags(u32v, kSdflags);
    case Kind::kClock:
      return Enum(u32v, kClocks);
    case Kind::kWhence:
      return Enum(u32v, kWhence);
    case Kind::kAdvice:
      return Enum(u32v, kAdvice);
    case Kind::kAf:
      return Enum(u32v, kAf);
    case Kind::kSockType:
      return Enum(u32v, kSockType);
    case Kind::kSockAddr:
      return SockAddrText(u32v, memory);
    case Kind::kString:
    case Kind::kIovs:
      break;  // pairs, decoded by the caller
  }
  return std::to_string(v);
}

std::vector<FormattedArg> Generic(std::span<const u64> args) {
  std::vector<FormattedArg> out;
  for (size_t i = 0; i < args.size(); ++i) {
    u64 v = args[i];
    out.push_back({"a" + std::to_string(i), "=", v <= 0xffff ? std::to_string(v) : Hex(v), v, {}});
  }
  return out;
}

}  // namespace

std::string_view BaseName(std::string_view name) { return wasi::BaseFuncName(name); }

std::vector<FormattedArg> FormatArgs(std::string_view name, std::span<const u64> args,
                                     const MemoryLookup& memory) {
  const wasi::FuncSpec* spec = wasi::FindFuncSpec(name);
  if (spec == nullptr || std::strlen(spec->params) != args.size()) return Generic(args);
  std::vector<FormattedArg> out;
  size_t i = 0;
  for (const wasi::ArgSpec& a : spec->arg_list()) {
    FormattedArg f{a.name, a.kind == Kind::kOut ? "->" : "=", "", args[i], {}};
    if (IsPair(a.kind)) {
      auto ptr = static_cast<u32>(args[i]), len = static_cast<u32>(args[i + 1]);
      f.len = len;
      if (a.kind == Kind::kIovs) {
        f.text = IovsText(ptr, len, memory);
      } else {
        // A string is shown even when only its first kMaxString bytes are known.
        std::optional<std::span<const u8>> bytes = memory(ptr, len);
        if (!bytes && len > kMaxString) bytes = memory(ptr, kMaxString);
        if (bytes) {
          f.text = Quote(*bytes);
          if (bytes->size() < len && f.text.back() != '.') f.text += "...";
        } else {
          f.text = Hex(ptr) + "[" + std::to_string(len) + "]";
        }
      }
      i += 2;
    } else {
      f.text = Decode(a.kind, args[i], memory);
      i += 1;
    }
    out.push_back(std::move(f));
  }
  return out;
}

namespace {

// Finds [ptr, ptr+len) inside one op of the given kind.
std::optional<std::span<const u8>> FindInOps(const CallRecord& rec, MemOp::Kind kind, u32 ptr,
                                             u32 len) {
  // The last op wins: a later write overwrites an earlier one.
  for (size_t i = rec.ops.size(); i-- > 0;) {
    const MemOp& op = rec.ops[i];
    if (op.kind != kind || ptr < op.ptr || u64{ptr} + len > u64{op.ptr} + op.len) continue;
    if (u64{op.offset} + op.len > rec.data.size()) continue;  // damaged record
    return rec.Bytes(op).subspan(ptr - op.ptr, len);
  }
  return std::nullopt;
}

}  // namespace

MemoryLookup WrittenMemory(const CallRecord& rec) {
  return [&rec](u32 ptr, u32 len) { return FindInOps(rec, MemOp::Kind::kWrite, ptr, len); };
}

std::optional<u32> LoadU32(const MemoryLookup& memory, u32 ptr) {
  if (u64{ptr} + 4 > u64{UINT32_MAX} + 1) return std::nullopt;
  std::optional<std::span<const u8>> b = memory(ptr, 4);
  if (!b || b->size() != 4) return std::nullopt;
  return u32{(*b)[0]} | u32{(*b)[1]} << 8 | u32{(*b)[2]} << 16 | u32{(*b)[3]} << 24;
}

std::optional<u64> LoadU64(const MemoryLookup& memory, u32 ptr) {
  std::optional<u32> lo = LoadU32(memory, ptr);
  std::optional<u32> hi = ptr <= UINT32_MAX - 4 ? LoadU32(memory, ptr + 4) : std::nullopt;
  if (!lo || !hi) return std::nullopt;
  return u64{*lo} | u64{*hi} << 32;
}

std::optional<std::vector<u8>> GatherIovecs(const MemoryLookup& iovecs, const MemoryLookup& data,
                                            u32 iovs_ptr, u32 iovs_count, u64 n) {
  std::vector<u8> out;
  for (u32 i = 0; i < iovs_count && n > 0; ++i) {
    u64 at = u64{iovs_ptr} + u64{i} * 8;
    if (at + 8 > u64{UINT32_MAX} + 1) return std::nullopt;
    std::optional<u32> buf = LoadU32(iovecs, static_cast<u32>(at));
    std::optional<u32> len = LoadU32(iovecs, static_cast<u32>(at + 4));
    if (!buf || !len) return std::nullopt;
    auto take = static_cast<u32>(std::min<u64>(n, *len));
    if (take == 0) continue;
    std::optional<std::span<const u8>> bytes = data(*buf, take);
    if (!bytes) return std::nullopt;
    out.insert(out.end(), bytes->begin(), bytes->end());
    n -= take;
  }
  if (n != 0) return std::nullopt;  // the call claims more than its buffers hold
  return out;
}

std::optional<TransferArgs> TransferOf(std::string_view name, std::span<const u64> args) {
  name = BaseName(name);
  // Index of the count pointer, and direction.
  size_t count_at = 0;
  bool inbound = false;
  if (name == "fd_read" || name == "fd_write") {
    count_at = 3;
    inbound = name == "fd_read";
  } else if (name == "fd_pread" || name == "fd_pwrite" || name == "sock_recv" ||
             name == "sock_send") {
    count_at = 4;
    inbound = name == "fd_pread" || name == "sock_recv";
  } else if (name == "sock_recv_from" || name == "sock_send_to") {
    count_at = 6;
    inbound = name == "sock_recv_from";
  } else {
    return std::nullopt;
  }
  if (args.size() <= count_at) return std::nullopt;
  // riflags: sock_recv's 4th argument, sock_recv_from's 5th.
  size_t flags_at = name == "sock_recv" ? 3 : name == "sock_recv_from" ? 4 : 0;
  bool peek = flags_at != 0 && (args[flags_at] & kRecvPeek) != 0;
  return TransferArgs{static_cast<u32>(args[0]),
                      static_cast<u32>(args[1]),
                      static_cast<u32>(args[2]),
                      static_cast<u32>(args[count_at]),
                      inbound,
                      peek};
}

CallEffect DecodeEffect(std::string_view name, const CallRecord& rec) {
  CallEffect e;
  if (!rec.result || *rec.result != 0) return e;
  name = BaseName(name);
  MemoryLookup written = WrittenMemory(rec);
  const std::vector<u64>& a = rec.args;
  if (std::optional<TransferArgs> t = TransferOf(name, a)) {
    e.fd = t->fd;
    e.inbound = t->inbound;
    if (std::optional<u32> n = LoadU32(written, t->count_ptr)) e.transferred = *n;
  } else if ((name == "path_open" && a.size() == 9) ||
             ((name == "sock_accept" || name == "sock_open") && a.size() == 3)) {
    e.new_fd = LoadU32(written, static_cast<u32>(a.back()));
  } else if (name == "clock_time_get" && a.size() == 3) {
    e.time = LoadU64(written, static_cast<u32>(a[2]));
  } else if (name == "random_get" && a.size() == 2) {
    e.random_len = static_cast<u32>(a[1]);
  }
  return e;
}

std::string ErrnoText(u32 errno_value) {
  if (errno_value == 0) return "SUCCESS";
  if (errno_value > 0xffff) return "E?";
  return wasi::ErrnoName(static_cast<wasi::Errno>(errno_value));
}

u64 BytesRead(const CallRecord& rec) {
  u64 n = 0;
  for (const MemOp& op : rec.ops) n += op.kind == MemOp::Kind::kRead ? op.len : 0;
  return n;
}

u64 BytesWritten(const CallRecord& rec) {
  u64 n = 0;
  for (const MemOp& op : rec.ops) n += op.kind == MemOp::Kind::kWrite ? op.len : 0;
  return n;
}

}  // namespace internal

std::string FormatCall(std::string_view name, std::span<const u64> args,
                       const MemoryLookup& memory) {
  std::string out(name);
  out += '(';
  bool first = true;
  for (const internal::FormattedArg& a : internal::FormatArgs(name, args, memory)) {
    if (!first) out += ", ";
    first = false;
    out += a.name;
    out += a.sep;
    out += a.text;
  }
  out += ')';
  return out;
}

MemoryLookup RecordMemory(const CallRecord& rec) {
  return
      [&rec](u32 ptr, u32 len) { return internal::FindInOps(rec, MemOp::Kind::kRead, ptr, len); };
}

}  // namespace deja::tm
