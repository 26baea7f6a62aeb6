// A System that forwards every call to another one: the base for decorators
// that observe a few calls (the recorder's output capture) and pass the rest
// through untouched.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "wasi/system.h"

namespace deja::tm {

class DelegatingSystem : public wasi::System {
 public:
  explicit DelegatingSystem(std::shared_ptr<wasi::System> inner) : inner_(std::move(inner)) {}

  using Errno = wasi::Errno;

  Errno ClockTimeGet(u32 clock_id, u64 precision, u64* out) override;
  Errno ClockResGet(u32 clock_id, u64* out) override;
  Errno RandomGet(std::span<u8> out) override;
  void Sleep(u64 nanoseconds) override;
  void SchedYield() override;
  Errno OpenDirectory(const std::string& host_path, int* out_fd) override;
  Errno OpenBeneath(int dirfd, const std::string& path, int flags, mode_t mode,
                    int* out_fd) override;
  Errno Close(int fd) override;
  Errno Readv(int fd, std::span<const iovec> iov, size_t* out) override;
  Errno Writev(int fd, std::span<const iovec> iov, size_t* out) override;
  Errno Preadv(int fd, std::span<const iovec> iov, u64 offset, size_t* out) override;
  Errno Pwritev(int fd, std::span<const iovec> iov, u64 offset, size_t* out) override;
  Errno Seek(int fd, i64 offset, int whence, u64* out) override;
  Errno Sync(int fd) override;
  Errno Datasync(int fd) override;
  Errno Advise(int fd, u64 offset, u64 len, int advice) override;
  Errno Allocate(int fd, u64 offset, u64 len) override;
  Errno GetFlags(int fd, int* out) override;
  Errno SetFlags(int fd, int flags) override;
  Errno Fstat(int fd, struct stat* out) override;
  Errno Ftruncate(int fd, u64 size) override;
  Errno Futimens(int fd, const timespec times[2]) override;
  Errno ReadDir(int fd, std::span<u8> buf, size_t* out) override;
  Errno MkdirAt(int dirfd, const std::string& name, mode_t mode) override;
  Errno UnlinkAt(int dirfd, const std::string& name, int flags) override;
  Errno RenameAt(int old_dirfd, const std::string& old_name, int new_dirfd,
                 const std::string& new_name) override;
  Errno SymlinkAt(const std::string& target, int dirfd, const std::string& name) override;
  Errno ReadlinkAt(int dirfd, const std::string& name, std::string* out) override;
  Errno LinkAt(int old_dirfd, const std::string& old_name, int new_dirfd,
               const std::string& new_name, int flags) override;
  Errno FstatAt(int dirfd, const std::string& name, struct stat* out, int flags) override;
  Errno UtimensAt(int dirfd, const std::string& name, const timespec times[2], int flags) override;
  Errno Poll(std::span<pollfd> fds, int timeout_ms, int* out_ready) override;
  Errno Socket(int domain, int type, int protocol, int* out_fd) override;
  Errno Bind(int fd, const sockaddr* addr, socklen_t len) override;
  Errno Listen(int fd, int backlog) override;
  Errno Accept(int fd, int flags, int* out_fd) override;
  Errno Connect(int fd, const sockaddr* addr, socklen_t len) override;
  Errno Recv(int fd, std::span<const iovec> iov, int flags, size_t* out,
             int* out_msg_flags) override;
  Errno Send(int fd, std::span<const iovec> iov, int flags, size_t* out) override;
  Errno RecvFrom(int fd, std::span<const iovec> iov, int flags, sockaddr_storage* from,
                 socklen_t* from_len, size_t* out) override;
  Errno SendTo(int fd, std::span<const iovec> iov, int flags, const sockaddr* to, socklen_t to_len,
               size_t* out) override;
  Errno Shutdown(int fd, int how) override;
  Errno GetSockName(int fd, sockaddr_storage* out, socklen_t* len) override;
  Errno GetPeerName(int fd, sockaddr_storage* out, socklen_t* len) override;
  Errno GetSockOpt(int fd, int level, int name, void* value, socklen_t* len) override;
  Errno SetSockOpt(int fd, int level, int name, const void* value, socklen_t len) override;
  Errno GetAddrInfo(const std::string& host, const std::string& service, int family, int socktype,
                    std::vector<sockaddr_storage>* out) override;

 protected:
  wasi::System& inner() { return *inner_; }

 private:
  std::shared_ptr<wasi::System> inner_;
};

}  // namespace deja::tm
