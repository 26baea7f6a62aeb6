#include "registry/control.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <filesystem>

#include "registry/test_util.h"

namespace deja::registry {
namespace {

using namespace std::chrono_literals;
using testing::OpenOrDie;
using testing::TempDir;

TEST(Control, AskAndWaitForTheEndpointToClose) {
  TempDir dir;
  ASSERT_NE(OpenOrDie(dir.home()), nullptr);
  std::atomic<int> asked{0};
  auto ep = ControlEndpoint::Listen(dir.home(), [&](const std::string& request) {
    ++asked;
    return "got " + request;
  });
  ASSERT_TRUE(ep.ok()) << ep.status().ToString();
  EXPECT_EQ((*ep)->path(), ControlPath(dir.home(), getpid()));
  EXPECT_EQ(std::filesystem::status((*ep)->path()).type(), std::filesystem::file_type::socket);
  auto client = ControlClient::Connect(dir.home(), getpid());
  ASSERT_TRUE(client.ok()) << client.status().ToString();
  auto reply = (*client)->Ask("hibernate", 2s);
  ASSERT_TRUE(reply.ok()) << reply.status().ToString();
  EXPECT_EQ(*reply, "got hibernate");
  EXPECT_EQ(asked.load(), 1);
  EXPECT_FALSE((*client)->WaitClosed(50ms));  // still open: the run goes on
  ep->reset();
  EXPECT_TRUE((*client)->WaitClosed(2s));
  EXPECT_FALSE(std::filesystem::exists(ControlPath(dir.home(), getpid())));
}

TEST(Control, NoEndpointIsNotFound) {
  TempDir dir;
  ASSERT_NE(OpenOrDie(dir.home()), nullptr);
  auto client = ControlClient::Connect(dir.home(), 12345);
  ASSERT_FALSE(client.ok());
  EXPECT_EQ(client.status().code(), Status::Code::kNotFound);
  // Not even a control folder (a home no run with --snapshot-to used).
  auto none = ControlClient::Connect(dir.path() + "/elsewhere", 12345);
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.status().code(), Status::Code::kNotFound);
}

// A socket file left by a killed run: nobody listens, so it is refused
// and removed.
TEST(Control, StaleSocketIsRefusedAndRemoved) {
  TempDir dir;
  ASSERT_NE(OpenOrDie(dir.home()), nullptr);
  std::filesystem::create_directories(dir.home() + "/control");
  std::string path = ControlPath(dir.home(), 4242);
  int fd = socket(AF_UNIX, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  ASSERT_LT(path.size(), sizeof addr.sun_path);
  std::memcpy(addr.sun_path, path.data(), path.size());
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  close(fd);  // bound, never listening: what a killed process leaves
  auto client = ControlClient::Connect(dir.home(), 4242);
  ASSERT_FALSE(client.ok());
  EXPECT_EQ(client.status().code(), Status::Code::kNotFound);
  EXPECT_FALSE(std::filesystem::exists(path));
}

// $DEJA_HOME may be longer than a unix socket path can be.
TEST(Control, WorksUnderALongHome) {
  TempDir dir;
  std::string home = dir.path() + "/" + std::string(120, 'h');
  ASSERT_NE(OpenOrDie(home), nullptr);
  auto ep = ControlEndpoint::Listen(home, [](const std::string&) { return std::string("ok"); });
  ASSERT_TRUE(ep.ok()) << ep.status().ToString();
  auto client = ControlClient::Connect(home, getpid());
  ASSERT_TRUE(client.ok()) << client.status().ToString();
  auto reply = (*client)->Ask("x", 2s);
  ASSERT_TRUE(reply.ok());
  EXPECT_EQ(*reply, "ok");
}

}  // namespace
}  // namespace deja::registry
