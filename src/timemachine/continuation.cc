// The replayed prefix of a continued run changes nothing in the world, but
// the live descriptor table must end up as the killed run left it: the
// descriptors it opened are opened again (never truncating or requiring a
// new file: the killed run did that already), closed and renumbered as it
// did, and each file's offset follows the recorded reads, writes and seeks.
// Sockets cannot be opened again: a prefix that made one is refused at the
// switch. Only the recorded results are trusted for what the guest sees;
// the live table is checked against them (a descriptor number that differs
// is refused, never papered over).
#include "timemachine/continuation.h"

#include <fcntl.h>


#include <cstring>
#include <string_view>
#include <vector>

#include "wasi/dispatch.h"
#include "wasi/errno.h"
#include "wasi/guest_memory.h"

namespace deja::tm {
namespace {

constexpr u64 kOflagExcl = 4, kOflagTrunc = 8;  // WASI oflags
constexpr u32 kMonotonicClock = 1;
constexpr u64 kWhenceSet = 0;

template <typename T>
std::optional<T> Load(std::span<const u8> memory, u64 ptr) {
  if (ptr + sizeof(T) > memory.size()) return std::nullopt;
  T v;
  std::memcpy(&v, memory.data() + ptr, sizeof(T));
  return v;
}

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

// The entry of guest fd `fd` if path_open made it (beneath a preopen), the
// only kind whose offset is the guest's own: standard streams belong to the
// process running now, and may be absent (their numbers are then free).
wasi::FdEntry* OpenedByPath(wasi::WasiCtx& ctx, u64 fd) {
  wasi::FdEntry* e = fd > UINT32_MAX ? nullptr : ctx.fds.Get(static_cast<u32>(fd));
  if (e == nullptr || e->host_fd < 0 || e->base_preopen.empty()) return nullptr;
  return e;
}

// Runs the real handler with `args` (a copy: slots[0] gets its errno).
HostAction RunLive(HostCall& call, const wasi::HostBinding& binding, std::span<const u64> args,
                   u64* result) {
  std::vector<u64> slots(args.begin(), args.end());
  if (slots.empty()) slots.push_back(0);
  wasi::GuestMemory mem(call.memory());
  HostAction action = wasi::RunHandler(call, binding, mem, slots);
  *result = binding.has_result ? slots[0] : 0;
  return action;
}

}  // namespace

Continuation::Continuation(LogReader& prefix, Recorder& recorder)
    : replayer_(prefix, [] {
        ReplayOptions options;
        options.live_after_records = true;  // the prefix's output was written by the killed run
        return options;
      }()),
      recorder_(recorder) {}

Continuation::~Continuation() = default;

HostAction Continuation::Intercept(HostCall& call, const wasi::HostBinding& binding,
                                   std::span<u64> slots) {
  if (live_) return recorder_.Intercept(call, binding, slots);
  std::vector<u64> args(slots.begin(),
                        slots.begin() + std::min<size_t>(binding.param_count, slots.size()));
  HostAction action = replayer_.Intercept(call, binding, slots);
  if (replayer_.exhausted()) {
    if (Status s = GoLive(*binding.ctx); !s.ok()) {
      refusal_ = std::string(s.message());
      return call.Trap("continue: " + refusal_);
    }
    live_ = true;
    return recorder_.Intercept(call, binding, slots);
  }
  if (replayer_.divergence() || !replayer_.log_error().ok()) return action;
  copy_ = replayer_.record();
  copy_.call = binding.index;  // this deja's id, as call_names of the new log say
  recorder_.Copy(copy_);
  bool failed = binding.has_result && copy_.result && *copy_.result != 0;
  if (action != HostAction::kContinue || failed) return action;
  if (Status s = Mirror(call, binding, args); !s.ok()) {
    refusal_ = std::string(s.message());
    return call.Trap("continue: " + refusal_);
  }
  return action;
}

Status Continuation::Mirror(HostCall& call, const wasi::HostBinding& binding,
                            std::span<const u64> args) {
  const std::string_view name = binding.def->name;
  const u64 index = replayer_.calls() - 1;
  wasi::WasiCtx& ctx = *binding.ctx;
  std::span<const u8> memory = call.memory();
  auto arg = [&](size_t i) -> u64 { return i < args.size() ? args[i] : 0; };
  if (name == "path_open") return Reopen(call, binding, args);
  if (name == "fd_close" || name == "fd_renumber" || name == "fd_fdstat_set_flags" ||
      name == "fd_fdstat_set_rights") {
    u64 result = 0;
    RunLive(call, binding, args, &result);
    if (result != 0) {
      return Status::IoError(std::string(name) + " of guest fd " + std::to_string(arg(0)) +
                             " (host call " + std::to_string(index) +
                             ") succeeded in the killed run but fails now: " +
                             wasi::ErrnoName(static_cast<wasi::Errno>(result)));
    }
    return Status();
  }
  if (name == "fd_seek") {
    // Where the recorded seek left the file, whatever it was relative to
    // (the file may have grown since, so SEEK_END now would land elsewhere).
    std::optional<u64> offset = Load<u64>(memory, arg(3));
    if (!offset || OpenedByPath(ctx, arg(0)) == nullptr) return Status();
    u64 result = 0;
    u64 live_args[] = {arg(0), *offset, kWhenceSet, arg(3)};
    RunLive(call, binding, live_args, &result);
    return Status();  // the handler stored the same offset the recording holds
  }
  if (name == "fd_read" || name == "fd_write") {
    wasi::FdEntry* e = OpenedByPath(ctx, arg(0));
    std::optional<u32> n = Load<u32>(memory, arg(3));
    if (e == nullptr || !n || e->type != wasi::FileType::kRegularFile) {
      return Status();
    }
    u64 pos = 0;
    bool append = (e->fdflags & wasi::kFdflagAppend) != 0 && name == "fd_write";
    (void)ctx.sys->Seek(e->host_fd, append ? 0 : static_cast<i64>(*n), append ? SEEK_END : SEEK_CUR,
                        &pos);
    return Status();
  }
  if (name == "clock_time_get" && arg(0) == kMonotonicClock) {
    if (std::optional<u64> t = Load<u64>(memory, arg(2))) max_monotonic_ = std::max(max_monotonic_, *t);
    return Status();
  }
  if (socket_call_.empty() && (StartsWith(name, "sock_accept") || StartsWith(name, "sock_open"))) {
    socket_call_ = std::string(name) + " (host call " + std::to_string(index) + ")";
  }
  return Status();
}

Status Continuation::Reopen(HostCall& call, const wasi::HostBinding& binding,
                            std::span<const u64> args) {
  const u64 index = replayer_.calls() - 1;
  if (args.size() < 9) return Status::Internal("path_open with " + std::to_string(args.size()) + " arguments");
  std::span<u8> memory = call.memory();
  const u64 out = args[8];
  std::optional<u32> recorded = Load<u32>(memory, out);
  if (!recorded) return Status::Internal("path_open's result is outside guest memory");
  std::string path;
  if (args[2] + args[3] <= memory.size()) {
    path.assign(reinterpret_cast<const char*>(memory.data() + args[2]), args[3]);
  }
  std::vector<u64> live(args.begin(), args.end());
  live[4] &= ~(kOflagExcl | kOflagTrunc);  // the killed run created and truncated it already
  u64 result = 0;
  RunLive(call, binding, live, &result);
  std::optional<u32> got = Load<u32>(memory, out);
  std::memcpy(memory.data() + out, &*recorded, sizeof(u32));  // what the guest was answered
  std::string what = "guest fd " + std::to_string(*recorded) + " (\"" + path +
                     "\", opened at host call " + std::to_string(index) + ")";
  if (result != 0) {
    return Status::IoError(what + " cannot be opened again: " +
                           wasi::ErrnoName(static_cast<wasi::Errno>(result)));
  }
  if (got != recorded) {
    return Status::IoError(what + " was opened again as guest fd " +
                           std::to_string(got.value_or(0)) + ": the descriptor table differs");
  }
  return Status();
}

Status Continuation::GoLive(wasi::WasiCtx& ctx) {
  if (!socket_call_.empty()) {
    return Status::Unsupported("the killed run made a socket at " + socket_call_ +
                                 "; a socket cannot be opened again, so the run cannot go on live");
  }
  // The guest never sees the monotonic clock go back, even in a process
  // whose clock starts lower than the killed one's did.
  u64 now = 0;
  if (ctx.sys->ClockTimeGet(kMonotonicClock, 0, &now) == wasi::Errno::kSuccess &&
      now + ctx.monotonic_offset < max_monotonic_) {
    ctx.monotonic_offset = max_monotonic_ - now;
  }
  return Status();
}

}  // namespace deja::tm
