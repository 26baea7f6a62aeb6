// Module "deja": the durable guest API's handlers (deja_api.h). Each checks
// every pointer and length before it asks the host anything, so a call that
// faults has taken nothing from a queue and created nothing.
#include <string>
#include <vector>

#include "wasi/deja_api.h"
#include "wasi/registry.h"

namespace deja::wasi {
namespace {

u32 U32(std::span<const u64> a, size_t i) { return static_cast<u32>(a[i]); }

// Reads the (ptr, len) string at slots i, i+1; kNametoolong/k2big beyond
// `cap`, kFault outside memory.
Errno ReadArg(GuestMemory& mem, std::span<const u64> a, size_t i, u32 cap, Errno too_long,
              std::string* out) {
  u32 ptr = U32(a, i), len = U32(a, i + 1);
  if (len > cap) return too_long;
  if (!mem.ReadString(ptr, len, out)) return Errno::kFault;
  return Errno::kSuccess;
}

// Copies a taken payload to (buf, cap) and its length to len_ptr; both were
// checked in bounds before the take.
void Deliver(GuestMemory& mem, u32 buf, u32 len_ptr, const std::string& payload, u32 size) {
  if (!payload.empty()) {
    mem.Write(buf, {reinterpret_cast<const u8*>(payload.data()), payload.size()});
  }
  mem.Store(len_ptr, size);
}

Errno Park(WasiCtx& ctx, const WaitCondition& wait) {
  Errno e = ctx.durable->Park(wait);
  if (e == Errno::kSuccess) ctx.suspend_requested = true;  // RunHandler suspends the call
  if (e == Errno::kAlready) return Errno::kSuccess;        // the guest asks again at once
  return e;
}

Errno SignalTake(WasiCtx& ctx, GuestMemory& mem, std::span<const u64> a) {
  if (ctx.durable == nullptr) return Errno::kNosys;
  std::string name;
  if (Errno e = ReadArg(mem, a, 0, kMaxSignalName, Errno::kNametoolong, &name); e != Errno::kSuccess)
    return e;
  if (name.empty()) return Errno::kInval;
  u32 buf = U32(a, 2), cap = U32(a, 3), len_ptr = U32(a, 4);
  if (!mem.InBounds(buf, cap) || !mem.InBounds(len_ptr, 4)) return Errno::kFault;
  std::string payload;
  u32 size = 0;
  Errno e = ctx.durable->TakeSignal(name, cap, &payload, &size);
  if (e == Errno::kNobufs) mem.Store(len_ptr, size);  // how much room it needs
  if (e != Errno::kSuccess) return e;
  Deliver(mem, buf, len_ptr, payload, size);
  return Errno::kSuccess;
}

Errno WaitSignal(WasiCtx& ctx, GuestMemory& mem, std::span<const u64> a) {
  if (ctx.durable == nullptr) return Errno::kNosys;
  WaitCondition w;
  w.kind = WaitCondition::Kind::kSignal;
  if (Errno e = ReadArg(mem, a, 0, kMaxSignalName, Errno::kNametoolong, &w.signal);
      e != Errno::kSuccess)
    return e;
  if (w.signal.empty()) return Errno::kInval;
  return Park(ctx, w);
}

// argv as the guest passes it: arguments each ended by a NUL.
bool SplitArgv(const std::string& bytes, std::vector<std::string>* argv) {
  if (bytes.empty()) return true;
  if (bytes.back() != '\0') return false;
  size_t start = 0;
  for (size_t i = 0; i < bytes.size(); ++i) {
    if (bytes[i] != '\0') continue;
    argv->push_back(bytes.substr(start, i - start));
    start = i + 1;
  }
  return true;
}

Errno Spawn(WasiCtx& ctx, GuestMemory& mem, std::span<const u64> a) {
  if (ctx.durable == nullptr) return Errno::kNosys;
  std::string module, argv_bytes, input;
  if (Errno e = ReadArg(mem, a, 0, kMaxModuleRef, Errno::kNametoolong, &module);
      e != Errno::kSuccess)
    return e;
  if (Errno e = ReadArg(mem, a, 2, kMaxSpawnArgv, Errno::k2big, &argv_bytes); e != Errno::kSuccess)
    return e;
  if (Errno e = ReadArg(mem, a, 4, kMaxPayload, Errno::k2big, &input); e != Errno::kSuccess)
    return e;
  u32 child_ptr = U32(a, 6);
  if (!mem.InBounds(child_ptr, 8)) return Errno::kFault;
  std::vector<std::string> argv;
  if (module.empty() || !SplitArgv(argv_bytes, &argv)) return Errno::kInval;
  u64 child = 0;
  if (Errno e = ctx.durable->Spawn(module, argv, input, &child); e != Errno::kSuccess) return e;
  mem.Store(child_ptr, child);
  return Errno::kSuccess;
}

Errno ChildStatus(WasiCtx& ctx, GuestMemory& mem, std::span<const u64> a) {
  if (ctx.durable == nullptr) return Errno::kNosys;
  u32 status_ptr = U32(a, 1);
  if (!mem.InBounds(status_ptr, 4)) return Errno::kFault;
  i32 status = 0;
  if (Errno e = ctx.durable->ChildStatus(a[0], &status); e != Errno::kSuccess) return e;
  mem.Store(status_ptr, status);
  return Errno::kSuccess;
}

Errno ChildOutput(WasiCtx& ctx, GuestMemory& mem, std::span<const u64> a) {
  if (ctx.durable == nullptr) return Errno::kNosys;
  u32 buf = U32(a, 2), cap = U32(a, 3), len_ptr = U32(a, 4);
  if (!mem.InBounds(buf, cap) || !mem.InBounds(len_ptr, 4)) return Errno::kFault;
  std::string bytes;
  if (Errno e = ctx.durable->ChildOutput(a[0], a[1], cap, &bytes); e != Errno::kSuccess) return e;
  if (bytes.size() > cap) return Errno::kIo;  // a host bug; never write past the buffer
  Deliver(mem, buf, len_ptr, bytes, static_cast<u32>(bytes.size()));
  return Errno::kSuccess;
}

Errno WaitChildren(WasiCtx& ctx, GuestMemory& mem, std::span<const u64> a) {
  if (ctx.durable == nullptr) return Errno::kNosys;
  u32 ptr = U32(a, 0), n = U32(a, 1), all = U32(a, 2);
  if (n == 0 || all > 1) return Errno::kInval;
  if (n > kMaxAwait) return Errno::k2big;
  if (!mem.InBounds(ptr, u64{n} * 8)) return Errno::kFault;
  WaitCondition w;
  w.kind = WaitCondition::Kind::kChildren;
  w.all = all == 1;
  w.children.resize(n);
  for (u32 i = 0; i < n; ++i) mem.Load(ptr + i * 8, &w.children[i]);
  return Park(ctx, w);
}

Errno Send(WasiCtx& ctx, GuestMemory& mem, std::span<const u64> a) {
  if (ctx.durable == nullptr) return Errno::kNosys;
  std::string target, payload;
  if (Errno e = ReadArg(mem, a, 0, kMaxModuleRef, Errno::kNametoolong, &target);
      e != Errno::kSuccess)
    return e;
  if (Errno e = ReadArg(mem, a, 2, kMaxPayload, Errno::k2big, &payload); e != Errno::kSuccess)
    return e;
  if (target.empty()) return Errno::kInval;
  return ctx.durable->Send(target, payload);
}

Errno Recv(WasiCtx& ctx, GuestMemory& mem, std::span<const u64> a) {
  if (ctx.durable == nullptr) return Errno::kNosys;
  u32 buf = U32(a, 0), cap = U32(a, 1), len_ptr = U32(a, 2);
  if (!mem.InBounds(buf, cap) || !mem.InBounds(len_ptr, 4)) return Errno::kFault;
  std::string payload;
  u32 size = 0;
  Errno e = ctx.durable->Recv(cap, &payload, &size);
  if (e == Errno::kNobufs) mem.Store(len_ptr, size);
  if (e != Errno::kSuccess) return e;
  Deliver(mem, buf, len_ptr, payload, size);
  return Errno::kSuccess;
}

Errno WaitMessage(WasiCtx& ctx, GuestMemory&, std::span<const u64>) {
  if (ctx.durable == nullptr) return Errno::kNosys;
  WaitCondition w;
  w.kind = WaitCondition::Kind::kMessage;
  return Park(ctx, w);
}

constexpr FuncDef kFuncs[] = {
    {"signal_take", SignalTake},   {"wait_signal", WaitSignal},
    {"spawn", Spawn},              {"child_status", ChildStatus},
    {"child_output", ChildOutput}, {"wait_children", WaitChildren},
    {"send", Send},                {"recv", Recv},
    {"wait_message", WaitMessage},
};

}  // namespace

std::span<const FuncDef> DejaFuncs() { return kFuncs; }

}  // namespace deja::wasi
