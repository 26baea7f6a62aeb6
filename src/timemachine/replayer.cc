// Replaying one WASI call from the log. The log is never trusted: every op is
// bounds-checked against the live guest memory and the record's own data, so
// a damaged or hostile log ends the replay with a trap, never a crash. The
// expected/actual strings of a Divergence are only built when replay fails.
#include "timemachine/replayer.h"

#include <errno.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <map>

#include "base/hex.h"
#include "timemachine/trace.h"
#include "wasi/dispatch.h"
#include "wasi/registry.h"

namespace deja::tm {
namespace {

// Writes all of `bytes` to `fd` (-1: nowhere). Replay output is best effort:
// a closed pipe must not change how the guest replays.
void WriteOut(int fd, std::span<const u8> bytes) {
  if (fd < 0) return;
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return;
    }
    done += static_cast<size_t>(n);
  }
}

// A MemoryLookup over live guest memory.
MemoryLookup LiveMemory(std::span<const u8> memory) {
  return [memory](u32 ptr, u32 len) -> std::optional<std::span<const u8>> {
    if (u64{ptr} + len > memory.size()) return std::nullopt;
    return memory.subspan(ptr, len);
  };
}

}  // namespace

OutputSink WriteToFds(int stdout_fd, int stderr_fd) {
  return [stdout_fd, stderr_fd](u8 stream, std::span<const u8> bytes) {
    WriteOut(stream == 1 ? stdout_fd : stderr_fd, bytes);
  };
}

Replayer::Replayer(LogReader& reader, ReplayOptions options)
    : reader_(reader), options_(std::move(options)) {
  std::map<std::string, int, std::less<>> ids;
  std::vector<const wasi::FuncDef*> all = wasi::AllFuncs();
  for (size_t i = 0; i < all.size(); ++i) ids.emplace(all[i]->name, static_cast<int>(i));
  for (const std::string& name : reader_.info().call_names) {
    auto it = ids.find(name);
    call_map_.push_back(it == ids.end() ? -1 : it->second);
  }
  // A log without names (made by a test or a tool) uses this deja's ids.
  if (call_map_.empty()) {
    for (size_t i = 0; i < all.size(); ++i) call_map_.push_back(static_cast<int>(i));
  }
}

std::string Replayer::RecordedName() const {
  const auto& names = reader_.info().call_names;
  if (rec_.call < names.size()) return names[rec_.call];
  std::vector<const wasi::FuncDef*> all = wasi::AllFuncs();
  if (names.empty() && rec_.call < all.size()) return all[rec_.call]->name;
  return "unknown call " + std::to_string(rec_.call);
}

Replayer::~Replayer() = default;

HostAction Replayer::Intercept(HostCall& call, const wasi::HostBinding& binding,
                               std::span<u64> slots) {
  const u64 index = calls_;
  auto args = slots.first(std::min<size_t>(binding.param_count, slots.size()));
  // Builds the Divergence (the formatting is only paid for here) and traps.
  auto diverge = [&](std::string reason, bool with_expected) {
    Divergence d;
    d.index = index;
    if (with_expected) d.expected = FormatCall(RecordedName(), rec_.args, RecordMemory(rec_));
    d.actual = FormatCall(binding.def->name, args, LiveMemory(call.memory()));
    d.reason = std::move(reason);
    std::string message =
        "replay: diverged at host call " + std::to_string(index) + ": " + d.reason;
    divergence_ = std::move(d);
    return call.Trap(std::move(message));
  };

  auto more = reader_.Next(&rec_);
  if (more.ok() && !*more && options_.live_after_records && !reader_.end() &&
      !reader_.damaged()) {
    exhausted_ = true;
    return HostAction::kContinue;
  }
  if (!more.ok() || !*more) {
    std::string why;
    if (!more.ok()) {
      log_error_ = more.status();
      why = std::string(more.status().message());
    } else if (reader_.end() && !reader_.end()->recording_stopped.empty()) {
      return diverge("the recording stops here: " + reader_.truncation_reason() +
                         " (the run went on unrecorded; it cannot be replayed further)",
                     false);
    } else if (reader_.end()) {
      return diverge("the recording has no more host calls (the recorded run " +
                         std::string(RunEndKindName(reader_.end()->kind)) + " after " +
                         std::to_string(index) + ")",
                     false);
    } else {
      why = reader_.truncation_reason();
    }
    Divergence d;
    d.index = index;
    d.actual = FormatCall(binding.def->name, args, LiveMemory(call.memory()));
    d.reason = "the recording ends here (the run was killed or its log is damaged: " + why + ")";
    divergence_ = std::move(d);
    return call.Trap("replay: the recording ends after " + std::to_string(index) + " host calls (" +
                     why + ")");
  }

  int mapped = rec_.call < call_map_.size() ? call_map_[rec_.call] : -1;
  if (mapped < 0 || static_cast<u32>(mapped) != binding.index) {
    return diverge(std::string("the guest called ") + binding.def->name + ", the recording has " +
                       RecordedName(),
                   true);
  }
  if (rec_.args.size() != args.size()) {
    return diverge("the recording has " + std::to_string(rec_.args.size()) +
                       " arguments, the call has " + std::to_string(args.size()),
                   true);
  }
  for (size_t i = 0; i < args.size(); ++i) {
    if (rec_.args[i] != args[i]) {
      return diverge("argument " + std::to_string(i + 1) + " differs (recorded " +
                         std::to_string(rec_.args[i]) + ", now " + std::to_string(args[i]) + ")",
                     true);
    }
  }

  std::span<u8> memory = call.memory();
  for (const MemOp& op : rec_.ops) {
    if (u64{op.ptr} + op.len > memory.size() || u64{op.offset} + op.len > rec_.data.size()) {
      return diverge("the recording accesses guest bytes at " + Hex(op.ptr) + " (" +
                         std::to_string(op.len) + " bytes), outside guest memory (" +
                         std::to_string(memory.size()) + " bytes)",
                     true);
    }
    if (op.len == 0) continue;
    std::span<const u8> recorded = rec_.Bytes(op);
    u8* live = memory.data() + op.ptr;
    if (op.kind == MemOp::Kind::kRead) {
      if (std::memcmp(live, recorded.data(), op.len) != 0) {
        return diverge("guest bytes at " + Hex(op.ptr) + " (" + std::to_string(op.len) +
                           " bytes) differ from the recording",
                       true);
      }
    } else {
      std::memcpy(live, recorded.data(), op.len);
    }
  }
  if (binding.has_result && !rec_.result && !rec_.exit_code) {
    return diverge("the recording has no result for this call", true);
  }

  for (const Output& out : rec_.outputs) {
    if (u64{out.offset} + out.len > rec_.data.size()) continue;
    if (options_.output) options_.output(out.stream, rec_.Bytes(out));
  }
  ++calls_;
  if (options_.progress) options_.progress(index);
  if (rec_.exit_code) return call.Exit(*rec_.exit_code);
  if (binding.has_result) slots[0] = *rec_.result;
  if (options_.until && *options_.until == index) {
    stopped_at_until_ = true;
    return call.Trap("replay: stopped after host call " + std::to_string(index) + " (--until)");
  }
  return HostAction::kContinue;
}

std::optional<Divergence> Replayer::CheckNoCallsLeft() {
  if (divergence_) return divergence_;
  if (stopped_at_until_) return std::nullopt;
  auto more = reader_.Next(&rec_);
  if (!more.ok()) {
    log_error_ = more.status();
    return std::nullopt;
  }
  if (!*more) return std::nullopt;
  Divergence d;
  d.index = calls_;
  d.expected = FormatCall(RecordedName(), rec_.args, RecordMemory(rec_));
  auto total = reader_.Skip();
  u64 m = total.ok() ? *total : calls_ + 1;
  d.reason = "the replayed run ended after " + std::to_string(calls_) +
             " host calls but the recording has " + std::to_string(m) + " or more";
  divergence_ = d;
  return d;
}

}  // namespace deja::tm
