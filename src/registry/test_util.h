// Helpers for the registry's tests: a temporary $DEJA_HOME, whole-file I/O,
// RunInfo/RunEnd samples, real logs, and the pid of a process that is gone.
#pragma once

#include <fcntl.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "registry/registry.h"
#include "timemachine/log.h"
#include "timemachine/test_util.h"

namespace deja::registry::testing {

// A temporary directory (the time machine's test helper) that also names a
// registry home inside it.
class TempDir : public tm::testing::TempDir {
 public:
  // A registry home inside the directory (created by Registry::Open).
  std::string home() const { return path() + "/home"; }
};

inline std::unique_ptr<Registry> OpenOrDie(const std::string& home) {
  auto reg = Registry::Open(home);
  EXPECT_TRUE(reg.ok()) << reg.status().ToString();
  return reg.ok() ? std::move(reg).value() : nullptr;
}

using tm::testing::ReadFile;
using tm::testing::WriteFile;

inline std::vector<u8> Bytes(std::string_view s) { return {s.begin(), s.end()}; }

// Not a valid module, but the registry stores bytes, not modules.
inline std::vector<u8> FakeModule(int n) {
  std::vector<u8> wasm = {0x00, 'a', 's', 'm', 0x01, 0x00, 0x00, 0x00};
  for (int i = 0; i < n + 1; ++i) wasm.push_back(static_cast<u8>(n * 31 + i));
  return wasm;
}

inline tm::RunInfo MakeInfo(const std::string& id, i64 start_unix_ns, const std::string& hash) {
  tm::RunInfo info;
  info.id = id;
  info.start_unix_ns = start_unix_ns;
  info.deja_version = "0.1.0";
  info.module_hash = hash;
  info.module_name = "prog.wasm";
  info.args = {"prog.wasm", "--flag", "two words"};
  info.call_names = tm::WasiCallNames();
  return info;
}

inline tm::RunEnd MakeEnd(tm::RunEnd::Kind kind, i32 exit_status) {
  tm::RunEnd end;
  end.kind = kind;
  end.exit_status = exit_status;
  end.guest_exit_code = exit_status;
  end.fuel_consumed = 1234;
  end.host_calls = 3;
  end.duration_ns = 5'000'000;
  return end;
}

inline tm::CallRecord MakeRecord(u64 i) {
  tm::CallRecord rec;
  rec.call = static_cast<u32>(i % 4);
  rec.time_ns = i * 1000;
  rec.args = {i, i + 1};
  rec.result = 0;
  rec.ops.push_back({tm::MemOp::Kind::kRead, 64, 0, 4});
  rec.data = {static_cast<u8>(i), 1, 2, 3};
  return rec;
}

// Writes a real log for `info` with `records` calls, ended by `end` (or cut
// off like a killed run's when there is none). Returns its size.
inline u64 WriteLog(const std::string& path, const tm::RunInfo& info, u64 records,
                    const std::optional<tm::RunEnd>& end) {
  auto writer = tm::LogWriter::Create(path, info);
  EXPECT_TRUE(writer.ok()) << writer.status().ToString();
  if (!writer.ok()) return 0;
  for (u64 i = 0; i < records; ++i) (*writer)->Append(MakeRecord(i));
  if (end.has_value()) {
    EXPECT_TRUE((*writer)->Finish(*end).ok());
  } else {
    EXPECT_TRUE((*writer)->Flush().ok());
  }
  u64 bytes = (*writer)->bytes_written();
  writer->reset();
  return bytes;
}

// The pid of a child that has exited and been reaped: no process has it
// (until the kernel hands it out again, which takes a while).
inline int DeadPid() {
  pid_t pid = fork();
  if (pid == 0) _exit(0);
  int status = 0;
  waitpid(pid, &status, 0);
  return pid;
}

// Sets a file's modification time `seconds` into the past.
inline void Age(const std::string& path, i64 seconds) {
  struct timespec times[2];
  clock_gettime(CLOCK_REALTIME, &times[0]);
  times[0].tv_sec -= seconds;
  times[1] = times[0];
  EXPECT_EQ(utimensat(AT_FDCWD, path.c_str(), times, 0), 0) << path;
}

}  // namespace deja::registry::testing
