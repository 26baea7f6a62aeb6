#include "registry/control.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>
#include <vector>

namespace deja::registry {
namespace {

constexpr size_t kMaxLine = 512;       // a request or reply line
constexpr size_t kMaxConnections = 16;  // open askers; more are refused

// sockaddr_un holds at most 107 bytes of path, and a $DEJA_HOME may be
// longer: the directory is opened and named through /proc/self/fd.
struct ShortPath {
  int dir_fd = -1;
  std::string name;  // "/proc/self/fd/N/<file>"
  ~ShortPath() {
    if (dir_fd >= 0) close(dir_fd);
  }
};

Status OpenShort(const std::string& home, int pid, bool create, ShortPath* out) {
  std::string dir = home + "/control";
  if (create) {
    if (mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
      return Status::IoError("cannot create " + dir + ": " + std::strerror(errno));
    }
  }
  out->dir_fd = open(dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (out->dir_fd < 0) {
    if (errno == ENOENT) return Status::NotFound(dir + " does not exist");
    return Status::IoError("cannot open " + dir + ": " + std::strerror(errno));
  }
  out->name = "/proc/self/fd/" + std::to_string(out->dir_fd) + "/" + std::to_string(pid) + ".sock";
  return Status();
}

Status Address(const ShortPath& p, sockaddr_un* addr) {
  std::memset(addr, 0, sizeof *addr);
  addr->sun_family = AF_UNIX;
  if (p.name.size() >= sizeof addr->sun_path) return Status::IoError("control path too long");
  std::memcpy(addr->sun_path, p.name.data(), p.name.size());
  return Status();
}

// Reads one line (up to kMaxLine) within `timeout`; false on EOF, error or
// timeout.
bool ReadLine(int fd, std::chrono::milliseconds timeout, std::string* line) {
  line->clear();
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (line->size() < kMaxLine) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd, POLLIN, 0};
    int r = poll(&p, 1, static_cast<int>(left.count()));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    char c;
    ssize_t n = read(fd, &c, 1);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    if (c == '\n') return true;
    line->push_back(c);
  }
  return false;
}

bool WriteAll(int fd, const std::string& s) {
  size_t done = 0;
  while (done < s.size()) {
    ssize_t n = send(fd, s.data() + done, s.size() - done, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<size_t>(n);
  }
  return true;
}

}  // namespace

std::string ControlPath(const std::string& home, int pid) {
  return home + "/control/" + std::to_string(pid) + ".sock";
}

struct ControlEndpoint::Thread {
  std::thread thread;
};

Result<std::unique_ptr<ControlEndpoint>> ControlEndpoint::Listen(const std::string& home,
                                                                 Handler handler) {
  std::unique_ptr<ControlEndpoint> ep(new ControlEndpoint);
  ep->handler_ = std::move(handler);
  ep->path_ = ControlPath(home, static_cast<int>(getpid()));
  ShortPath p;
  DEJA_TRY(OpenShort(home, static_cast<int>(getpid()), /*create=*/true, &p));
  sockaddr_un addr;
  DEJA_TRY(Address(p, &addr));
  ep->listen_fd_ = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (ep->listen_fd_ < 0) return Status::IoError("socket: " + std::string(std::strerror(errno)));
  unlink(p.name.c_str());  // a stale endpoint of an earlier process with this pid
  if (bind(ep->listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      listen(ep->listen_fd_, 8) != 0) {
    return Status::IoError("cannot listen on " + ep->path_ + ": " + std::strerror(errno));
  }
  if (pipe2(ep->wake_, O_CLOEXEC) != 0) {
    return Status::IoError("pipe: " + std::string(std::strerror(errno)));
  }
  ep->thread_ = std::make_unique<Thread>();
  ControlEndpoint* self = ep.get();
  ep->thread_->thread = std::thread([self] { self->Loop(); });
  return ep;
}

ControlEndpoint::~ControlEndpoint() {
  if (thread_) {
    close(wake_[1]);
    wake_[1] = -1;
    thread_->thread.join();
  }
  if (listen_fd_ >= 0) {
    unlink(path_.c_str());
    close(listen_fd_);
  }
  if (wake_[0] >= 0) close(wake_[0]);
  if (wake_[1] >= 0) close(wake_[1]);
}

void ControlEndpoint::Loop() {
  std::vector<int> askers;  // kept open: their EOF says the run is done
  while (true) {
    pollfd p[2] = {{listen_fd_, POLLIN, 0}, {wake_[0], POLLIN, 0}};
    int r = poll(p, 2, -1);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0 || p[1].revents != 0) break;
    if ((p[0].revents & POLLIN) == 0) continue;
    int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    // Only this user can reach the 0700 directory; check the peer anyway.
    ucred cred{};
    socklen_t len = sizeof cred;
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0 || cred.uid != getuid() ||
        askers.size() >= kMaxConnections) {
      close(fd);
      continue;
    }
    std::string request;
    if (!ReadLine(fd, std::chrono::seconds(2), &request)) {
      close(fd);
      continue;
    }
    std::string reply = handler_(request);
    if (!WriteAll(fd, reply + "\n")) {
      close(fd);
      continue;
    }
    askers.push_back(fd);
  }
  for (int fd : askers) close(fd);
}

Result<std::unique_ptr<ControlClient>> ControlClient::Connect(const std::string& home, int pid) {
  ShortPath p;
  Status opened = OpenShort(home, pid, /*create=*/false, &p);
  if (!opened.ok()) {
    if (opened.code() == Status::Code::kNotFound) {
      return Status::NotFound("no control endpoint " + ControlPath(home, pid));
    }
    return opened;
  }
  sockaddr_un addr;
  DEJA_TRY(Address(p, &addr));
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Status::IoError("socket: " + std::string(std::strerror(errno)));
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    int err = errno;
    close(fd);
    if (err == ECONNREFUSED) {
      // Left by a run that was killed: nobody will ever answer it.
      unlink(p.name.c_str());
      return Status::NotFound("no control endpoint " + ControlPath(home, pid) +
                              " (a stale one was removed)");
    }
    if (err == ENOENT) return Status::NotFound("no control endpoint " + ControlPath(home, pid));
    return Status::IoError("cannot connect to " + ControlPath(home, pid) + ": " +
                           std::strerror(err));
  }
  return std::unique_ptr<ControlClient>(new ControlClient(fd));
}

ControlClient::~ControlClient() { close(fd_); }

Result<std::string> ControlClient::Ask(const std::string& request,
                                      std::chrono::milliseconds timeout) {
  if (request.find('\n') != std::string::npos || request.size() >= kMaxLine) {
    return Status::InvalidArgument("control request must be one short line");
  }
  if (!WriteAll(fd_, request + "\n")) {
    return Status::IoError("cannot send the request: " + std::string(std::strerror(errno)));
  }
  std::string reply;
  if (!ReadLine(fd_, timeout, &reply)) return Status::IoError("no reply from the run");
  return reply;
}

bool ControlClient::WaitClosed(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  char buf[64];
  while (true) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd_, POLLIN, 0};
    int r = poll(&p, 1, static_cast<int>(left.count()));
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return true;
    if (r == 0) return false;
    ssize_t n = read(fd_, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return true;  // EOF (or reset): the endpoint is gone
  }
}

}  // namespace deja::registry
