#include "session/guest_run.h"

#include "engine/runtime/store_impl.h"
#include "session/exit_deadline.h"
#include "session/invoke_args.h"
#include "session/unknown_imports.h"

namespace deja::session {
namespace {

// How long after the timeout an interrupted guest may take to stop before the
// process ends without it (it is blocked in a host call, out of reach).
constexpr std::chrono::milliseconds kTimeoutGrace{250};
// What the "deja" "snapshot" import returns when snapshots are off: WASI's
// ENOTSUP, so a guest can tell "not here" from "resumed" (0).
constexpr uint32_t kSnapshotsOff = 58;

// Whether a memory the module defines starts above the limit: what makes
// instantiation fail under --max-memory (the engine reports it as
// uninstantiable, as the spec wants, so the session checks the module).
bool MemoryAboveLimit(const Module& module, const StoreLimits& limits) {
  for (const MemoryType& type : module.impl()->module.memories) {
    if (type.limits.min > limits.max_memory_pages) return true;
  }
  return false;
}

}  // namespace

void Messages::Say(std::string text) {
  if (io_.on_message) io_.on_message(text);
  if (out_ != nullptr) out_->push_back(std::move(text));
}

GuestRun::GuestRun(const RunSpec& spec, RunResult& result, Messages& messages)
    : spec_(spec), result_(result), messages_(messages), store_(spec.limits), watchdog_(store_) {}

int GuestRun::End(RunOutcome outcome, int exit_status, StartError error) {
  result_.outcome = outcome;
  result_.error = error;
  result_.exit_status = exit_status;
  result_.fuel_consumed = store_.fuel_consumed();
  if (memory_) result_.memory_bytes = store_.MemoryPages(*memory_) * 65536;
  return exit_status;
}

int GuestRun::Usage(std::string message) {
  messages_.Say(std::move(message));
  return End(RunOutcome::kNotStarted, kStatusUsage, StartError::kUsage);
}

HostAction GuestRun::SnapshotRequest(HostCall& call, std::span<uint64_t> slots) {
  auto* self = static_cast<GuestRun*>(call.data());
  if (!self->suspend_handler_) {
    slots[0] = kSnapshotsOff;
    return HostAction::kContinue;
  }
  return call.Suspend();
}

int GuestRun::Resume(Wasi& wasi, const Module& module, const snapshot::Snapshot& snap) {
  resume_ = &snap;
  return Run(wasi, module);
}

int GuestRun::Run(Wasi& wasi, const Module& module) {
  if (spec_.fuel) store_.SetFuel(*spec_.fuel);
  if (stop_at_fuel_) {
    store_.SetFuel(stop_at_fuel_->first);
    store_.SetSuspendOnOutOfFuel(stop_at_fuel_->second == RunOutcome::kSuspended);
  }
  if (suspend_after_fuel_) {
    store_.SetFuel(*suspend_after_fuel_);
    store_.SetSuspendOnOutOfFuel(true);
  }
  Linker linker;
  wasi.Link(store_, linker);
  // Always defined, and right after WASI: a resumed store must be built with
  // the same host functions in the same order as the one that was saved.
  linker.Define("deja", "snapshot",
                store_.AddHostFunc(FuncType{{}, {ValType::kI32}}, SnapshotRequest, this,
                                   "deja.snapshot"));
  // Declared before the run so the stand-ins' data outlives every call.
  UnknownImportStubs stubs;
  Status linked = stubs.Define(store_, linker, module, spec_.unknown_imports);
  if (!linked.ok()) {
    messages_.Say(spec_.file + ": " + linked.ToString());
    return End(RunOutcome::kNotStarted, kStatusFailed, StartError::kInvalid);
  }
  // The guest writes to its descriptors directly: anything buffered for the
  // same stream must be out first.
  if (messages_.results() != nullptr) messages_.results()->flush();
  // The timer covers the start function, _initialize and the call itself.
  std::optional<ExitDeadline> deadline;
  if (spec_.timeout) {
    watchdog_.Arm(*spec_.timeout);
    if (spec_.exit_process_at_deadline) {
      std::string message = "time limit (--timeout " + spec_.timeout_text +
                            ") reached while the guest waited in a host call";
      std::function<void()> before_exit;
      if (deadline_handler_) {
        before_exit = [this, message] { deadline_handler_(kStatusGuestLimit, message); };
      }
      deadline.emplace(*spec_.timeout + kTimeoutGrace, spec_.message_prefix + message + "\n",
                       kStatusGuestLimit, std::move(before_exit));
    }
  }
  int code = RunLinked(linker, module);
  deadline.reset();
  TimedOut();  // stops the timer if nothing asked yet
  ReportFuel();
  return code;
}

int GuestRun::RunLinked(const Linker& linker, const Module& module) {
  Result<InstanceId> instance = linker.Instantiate(store_, module);
  if (!instance.ok()) return InstantiateFailed(module, instance.status());
  instance_ = *instance;
  std::optional<Extern> memory = store_.GetExport(*instance, "memory");
  if (memory && memory->kind == ExternKind::kMemory) memory_ = memory;
  if (resume_) return ContinueSnapshot(*instance);
  if (init_only_) {
    std::optional<Extern> init = store_.GetExport(*instance, *init_only_);
    if (!init || init->kind != ExternKind::kFunc) {
      return Usage(spec_.file + " exports no function \"" + *init_only_ + "\"");
    }
    std::vector<Value> results;
    deja::Outcome outcome = store_.Call(*init, {}, &results);
    if (outcome == deja::Outcome::kReturned && suspend_handler_) outcome = deja::Outcome::kSuspended;
    return Finish(outcome, results);
  }
  return spec_.invoke ? CallInvoke(*instance) : CallStart(*instance);
}

int GuestRun::InstantiateFailed(const Module& module, const Status& status) {
  bool memory_limit = !spec_.max_memory_text.empty() && MemoryAboveLimit(module, spec_.limits);
  bool out_of_fuel = spec_.fuel && store_.fuel_remaining() == uint64_t{0};
  bool timed_out = TimedOut() ||
                   (stop_at_fuel_ && stop_at_fuel_->second == RunOutcome::kTimedOut &&
                    store_.fuel_remaining() == uint64_t{0});
  if (timed_out) out_of_fuel = false;
  if (memory_limit || out_of_fuel || timed_out) {
    std::string which = memory_limit  ? "memory limit (--max-memory " + spec_.max_memory_text
                        : out_of_fuel ? "fuel limit (--fuel " + std::to_string(*spec_.fuel)
                                      : "time limit (--timeout " + spec_.timeout_text;
    messages_.Say(which + ") reached while instantiating " + spec_.file + ": " +
                  status.ToString());
    result_.trap = status.ToString();
    RunOutcome outcome = out_of_fuel ? RunOutcome::kOutOfFuel
                      : timed_out ? RunOutcome::kTimedOut
                                  : RunOutcome::kNotStarted;
    return End(outcome, kStatusGuestLimit,
               outcome == RunOutcome::kNotStarted ? StartError::kLimit : StartError::kNone);
  }
  messages_.Say("cannot instantiate " + spec_.file + ": " + status.ToString());
  return End(RunOutcome::kNotStarted, kStatusFailed, StartError::kInvalid);
}

int GuestRun::ContinueSnapshot(InstanceId instance) {
  if (Status s = store_.RestoreState(resume_->engine_state); !s.ok()) {
    messages_.Say("cannot restore the snapshot: " + s.ToString());
    return End(RunOutcome::kNotStarted, kStatusFailed, StartError::kInvalid);
  }
  // The saved fuel is what stopped it (--suspend-after-fuel); the resumed
  // run has the budget its own spec gives, counted from here. A replay's
  // stop point counts the snapshot's share too.
  fuel_base_ = store_.fuel_consumed();
  std::optional<uint64_t> budget = spec_.fuel;
  if (stop_at_fuel_) {
    budget = stop_at_fuel_->first > fuel_base_ ? stop_at_fuel_->first - fuel_base_ : 0;
  }
  store_.SetFuel(budget);
  if (suspend_after_fuel_) store_.SetFuel(*suspend_after_fuel_);  // counted from here
  std::vector<Value> results;
  switch (store_.suspend_point()) {
    case SuspendPoint::kHostCall: {
      Value resumed[] = {Value::I32(0)};  // the "deja" "snapshot" import's result
      return Finish(store_.Resume(resumed, &results), results);
    }
    case SuspendPoint::kSafePoint:
      return Finish(store_.Resume({}, &results), results);
    case SuspendPoint::kNone:
      break;
  }
  // Pre-initialised: nothing was running; start the entry point now
  // (_initialize has run already).
  skip_initialize_ = true;
  return spec_.invoke ? CallInvoke(instance) : CallStart(instance);
}

int GuestRun::CallStart(InstanceId instance) {
  std::optional<Extern> start = store_.GetExport(instance, "_start");
  if (!start || start->kind != ExternKind::kFunc) {
    bool reactor = store_.GetExport(instance, "_initialize").has_value();
    return Usage(spec_.file + " exports no \"_start\" function" +
                 (reactor ? " (it is a reactor: it exports \"_initialize\")"
                          : " and no \"_initialize\"") +
                 "; call one of its exports with --invoke NAME (exported functions: " +
                 ExportedFunctions(store_, instance) + ")");
  }
  std::vector<Value> results;
  return Finish(store_.Call(*start, {}, &results), {});
}

int GuestRun::CallInvoke(InstanceId instance) {
  const std::string& name = *spec_.invoke;
  std::optional<Extern> func = store_.GetExport(instance, name);
  if (!func || func->kind != ExternKind::kFunc) {
    return Usage(spec_.file + " exports no function \"" + name +
                 "\" (exported functions: " + ExportedFunctions(store_, instance) + ")");
  }
  Result<std::vector<Value>> args = ParseArgs(name, store_.GetFuncType(*func), spec_.invoke_args);
  if (!args.ok()) return Usage(std::string(args.status().message()));
  std::vector<Value> results;
  // A reactor's _initialize runs its constructors; it must precede any export.
  std::optional<Extern> init = store_.GetExport(instance, "_initialize");
  if (init && init->kind == ExternKind::kFunc && !skip_initialize_) {
    deja::Outcome outcome = store_.Call(*init, {}, &results);
    if (outcome != deja::Outcome::kReturned) return Finish(outcome, {});
  }
  deja::Outcome outcome = store_.Call(*func, *args, &results);
  return Finish(outcome, results);
}

int GuestRun::Finish(deja::Outcome outcome, const std::vector<Value>& results) {
  switch (outcome) {
    case deja::Outcome::kReturned:
      result_.results.clear();
      for (const Value& v : results) {
        result_.results.push_back(FormatValueText(v));
        if (messages_.results() != nullptr) *messages_.results() << result_.results.back() << "\n";
      }
      if (messages_.results() != nullptr) messages_.results()->flush();
      return End(RunOutcome::kReturned, kStatusOk);
    case deja::Outcome::kExited:
      result_.guest_exit_code = store_.exit_code();
      // As POSIX exit(): only the low 8 bits reach the parent.
      return End(RunOutcome::kExited,
                 static_cast<int>(static_cast<uint32_t>(store_.exit_code()) & 0xff));
    case deja::Outcome::kTrapped:
      return FinishTrap();
    case deja::Outcome::kSuspended:
      if (suspend_handler_) return End(RunOutcome::kSuspended, suspend_handler_());
      messages_.Say("internal error: the guest suspended");
      return End(RunOutcome::kNotStarted, kStatusInternal, StartError::kInternal);
  }
  return FinishTrap();
}

int GuestRun::FinishTrap() {
  const Trap& trap = store_.trap();
  result_.trap = trap.ToString();
  if (trap_handler_) {
    if (std::optional<int> code = trap_handler_(trap)) return End(RunOutcome::kTrapped, *code);
  }
  if (trap.kind == TrapKind::kOutOfFuel && stop_at_fuel_) {
    // A replay of a run that stopped here.
    if (stop_at_fuel_->second == RunOutcome::kTimedOut) {
      // A log from before suspensions were recorded as such says "timed
      // out" for one, with no --timeout to name.
      messages_.Say(spec_.timeout_text.empty()
                        ? std::string("stopped where the recorded run stopped (recorded as timed "
                                      "out, without a --timeout: a suspension recorded by an "
                                      "older deja)")
                        : "time limit (--timeout " + spec_.timeout_text + ") reached");
      messages_.Say("trap: interrupted" + trap.ToString().substr(trap.message.size()));
      return End(RunOutcome::kTimedOut, kStatusGuestLimit);
    }
  }
  if (trap.kind == TrapKind::kOutOfFuel && spec_.fuel) {
    messages_.Say("fuel limit (--fuel " + std::to_string(*spec_.fuel) + ") reached");
    messages_.Say("trap: " + trap.ToString());
    return End(RunOutcome::kOutOfFuel, kStatusGuestLimit);
  }
  if (trap.kind == TrapKind::kInterrupted && TimedOut()) {
    messages_.Say("time limit (--timeout " + spec_.timeout_text + ") reached");
    messages_.Say("trap: " + trap.ToString());
    return End(RunOutcome::kTimedOut, kStatusGuestLimit);
  }
  messages_.Say("trap: " + trap.ToString());
  NoteMemory();
  return End(RunOutcome::kTrapped, kStatusGuestTrap);
}

void GuestRun::NoteMemory() {
  if (spec_.max_memory_text.empty() || !memory_) return;
  messages_.Say("note: the guest had " + std::to_string(store_.MemoryPages(*memory_)) +
                " pages of memory (64 KiB each) of the " +
                std::to_string(spec_.limits.max_memory_pages) + " that --max-memory " +
                spec_.max_memory_text + " allows");
}

bool GuestRun::TimedOut() {
  if (!timed_out_) timed_out_ = watchdog_.Disarm();
  return *timed_out_;
}

void GuestRun::ReportFuel() {
  if (!spec_.fuel || stop_at_fuel_) return;
  messages_.Say("fuel consumed: " + std::to_string(store_.fuel_consumed() - fuel_base_) + " of " +
                std::to_string(*spec_.fuel) + (resume_ != nullptr ? " since the resume" : ""));
}

}  // namespace deja::session
