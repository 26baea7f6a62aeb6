// Replay: a CallInterceptor that answers every WASI call from a log instead
// of running its handler. It checks that the guest makes the recorded call
// with the recorded arguments and that the guest bytes the handler read are
// the recorded ones, then applies the recorded writes to guest memory, writes
// the recorded stdout/stderr bytes out and returns the recorded result. No
// real I/O, no waiting: a run that slept replays at full speed.
#pragma once

#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "deja/store.h"
#include "timemachine/log.h"
#include "timemachine/record.h"
#include "wasi/ctx.h"

namespace deja::tm {

// Where replay and recording part ways.
struct Divergence {
  u64 index = 0;         // of the host call (0-based, as in `deja trace`)
  std::string expected;  // the recorded call, formatted (FormatCall, trace.h)
  std::string actual;    // the call the guest made, formatted; empty if none
  std::string reason;    // e.g. "argument 3 differs", "guest bytes at 0x1040 (12 bytes) differ
                         // from the recording", "the recording ends here (run was killed)"
};

// Gets the recorded output of each replayed call: stream 1 (stdout) or 2
// (stderr) and its bytes (valid only during the call). Per replayer, so
// many replays in one process each keep their own output.
using OutputSink = std::function<void(u8 stream, std::span<const u8> bytes)>;

// A sink that writes stdout to host descriptor `stdout_fd` and stderr to
// `stderr_fd` (-1: dropped), as `deja replay` does. Best effort: a closed
// pipe must not change how the guest replays.
OutputSink WriteToFds(int stdout_fd, int stderr_fd);

struct ReplayOptions {
  OutputSink output;  // where recorded stdout/stderr go; null drops them
  std::optional<u64> until;  // stop (trap) after the call with this index
  // Called after each replayed call with its index (for progress display).
  std::function<void(u64 index)> progress;
  // A log that ends without an end frame (a killed run) is not a
  // divergence: the call that finds no record returns untouched and
  // exhausted() turns true, so a Continuation can make it live.
  bool live_after_records = false;
};

class Replayer : public wasi::CallInterceptor {
 public:
  // `reader` must be positioned before the first record and outlive this.
  Replayer(LogReader& reader, ReplayOptions options);
  ~Replayer() override;

  // Diverging, reaching --until, or a damaged log makes the call trap with a
  // message starting "replay: ", so the engine stops with a Wasm backtrace.
  HostAction Intercept(HostCall& call, const wasi::HostBinding& binding,
                       std::span<u64> slots) override;

  u64 calls() const { return calls_; }
  const std::optional<Divergence>& divergence() const { return divergence_; }
  bool stopped_at_until() const { return stopped_at_until_; }
  // A log read error met while replaying (the call trapped with it).
  const Status& log_error() const { return log_error_; }
  // live_after_records: the last call found no record and was left alone.
  bool exhausted() const { return exhausted_; }
  // The record the last replayed call was answered from (its call id as
  // recorded: see RecordedName).
  const CallRecord& record() const { return rec_; }

  // After the guest finished: a Divergence if the log holds calls the
  // replayed run did not make. Reads the rest of the log.
  std::optional<Divergence> CheckNoCallsLeft();

 private:
  // The function name of rec_ as recorded.
  std::string RecordedName() const;

  LogReader& reader_;
  ReplayOptions options_;
  CallRecord rec_;
  std::vector<int> call_map_;  // recorded call id -> this deja's call id (-1: unknown)
  u64 calls_ = 0;
  std::optional<Divergence> divergence_;
  bool stopped_at_until_ = false;
  bool exhausted_ = false;
  Status log_error_;
};

}  // namespace deja::tm
