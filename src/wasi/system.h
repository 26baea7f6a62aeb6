// The one boundary between WASI and the real world: clocks, randomness,
// sleeping, files, directories and sockets. PosixSystem (posix_system.cc) is
// the real one; tests and the time machine substitute their own.
// Descriptors here are host descriptors owned by the WASI layer. Every call
// returns a WASI errno (Errno::kSuccess on success), never throws.
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>

#include <memory>
#include <span>
#include <string>
#include <vector>

#include "base/types.h"
#include "wasi/errno.h"

namespace deja::wasi {

class System {
 public:
  virtual ~System() = default;

  // --- Time and randomness. clock_id is WASI's (0 realtime, 1 monotonic,
  // 2 process cputime, 3 thread cputime); times in nanoseconds.
  virtual Errno ClockTimeGet(u32 clock_id, u64 precision, u64* out) = 0;
  virtual Errno ClockResGet(u32 clock_id, u64* out) = 0;
  virtual Errno RandomGet(std::span<u8> out) = 0;
  virtual void Sleep(u64 nanoseconds) = 0;
  virtual void SchedYield() = 0;

  // --- Files. Opens a directory the embedder granted (a preopen's host path,
  // absolute or relative to the working directory) read-only, O_DIRECTORY|
  // O_CLOEXEC. Never reached with a guest-controlled path.
  virtual Errno OpenDirectory(const std::string& host_path, int* out_fd) = 0;
  // OpenBeneath resolves `path` relative to `dirfd` so that it can
  // never leave it: no absolute paths, no "..", no symlink escaping, even if
  // the tree changes during the call (openat2 RESOLVE_BENEATH). `flags` and
  // `mode` are open(2)'s; O_NOFOLLOW applies to the last component.
  virtual Errno OpenBeneath(int dirfd, const std::string& path, int flags, mode_t mode,
                            int* out_fd) = 0;
  virtual Errno Close(int fd) = 0;
  virtual Errno Readv(int fd, std::span<const iovec> iov, size_t* out) = 0;
  virtual Errno Writev(int fd, std::span<const iovec> iov, size_t* out) = 0;
  virtual Errno Preadv(int fd, std::span<const iovec> iov, u64 offset, size_t* out) = 0;
  virtual Errno Pwritev(int fd, std::span<const iovec> iov, u64 offset, size_t* out) = 0;
  virtual Errno Seek(int fd, i64 offset, int whence, u64* out) = 0;
  virtual Errno Sync(int fd) = 0;
  virtual Errno Datasync(int fd) = 0;
  virtual Errno Advise(int fd, u64 offset, u64 len, int advice) = 0;
  virtual Errno Allocate(int fd, u64 offset, u64 len) = 0;
  virtual Errno GetFlags(int fd, int* out) = 0;  // fcntl(F_GETFL)
  virtual Errno SetFlags(int fd, int flags) = 0;  // fcntl(F_SETFL)
  virtual Errno Fstat(int fd, struct stat* out) = 0;
  virtual Errno Ftruncate(int fd, u64 size) = 0;
  virtual Errno Futimens(int fd, const timespec times[2]) = 0;
  // Reads directory entries (getdents64 records) into `buf`; 0 bytes at the end.
  virtual Errno ReadDir(int fd, std::span<u8> buf, size_t* out) = 0;

  // --- Names within a directory. `name` is a single path component (no '/'):
  // the WASI layer resolves the parent beneath a preopen first. None of these
  // follow a symlink in `name` unless `flags` says so (AT_SYMLINK_FOLLOW for LinkAt).
  virtual Errno MkdirAt(int dirfd, const std::string& name, mode_t mode) = 0;
  virtual Errno UnlinkAt(int dirfd, const std::string& name, int flags) = 0;  // AT_REMOVEDIR
  virtual Errno RenameAt(int old_dirfd, const std::string& old_name, int new_dirfd,
                         const std::string& new_name) = 0;
  virtual Errno SymlinkAt(const std::string& target, int dirfd, const std::string& name) = 0;
  virtual Errno ReadlinkAt(int dirfd, const std::string& name, std::string* out) = 0;
  virtual Errno LinkAt(int old_dirfd, const std::string& old_name, int new_dirfd,
                       const std::string& new_name, int flags) = 0;
  virtual Errno FstatAt(int dirfd, const std::string& name, struct stat* out, int flags) = 0;
  virtual Errno UtimensAt(int dirfd, const std::string& name, const timespec times[2],
                          int flags) = 0;

  // --- Readiness. poll(2); timeout_ms -1 = wait forever.
  virtual Errno Poll(std::span<pollfd> fds, int timeout_ms, int* out_ready) = 0;

  // --- Sockets.
  virtual Errno Socket(int domain, int type, int protocol, int* out_fd) = 0;
  virtual Errno Bind(int fd, const sockaddr* addr, socklen_t len) = 0;
  virtual Errno Listen(int fd, int backlog) = 0;
  virtual Errno Accept(int fd, int flags, int* out_fd) = 0;  // accept4 flags
  virtual Errno Connect(int fd, const sockaddr* addr, socklen_t len) = 0;
  virtual Errno Recv(int fd, std::span<const iovec> iov, int flags, size_t* out,
                     int* out_msg_flags) = 0;
  virtual Errno Send(int fd, std::span<const iovec> iov, int flags, size_t* out) = 0;
  virtual Errno RecvFrom(int fd, std::span<const iovec> iov, int flags, sockaddr_storage* from,
                         socklen_t* from_len, size_t* out) = 0;
  virtual Errno SendTo(int fd, std::span<const iovec> iov, int flags, const sockaddr* to,
                       socklen_t to_len, size_t* out) = 0;
  virtual Errno Shutdown(int fd, int how) = 0;
  virtual Errno GetSockName(int fd, sockaddr_storage* out, socklen_t* len) = 0;
  virtual Errno GetPeerName(int fd, sockaddr_storage* out, socklen_t* len) = 0;
  virtual Errno GetSockOpt(int fd, int level, int name, void* value, socklen_t* len) = 0;
  virtual Errno SetSockOpt(int fd, int level, int name, const void* value, socklen_t len) = 0;
  // Resolves host:port (numeric or by name) to addresses of the given socket type.
  virtual Errno GetAddrInfo(const std::string& host, const std::string& service, int family,
                            int socktype, std::vector<sockaddr_storage>* out) = 0;
};

// The real system (Linux).
std::shared_ptr<System> MakePosixSystem();

}  // namespace deja::wasi
