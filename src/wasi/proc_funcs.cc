// Process-level WASI functions: arguments, environment, clocks, randomness,
// exit, signals, yielding and poll_oneoff.
#include <string>
#include <vector>

#include "wasi/registry.h"

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
  if (Errno e = ctx.sys->ClockTimeGet(U32(a, 0), a[1], &now); e != Errno::kSuccess) return e;
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

constexpr FuncDef kProcFuncs[] = {
    {"args_get", "ii", "i", ArgsGet},
    {"args_sizes_get", "ii", "i", ArgsSizesGet},
    {"environ_get", "ii", "i", EnvironGet},
    {"environ_sizes_get", "ii", "i", EnvironSizesGet},
    {"clock_res_get", "ii", "i", ClockResGet},
    {"clock_time_get", "ili", "i", ClockTimeGet},
    {"random_get", "ii", "i", RandomGet},
    {"proc_exit", "i", "", ProcExit},
    {"proc_raise", "i", "i", ProcRaise},
    {"sched_yield", "", "i", SchedYield},
};

}  // namespace

std::span<const FuncDef> ProcFuncs() { return kProcFuncs; }

}  // namespace deja::wasi
