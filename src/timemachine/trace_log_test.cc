// WriteTrace and WriteHttpTrace over real log files: records written by
// hand through LogWriter, and a real HTTP server guest recorded while a
// host-side client talks to it.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "deja/deja.h"
#include "deja/wasi.h"
#include "text/wat.h"
#include "timemachine/log.h"
#include "timemachine/recorder.h"
#include "timemachine/test_util.h"
#include "timemachine/trace.h"
#include "timemachine/trace_test_util.h"
#include "wasi/ctx.h"
#include "wasi/system.h"

namespace deja::tm {
namespace {

using testing::TempDir;

std::vector<std::string> Lines(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

u32 IdOf(const RunInfo& info, std::string_view name) {
  for (size_t i = 0; i < info.call_names.size(); ++i) {
    if (info.call_names[i] == name) return static_cast<u32>(i);
  }
  ADD_FAILURE() << "no call " << name;
  return 0;
}

TEST(TraceLogTest, HandWrittenLog) {
  TempDir dir;
  std::string path = dir.path() + "/run.log";
  RunInfo info;
  info.call_names = WasiCallNames();
  {
    auto writer = LogWriter::Create(path, info);
    ASSERT_TRUE(writer.ok()) << writer.status().ToString();
    (*writer)->Append(testing::AcceptCall(IdOf(info, "sock_accept"), 10, 3, 4));
    (*writer)->Append(testing::ReadCall(IdOf(info, "sock_recv"), 20, 4,
                                        "GET /x HTTP/1.1\r\nHost: h\r\n\r\n", true));
    (*writer)->Append(testing::WriteCall(IdOf(info, "sock_send"), 30, 4,
                                         "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi", true));
    (*writer)->Append(testing::Call(IdOf(info, "fd_close"), 40, {4}));
    RunEnd end;
    end.kind = RunEnd::Kind::kReturned;
    end.host_calls = 4;
    ASSERT_TRUE((*writer)->Finish(end).ok());
  }
  auto reader = LogReader::Open(path);
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  std::ostringstream out;
  ASSERT_TRUE(WriteTrace(**reader, out, {}).ok());
  std::vector<std::string> lines = Lines(out.str());
  ASSERT_EQ(lines.size(), 5u) << out.str();
  EXPECT_EQ(lines[0],
            "#0     +0.000000s  sock_accept(fd=3, flags=0, fd_out->0x204) = 0 SUCCESS  "
            "[read 0 B, wrote 4 B] (fd 4)");
  EXPECT_EQ(lines[3], "#3     +0.000000s  fd_close(fd=4) = 0 SUCCESS");
  EXPECT_EQ(lines[4], "end: returned, exit status 0, 0.000000s, fuel 0, 4 host calls");

  reader = LogReader::Open(path);
  ASSERT_TRUE(reader.ok());
  std::ostringstream http;
  ASSERT_TRUE(WriteHttpTrace(**reader, http, {.json = true}).ok());
  lines = Lines(http.str());
  ASSERT_EQ(lines.size(), 2u) << http.str();
  auto x = nlohmann::json::parse(lines[0]);
  EXPECT_EQ(x["request"]["target"], "/x");
  EXPECT_EQ(x["response"]["body_bytes"], 2);
}

TEST(TraceLogTest, TruncatedLogSaysWhereItEnds) {
  TempDir dir;
  std::string path = dir.path() + "/run.log";
  RunInfo info;
  info.call_names = WasiCallNames();
  {
    auto writer = LogWriter::Create(path, info);
    ASSERT_TRUE(writer.ok());
    (*writer)->Append(testing::Call(IdOf(info, "sched_yield"), 10, {}));
    ASSERT_TRUE((*writer)->Flush().ok());
    // Dropped without Finish: a killed run.
    ASSERT_TRUE((*writer)->Finish(RunEnd()).ok());
  }
  std::vector<u8> bytes = testing::ReadFile(path);
  ASSERT_GT(bytes.size(), 8u);
  // Cut inside the end frame.
  testing::WriteFile(path, std::span<const u8>(bytes).first(bytes.size() - 3));
  auto reader = LogReader::Open(path);
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  std::ostringstream out;
  ASSERT_TRUE(WriteTrace(**reader, out, {.json = true}).ok());
  std::vector<std::string> lines = Lines(out.str());
  ASSERT_FALSE(lines.empty());
  auto end = nlohmann::json::parse(lines.back());
  EXPECT_EQ(end["end"]["kind"], "truncated") << out.str();
  EXPECT_FALSE(end["end"]["reason"].get<std::string>().empty());
}

u16 LocalPort(int fd) {
  sockaddr_in addr{};
  socklen_t len = sizeof addr;
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) return 0;
  return ntohs(addr.sin_port);
}

// Sends `request` on a fresh connection and reads until the server closes.
std::string Exchange(u16 port, const std::string& request) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  timeval tv{5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string got;
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      send(fd, request.data(), request.size(), MSG_NOSIGNAL) ==
          static_cast<ssize_t>(request.size())) {
    char buf[1024];
    for (ssize_t n; (n = recv(fd, buf, sizeof buf, 0)) > 0;)
      got.append(buf, static_cast<size_t>(n));
  }
  close(fd);
  return got;
}

TEST(TraceLogTest, RecordedHttpServerGuest) {
  auto wasm = text::LoadModuleFile(std::string(DEJA_GUEST_DIR) + "/http_server.wasm");
  ASSERT_TRUE(wasm.ok()) << wasm.status().ToString();
  auto module = Module::Compile(*wasm);
  ASSERT_TRUE(module.ok()) << module.status().ToString();
  TempDir dir;
  std::string path = dir.path() + "/http.log";
  FILE* out = tmpfile();
  FILE* err = tmpfile();
  WasiConfig config;
  config.args = {"http_server", "2"};
  config.listen = {"127.0.0.1:0"};
  config.stdout_fd = fileno(out);
  config.stderr_fd = fileno(err);
  RunInfo info;
  info.call_names = WasiCallNames();
  {
    auto writer = LogWriter::Create(path, info);
    ASSERT_TRUE(writer.ok()) << writer.status().ToString();
    Recorder recorder(**writer);
    WasiOptions wasi_options;
    wasi_options.system = recorder.WrapSystem(wasi::MakePosixSystem());
    wasi_options.interceptor = &recorder;
    auto wasi = Wasi::Create(config, wasi_options);
    ASSERT_TRUE(wasi.ok()) << wasi.status().ToString();
    wasi::FdEntry* listener = (*wasi)->ctx().fds.Get(3);
    ASSERT_NE(listener, nullptr);
    u16 port = LocalPort(listener->host_fd);
    Outcome outcome = Outcome::kTrapped;
    std::thread guest([&] {
      Store store;
      Linker linker;
      (*wasi)->Link(store, linker);
      auto instance = linker.Instantiate(store, *module);
      if (!instance.ok()) return;
      auto start = store.GetExport(*instance, "_start");
      if (!start) return;
      std::vector<Value> results;
      outcome = store.Call(*start, {}, &results);
    });
    std::string a = Exchange(port, "GET /hello HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    std::string b = Exchange(port,
                             "POST /items?id=7 HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                             "Content-Length: 0\r\n\r\n");
    guest.join();
    EXPECT_NE(outcome, Outcome::kTrapped);
    EXPECT_NE(a.find("you asked for GET /hello"), std::string::npos) << a;
    RunEnd end;
    end.kind = RunEnd::Kind::kExited;
    end.host_calls = recorder.calls();
    ASSERT_TRUE((*writer)->Finish(end).ok());
  }
  fclose(out);
  fclose(err);

  auto reader = LogReader::Open(path);
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  std::ostringstream text;
  ASSERT_TRUE(WriteHttpTrace(**reader, text, {}).ok());
  EXPECT_NE(text.str().find("GET /hello HTTP/1.1 -> 200 OK"), std::string::npos) << text.str();
  EXPECT_NE(text.str().find("POST /items?id=7 HTTP/1.1 -> 200 OK"), std::string::npos)
      << text.str();
  EXPECT_NE(text.str().find("  < body 25 B\n"), std::string::npos) << text.str();
  EXPECT_NE(text.str().find("2 exchanges on 2 connections"), std::string::npos) << text.str();

  reader = LogReader::Open(path);
  ASSERT_TRUE(reader.ok());
  std::ostringstream trace;
  ASSERT_TRUE(WriteTrace(**reader, trace, {}).ok());
  EXPECT_NE(trace.str().find("sock_accept(fd=3, flags=0, fd_out->0x"), std::string::npos)
      << trace.str();
  EXPECT_NE(trace.str().find("(transferred 9 B, stdout 9 B)"), std::string::npos) << trace.str();
  EXPECT_NE(trace.str().find("end: exited"), std::string::npos) << trace.str();

  reader = LogReader::Open(path);
  ASSERT_TRUE(reader.ok());
  std::ostringstream json;
  ASSERT_TRUE(WriteTrace(**reader, json, {.json = true}).ok());
  for (const std::string& line : Lines(json.str())) {
    EXPECT_TRUE(nlohmann::json::accept(line)) << line;
  }
}

}  // namespace
}  // namespace deja::tm
