// Control endpoints: how one deja process asks a live run in another to do
// something (today: hibernate). A run that accepts requests listens on a
// unix socket, $DEJA_HOME/control/<pid>.sock, in the registry's private
// (0700) home, so only its owner can reach it. A request is one line; the
// run answers one line and keeps the connection open until the endpoint
// closes (the run has finished what was asked, or ended): the asker waits
// for that end. A socket file nobody listens on (its run was killed) is
// refused by connect(2) and removed. docs/REGISTRY.md, "Control endpoints".
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "deja/status.h"

namespace deja::registry {

class ControlEndpoint {
 public:
  // Gets each request line (without its newline) on the endpoint's thread;
  // returns the reply line.
  using Handler = std::function<std::string(const std::string& request)>;

  // Listens on `home`/control/<pid of this process>.sock (replacing a
  // stale file). Errors: kIoError naming the path.
  static Result<std::unique_ptr<ControlEndpoint>> Listen(const std::string& home, Handler handler);
  // Stops listening, removes the socket file and closes every connection
  // (the askers' end of the wait).
  ~ControlEndpoint();
  ControlEndpoint(const ControlEndpoint&) = delete;
  ControlEndpoint& operator=(const ControlEndpoint&) = delete;

  const std::string& path() const { return path_; }

 private:
  ControlEndpoint() = default;
  void Loop();

  std::string path_;
  Handler handler_;
  int listen_fd_ = -1;
  int wake_[2] = {-1, -1};  // closing the write end stops Loop
  struct Thread;
  std::unique_ptr<Thread> thread_;
};

// A connection to the endpoint of process `pid`. Errors: kNotFound when
// that process has no endpoint (not a deja run that accepts requests, or
// one that ended), kIoError otherwise.
class ControlClient {
 public:
  static Result<std::unique_ptr<ControlClient>> Connect(const std::string& home, int pid);
  ~ControlClient();
  ControlClient(const ControlClient&) = delete;
  ControlClient& operator=(const ControlClient&) = delete;

  // Sends `request` and returns the reply line (within `timeout`).
  Result<std::string> Ask(const std::string& request, std::chrono::milliseconds timeout);
  // Waits until the run closes the connection: true if it did within
  // `timeout`.
  bool WaitClosed(std::chrono::milliseconds timeout);

 private:
  explicit ControlClient(int fd) : fd_(fd) {}
  int fd_;
};

// The socket path of process `pid`'s endpoint.
std::string ControlPath(const std::string& home, int pid);

}  // namespace deja::registry
