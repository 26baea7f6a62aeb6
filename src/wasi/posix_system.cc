// The real System for Linux: every WASI access to the outside world ends in
// one of these methods. Interrupted calls are retried; nothing here trusts
// the guest (paths were checked beneath a preopen by openat2 or are single
// components relative to a descriptor the guest was granted).
#include <dirent.h>
#include <linux/openat2.h>
#include <netdb.h>
#include <sched.h>
#include <signal.h>
#include <sys/random.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstring>

#include "wasi/system.h"

namespace deja::wasi {
namespace {

Errno LastErrno() { return FromHostErrno(errno); }

// Runs `call` (returning -1 with errno on failure) until it is not interrupted.
template <typename F>
auto RetryEintr(F call) {
  decltype(call()) r;
  do {
    r = call();
  } while (r == -1 && errno == EINTR);
  return r;
}

Errno Check(long r) { return r == -1 ? LastErrno() : Errno::kSuccess; }

Errno SizeResult(ssize_t r, size_t* out) {
  if (r < 0) return LastErrno();
  *out = static_cast<size_t>(r);
  return Errno::kSuccess;
}

bool HostClock(u32 clock_id, clockid_t* out) {
  switch (clock_id) {
    case 0: *out = CLOCK_REALTIME; return true;
    case 1: *out = CLOCK_MONOTONIC; return true;
    case 2: *out = CLOCK_PROCESS_CPUTIME_ID; return true;
    case 3: *out = CLOCK_THREAD_CPUTIME_ID; return true;
    default: return false;
  }
}

u64 ToNanos(const timespec& ts) {
  return static_cast<u64>(ts.tv_sec) * 1'000'000'000u + static_cast<u64>(ts.tv_nsec);
}

// A scatter/gather message over `iov` (sendmsg/recvmsg take non-const iovecs
// but do not modify them).
msghdr MakeMsg(std::span<const iovec> iov) {
  msghdr msg{};
  msg.msg_iov = const_cast<iovec*>(iov.data());
  msg.msg_iovlen = iov.size();
  return msg;
}

Errno FromAddrInfoError(int r) {
  switch (r) {
    case EAI_AGAIN: return Errno::kAgain;
    case EAI_MEMORY: return Errno::kNomem;
    case EAI_FAMILY: return Errno::kAfnosupport;
    case EAI_SOCKTYPE: return Errno::kProtonosupport;
    case EAI_SERVICE: return Errno::kInval;
    case EAI_SYSTEM: return LastErrno();
    default: return Errno::kNoent;  // EAI_NONAME, EAI_NODATA, EAI_FAIL
  }
}

class PosixSystem final : public System {
 public:
  Errno ClockTimeGet(u32 clock_id, u64, u64* out) override {
    clockid_t id;
    if (!HostClock(clock_id, &id)) return Errno::kInval;
    timespec ts;
    if (clock_gettime(id, &ts) != 0) return LastErrno();
    *out = ToNanos(ts);
    return Errno::kSuccess;
  }
  Errno ClockResGet(u32 clock_id, u64* out) override {
    clockid_t id;
    if (!HostClock(clock_id, &id)) return Errno::kInval;
    timespec ts;
    if (clock_getres(id, &ts) != 0) return LastErrno();
    *out = ToNanos(ts);
    return Errno::kSuccess;
  }
  Errno RandomGet(std::span<u8> out) override {
    size_t done = 0;
    while (done < out.size()) {
      ssize_t n = getrandom(out.data() + done, out.size() - done, 0);
      if (n < 0) {
        if (errno == EINTR) continue;
        return LastErrno();
      }
      done += static_cast<size_t>(n);
    }
    return Errno::kSuccess;
  }
  void Sleep(u64 nanoseconds) override {
    // An absolute deadline makes interrupted sleeps resume without drift.
    timespec deadline;
    clock_gettime(CLOCK_MONOTONIC, &deadline);
    u64 ns = static_cast<u64>(deadline.tv_nsec) + nanoseconds % 1'000'000'000u;
    u64 secs = nanoseconds / 1'000'000'000u + ns / 1'000'000'000u;
    if (secs > static_cast<u64>(LONG_MAX - deadline.tv_sec)) secs = LONG_MAX - deadline.tv_sec;
    deadline.tv_sec += static_cast<time_t>(secs);
    deadline.tv_nsec = static_cast<long>(ns % 1'000'000'000u);
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &deadline, nullptr) == EINTR) {
    }
  }
  void SchedYield() override { sched_yield(); }

  Errno OpenDirectory(const std::string& host_path, int* out_fd) override {
    int fd = RetryEintr([&] { return ::open(host_path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); });
    if (fd < 0) return LastErrno();
    *out_fd = fd;
    return Errno::kSuccess;
  }
  Errno OpenBeneath(int dirfd, const std::string& path, int flags, mode_t mode,
                    int* out_fd) override {
    if (path.find('\0') != std::string::npos) return Errno::kInval;
    open_how how{};
    how.flags = static_cast<u64>(flags | O_CLOEXEC);
    how.mode = (flags & (O_CREAT | O_TMPFILE)) ? mode : 0;
    how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
    for (;;) {
      long fd = syscall(SYS_openat2, dirfd, path.c_str(), &how, sizeof how);
      if (fd >= 0) {
        *out_fd = static_cast<int>(fd);
        return Errno::kSuccess;
      }
      // EAGAIN: a concurrent rename raced the ".." check; the kernel asks to retry.
      if (errno == EINTR || errno == EAGAIN) continue;
      // EXDEV: the path would leave the directory.
      return errno == EXDEV ? Errno::kNotcapable : LastErrno();
    }
  }
  Errno Close(int fd) override {
    // Linux releases the descriptor even when close reports EINTR: never retry.
    if (::close(fd) != 0 && errno != EINTR) return LastErrno();
    return Errno::kSuccess;
  }
  Errno Readv(int fd, std::span<const iovec> iov, size_t* out) override {
    return SizeResult(RetryEintr([&] { return ::readv(fd, iov.data(), static_cast<int>(iov.size())); }), out);
  }
  Errno Writev(int fd, std::span<const iovec> iov, size_t* out) override {
    return SizeResult(RetryEintr([&] { return ::writev(fd, iov.data(), static_cast<int>(iov.size())); }), out);
  }
  Errno Preadv(int fd, std::span<const iovec> iov, u64 offset, size_t* out) override {
    if (offset > static_cast<u64>(INT64_MAX)) return Errno::kInval;
    return SizeResult(RetryEintr([&] {
                        return ::preadv(fd, iov.data(), static_cast<int>(iov.size()),
                                        static_cast<off_t>(offset));
                      }),
                      out);
  }
  Errno Pwritev(int fd, std::span<const iovec> iov, u64 offset, size_t* out) override {
    if (offset > static_cast<u64>(INT64_MAX)) return Errno::kInval;
    return SizeResult(RetryEintr([&] {
                        return ::pwritev(fd, iov.data(), static_cast<int>(iov.size()),
                                         static_cast<off_t>(offset));
                      }),
                      out);
  }
  Errno Seek(int fd, i64 offset, int whence, u64* out) override {
    off_t r = ::lseek(fd, static_cast<off_t>(offset), whence);
    if (r < 0) return LastErrno();
    *out = static_cast<u64>(r);
    return Errno::kSuccess;
  }
  Errno Sync(int fd) override { return Check(RetryEintr([&] { return ::fsync(fd); })); }
  Errno Datasync(int fd) override { return Check(RetryEintr([&] { return ::fdatasync(fd); })); }
  Errno Advise(int fd, u64 offset, u64 len, int advice) override {
    if (offset > static_cast<u64>(INT64_MAX) || len > static_cast<u64>(INT64_MAX)) {
      return Errno::kInval;
    }
    int r = posix_fadvise(fd, static_cast<off_t>(offset), static_cast<off_t>(len), advice);
    return FromHostErrno(r);
  }
  Errno Allocate(int fd, u64 offset, u64 len) override {
    if (offset > static_cast<u64>(INT64_MAX) || len > static_cast<u64>(INT64_MAX) - offset) {
      return Errno::kFbig;
    }
    int r;
    do {
      r = posix_fallocate(fd, static_cast<off_t>(offset), static_cast<off_t>(len));
    } while (r == EINTR);
    return FromHostErrno(r);
  }
  Errno GetFlags(int fd, int* out) override {
    int r = ::fcntl(fd, F_GETFL);
    if (r < 0) return LastErrno();
    *out = r;
    return Errno::kSuccess;
  }
  Errno SetFlags(int fd, int flags) override { return Check(::fcntl(fd, F_SETFL, flags)); }
  Errno Fstat(int fd, struct stat* out) override { return Check(::fstat(fd, out)); }
  Errno Ftruncate(int fd, u64 size) override {
    if (size > static_cast<u64>(INT64_MAX)) return Errno::kFbig;
    return Check(RetryEintr([&] { return ::ftruncate(fd, static_cast<off_t>(size)); }));
  }
  Errno Futimens(int fd, const timespec times[2]) override {
    return Check(::futimens(fd, times));
  }
  Errno ReadDir(int fd, std::span<u8> buf, size_t* out) override {
    long r = RetryEintr([&] { return syscall(SYS_getdents64, fd, buf.data(), buf.size()); });
    if (r < 0) return LastErrno();
    *out = static_cast<size_t>(r);
    return Errno::kSuccess;
  }

  Errno MkdirAt(int dirfd, const std::string& name, mode_t mode) override {
    return Check(::mkdirat(dirfd, name.c_str(), mode));
  }
  Errno UnlinkAt(int dirfd, const std::string& name, int flags) override {
    return Check(::unlinkat(dirfd, name.c_str(), flags));
  }
  Errno RenameAt(int old_dirfd, const std::string& old_name, int new_dirfd,
                 const std::string& new_name) override {
    return Check(::renameat(old_dirfd, old_name.c_str(), new_dirfd, new_name.c_str()));
  }
  Errno SymlinkAt(const std::string& target, int dirfd, const std::string& name) override {
    return Check(::symlinkat(target.c_str(), dirfd, name.c_str()));
  }
  Errno ReadlinkAt(int dirfd, const std::string& name, std::string* out) override {
    // Grow until the target fits; link targets are bounded by PATH_MAX on Linux.
    for (size_t size = 256; size <= 2 * PATH_MAX; size *= 2) {
      out->resize(size);
      ssize_t n = ::readlinkat(dirfd, name.c_str(), out->data(), size);
      if (n < 0) return LastErrno();
      if (static_cast<size_t>(n) < size) {
        out->resize(static_cast<size_t>(n));
        return Errno::kSuccess;
      }
    }
    return Errno::kNametoolong;
  }
  Errno LinkAt(int old_dirfd, const std::string& old_name, int new_dirfd,
               const std::string& new_name, int flags) override {
    return Check(::linkat(old_dirfd, old_name.c_str(), new_dirfd, new_name.c_str(), flags));
  }
  Errno FstatAt(int dirfd, const std::string& name, struct stat* out, int flags) override {
    return Check(::fstatat(dirfd, name.c_str(), out, flags));
  }
  Errno UtimensAt(int dirfd, const std::string& name, const timespec times[2],
                  int flags) override {
    return Check(::utimensat(dirfd, name.c_str(), times, flags));
  }

  Errno Poll(std::span<pollfd> fds, int timeout_ms, int* out_ready) override {
    // On EINTR, wait again for what is left of the timeout.
    timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    int remaining = timeout_ms;
    for (;;) {
      int r = ::poll(fds.data(), fds.size(), remaining);
      if (r >= 0) {
        *out_ready = r;
        return Errno::kSuccess;
      }
      if (errno != EINTR) return LastErrno();
      if (timeout_ms >= 0) {
        timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        u64 spent_ms = (ToNanos(now) - ToNanos(start)) / 1'000'000u;
        remaining = spent_ms >= static_cast<u64>(timeout_ms)
                        ? 0
                        : timeout_ms - static_cast<int>(spent_ms);
      }
    }
  }

  Errno Socket(int domain, int type, int protocol, int* out_fd) override {
    int fd = ::socket(domain, type | SOCK_CLOEXEC, protocol);
    if (fd < 0) return LastErrno();
    *out_fd = fd;
    return Errno::kSuccess;
  }
  Errno Bind(int fd, const sockaddr* addr, socklen_t len) override {
    return Check(::bind(fd, addr, len));
  }
  Errno Listen(int fd, int backlog) override { return Check(::listen(fd, backlog)); }
  Errno Accept(int fd, int flags, int* out_fd) override {
    int r = RetryEintr([&] { return ::accept4(fd, nullptr, nullptr, flags | SOCK_CLOEXEC); });
    if (r < 0) return LastErrno();
    *out_fd = r;
    return Errno::kSuccess;
  }
  Errno Connect(int fd, const sockaddr* addr, socklen_t len) override {
    // A retried connect after EINTR would report EALREADY; the connection is
    // under way, which is what EINPROGRESS tells a non-blocking caller.
    if (::connect(fd, addr, len) == 0) return Errno::kSuccess;
    return errno == EINTR ? Errno::kInprogress : LastErrno();
  }
  Errno Recv(int fd, std::span<const iovec> iov, int flags, size_t* out,
             int* out_msg_flags) override {
    msghdr msg = MakeMsg(iov);
    ssize_t r = RetryEintr([&] { return ::recvmsg(fd, &msg, flags); });
    if (r < 0) return LastErrno();
    *out = static_cast<size_t>(r);
    *out_msg_flags = msg.msg_flags;
    return Errno::kSuccess;
  }
  Errno Send(int fd, std::span<const iovec> iov, int flags, size_t* out) override {
    msghdr msg = MakeMsg(iov);
    return SizeResult(RetryEintr([&] { return ::sendmsg(fd, &msg, flags | MSG_NOSIGNAL); }), out);
  }
  Errno RecvFrom(int fd, std::span<const iovec> iov, int flags, sockaddr_storage* from,
                 socklen_t* from_len, size_t* out) override {
    msghdr msg = MakeMsg(iov);
    msg.msg_name = from;
    msg.msg_namelen = sizeof *from;
    ssize_t r = RetryEintr([&] { return ::recvmsg(fd, &msg, flags); });
    if (r < 0) return LastErrno();
    *from_len = msg.msg_namelen;
    *out = static_cast<size_t>(r);
    return Errno::kSuccess;
  }
  Errno SendTo(int fd, std::span<const iovec> iov, int flags, const sockaddr* to,
               socklen_t to_len, size_t* out) override {
    msghdr msg = MakeMsg(iov);
    msg.msg_name = const_cast<sockaddr*>(to);
    msg.msg_namelen = to_len;
    return SizeResult(RetryEintr([&] { return ::sendmsg(fd, &msg, flags | MSG_NOSIGNAL); }), out);
  }
  Errno Shutdown(int fd, int how) override { return Check(::shutdown(fd, how)); }
  Errno GetSockName(int fd, sockaddr_storage* out, socklen_t* len) override {
    *len = sizeof *out;
    return Check(::getsockname(fd, reinterpret_cast<sockaddr*>(out), len));
  }
  Errno GetPeerName(int fd, sockaddr_storage* out, socklen_t* len) override {
    *len = sizeof *out;
    return Check(::getpeername(fd, reinterpret_cast<sockaddr*>(out), len));
  }
  Errno GetSockOpt(int fd, int level, int name, void* value, socklen_t* len) override {
    return Check(::getsockopt(fd, level, name, value, len));
  }
  Errno SetSockOpt(int fd, int level, int name, const void* value, socklen_t len) override {
    return Check(::setsockopt(fd, level, name, value, len));
  }
  Errno GetAddrInfo(const std::string& host, const std::string& service, int family,
                    int socktype, std::vector<sockaddr_storage>* out) override {
    addrinfo hints{};
    hints.ai_family = family;
    hints.ai_socktype = socktype;
    addrinfo* list = nullptr;
    int r = ::getaddrinfo(host.empty() ? nullptr : host.c_str(),
                          service.empty() ? nullptr : service.c_str(), &hints, &list);
    if (r != 0) return FromAddrInfoError(r);
    out->clear();
    for (addrinfo* a = list; a != nullptr; a = a->ai_next) {
      if (a->ai_addrlen > sizeof(sockaddr_storage)) continue;
      sockaddr_storage ss{};
      std::memcpy(&ss, a->ai_addr, a->ai_addrlen);
      out->push_back(ss);
    }
    ::freeaddrinfo(list);
    return Errno::kSuccess;
  }
};

}  // namespace

std::shared_ptr<System> MakePosixSystem() {
  // A guest writing to a closed pipe must get EPIPE, not kill the host with
  // SIGPIPE (sockets use MSG_NOSIGNAL, but writev on pipes has no such flag).
  // Only a default disposition is changed: an embedder's handler is kept.
  struct sigaction old{};
  if (sigaction(SIGPIPE, nullptr, &old) == 0 && old.sa_handler == SIG_DFL) {
    signal(SIGPIPE, SIG_IGN);
  }
  return std::make_shared<PosixSystem>();
}

}  // namespace deja::wasi
