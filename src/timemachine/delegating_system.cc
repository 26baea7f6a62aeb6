#include "timemachine/delegating_system.h"

namespace deja::tm {

using wasi::Errno;

Errno DelegatingSystem::ClockTimeGet(u32 clock_id, u64 precision, u64* out) {
  return inner_->ClockTimeGet(clock_id, precision, out);
}

Errno DelegatingSystem::ClockResGet(u32 clock_id, u64* out) {
  return inner_->ClockResGet(clock_id, out);
}

Errno DelegatingSystem::RandomGet(std::span<u8> out) { return inner_->RandomGet(out); }

void DelegatingSystem::Sleep(u64 nanoseconds) { inner_->Sleep(nanoseconds); }

void DelegatingSystem::SchedYield() { inner_->SchedYield(); }

Errno DelegatingSystem::OpenDirectory(const std::string& host_path, int* out_fd) {
  return inner_->OpenDirectory(host_path, out_fd);
}

Errno DelegatingSystem::OpenBeneath(int dirfd, const std::string& path, int flags, mode_t mode,
                                    int* out_fd) {
  return inner_->OpenBeneath(dirfd, path, flags, mode, out_fd);
}

Errno DelegatingSystem::Close(int fd) { return inner_->Close(fd); }

Errno DelegatingSystem::Readv(int fd, std::span<const iovec> iov, size_t* out) {
  return inner_->Readv(fd, iov, out);
}

Errno DelegatingSystem::Writev(int fd, std::span<const iovec> iov, size_t* out) {
  return inner_->Writev(fd, iov, out);
}

Errno DelegatingSystem::Preadv(int fd, std::span<const iovec> iov, u64 offset, size_t* out) {
  return inner_->Preadv(fd, iov, offset, out);
}

Errno DelegatingSystem::Pwritev(int fd, std::span<const iovec> iov, u64 offset, size_t* out) {
  return inner_->Pwritev(fd, iov, offset, out);
}

Errno DelegatingSystem::Seek(int fd, i64 offset, int whence, u64* out) {
  return inner_->Seek(fd, offset, whence, out);
}

Errno DelegatingSystem::Sync(int fd) { return inner_->Sync(fd); }

Errno DelegatingSystem::Datasync(int fd) { return inner_->Datasync(fd); }

Errno DelegatingSystem::Advise(int fd, u64 offset, u64 len, int advice) {
  return inner_->Advise(fd, offset, len, advice);
}

Errno DelegatingSystem::Allocate(int fd, u64 offset, u64 len) {
  return inner_->Allocate(fd, offset, len);
}

Errno DelegatingSystem::GetFlags(int fd, int* out) { return inner_->GetFlags(fd, out); }

Errno DelegatingSystem::SetFlags(int fd, int flags) { return inner_->SetFlags(fd, flags); }

Errno DelegatingSystem::Fstat(int fd, struct stat* out) { return inner_->Fstat(fd, out); }

Errno DelegatingSystem::Ftruncate(int fd, u64 size) { return inner_->Ftruncate(fd, size); }

Errno DelegatingSystem::Futimens(int fd, const timespec times[2]) {
  return inner_->Futimens(fd, times);
}

Errno DelegatingSystem::ReadDir(int fd, std::span<u8> buf, size_t* out) {
  return inner_->ReadDir(fd, buf, out);
}

Errno DelegatingSystem::MkdirAt(int dirfd, const std::string& name, mode_t mode) {
  return inner_->MkdirAt(dirfd, name, mode);
}

Errno DelegatingSystem::UnlinkAt(int dirfd, const std::string& name, int flags) {
  return inner_->UnlinkAt(dirfd, name, flags);
}

Errno DelegatingSystem::RenameAt(int old_dirfd, const std::string& old_name, int new_dirfd,
                                 const std::string& new_name) {
  return inner_->RenameAt(old_dirfd, old_name, new_dirfd, new_name);
}

Errno DelegatingSystem::SymlinkAt(const std::string& target, int dirfd, const std::string& name) {
  return inner_->SymlinkAt(target, dirfd, name);
}

Errno DelegatingSystem::ReadlinkAt(int dirfd, const std::string& name, std::string* out) {
  return inner_->ReadlinkAt(dirfd, name, out);
}

Errno DelegatingSystem::LinkAt(int old_dirfd, const std::string& old_name, int new_dirfd,
                               const std::string& new_name, int flags) {
  return inner_->LinkAt(old_dirfd, old_name, new_dirfd, new_name, flags);
}

Errno DelegatingSystem::FstatAt(int dirfd, const std::string& name, struct stat* out, int flags) {
  return inner_->FstatAt(dirfd, name, out, flags);
}

Errno DelegatingSystem::UtimensAt(int dirfd, const std::string& name, const timespec times[2],
                                  int flags) {
  return inner_->UtimensAt(dirfd, name, times, flags);
}

Errno DelegatingSystem::Poll(std::span<pollfd> fds, int timeout_ms, int* out_ready) {
  return inner_->Poll(fds, timeout_ms, out_ready);
}

Errno DelegatingSystem::Socket(int domain, int type, int protocol, int* out_fd) {
  return inner_->Socket(domain, type, protocol, out_fd);
}

Errno DelegatingSystem::Bind(int fd, const sockaddr* addr, socklen_t len) {
  return inner_->Bind(fd, addr, len);
}

Errno DelegatingSystem::Listen(int fd, int backlog) { return inner_->Listen(fd, backlog); }

Errno DelegatingSystem::Accept(int fd, int flags, int* out_fd) {
  return inner_->Accept(fd, flags, out_fd);
}

Errno DelegatingSystem::Connect(int fd, const sockaddr* addr, socklen_t len) {
  return inner_->Connect(fd, addr, len);
}

Errno DelegatingSystem::Recv(int fd, std::span<const iovec> iov, int flags, size_t* out,
                             int* out_msg_flags) {
  return inner_->Recv(fd, iov, flags, out, out_msg_flags);
}

Errno DelegatingSystem::Send(int fd, std::span<const iovec> iov, int flags, size_t* out) {
  return inner_->Send(fd, iov, flags, out);
}

Errno DelegatingSystem::RecvFrom(int fd, std::span<const iovec> iov, int flags,
                                 sockaddr_storage* from, socklen_t* from_len, size_t* out) {
  return inner_->RecvFrom(fd, iov, flags, from, from_len, out);
}

Errno DelegatingSystem::SendTo(int fd, std::span<const iovec> iov, int flags, const sockaddr* to,
                               socklen_t to_len, size_t* out) {
  return inner_->SendTo(fd, iov, flags, to, to_len, out);
}

Errno DelegatingSystem::Shutdown(int fd, int how) { return inner_->Shutdown(fd, how); }

Errno DelegatingSystem::GetSockName(int fd, sockaddr_storage* out, socklen_t* len) {
  return inner_->GetSockName(fd, out, len);
}

Errno DelegatingSystem::GetPeerName(int fd, sockaddr_storage* out, socklen_t* len) {
  return inner_->GetPeerName(fd, out, len);
}

Errno DelegatingSystem::GetSockOpt(int fd, int level, int name, void* value, socklen_t* len) {
  return inner_->GetSockOpt(fd, level, name, value, len);
}

Errno DelegatingSystem::SetSockOpt(int fd, int level, int name, const void* value, socklen_t len) {
  return inner_->SetSockOpt(fd, level, name, value, len);
}

Errno DelegatingSystem::GetAddrInfo(const std::string& host, const std::string& service, int family,
                                    int socktype, std::vector<sockaddr_storage>* out) {
  return inner_->GetAddrInfo(host, service, family, socktype, out);
}

}  // namespace deja::tm
