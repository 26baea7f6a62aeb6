// WASI preview 1 for embedders: a deny-by-default capability configuration
// and the host functions of wasi_snapshot_preview1 (plus the WasmEdge socket
// extension), linked into a deja::Linker.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "deja/status.h"
#include "deja/store.h"

namespace deja {

namespace wasi {
class System;
class CallInterceptor;
struct WasiCtx;
}  // namespace wasi

struct WasiPreopen {
  std::string host_path;   // a directory on the host
  std::string guest_path;  // the name the guest sees (e.g. "/data" or ".")
  bool read_only = false;  // no writes, creates, renames, removals beneath it
};

// How deja provides one of the guest's fds 0-2.
enum class StdioKind : uint8_t {
  kHostFd,  // the host descriptor in WasiConfig::stdin_fd/stdout_fd/stderr_fd (-1: none)
  kBuffer,  // in memory: stdin reads `input`; stdout/stderr keep up to `capacity` bytes
            // (Wasi::StdioOutput), writes past it fail with EPERM
  kPipe,    // a pipe deja creates; the embedder's end is Wasi::TakeStdioPipe
};

struct WasiStream {
  StdioKind kind = StdioKind::kHostFd;
  std::string input;                 // kBuffer stdin: everything the guest can read, then EOF
  uint64_t capacity = uint64_t{1} << 20;  // kBuffer stdout/stderr; 1 MiB, at most 1 GiB
};

// Everything a guest may use. The default grants nothing: no args beyond
// argv[0], no environment, no files, no sockets; stdio is passed through.
struct WasiConfig {
  std::vector<std::string> args;  // argv; args[0] is the program name
  std::vector<std::string> env;   // "NAME=VALUE"
  std::vector<WasiPreopen> preopens;
  int stdin_fd = 0;  // host descriptors for guest fds 0-2 (not closed by deja); -1 = none
  int stdout_fd = 1;
  int stderr_fd = 2;
  // Per stream: a host descriptor (above), an in-memory buffer or a pipe.
  // Whatever the kind, the guest's calls are recorded and replayed alike.
  WasiStream stdin_stream, stdout_stream, stderr_stream;
  std::vector<std::string> listen;         // "HOST:PORT": pre-opened listening sockets
  std::vector<std::string> allow_connect;  // "HOST:PORT" patterns ('*' matches any run) for outbound sockets
  uint32_t max_fds = 1024;                 // cap on open guest descriptors
};

// How a Wasi reaches the world, besides what the guest is granted.
struct WasiOptions {
  // All real-world access goes through it; null: the host (MakePosixSystem).
  std::shared_ptr<wasi::System> system;
  // When set, every WASI call goes to it instead of its handler: the time
  // machine's Recorder runs the handler and logs it, its Replayer answers
  // from a log. Not owned; must outlive the guest's calls.
  wasi::CallInterceptor* interceptor = nullptr;
  // Durable sleep (docs/DURABLE.md): asked by poll_oneoff before it blocks
  // on clocks alone (no descriptor subscribed, none failed) with how long it
  // would sleep. Returning true suspends the guest at that call
  // (HostAction::kSuspend) instead of sleeping: the events are already in
  // guest memory as if the time had passed, so resuming the call with errno
  // 0 continues the guest after its sleep. Empty: always sleep.
  std::function<bool(uint64_t wait_ns)> park_sleep;
};

class Wasi {
 public:
  // Opens the preopened directories and listening sockets, and the stdio
  // buffers and pipes. Errors: kNotFound / kIoError naming the path or
  // address, kInvalidArgument.
  static Result<std::unique_ptr<Wasi>> Create(WasiConfig config, WasiOptions options = {});
  // Create with only a system (tests and tools).
  static Result<std::unique_ptr<Wasi>> Create(WasiConfig config, std::shared_ptr<wasi::System> system);
  ~Wasi();

  // What the guest wrote so far to stdout (1) or stderr (2) when that
  // stream is a kBuffer; empty otherwise.
  std::string StdioOutput(int stream) const;
  // The embedder's end of a kPipe stream (0: the write end of the guest's
  // stdin; 1, 2: the read end of its output), once: the caller owns and
  // closes it (closing stdin's is the guest's EOF). -1 otherwise.
  int TakeStdioPipe(int stream);

  // Defines every wasi_snapshot_preview1 function and the WasmEdge socket
  // extension ("wasi_snapshot_preview1" sock_open, ...) in `linker`, as host
  // functions of `store`. The Wasi object must outlive the store's use of them.
  void Link(Store& store, Linker& linker);

  // Snapshots (docs/snapshots.md, "WASI state"). SaveState serializes what
  // the guest sees of WASI: args, environment, every descriptor (how to
  // reopen it, its rights, flags and file offset) and the monotonic clock;
  // versioned, self-describing bytes, never host descriptor numbers.
  Result<std::vector<uint8_t>> SaveState() const;
  // Applies saved state to a Wasi freshly created with the resuming run's
  // WasiConfig: its preopens and --listen sockets are the re-granted
  // capabilities, matched by guest name and address; fds keep their numbers.
  // The saved args and environment replace the config's (the guest has
  // already read them), with the config's env entries overriding by name.
  // Errors name what cannot be restored, e.g. "snapshot needs preopen
  // \"/data\" (guest fd 3): not granted"; on error nothing changes.
  Status RestoreState(std::span<const uint8_t> bytes);

  wasi::WasiCtx& ctx() { return *ctx_; }

 private:
  explicit Wasi(std::unique_ptr<wasi::WasiCtx> ctx);
  std::unique_ptr<wasi::WasiCtx> ctx_;
};

}  // namespace deja
