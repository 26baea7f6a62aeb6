// The host side of the durable guest API, module "deja"
// (include/deja/guest/durable.h; docs/DURABLE.md, "Guest API"). The handlers
// (deja_funcs.cc) bounds-check the guest's arguments exactly as WASI's do and
// pass plain values to a DurableHost; the durable layer implements it over
// its store. WASI knows nothing of instances or SQLite: with no host (a plain
// `deja run`) every call returns ENOSYS.
//
// No method blocks. A call whose answer is not there yet returns kAgain; the
// guest then calls a wait_* function, which parks the instance (the host
// call suspends, the worker snapshots it and resumes it when the condition
// holds: the wait returns 0 and the guest asks again).
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/types.h"
#include "wasi/errno.h"

namespace deja::wasi {

// What a parked instance waits for (one of them).
struct WaitCondition {
  enum class Kind : u8 { kSignal, kChildren, kMessage };
  Kind kind = Kind::kSignal;
  std::string signal;          // kSignal: its name
  std::vector<u64> children;   // kChildren: child handles (from Spawn)
  bool all = false;            // kChildren: every one done (else any one)
};

class DurableHost {
 public:
  virtual ~DurableHost() = default;

  // The oldest queued signal called `name`, removed from the queue, if its
  // payload fits `max_bytes`; when it does not, *size is its length and it
  // stays queued (kNobufs). kAgain: none queued.
  virtual Errno TakeSignal(std::string_view name, u32 max_bytes, std::string* payload,
                           u32* size) = 0;
  // Creates a child instance of `module` (a content hash or a registered
  // name) once per request: the host derives the request's idempotency key
  // from this instance and how many requests it made before, so a resumed or
  // replayed guest asking again gets the same child. *child: its handle.
  // kNoent: no such module.
  virtual Errno Spawn(std::string_view module, std::span<const std::string> argv,
                      std::string_view input, u64* child) = 0;
  // kAgain while the child runs; *status its exit status once it ended.
  // kBadf: not a child of this instance.
  virtual Errno ChildStatus(u64 child, i32* status) = 0;
  // Up to `max_bytes` of the child's stdout from `offset` (fewer at its end).
  // kAgain while the child runs.
  virtual Errno ChildOutput(u64 child, u64 offset, u32 max_bytes, std::string* bytes) = 0;
  // Queues `payload` for instance `target` once per request (the key as for
  // Spawn). kNoent: no such instance.
  virtual Errno Send(std::string_view target, std::string_view payload) = 0;
  // The oldest message sent to this instance, as TakeSignal.
  virtual Errno Recv(u32 max_bytes, std::string* payload, u32* size) = 0;
  // Parks the instance until `wait` holds: kSuccess means "suspend now"
  // (the condition is stored with the instance); kAlready: it holds already,
  // do not suspend; kNosys: this host cannot park.
  virtual Errno Park(const WaitCondition& wait) = 0;
};

// Caps on what one call may pass (the guest is hostile).
inline constexpr u32 kMaxSignalName = 256;
inline constexpr u32 kMaxModuleRef = 4096;
inline constexpr u32 kMaxSpawnArgv = 64 * 1024;     // bytes, NUL-separated
inline constexpr u32 kMaxPayload = 16 * 1024 * 1024;  // input, message, signal
inline constexpr u32 kMaxAwait = 10'000;              // children per wait
inline constexpr u64 kMaxChildOutput = 64 * 1024 * 1024;  // a child's stdout kept for it

}  // namespace deja::wasi
