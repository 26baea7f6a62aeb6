// Snapshot files on disk. A snapshot replaces an older one at the same path
// only once it is complete and on disk: a crash mid-write leaves the old one.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "engine/runtime/pages.h"
#include "snapshot/snapshot.h"

namespace deja::snapshot {
namespace {

Status Errno(const std::string& what, const std::string& path) {
  return Status::IoError("cannot " + what + " " + path + ": " + std::strerror(errno));
}

}  // namespace

Status WriteFileAtomically(const std::string& path, std::span<const u8> bytes) {
  std::string tmp = path + ".tmp." + std::to_string(getpid());
  int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return Errno("create", tmp);
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      Status s = Errno("write", tmp);
      close(fd);
      unlink(tmp.c_str());
      return s;
    }
    done += static_cast<size_t>(n);
  }
  if (fsync(fd) != 0) {
    Status s = Errno("sync", tmp);
    close(fd);
    unlink(tmp.c_str());
    return s;
  }
  close(fd);
  if (rename(tmp.c_str(), path.c_str()) != 0) {
    Status s = Errno("rename to", path);
    unlink(tmp.c_str());
    return s;
  }
  // The rename itself must reach the disk too.
  std::string dir = std::filesystem::path(path).parent_path().string();
  int dfd = open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    fsync(dfd);
    close(dfd);
  }
  return Status();
}

Result<std::vector<u8>> ReadFile(const std::string& path) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Errno("open", path);
  // Read straight into a buffer of the file's size (plus a little, to see
  // the end without a second allocation); a file that grows meanwhile is
  // still read whole.
  struct stat st;
  size_t expect = fstat(fd, &st) == 0 && st.st_size > 0 ? static_cast<size_t>(st.st_size) : 0;
  std::vector<u8> out;
  out.reserve(expect + (1 << 16));
  engine::AdviseHugePages(out.data(), out.capacity());
  out.resize(out.capacity());
  size_t done = 0;
  while (true) {
    if (done == out.size()) out.resize(out.size() * 2);
    ssize_t n = read(fd, out.data() + done, out.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      Status s = Errno("read", path);
      close(fd);
      return s;
    }
    if (n == 0) break;
    done += static_cast<size_t>(n);
  }
  close(fd);
  out.resize(done);
  return out;
}

Status Write(const std::string& path, const Snapshot& snapshot) {
  DEJA_ASSIGN_OR_RETURN(std::vector<u8> bytes, Encode(snapshot));
  return WriteFileAtomically(path, bytes);
}

Result<Snapshot> Read(const std::string& path) {
  DEJA_ASSIGN_OR_RETURN(std::vector<u8> bytes, ReadFile(path));
  Result<Snapshot> s = Decode(bytes);
  if (!s.ok()) return s.status().WithContext(path);
  return s;
}

}  // namespace deja::snapshot
