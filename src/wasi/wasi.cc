// Wasi::Create builds the descriptor table a guest starts with (stdio, the
// preopened directories, listening sockets); Link exposes the functions.
#include "deja/wasi.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

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
  ctx.stdio_host_fd[guest_fd] = host_fd;
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

const char* const kStreamName[3] = {"stdin", "stdout", "stderr"};

Status SysError(const char* what, u32 stream) {
  return Status::IoError(std::string(what) + " for the guest's " + kStreamName[stream] + ": " +
                         std::strerror(errno));
}

// A kBuffer stream: an anonymous in-memory file. stdin holds the input,
// sealed against writes; an output is sized to its capacity and sealed
// against growing, so the kernel refuses writes past it (EPERM) and the
// pages are only allocated as the guest writes them.
Status MakeBuffer(const WasiStream& s, u32 stream, int* out) {
  constexpr u64 kMaxCapacity = u64{1} << 30;
  if (stream != 0 && s.capacity > kMaxCapacity) {
    return Status::InvalidArgument(std::string(kStreamName[stream]) + " buffer capacity " +
                                   std::to_string(s.capacity) + " is over the 1 GiB limit");
  }
  if (stream == 0 && s.input.size() > kMaxCapacity) {
    return Status::InvalidArgument("stdin buffer is over the 1 GiB limit");
  }
  int fd = memfd_create(kStreamName[stream], MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (fd < 0) return SysError("memfd_create", stream);
  bool ok = true;
  if (stream == 0) {
    size_t done = 0;
    while (ok && done < s.input.size()) {
      ssize_t n = ::write(fd, s.input.data() + done, s.input.size() - done);
      if (n < 0 && errno == EINTR) continue;
      ok = n > 0;
      if (ok) done += static_cast<size_t>(n);
    }
    ok = ok && lseek(fd, 0, SEEK_SET) == 0 &&
         fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE | F_SEAL_GROW | F_SEAL_SHRINK | F_SEAL_SEAL) == 0;
  } else {
    ok = ftruncate(fd, static_cast<off_t>(s.capacity)) == 0 &&
         fcntl(fd, F_ADD_SEALS, F_SEAL_GROW | F_SEAL_SHRINK | F_SEAL_SEAL) == 0;
  }
  if (!ok) {
    Status st = SysError("an in-memory buffer", stream);
    ::close(fd);
    return st;
  }
  *out = fd;
  return Status();
}

// Sets up guest fd `stream` (0-2) as its WasiStream says.
Status AddStream(wasi::WasiCtx& ctx, u32 stream, int config_fd) {
  const WasiStream& s = stream == 0   ? ctx.config.stdin_stream
                        : stream == 1 ? ctx.config.stdout_stream
                                      : ctx.config.stderr_stream;
  if (s.kind == StdioKind::kHostFd) return AddStdio(ctx, stream, config_fd);
  int guest_end = -1;
  if (s.kind == StdioKind::kBuffer) {
    DEJA_TRY(MakeBuffer(s, stream, &guest_end));
  } else if (s.kind == StdioKind::kPipe) {
    int ends[2];
    if (pipe2(ends, O_CLOEXEC) != 0) return SysError("pipe", stream);
    guest_end = stream == 0 ? ends[0] : ends[1];
    ctx.stdio_peer[stream] = stream == 0 ? ends[1] : ends[0];
  } else {
    return Status::InvalidArgument(std::string("unknown stdio kind for ") + kStreamName[stream]);
  }
  ctx.stdio_owned[stream] = true;  // closed by ~Wasi even if AddStdio fails
  DEJA_TRY(AddStdio(ctx, stream, guest_end));
  FdEntry* e = ctx.fds.Get(stream);
  if (e != nullptr && s.kind == StdioKind::kBuffer) {
    // A stream, not a file: the guest cannot seek in it, resize it, or
    // make it append (which would write at the capacity's end).
    e->type = FileType::kUnknown;
    e->rights_base = wasi::BaseRights(FileType::kUnknown, false) &
                     ~(wasi::rights::kFdSeek | wasi::rights::kFdTell |
                       wasi::rights::kFdFdstatSetFlags);
    if (stream == 0) e->rights_base &= ~wasi::rights::kFdWrite;
    if (stream != 0) e->rights_base &= ~wasi::rights::kFdRead;
    e->rights_inheriting = 0;
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
  for (u32 i = 0; i < 3; ++i) {
    if (ctx_->stdio_owned[i] && ctx_->stdio_host_fd[i] >= 0) ::close(ctx_->stdio_host_fd[i]);
    if (ctx_->stdio_peer[i] >= 0) ::close(ctx_->stdio_peer[i]);
  }
}

std::string Wasi::StdioOutput(int stream) const {
  if (stream < 1 || stream > 2 || !ctx_->stdio_owned[stream]) return {};
  const WasiStream& s = stream == 1 ? ctx_->config.stdout_stream : ctx_->config.stderr_stream;
  int fd = ctx_->stdio_host_fd[stream];
  if (s.kind != StdioKind::kBuffer || fd < 0) return {};
  // The guest cannot seek (no right), so its offset is how much it wrote.
  off_t end = lseek(fd, 0, SEEK_CUR);
  if (end <= 0) return {};
  std::string out(static_cast<size_t>(end), '\0');
  size_t done = 0;
  while (done < out.size()) {
    ssize_t n = pread(fd, out.data() + done, out.size() - done, static_cast<off_t>(done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    done += static_cast<size_t>(n);
  }
  out.resize(done);
  return out;
}

int Wasi::TakeStdioPipe(int stream) {
  if (stream < 0 || stream > 2) return -1;
  int fd = ctx_->stdio_peer[stream];
  ctx_->stdio_peer[stream] = -1;
  return fd;
}

Result<std::unique_ptr<Wasi>> Wasi::Create(WasiConfig config,
                                           std::shared_ptr<wasi::System> system) {
  if (system == nullptr) return Status::InvalidArgument("Wasi::Create: no system");
  WasiOptions options;
  options.system = std::move(system);
  return Create(std::move(config), std::move(options));
}

Result<std::unique_ptr<Wasi>> Wasi::Create(WasiConfig config, WasiOptions options) {
  std::shared_ptr<wasi::System> system =
      options.system != nullptr ? std::move(options.system) : wasi::MakePosixSystem();
  auto ctx = std::make_unique<wasi::WasiCtx>(std::move(config), std::move(system));
  ctx->interceptor = options.interceptor;
  ctx->park_sleep = std::move(options.park_sleep);
  // Owned by `wasi` from here on, so an error below closes what was opened.
  std::unique_ptr<Wasi> wasi(new Wasi(std::move(ctx)));
  wasi::WasiCtx& c = wasi->ctx();
  const int stdio[3] = {c.config.stdin_fd, c.config.stdout_fd, c.config.stderr_fd};
  for (u32 i = 0; i < 3; ++i) DEJA_TRY(AddStream(c, i, stdio[i]));
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
