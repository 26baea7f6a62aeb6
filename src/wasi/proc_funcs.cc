// Process-level WASI functions: arguments, environment, clocks, randomness,
// exit, signals, yielding and poll_oneoff.
#include <poll.h>

#include <algorithm>
#include <array>
#include <climits>
#include <cstring>
#include <string>
#include <vector>

#include "wasi/registry.h"
#include "wasi/rights.h"

namespace deja::wasi {
namespace {

u32 U32(std::span<const u64> args, size_t i) { return static_cast<u32>(args[i]); }

// Sizes of a string list as args_sizes_get reports them: count and bytes
// including each terminating NUL. kOverflow if they do not fit a u32.
Errno ListSizes(const std::vector<std::string>& list, u32* count, u32* bytes) {
  u64 total = 0;
  for (const std::string& s : list) total += s.size() + 1;
  if (list.size() > UINT32_MAX / 4 || total > UINT32_MAX) return Errno::kOverflow;
  *count = static_cast<u32>(list.size());
  *bytes = static_cast<u32>(total);
  return Errno::kSuccess;
}

Errno StoreSizes(const std::vector<std::string>& list, GuestMemory& mem, u32 count_ptr,
                 u32 size_ptr) {
  u32 count, bytes;
  if (Errno e = ListSizes(list, &count, &bytes); e != Errno::kSuccess) return e;
  if (!mem.InBounds(count_ptr, 4) || !mem.InBounds(size_ptr, 4)) return Errno::kFault;
  mem.Store(count_ptr, count);
  mem.Store(size_ptr, bytes);
  return Errno::kSuccess;
}

// Writes `list` as args_get does: a u32 pointer per string at `ptrs`, the
// NUL-terminated strings packed at `buf`. Nothing is written unless both
// ranges are in bounds.
Errno StoreList(const std::vector<std::string>& list, GuestMemory& mem, u32 ptrs, u32 buf) {
  u32 count, bytes;
  if (Errno e = ListSizes(list, &count, &bytes); e != Errno::kSuccess) return e;
  if (!mem.InBounds(ptrs, u64{count} * 4) || !mem.InBounds(buf, bytes)) return Errno::kFault;
  u32 at = buf;
  for (u32 i = 0; i < count; ++i) {
    const std::string& s = list[i];
    mem.Store(ptrs + 4 * i, at);
    mem.Write(at, {reinterpret_cast<const u8*>(s.c_str()), s.size() + 1});
    at += static_cast<u32>(s.size() + 1);
  }
  return Errno::kSuccess;
}

Errno ArgsGet(WasiCtx& ctx, GuestMemory& mem, std::span<const u64> a) {
  return StoreList(ctx.config.args, mem, U32(a, 0), U32(a, 1));
}
Errno ArgsSizesGet(WasiCtx& ctx, GuestMemory& mem, std::span<const u64> a) {
  return StoreSizes(ctx.config.args, mem, U32(a, 0), U32(a, 1));
}
Errno EnvironGet(WasiCtx& ctx, GuestMemory& mem, std::span<const u64> a) {
  return StoreList(ctx.config.env, mem, U32(a, 0), U32(a, 1));
}
Errno EnvironSizesGet(WasiCtx& ctx, GuestMemory& mem, std::span<const u64> a) {
  return StoreSizes(ctx.config.env, mem, U32(a, 0), U32(a, 1));
}

Errno ClockResGet(WasiCtx& ctx, GuestMemory& mem, std::span<const u64> a) {
  u32 out_ptr = U32(a, 1);
  if (!mem.InBounds(out_ptr, 8)) return Errno::kFault;
  u64 res = 0;
  if (Errno e = ctx.sys->ClockResGet(U32(a, 0), &res); e != Errno::kSuccess) return e;
  mem.Store(out_ptr, res);
  return Errno::kSuccess;
}

Errno ClockTimeGet(WasiCtx& ctx, GuestMemory& mem, std::span<const u64> a) {
  u32 out_ptr = U32(a, 2);
  if (!mem.InBounds(out_ptr, 8)) return Errno::kFault;
  u64 now = 0;
  if (Errno e = GuestClockTime(ctx, U32(a, 0), a[1], &now); e != Errno::kSuccess) return e;
  mem.Store(out_ptr, now);
  return Errno::kSuccess;
}

Errno RandomGet(WasiCtx& ctx, GuestMemory& mem, std::span<const u64> a) {
  u32 ptr = U32(a, 0), len = U32(a, 1);
  std::span<u8> out;
  if (!mem.Writable(ptr, len, &out)) return Errno::kFault;
  if (Errno e = ctx.sys->RandomGet(out); e != Errno::kSuccess) return e;
  mem.Commit(ptr, len);
  return Errno::kSuccess;
}

Errno ProcExit(WasiCtx& ctx, GuestMemory&, std::span<const u64> a) {
  ctx.exit_requested = true;
  ctx.exit_code = static_cast<i32>(U32(a, 0));
  return Errno::kSuccess;
}

// Signals would reach only the guest itself; there is no handler model.
Errno ProcRaise(WasiCtx&, GuestMemory&, std::span<const u64>) { return Errno::kNosys; }

Errno SchedYield(WasiCtx& ctx, GuestMemory&, std::span<const u64>) {
  ctx.sys->SchedYield();
  return Errno::kSuccess;
}

// --- poll_oneoff.

constexpr u32 kMaxSubscriptions = 4096;  // bounds the host memory one call can take
constexpr u32 kSubscriptionSize = 48, kEventSize = 32;
constexpr u8 kEventClock = 0, kEventFdRead = 1, kEventFdWrite = 2;
constexpr u16 kSubclockAbstime = 1;
constexpr u16 kEventrwHangup = 1;
constexpr u32 kMonotonic = 1;

struct Sub {
  u64 userdata;
  u8 type;
  u64 wait_ns = 0;        // clocks: how long until it fires
  int poll_index = -1;    // fds: index into the pollfd list
  Errno error = Errno::kSuccess;  // set when it completes at once with an error
};

struct Event {
  u64 userdata;
  Errno error;
  u8 type;
  u64 nbytes = 0;
  u16 flags = 0;
};

// Reads one subscription (layout: userdata @0, tag u8 @8; clock: id u32 @16,
// timeout @24, precision @32, flags u16 @40; fd_read/fd_write: fd u32 @16).
Errno ParseSub(WasiCtx& ctx, GuestMemory& mem, u32 at, std::vector<pollfd>* fds, Sub* sub) {
  u8 tag = 0;
  mem.Load(at, &sub->userdata);
  mem.Load(at + 8, &tag);
  sub->type = tag;
  if (tag == kEventClock) {
    u32 id = 0;
    u64 timeout = 0;
    u16 flags = 0;
    mem.Load(at + 16, &id);
    mem.Load(at + 24, &timeout);
    mem.Load(at + 40, &flags);
    if ((flags & kSubclockAbstime) == 0) {
      sub->wait_ns = timeout;
      // Still reject clocks that do not exist, as an absolute wait would.
      u64 unused;
      sub->error = ctx.sys->ClockResGet(id, &unused);
      return Errno::kSuccess;
    }
    u64 now = 0;
    sub->error = GuestClockTime(ctx, id, 0, &now);  // absolute times are the guest's
    sub->wait_ns = timeout > now ? timeout - now : 0;
    return Errno::kSuccess;
  }
  if (tag != kEventFdRead && tag != kEventFdWrite) return Errno::kInval;
  u32 fd = 0;
  mem.Load(at + 16, &fd);
  FdEntry* e = ctx.fds.Get(fd);
  if (e == nullptr) {
    sub->error = Errno::kBadf;
  } else if ((e->rights_base & rights::kPollFdReadwrite) == 0) {
    sub->error = Errno::kNotcapable;
  } else {
    sub->poll_index = static_cast<int>(fds->size());
    fds->push_back({e->host_fd, static_cast<short>(tag == kEventFdRead ? POLLIN : POLLOUT), 0});
  }
  return Errno::kSuccess;
}

// Waits through the System until an fd is ready or `wait_ns` passes.
// Returns the number of ready descriptors (0 when the time ran out).
Errno Wait(WasiCtx& ctx, std::span<pollfd> fds, bool has_clock, u64 wait_ns, int* ready) {
  *ready = 0;
  if (fds.empty()) {
    if (wait_ns > 0) ctx.sys->Sleep(wait_ns);
    return Errno::kSuccess;
  }
  if (!has_clock) return ctx.sys->Poll(fds, -1, ready);
  u64 start = 0;
  if (Errno e = ctx.sys->ClockTimeGet(kMonotonic, 0, &start); e != Errno::kSuccess) return e;
  for (;;) {
    u64 now = start;
    if (Errno e = ctx.sys->ClockTimeGet(kMonotonic, 0, &now); e != Errno::kSuccess) return e;
    u64 spent = now - start;
    u64 left_ns = spent >= wait_ns ? 0 : wait_ns - spent;
    // Rounded up so the wait is never shorter than asked; long waits are
    // cut into INT_MAX-millisecond polls.
    u64 left_ms = left_ns / 1'000'000 + (left_ns % 1'000'000 != 0);
    int timeout = static_cast<int>(std::min<u64>(left_ms, INT32_MAX));
    if (Errno e = ctx.sys->Poll(fds, timeout, ready); e != Errno::kSuccess) return e;
    if (*ready > 0 || left_ms <= INT32_MAX) return Errno::kSuccess;
  }
}

// The event of a ready descriptor subscription.
Event FdEvent(WasiCtx& ctx, const Sub& sub, const pollfd& p) {
  Event ev{sub.userdata, Errno::kSuccess, sub.type};
  if (p.revents & POLLNVAL) {
    ev.error = Errno::kBadf;
  } else if ((p.revents & POLLERR) && !(p.revents & (POLLIN | POLLOUT))) {
    ev.error = Errno::kIo;
  }
  if (p.revents & POLLHUP) ev.flags = kEventrwHangup;
  // Bytes available: known for regular files (size - position); streams do
  // not say without reading, so 0 there means "some".
  struct stat st;
  u64 pos = 0;
  if (sub.type == kEventFdRead && ctx.sys->Fstat(p.fd, &st) == Errno::kSuccess &&
      S_ISREG(st.st_mode) && ctx.sys->Seek(p.fd, 0, SEEK_CUR, &pos) == Errno::kSuccess &&
      static_cast<u64>(st.st_size) > pos) {
    ev.nbytes = static_cast<u64>(st.st_size) - pos;
  }
  return ev;
}

// Collects the events: failed subscriptions, ready descriptors, and every
// clock due after waiting `waited_ns` (0 when a descriptor ended the wait).
std::vector<Event> Collect(WasiCtx& ctx, const std::vector<Sub>& subs,
                           std::span<const pollfd> fds, u64 waited_ns) {
  std::vector<Event> events;
  for (const Sub& s : subs) {
    if (s.error != Errno::kSuccess) {
      events.push_back({s.userdata, s.error, s.type});
    } else if (s.poll_index >= 0 && fds[s.poll_index].revents != 0) {
      events.push_back(FdEvent(ctx, s, fds[s.poll_index]));
    } else if (s.type == kEventClock && s.wait_ns <= waited_ns) {
      events.push_back({s.userdata, Errno::kSuccess, s.type});
    }
  }
  return events;
}

Errno StoreEvents(GuestMemory& mem, u32 out, u32 nevents_ptr, const std::vector<Event>& events) {
  for (size_t i = 0; i < events.size(); ++i) {
    // event: userdata @0, error u16 @8, type u8 @10, nbytes @16, flags u16 @24.
    std::array<u8, kEventSize> buf{};
    const Event& ev = events[i];
    auto error = static_cast<u16>(ev.error);
    std::memcpy(buf.data(), &ev.userdata, 8);
    std::memcpy(buf.data() + 8, &error, 2);
    buf[10] = ev.type;
    std::memcpy(buf.data() + 16, &ev.nbytes, 8);
    std::memcpy(buf.data() + 24, &ev.flags, 2);
    mem.Write(out + static_cast<u32>(i) * kEventSize, buf);
  }
  mem.Store(nevents_ptr, static_cast<u32>(events.size()));
  return Errno::kSuccess;
}

// poll_oneoff(in, out, nsubscriptions, nevents_ptr). Blocks only in
// System::Sleep or System::Poll, until a descriptor is ready or the earliest
// clock fires; a subscription that fails at once completes without waiting.
Errno PollOneoff(WasiCtx& ctx, GuestMemory& mem, std::span<const u64> a) {
  u32 in = U32(a, 0), out = U32(a, 1), n = U32(a, 2), nevents_ptr = U32(a, 3);
  if (n == 0 || n > kMaxSubscriptions) return Errno::kInval;
  if (!mem.InBounds(in, u64{n} * kSubscriptionSize) || !mem.InBounds(out, u64{n} * kEventSize) ||
      !mem.InBounds(nevents_ptr, 4)) {
    return Errno::kFault;
  }
  std::vector<Sub> subs(n);
  std::vector<pollfd> fds;
  bool has_clock = false, failed = false;
  u64 wait_ns = UINT64_MAX;
  for (u32 i = 0; i < n; ++i) {
    Sub& s = subs[i];
    if (Errno e = ParseSub(ctx, mem, in + i * kSubscriptionSize, &fds, &s); e != Errno::kSuccess) {
      return e;
    }
    failed |= s.error != Errno::kSuccess;
    if (s.type == kEventClock && s.error == Errno::kSuccess) {
      has_clock = true;
      wait_ns = std::min(wait_ns, s.wait_ns);
    }
  }
  if (failed) {
    has_clock = true;
    wait_ns = 0;  // report the failures now; still look at the descriptors
  }
  int ready = 0;
  if (fds.empty() && !failed && has_clock && ctx.park_sleep && ctx.park_sleep(wait_ns)) {
    // Parked instead of sleeping: the clocks fire as if wait_ns had passed.
    ctx.suspend_requested = true;
    return StoreEvents(mem, out, nevents_ptr, Collect(ctx, subs, fds, wait_ns));
  }
  if (Errno e = Wait(ctx, fds, has_clock, has_clock ? wait_ns : 0, &ready); e != Errno::kSuccess) {
    return e;
  }
  return StoreEvents(mem, out, nevents_ptr, Collect(ctx, subs, fds, ready > 0 ? 0 : wait_ns));
}

constexpr FuncDef kProcFuncs[] = {
    {"args_get", ArgsGet},
    {"args_sizes_get", ArgsSizesGet},
    {"environ_get", EnvironGet},
    {"environ_sizes_get", EnvironSizesGet},
    {"clock_res_get", ClockResGet},
    {"clock_time_get", ClockTimeGet},
    {"random_get", RandomGet},
    {"proc_exit", ProcExit},
    {"proc_raise", ProcRaise},
    {"sched_yield", SchedYield},
    {"poll_oneoff", PollOneoff},
};

}  // namespace

std::span<const FuncDef> ProcFuncs() { return kProcFuncs; }

}  // namespace deja::wasi
