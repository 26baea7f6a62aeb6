#include "registry/files.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <ctime>
#include <random>

namespace deja::registry {
namespace {

// Writes all of `bytes`, retrying short writes and EINTR.
bool WriteAll(int fd, const u8* data, size_t size) {
  while (size > 0) {
    ssize_t n = ::write(fd, data, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    data += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

std::string DirOf(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

// The rename is only durable once the directory entry is on disk.
void SyncDir(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

}  // namespace

std::string ErrnoText() { return std::strerror(errno); }

Status MakeDirs(const std::string& path, unsigned mode) {
  if (path.empty()) return Status::IoError("cannot create the registry: empty path");
  for (size_t pos = 1; pos <= path.size(); ++pos) {
    if (pos != path.size() && path[pos] != '/') continue;
    std::string prefix = path.substr(0, pos);
    if (::mkdir(prefix.c_str(), mode) == 0 || errno == EEXIST) continue;
    return Status::IoError("cannot create " + prefix + ": " + ErrnoText());
  }
  struct stat st;
  if (::stat(path.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return Status::IoError("cannot create " + path + ": not a directory");
  }
  return {};
}

Result<std::vector<u8>> ReadWholeFile(const std::string& path, u64 max_bytes) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return Status::NotFound("cannot open " + path + ": " + ErrnoText());
    return Status::IoError("cannot open " + path + ": " + ErrnoText());
  }
  struct stat st;
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return Status::IoError("cannot read " + path + ": not a regular file");
  }
  if (static_cast<u64>(st.st_size) > max_bytes) {
    ::close(fd);
    return Status::ResourceExhausted(path + " is larger than " + std::to_string(max_bytes) +
                                     " bytes");
  }
  std::vector<u8> bytes(static_cast<size_t>(st.st_size));
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::read(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      Status s = Status::IoError("cannot read " + path + ": " + ErrnoText());
      ::close(fd);
      return s;
    }
    if (n == 0) break;  // shrank while reading: return what is there
    done += static_cast<size_t>(n);
  }
  ::close(fd);
  bytes.resize(done);
  return bytes;
}

namespace {

std::string RandomTempName(const std::string& dir) {
  std::random_device rd;
  char name[32];
  std::snprintf(name, sizeof name, "/.tmp-%08x%08x", rd(), rd());
  return dir + name;
}

// A named temporary file, created exclusively and locked.
Result<int> CreateNamed(const std::string& dir, std::string* path) {
  for (int attempt = 0; attempt < 16; ++attempt) {
    *path = RandomTempName(dir);
    int fd = ::open(path->c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd >= 0) {
      // Held until the file is in place or gone: a cleaner that gets the
      // lock knows the writer died.
      if (::flock(fd, LOCK_EX) != 0) {
        Status s = Status::IoError("cannot lock " + *path + ": " + ErrnoText());
        ::close(fd);
        ::unlink(path->c_str());
        return s;
      }
      return fd;
    }
    if (errno != EEXIST) return Status::IoError("cannot create " + *path + ": " + ErrnoText());
  }
  return Status::IoError("cannot create a temporary file in " + dir);
}

}  // namespace

Result<TempFile> TempFile::Create(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600);
  if (fd >= 0) {
    std::string proc = "/proc/self/fd/" + std::to_string(fd);
    if (::access(proc.c_str(), F_OK) == 0) return TempFile(fd, proc, dir, true);
    ::close(fd);  // no /proc: the file could not be given a name
  } else if (errno == ENOENT || errno == ENOTDIR || errno == EACCES || errno == ENOSPC ||
             errno == EDQUOT || errno == EROFS) {
    // Not "unsupported": the named way would fail the same.
    return Status::IoError("cannot create a temporary file in " + dir + ": " + ErrnoText());
  }
  std::string path;
  DEJA_ASSIGN_OR_RETURN(int named, CreateNamed(dir, &path));
  return TempFile(named, path, dir, false);
}

TempFile::TempFile(TempFile&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)),
      path_(std::move(other.path_)),
      dir_(std::move(other.dir_)),
      unnamed_(other.unnamed_) {
  other.path_.clear();
}

TempFile::~TempFile() {
  if (!path_.empty() && !unnamed_) ::unlink(path_.c_str());
  if (fd_ >= 0) ::close(fd_);
}

std::string TempFile::What() const {
  return unnamed_ ? "a temporary file in " + dir_ : path_;
}

Status TempFile::Write(std::span<const u8> bytes) {
  if (fd_ < 0) return Status::Internal("write to a closed temporary file " + What());
  if (!WriteAll(fd_, bytes.data(), bytes.size())) {
    return Status::IoError("cannot write " + What() + ": " + ErrnoText());
  }
  return {};
}

Status TempFile::Commit(const std::string& dest, bool replace) {
  if (fd_ < 0) return Status::Internal("temporary file " + What() + " committed twice");
  if (::fsync(fd_) != 0) return Status::IoError("cannot sync " + What() + ": " + ErrnoText());
  // The descriptor (and a named file's lock) stays open until the file is in
  // place, so no cleaner takes it for a dead writer's.
  std::string named = path_;
  if (unnamed_) {
    // Give it a name: `dest` itself, or (to replace) a temporary one renamed
    // over `dest` (a kill in between leaves it, for RemoveDeadTempFiles).
    named = replace ? RandomTempName(dir_) : dest;
    if (::linkat(AT_FDCWD, path_.c_str(), AT_FDCWD, named.c_str(), AT_SYMLINK_FOLLOW) != 0) {
      if (errno == EEXIST && !replace) return Status::InvalidArgument(dest + " exists");
      return Status::IoError("cannot create " + named + ": " + ErrnoText());
    }
  }
  if (replace) {
    if (::rename(named.c_str(), dest.c_str()) != 0) {
      Status s = Status::IoError("cannot rename " + named + " to " + dest + ": " + ErrnoText());
      if (unnamed_) ::unlink(named.c_str());
      return s;
    }
  } else if (!unnamed_) {
    // link() fails with EEXIST rather than replacing, unlike rename().
    if (::link(named.c_str(), dest.c_str()) != 0) {
      if (errno == EEXIST) return Status::InvalidArgument(dest + " exists");
      return Status::IoError("cannot link " + named + " to " + dest + ": " + ErrnoText());
    }
    ::unlink(named.c_str());
  }
  path_.clear();
  int fd = std::exchange(fd_, -1);
  if (::close(fd) != 0) return Status::IoError("cannot close " + dest + ": " + ErrnoText());
  SyncDir(DirOf(dest));
  return {};
}

Result<u64> RemoveDeadTempFiles(const std::string& dir, i64 grace_seconds, u64* bytes_freed) {
  DEJA_ASSIGN_OR_RETURN(std::vector<std::string> names, ListDir(dir, ""));
  u64 removed = 0;
  for (const std::string& name : names) {
    if (name.rfind(".tmp-", 0) != 0) continue;
    std::string path = dir + "/" + name;
    int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) continue;  // gone already, or not a file we may touch
    struct stat st;
    bool dead = ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
                ::flock(fd, LOCK_EX | LOCK_NB) == 0 && FileAgeSeconds(path) >= grace_seconds;
    if (dead && ::unlink(path.c_str()) == 0) {
      ++removed;
      *bytes_freed += static_cast<u64>(st.st_size);
    }
    ::close(fd);
  }
  return removed;
}

Status WriteFileAtomically(const std::string& dest, std::span<const u8> bytes) {
  DEJA_ASSIGN_OR_RETURN(TempFile tmp, TempFile::Create(DirOf(dest)));
  DEJA_TRY(tmp.Write(bytes));
  return tmp.Commit(dest, /*replace=*/true);
}

i64 FileSize(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return -1;
  return static_cast<i64>(st.st_size);
}

Result<std::vector<std::string>> ListDir(const std::string& dir, const std::string& suffix) {
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return Status::IoError("cannot list " + dir + ": " + ErrnoText());
  std::vector<std::string> names;
  while (struct dirent* e = ::readdir(d)) {
    std::string name = e->d_name;
    if (name == "." || name == "..") continue;
    if (name.size() >= suffix.size() &&
        name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0) {
      names.push_back(std::move(name));
    }
  }
  ::closedir(d);
  return names;
}

i64 FileAgeSeconds(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return 0;
  i64 age = static_cast<i64>(std::time(nullptr)) - static_cast<i64>(st.st_mtime);
  return age > 0 ? age : 0;
}

}  // namespace deja::registry
