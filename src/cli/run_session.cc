#include "cli/run_session.h"

#include "cli/exit_codes.h"
#include "cli/invoke_args.h"
#include "cli/run_deadline.h"

namespace deja::cli {
namespace {

// How long after --timeout an interrupted guest may take to stop before the
// process ends without it (it is blocked in a host call, out of reach).
constexpr std::chrono::milliseconds kTimeoutGrace{250};
// What the "deja" "snapshot" import returns when snapshots are off: WASI's
// ENOTSUP, so a guest can tell "not here" from "resumed" (0).
constexpr uint32_t kSnapshotsOff = 58;

}  // namespace

RunSession::RunSession(const RunPlan& plan, const CliStreams& io, std::string prefix)
    : plan_(plan), io_(io), prefix_(std::move(prefix)), store_(plan.limits), watchdog_(store_) {}

int RunSession::End(tm::RunEnd::Kind kind, int exit_status, std::string message) {
  end_.kind = kind;
  end_.exit_status = exit_status;
  end_.message = std::move(message);
  end_.fuel_consumed = store_.fuel_consumed();
  return exit_status;
}

HostAction RunSession::SnapshotRequest(HostCall& call, std::span<uint64_t> slots) {
  auto* self = static_cast<RunSession*>(call.data());
  if (!self->suspend_handler_) {
    slots[0] = kSnapshotsOff;
    return HostAction::kContinue;
  }
  return call.Suspend();
}

int RunSession::Resume(Wasi& wasi, const Module& module, const snapshot::Snapshot& snap) {
  resume_ = &snap;
  return Run(wasi, module);
}

int RunSession::Run(Wasi& wasi, const Module& module) {
  if (plan_.fuel) store_.SetFuel(*plan_.fuel);
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
  Status linked = stubs.Define(store_, linker, module, plan_.unknown_imports);
  if (!linked.ok()) {
    io_.err << prefix_ << plan_.module_file << ": " << linked.ToString() << "\n";
    return End(tm::RunEnd::Kind::kFailed, kExitFailed, linked.ToString());
  }
  // The guest writes to descriptor 1 directly: anything deja buffered for
  // stdout must be out first.
  io_.out.flush();
  // The timer covers the start function, _initialize and the call itself.
  std::optional<ExitDeadline> deadline;
  if (plan_.timeout) {
    watchdog_.Arm(*plan_.timeout);
    std::string message = prefix_ + "time limit (--timeout " + plan_.timeout_text +
                          ") reached while the guest waited in a host call\n";
    std::function<void()> before_exit;
    if (deadline_handler_) {
      before_exit = [this, message] { deadline_handler_(kExitGuestLimit, message); };
    }
    deadline.emplace(*plan_.timeout + kTimeoutGrace, message, kExitGuestLimit,
                     std::move(before_exit));
  }
  int code = RunLinked(linker, module);
  deadline.reset();
  TimedOut();  // stops the timer if nothing asked yet
  ReportFuel();
  return code;
}

int RunSession::RunLinked(const Linker& linker, const Module& module) {
  Result<InstanceId> instance = linker.Instantiate(store_, module);
  if (!instance.ok()) return InstantiateFailed(instance.status());
  instance_ = *instance;
  std::optional<Extern> memory = store_.GetExport(*instance, "memory");
  if (memory && memory->kind == ExternKind::kMemory) memory_ = memory;
  if (resume_) return ContinueSnapshot(*instance);
  if (init_only_) {
    std::optional<Extern> init = store_.GetExport(*instance, *init_only_);
    if (!init || init->kind != ExternKind::kFunc) {
      io_.err << prefix_ << plan_.module_file << " exports no function \"" << *init_only_
              << "\"\n";
      return End(tm::RunEnd::Kind::kFailed, kExitUsage, "no export " + *init_only_);
    }
    std::vector<Value> results;
    Outcome outcome = store_.Call(*init, {}, &results);
    if (outcome == Outcome::kReturned && suspend_handler_) outcome = Outcome::kSuspended;
    return Finish(outcome, results);
  }
  return plan_.invoke ? CallInvoke(*instance) : CallStart(*instance);
}

int RunSession::InstantiateFailed(const Status& status) {
  // The engine reports a memory above StoreLimits as "... exceeds the limit ...",
  // wrapped as kUninstantiable by the linker.
  bool memory_limit = !plan_.max_memory.empty() &&
                      (status.code() == Status::Code::kResourceExhausted ||
                       status.message().find("exceeds the limit") != std::string_view::npos);
  bool out_of_fuel = plan_.fuel && store_.fuel_remaining() == uint64_t{0};
  bool timed_out = TimedOut() || (out_of_fuel && plan_.fuel_is_timeout);
  if (timed_out) out_of_fuel = false;
  if (memory_limit || out_of_fuel || timed_out) {
    const char* which = memory_limit  ? "memory limit (--max-memory "
                        : out_of_fuel ? "fuel limit (--fuel "
                                      : "time limit (--timeout ";
    std::string value = memory_limit  ? plan_.max_memory
                        : out_of_fuel ? std::to_string(*plan_.fuel)
                                      : plan_.timeout_text;
    io_.err << prefix_ << which << value << ") reached while instantiating " << plan_.module_file
            << ": " << status.ToString() << "\n";
    tm::RunEnd::Kind kind = out_of_fuel ? tm::RunEnd::Kind::kOutOfFuel
                            : timed_out ? tm::RunEnd::Kind::kInterrupted
                                        : tm::RunEnd::Kind::kFailed;
    return End(kind, kExitGuestLimit, status.ToString());
  }
  io_.err << prefix_ << "cannot instantiate " << plan_.module_file << ": " << status.ToString()
          << "\n";
  return End(tm::RunEnd::Kind::kFailed, kExitFailed, status.ToString());
}

int RunSession::ContinueSnapshot(InstanceId instance) {
  if (Status s = store_.RestoreState(resume_->engine_state); !s.ok()) {
    io_.err << prefix_ << "cannot restore the snapshot: " << s.ToString() << "\n";
    return End(tm::RunEnd::Kind::kFailed, kExitFailed, s.ToString());
  }
  // The saved fuel is what stopped it (--suspend-after-fuel); the resumed
  // run has the budget its own flags give, counted from here. Replaying a
  // resumed run that --timeout stopped: plan_.fuel is the total consumed at
  // the stop, the snapshot's share included.
  fuel_base_ = store_.fuel_consumed();
  std::optional<uint64_t> budget = plan_.fuel;
  if (budget && plan_.fuel_is_timeout) *budget = *budget > fuel_base_ ? *budget - fuel_base_ : 0;
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
  return plan_.invoke ? CallInvoke(instance) : CallStart(instance);
}

int RunSession::CallStart(InstanceId instance) {
  std::optional<Extern> start = store_.GetExport(instance, "_start");
  if (!start || start->kind != ExternKind::kFunc) {
    bool reactor = store_.GetExport(instance, "_initialize").has_value();
    io_.err << prefix_ << plan_.module_file << " exports no \"_start\" function"
            << (reactor ? " (it is a reactor: it exports \"_initialize\")"
                        : " and no \"_initialize\"")
            << "; call one of its exports with --invoke NAME (exported functions: "
            << ExportedFunctions(store_, instance) << ")\n";
    return End(tm::RunEnd::Kind::kFailed, kExitUsage, "no _start");
  }
  std::vector<Value> results;
  return Finish(store_.Call(*start, {}, &results), {});
}

int RunSession::CallInvoke(InstanceId instance) {
  const std::string& name = *plan_.invoke;
  std::optional<Extern> func = store_.GetExport(instance, name);
  if (!func || func->kind != ExternKind::kFunc) {
    io_.err << prefix_ << plan_.module_file << " exports no function \"" << name
            << "\" (exported functions: " << ExportedFunctions(store_, instance) << ")\n";
    return End(tm::RunEnd::Kind::kFailed, kExitUsage, "no export " + name);
  }
  Result<std::vector<Value>> args =
      ParseArgs(name, store_.GetFuncType(*func), plan_.invoke_args);
  if (!args.ok()) {
    io_.err << prefix_ << args.status().message() << "\n";
    return End(tm::RunEnd::Kind::kFailed, kExitUsage, std::string(args.status().message()));
  }
  std::vector<Value> results;
  // A reactor's _initialize runs its constructors; it must precede any export.
  std::optional<Extern> init = store_.GetExport(instance, "_initialize");
  if (init && init->kind == ExternKind::kFunc && !skip_initialize_) {
    Outcome outcome = store_.Call(*init, {}, &results);
    if (outcome != Outcome::kReturned) return Finish(outcome, {});
  }
  Outcome outcome = store_.Call(*func, *args, &results);
  return Finish(outcome, results);
}

int RunSession::Finish(Outcome outcome, const std::vector<Value>& results) {
  using Kind = tm::RunEnd::Kind;
  switch (outcome) {
    case Outcome::kReturned:
      end_.results.clear();
      for (const Value& v : results) {
        end_.results.push_back(FormatValueText(v));
        io_.out << end_.results.back() << "\n";
      }
      io_.out.flush();
      return End(Kind::kReturned, kExitOk);
    case Outcome::kExited:
      end_.guest_exit_code = store_.exit_code();
      // As POSIX exit(): only the low 8 bits reach the parent.
      return End(Kind::kExited, static_cast<int>(static_cast<uint32_t>(store_.exit_code()) & 0xff));
    case Outcome::kTrapped:
      break;
    case Outcome::kSuspended:
      if (suspend_handler_) {
        int code = suspend_handler_();
        // Replay treats it as a stop at this fuel count, as --timeout.
        return End(Kind::kInterrupted, code, "suspended to a snapshot");
      }
      io_.err << prefix_ << "internal error: the guest suspended\n";
      return End(Kind::kFailed, kExitInternal, "the guest suspended");
  }
  const Trap& trap = store_.trap();
  if (trap_handler_) {
    if (std::optional<int> code = trap_handler_(trap)) return End(Kind::kTrapped, *code, trap.ToString());
  }
  if (trap.kind == TrapKind::kOutOfFuel && plan_.fuel_is_timeout) {
    // A replay of a run that --timeout stopped: it stops at the same point.
    io_.err << prefix_ << "time limit (--timeout " << plan_.timeout_text << ") reached\n";
    io_.err << prefix_ << "trap: interrupted" << trap.ToString().substr(trap.message.size()) << "\n";
    return End(Kind::kInterrupted, kExitGuestLimit, trap.ToString());
  }
  if (trap.kind == TrapKind::kOutOfFuel && plan_.fuel) {
    io_.err << prefix_ << "fuel limit (--fuel " << *plan_.fuel << ") reached\n";
    io_.err << prefix_ << "trap: " << trap.ToString() << "\n";
    return End(Kind::kOutOfFuel, kExitGuestLimit, trap.ToString());
  }
  if (trap.kind == TrapKind::kInterrupted && TimedOut()) {
    io_.err << prefix_ << "time limit (--timeout " << plan_.timeout_text << ") reached\n";
    io_.err << prefix_ << "trap: " << trap.ToString() << "\n";
    return End(Kind::kInterrupted, kExitGuestLimit, trap.ToString());
  }
  io_.err << prefix_ << "trap: " << trap.ToString() << "\n";
  NoteMemory();
  return End(Kind::kTrapped, kExitGuestTrap, trap.ToString());
}

void RunSession::NoteMemory() {
  if (plan_.max_memory.empty() || !memory_) return;
  io_.err << prefix_ << "note: the guest had " << store_.MemoryPages(*memory_)
          << " pages of memory (64 KiB each) of the " << plan_.limits.max_memory_pages
          << " that --max-memory " << plan_.max_memory << " allows\n";
}

bool RunSession::TimedOut() {
  if (!timed_out_) timed_out_ = watchdog_.Disarm();
  return *timed_out_;
}

void RunSession::ReportFuel() {
  if (!plan_.fuel || plan_.fuel_is_timeout) return;
  io_.err << prefix_ << "fuel consumed: " << store_.fuel_consumed() - fuel_base_ << " of "
          << *plan_.fuel << (resume_ != nullptr ? " since the resume" : "") << "\n";
}

}  // namespace deja::cli
