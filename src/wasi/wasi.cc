// Wasi::Create builds the descriptor table a guest starts with (stdio, the
// preopened directories, listening sockets); Link exposes the functions.
#include "deja/wasi.h"

#include <sys/socket.h>

#include <utility>

#include "wasi/ctx.h"
#include "wasi/dispatch.h"
#include "wasi/registry.h"
#include "wasi/rights.h"
#include "wasi/wasi_state.h"

namespace deja {
namespace {

using wasi::Errno;
using wasi::FdEntry;
using wasi::FileType;

// The WASI type of a host descriptor, telling stream from datagram sockets.
FileType HostFileType(wasi::System& sys, int fd, const struct stat& st) {
  FileType type = wasi::FileTypeFromMode(st.st_mode);
  if (type != FileType::kSocketStream) return type;
  int so_type = 0;
  socklen_t len = sizeof so_type;
  if (sys.GetSockOpt(fd, SOL_SOCKET, SO_TYPE, &so_type, &len) == Errno::kSuccess &&
      so_type == SOCK_DGRAM) {
    return FileType::kSocketDgram;
  }
  return type;
}

Status AddStdio(wasi::WasiCtx& ctx, u32 guest_fd, int host_fd) {
  if (host_fd < 0) return Status();  // the guest has no such descriptor
  struct stat st;
  Errno e = ctx.sys->Fstat(host_fd, &st);
  if (e != Errno::kSuccess) {
    return Status::InvalidArgument("stdio descriptor " + std::to_string(host_fd) + ": " +
                                   wasi::ErrnoName(e));
  }
  FdEntry entry;
  entry.host_fd = host_fd;
  entry.owned = false;
  entry.type = HostFileType(*ctx.sys, host_fd, st);
  // Stdio is a stream to the guest even when the host gave it a socket (as
  // wasmtime): sock_shutdown must not cut the embedder's connection, nor
  // sock_accept take clients from a listener handed over as stdin. The socket
  // functions then say ENOTSOCK; fd_read and fd_write work as on a pipe.
  if (entry.type == FileType::kSocketStream || entry.type == FileType::kSocketDgram) {
    entry.type = FileType::kUnknown;
  }
  entry.rights_base = wasi::BaseRights(entry.type, false);
  entry.rights_inheriting = wasi::InheritingRights(entry.type, false);
  if (entry.type == FileType::kDirectory) {
    // Only preopens grant a file tree; a directory passed as stdio is opaque.
    entry.rights_base = wasi::rights::kFdFilestatGet;
    entry.rights_inheriting = 0;
  }
  int flags = 0;
  if (ctx.sys->GetFlags(host_fd, &flags) == Errno::kSuccess) {
    ctx.borrowed_flags.emplace_back(host_fd, flags);
    if (flags & O_APPEND) entry.fdflags |= wasi::kFdflagAppend;
    if (flags & O_NONBLOCK) entry.fdflags |= wasi::kFdflagNonblock;
  }
  if (ctx.fds.InsertAt(guest_fd, std::move(entry)) != Errno::kSuccess) {
    return Status::ResourceExhausted("max_fds leaves no room for stdio");
  }
  return Status();
}

Status AddPreopen(wasi::WasiCtx& ctx, u32 guest_fd, const WasiPreopen& preopen) {
  int host_fd = -1;
  Errno e = ctx.sys->OpenDirectory(preopen.host_path, &host_fd);
  if (e == Errno::kNoent) return Status::NotFound("preopen " + preopen.host_path + ": no such directory");
  if (e != Errno::kSuccess) {
    return Status::IoError("preopen " + preopen.host_path + ": " + wasi::ErrnoName(e));
  }
  FdEntry entry;
  entry.host_fd = host_fd;
  entry.type = FileType::kDirectory;
  entry.rights_base = wasi::BaseRights(FileType::kDirectory, preopen.read_only);
  entry.rights_inheriting = wasi::InheritingRights(FileType::kDirectory, preopen.read_only);
  entry.preopen = true;
  entry.read_only = preopen.read_only;
  entry.guest_path = preopen.guest_path;
  entry.host_path = preopen.host_path;
  if (ctx.fds.InsertAt(guest_fd, std::move(entry)) != Errno::kSuccess) {
    (void)ctx.sys->Close(host_fd);
    return Status::ResourceExhausted("max_fds leaves no room for preopen " + preopen.host_path);
  }
  return Status();
}

}  // namespace

Wasi::Wasi(std::unique_ptr<wasi::WasiCtx> ctx) : ctx_(std::move(ctx)) {}

Wasi::~Wasi() {
  // Close through the System (not the table's fallback) so that a recording
  // or fake system sees every close.
  wasi::FdTable& fds = ctx_->fds;
  for (u32 fd = fds.size(); fd-- > 0;) {
    FdEntry entry;
    if (fds.Take(fd, &entry) == Errno::kSuccess && entry.owned && entry.host_fd >= 0) {
      (void)ctx_->sys->Close(entry.host_fd);
    }
  }
  for (auto [host_fd, flags] : ctx_->borrowed_flags) (void)ctx_->sys->SetFlags(host_fd, flags);
}

Result<std::unique_ptr<Wasi>> Wasi::Create(WasiConfig config) {
  return Create(std::move(config), wasi::MakePosixSystem());
}

Result<std::unique_ptr<Wasi>> Wasi::Create(WasiConfig config,
                                           std::shared_ptr<wasi::System> system) {
  if (system == nullptr) return Status::InvalidArgument("Wasi::Create: no system");
  auto ctx = std::make_unique<wasi::WasiCtx>(std::move(config), std::move(system));
  // Owned by `wasi` from here on, so an error below closes what was opened.
  std::unique_ptr<Wasi> wasi(new Wasi(std::move(ctx)));
  wasi::WasiCtx& c = wasi->ctx();
  const int stdio[3] = {c.config.stdin_fd, c.config.stdout_fd, c.config.stderr_fd};
  for (u32 i = 0; i < 3; ++i) DEJA_TRY(AddStdio(c, i, stdio[i]));
  u32 next = 3;
  for (const WasiPreopen& p : c.config.preopens) DEJA_TRY(AddPreopen(c, next++, p));
  DEJA_TRY(wasi::OpenListenSockets(c));
  return wasi;
}

void Wasi::Link(Store& store, Linker& linker) { wasi::LinkAll(*ctx_, store, linker); }

Result<std::vector<uint8_t>> Wasi::SaveState() const { return wasi::SaveWasiState(*ctx_); }

Status Wasi::RestoreState(std::span<const uint8_t> bytes) {
  return wasi::RestoreWasiState(*ctx_, bytes);
}

}  // namespace deja
