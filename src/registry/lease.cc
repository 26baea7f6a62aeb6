#include "registry/lease.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "registry/registry.h"

namespace deja::registry {

std::string LeasePath(const std::string& home, const std::string& id) {
  return home + "/live/" + id + ".lock";
}

bool LeaseHeld(const std::string& home, const std::string& id) {
  int fd = ::open(LeasePath(home, id).c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) return false;
  // A shared lock conflicts only with the holder's exclusive one; taken and
  // dropped at once, so a checker never keeps a live run from its lease.
  int r;
  do {
    r = ::flock(fd, LOCK_SH | LOCK_NB);
  } while (r != 0 && errno == EINTR);
  bool held = r != 0 && errno == EWOULDBLOCK;
  ::close(fd);
  return held;
}

void RemoveStaleLease(const std::string& home, const std::string& id) {
  std::string path = LeasePath(home, id);
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) return;
  // Only a lock file nobody holds goes; a holder never takes it again.
  if (::flock(fd, LOCK_EX | LOCK_NB) == 0) ::unlink(path.c_str());
  ::close(fd);
}

RunLease::RunLease(RunLease&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), path_(std::move(other.path_)) {}

RunLease& RunLease::operator=(RunLease&& other) noexcept {
  if (this != &other) {
    Release();
    fd_ = std::exchange(other.fd_, -1);
    path_ = std::move(other.path_);
  }
  return *this;
}

RunLease::~RunLease() { Release(); }

void RunLease::Release() {
  if (fd_ < 0) return;
  // Unlinked while still locked: a checker that opened it meanwhile sees
  // the lock until the close below, then a run that has finished.
  ::unlink(path_.c_str());
  ::close(fd_);
  fd_ = -1;
}

Result<RunLease> RunLease::Acquire(const std::string& home, const std::string& id) {
  std::string path = LeasePath(home, id);
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) {
    return Status::IoError("cannot create the run's lock file " + path + ": " +
                           std::strerror(errno));
  }
  int r;
  do {
    r = ::flock(fd, LOCK_EX | LOCK_NB);
  } while (r != 0 && errno == EINTR);
  if (r != 0) {
    int err = errno;
    ::close(fd);
    if (err == EWOULDBLOCK) return Status::InvalidArgument("run " + id + " is already live");
    return Status::IoError("cannot lock " + path + ": " + std::strerror(err));
  }
  RunLease lease;
  lease.fd_ = fd;
  lease.path_ = std::move(path);
  return lease;
}

}  // namespace deja::registry
