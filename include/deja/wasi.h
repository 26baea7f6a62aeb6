// WASI preview 1 for embedders: a deny-by-default capability configuration
// and the host functions of wasi_snapshot_preview1 (plus the WasmEdge socket
// extension), linked into a deja::Linker.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "deja/status.h"
#include "deja/store.h"

namespace deja {

namespace wasi {
class System;
struct WasiCtx;
}  // namespace wasi

struct WasiPreopen {
  std::string host_path;   // a directory on the host
  std::string guest_path;  // the name the guest sees (e.g. "/data" or ".")
  bool read_only = false;  // no writes, creates, renames, removals beneath it
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
  std::vector<std::string> listen;         // "HOST:PORT": pre-opened listening sockets
  std::vector<std::string> allow_connect;  // "HOST:PORT" patterns ('*' matches any run) for outbound sockets
  uint32_t max_fds = 1024;                 // cap on open guest descriptors
};

class Wasi {
 public:
  // Opens the preopened directories and listening sockets.
  // Errors: kNotFound / kIoError naming the path or address, kInvalidArgument.
  static Result<std::unique_ptr<Wasi>> Create(WasiConfig config);
  // For tests and the time machine: all real-world access goes through `system`.
  static Result<std::unique_ptr<Wasi>> Create(WasiConfig config, std::shared_ptr<wasi::System> system);
  ~Wasi();

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
