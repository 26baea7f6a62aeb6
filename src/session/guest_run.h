// The engine side of one session: links WASI and stand-ins for unknown
// imports, instantiates the module (or restores a snapshot into it), calls
// _start (or _initialize and the invoked export) under the fuel and time
// limits, and turns the outcome into a RunResult whose messages say which
// trap or limit ended it. Run (session.cc), Replay (replay.cc) and
// `deja snapshot --init` drive it.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "deja/deja.h"
#include "deja/wasi.h"
#include "deja/session.h"
#include "snapshot/snapshot.h"
#include "text/watchdog.h"

namespace deja::session {

// Collects a session's messages and passes each on as it is made.
class Messages {
 public:
  Messages(const SessionIo& io, std::vector<std::string>* out) : io_(io), out_(out) {}
  void Say(std::string text);
  std::ostream* results() const { return io_.results; }

 private:
  const SessionIo& io_;
  std::vector<std::string>* out_;
};

class GuestRun {
 public:
  // `spec` and `result` must outlive the run; messages go to `messages`.
  GuestRun(const RunSpec& spec, RunResult& result, Messages& messages);
  GuestRun(const GuestRun&) = delete;
  GuestRun& operator=(const GuestRun&) = delete;

  // Runs `module` with `wasi` linked in; fills in the result and returns its
  // exit status.
  int Run(Wasi& wasi, const Module& module);
  // Builds the store as Run does, restores `snap`'s engine state into it and
  // continues the suspended call (or, with none, starts the entry point).
  // `wasi` must already hold the restored WASI state.
  int Resume(Wasi& wasi, const Module& module, const snapshot::Snapshot& snap);

  // Called when the guest suspends; returns the exit status to end with.
  using SuspendHandler = std::function<int()>;
  void set_suspend_handler(SuspendHandler handler) { suspend_handler_ = std::move(handler); }
  // Running out of fuel suspends after `fuel` units (counted from a resume).
  void SuspendAfterFuel(uint64_t fuel) { suspend_after_fuel_ = fuel; }
  // A replay of a run that stopped at a fuel count (a timeout, a suspension):
  // `fuel` is the total consumed then (a snapshot's share included), and
  // reaching it ends the run as `kind` would.
  void StopAtFuel(uint64_t fuel, RunOutcome kind) { stop_at_fuel_ = {fuel, kind}; }
  // `deja snapshot --init`: after instantiating, call only `export_name`; its
  // return goes to the suspend handler too (nothing is then suspended).
  void InitOnly(std::string export_name) { init_only_ = std::move(export_name); }

  // Gets a trap first; returns an exit status to end the run with (its
  // messages made), or nullopt for the usual trap report.
  using TrapHandler = std::function<std::optional<int>(const Trap& trap)>;
  void set_trap_handler(TrapHandler handler) { trap_handler_ = std::move(handler); }
  // Runs if the deadline ends the process while the guest is blocked in a
  // host call (RunSpec::exit_process_at_deadline).
  using DeadlineHandler = std::function<void(int exit_status, const std::string& message)>;
  void set_deadline_handler(DeadlineHandler handler) { deadline_handler_ = std::move(handler); }

  Store& mutable_store() { return store_; }
  const Store& store() const { return store_; }
  std::optional<InstanceId> instance() const { return instance_; }
  // Fuel consumed before this run (restored from a snapshot).
  uint64_t fuel_base() const { return fuel_base_; }

 private:
  int RunLinked(const Linker& linker, const Module& module);
  int ContinueSnapshot(InstanceId instance);
  static HostAction SnapshotRequest(HostCall& call, std::span<uint64_t> slots);
  int InstantiateFailed(const Module& module, const Status& status);
  int CallStart(InstanceId instance);
  int CallInvoke(InstanceId instance);
  int Finish(deja::Outcome outcome, const std::vector<Value>& results);
  int FinishTrap();
  void NoteMemory();
  bool TimedOut();
  void ReportFuel();
  int End(RunOutcome outcome, int exit_status, StartError error = StartError::kNone);
  int Usage(std::string message);

  const RunSpec& spec_;
  RunResult& result_;
  Messages& messages_;
  TrapHandler trap_handler_;
  DeadlineHandler deadline_handler_;
  SuspendHandler suspend_handler_;
  std::optional<uint64_t> suspend_after_fuel_;
  std::optional<std::pair<uint64_t, RunOutcome>> stop_at_fuel_;
  const snapshot::Snapshot* resume_ = nullptr;
  uint64_t fuel_base_ = 0;
  std::optional<std::string> init_only_;
  bool skip_initialize_ = false;
  Store store_;
  text::Watchdog watchdog_;  // a client of the one process-wide DeadlineTimer
  std::optional<bool> timed_out_;
  std::optional<Extern> memory_;
  std::optional<InstanceId> instance_;
};

}  // namespace deja::session
