// One `deja run`: links WASI and stand-ins for unknown imports, instantiates
// the module, calls _start (or _initialize and an --invoke'd export) under
// the fuel and time limits, and turns the outcome into an exit code
// (exit_codes.h) and stderr messages that say which trap or limit ended it.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "cli/run_imports.h"
#include "deja/deja.h"
#include "deja/wasi.h"
#include "snapshot/snapshot.h"
#include "text/watchdog.h"
#include "timemachine/record.h"

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
  // Replay of a run that --timeout stopped: `fuel` is the fuel it had
  // consumed then, and running out of it stands for the timeout.
  bool fuel_is_timeout = false;
};

class RunSession {
 public:
  // Gets a trap first; returns an exit code to end the run with (its own
  // messages printed), or nullopt for the usual trap report.
  using TrapHandler = std::function<std::optional<int>(const Trap& trap)>;

  // `prefix` starts deja's own messages ("deja run: ", "deja replay: ").
  RunSession(const RunPlan& plan, const CliStreams& io, std::string prefix = "deja run: ");
  RunSession(const RunSession&) = delete;
  RunSession& operator=(const RunSession&) = delete;

  // Runs `module` with `wasi` linked in; returns the exit code.
  int Run(Wasi& wasi, const Module& module);
  // Builds the store as Run does, restores `snap`'s engine state into it and
  // continues the suspended call (or, with none, starts the entry point);
  // then ends exactly as Run. `wasi` must already hold the restored WASI state.
  int Resume(Wasi& wasi, const Module& module, const snapshot::Snapshot& snap);

  // Called when the guest suspends (the "deja" "snapshot" import, a suspend
  // request, --suspend-after-fuel); returns the exit code to end with.
  using SuspendHandler = std::function<int()>;
  void set_suspend_handler(SuspendHandler handler) { suspend_handler_ = std::move(handler); }
  // Makes running out of fuel suspend after `fuel` units (--suspend-after-fuel).
  void SuspendAfterFuel(uint64_t fuel) { suspend_after_fuel_ = fuel; }
  Store& mutable_store() { return store_; }
  // `deja snapshot --init`: after instantiating, call only `export_name`
  // (_initialize, a named export, or _start up to its snapshot request);
  // its return goes to the suspend handler too (nothing is then suspended).
  void InitOnly(std::string export_name) { init_only_ = std::move(export_name); }

  void set_trap_handler(TrapHandler handler) { trap_handler_ = std::move(handler); }
  // Runs if --timeout ends the process while the guest is blocked in a host
  // call (ExitDeadline), with the exit status and message it ends with.
  using DeadlineHandler = std::function<void(int exit_status, const std::string& message)>;
  void set_deadline_handler(DeadlineHandler handler) { deadline_handler_ = std::move(handler); }
  // How the run ended, for its recording (state_digest, host_calls and
  // duration_ns are left to the caller). Valid after Run.
  const tm::RunEnd& end() const { return end_; }
  const Store& store() const { return store_; }
  // The guest's instance, once instantiated (deja snapshot --emit-wasm).
  std::optional<InstanceId> instance() const { return instance_; }

 private:
  int RunLinked(const Linker& linker, const Module& module);
  int ContinueSnapshot(InstanceId instance);
  // The "deja" "snapshot" import: () -> i32 (docs/snapshots.md).
  static HostAction SnapshotRequest(HostCall& call, std::span<uint64_t> slots);
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

  int End(tm::RunEnd::Kind kind, int exit_status, std::string message = {});

  const RunPlan& plan_;
  const CliStreams& io_;
  std::string prefix_;
  TrapHandler trap_handler_;
  DeadlineHandler deadline_handler_;
  SuspendHandler suspend_handler_;
  std::optional<uint64_t> suspend_after_fuel_;
  const snapshot::Snapshot* resume_ = nullptr;
  uint64_t fuel_base_ = 0;  // fuel_consumed() when a snapshot was restored
  std::optional<std::string> init_only_;
  bool skip_initialize_ = false;
  tm::RunEnd end_;
  Store store_;
  text::Watchdog watchdog_;
  std::optional<bool> timed_out_;
  std::optional<Extern> memory_;  // the instance's exported "memory", if any
  std::optional<InstanceId> instance_;
};

}  // namespace deja::cli
