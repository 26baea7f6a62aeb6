// Test helper: runs a guest program from tests/guests under WASI and captures
// its exit status and output.
#pragma once

#include <gtest/gtest.h>
#include <stdio.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "deja/deja.h"
#include "deja/wasi.h"
#include "text/wat.h"

namespace deja::wasi::testing {

struct GuestRun {
  Outcome outcome = Outcome::kReturned;
  int exit_code = 0;  // proc_exit's code; 0 when _start returned
  std::string out;    // what the guest wrote to fd 1
  std::string err;    // ... and to fd 2
  std::string trap;   // Trap::ToString() when trapped
};

// Owns a host descriptor made by a test (a socket, a file) and closes it.
class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

inline std::string GuestPath(const std::string& name) {
  return std::string(DEJA_GUEST_DIR) + "/" + name + ".wasm";
}

inline std::string ReadAll(FILE* f) {
  std::string s;
  rewind(f);
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, f)) > 0) s.append(buf, n);
  return s;
}

// Runs tests/guests/<name>.wasm's _start with `config` (its stdout/stderr are
// replaced by temporary files; stdin is /dev/null unless config says otherwise).
inline GuestRun RunGuest(const std::string& name, WasiConfig config, const std::string& stdin_text = "") {
  GuestRun run;
  auto bytes = text::LoadModuleFile(GuestPath(name));
  EXPECT_TRUE(bytes.ok()) << bytes.status().ToString();
  if (!bytes.ok()) return run;
  auto module = Module::Compile(*bytes);
  EXPECT_TRUE(module.ok()) << module.status().ToString();
  if (!module.ok()) return run;

  FILE* out = tmpfile();
  FILE* err = tmpfile();
  FILE* in = tmpfile();
  fputs(stdin_text.c_str(), in);
  rewind(in);
  config.stdin_fd = fileno(in);
  config.stdout_fd = fileno(out);
  config.stderr_fd = fileno(err);
  if (config.args.empty()) config.args.push_back(name);

  {
    auto wasi = Wasi::Create(config);
    EXPECT_TRUE(wasi.ok()) << wasi.status().ToString();
    if (wasi.ok()) {
      Store store;
      Linker linker;
      (*wasi)->Link(store, linker);
      auto instance = linker.Instantiate(store, *module);
      EXPECT_TRUE(instance.ok()) << instance.status().ToString();
      if (instance.ok()) {
        auto start = store.GetExport(*instance, "_start");
        EXPECT_TRUE(start.has_value());
        if (start) {
          std::vector<Value> results;
          run.outcome = store.Call(*start, {}, &results);
          if (run.outcome == Outcome::kExited) run.exit_code = store.exit_code();
          if (run.outcome == Outcome::kTrapped) run.trap = store.trap().ToString();
        }
      }
    }
  }
  run.out = ReadAll(out);
  run.err = ReadAll(err);
  fclose(out);
  fclose(err);
  fclose(in);
  return run;
}

}  // namespace deja::wasi::testing
