#include "durable/lease.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace deja::durable {

Result<std::unique_ptr<FileLease>> FileLease::TryAcquire(const std::string& dir,
                                                         const std::string& id) {
  std::string path = dir + "/" + id + ".lock";
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) {
    return Status::IoError("cannot open the lease " + path + ": " + std::strerror(errno));
  }
  int r;
  do {
    r = ::flock(fd, LOCK_EX | LOCK_NB);
  } while (r != 0 && errno == EINTR);
  if (r != 0) {
    int err = errno;
    ::close(fd);
    if (err == EWOULDBLOCK) return std::unique_ptr<FileLease>();
    return Status::IoError("cannot lock the lease " + path + ": " + std::strerror(err));
  }
  return std::unique_ptr<FileLease>(new FileLease(fd, std::move(path), id));
}

FileLease::~FileLease() { Release(); }

void FileLease::Release() {
  if (fd_ < 0) return;
  ::unlink(path_.c_str());
  ::close(fd_);
  fd_ = -1;
}

}  // namespace deja::durable
