// One `deja run`: links WASI and stand-ins for unknown imports, instantiates
// the module, calls _start (or _initialize and an --invoke'd export) under
// the fuel and time limits, and turns the outcome into an exit code
// (exit_codes.h) and stderr messages that say which trap or limit ended it.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "cli/run_imports.h"
#include "deja/deja.h"
#include "deja/wasi.h"
#include "text/watchdog.h"

namespace deja::cli {

// The checked flags of one run.
struct RunPlan {
  std::string module_file;
  WasiConfig config;
  StoreLimits limits;
  std::string max_memory;  // as given, for messages; empty = no --max-memory
  std::optional<uint64_t> fuel;
  std::optional<std::chrono::nanoseconds> timeout;
  std::string timeout_text;
  std::optional<std::string> invoke;  // --invoke NAME
  std::vector<std::string> invoke_args;
  UnknownImports unknown_imports = UnknownImports::kError;
};

class RunSession {
 public:
  RunSession(const RunPlan& plan, const CliStreams& io);
  RunSession(const RunSession&) = delete;
  RunSession& operator=(const RunSession&) = delete;

  // Runs `module` with `wasi` linked in; returns the exit code.
  int Run(Wasi& wasi, const Module& module);

 private:
  int RunLinked(const Linker& linker, const Module& module);
  int InstantiateFailed(const Status& status);
  int CallStart(InstanceId instance);
  int CallInvoke(InstanceId instance);
  int Finish(Outcome outcome, const std::vector<Value>& results);
  // With --max-memory, how much memory the guest had when it trapped: a
  // guest that aborts when malloc fails traps, and this says how close it was.
  void NoteMemory();
  // True if the --timeout fired; disarms the watchdog on first use.
  bool TimedOut();
  void ReportFuel();

  const RunPlan& plan_;
  const CliStreams& io_;
  Store store_;
  text::Watchdog watchdog_;
  std::optional<bool> timed_out_;
  std::optional<Extern> memory_;  // the instance's exported "memory", if any
};

}  // namespace deja::cli
