// Durable instances (docs/DURABLE.md): a guest with a stable id whose life
// is a chain of segments, each one recorded run (the module's, then one per
// park, resumed from the park's snapshot). The store keeps what a worker
// needs to run, park, wake and recover instances. This interface names no
// storage engine: SqliteInstanceStore (sqlite_store.cc) keeps it in
// $DEJA_HOME/durable.db; a PostgreSQL one can implement the same calls.
//
// Every call that changes an instance is one transaction: a process killed
// at any point leaves each instance either before or after the change.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "deja/status.h"

namespace deja::durable {

enum class State {
  kPending,    // ready to run (new, woken, or drained by a stopping worker)
  kRunning,    // a worker holds its lease (a dead lease: to recover)
  kSleeping,   // parked until WaitCondition::until_ns
  kWaiting,    // parked on a signal or children (WaitCondition)
  kDone,       // ended with exit status 0
  kFailed,     // ended otherwise (trap, limit, non-zero exit, cannot run)
  kCancelled,  // `deja cancel`
};
// What `deja wait` exits with for a cancelled instance (128 + SIGINT, as a
// shell reports a job stopped by ^C).
inline constexpr int kCancelledStatus = 130;

const char* StateName(State state);  // "pending", "running", ...
std::optional<State> ParseState(const std::string& name);
bool IsFinal(State state);  // done, failed, cancelled

// What a parked instance waits for. The worker wakes it when any part is
// met: the time has come, the signal arrived, the children ended. A
// condition with nothing set is "runnable now".
struct WaitCondition {
  std::optional<int64_t> until_ns;    // wall clock (Unix ns, the durable clock)
  std::string signal;                 // a signal name (d3: `deja signal`)
  std::vector<std::string> children;  // child instance ids (d3)
  bool all_children = true;           // all of them, or any one
  bool Empty() const { return !until_ns && signal.empty() && children.empty(); }
};
// As stored: a small JSON object, {"until":N,"signal":"...","children":[..],"all":true}.
std::string EncodeWait(const WaitCondition& wait);
Result<WaitCondition> DecodeWait(const std::string& text);

// One recorded run of an instance, in order from 0.
struct Segment {
  uint32_t index = 0;
  std::string run_id;    // the registry's run id (empty until the run is recorded)
  std::string snapshot;  // the snapshot it resumed from; empty: started from the module
  std::string end;       // how it ended: "parked", "exited", "trapped", "drained", "killed"...
  uint64_t fuel = 0;
  uint64_t host_calls = 0;
};

// What `deja start` records. `spec_json` is the start's RunSpec as the
// durable layer encodes it (spec_codec.h): flags, args, capabilities.
struct NewInstance {
  std::string module;     // the module copied under the store (an absolute path)
  std::string name;       // what `deja ps` shows (the module's file name)
  std::string spec_json;
  std::string parent;     // the instance that spawned it (d3), empty otherwise
  std::string idempotency_key;  // d3: a second Create with the same key returns the first id
};

struct Instance {
  std::string id;
  State state = State::kPending;
  std::string name;
  std::string module;
  std::string spec_json;
  std::string parent;
  WaitCondition wait;          // while sleeping or waiting
  std::string snapshot;        // where the next segment resumes from (empty: the module)
  int64_t created_ns = 0;      // wall clock
  int64_t updated_ns = 0;
  std::optional<int> exit_status;  // once final
  std::string error;           // why it failed / was cancelled, for people
  uint64_t fuel = 0;           // over all segments
  uint64_t host_calls = 0;
  uint64_t monotonic_floor_ns = 0;  // the guest's monotonic clock never reads less on resume
  bool cancel_requested = false;
  std::string worker;          // who runs it (host:pid:thread), for `deja ps`
  std::vector<Segment> segments;  // filled by Get, not by List
  uint32_t segment_count = 0;     // filled by both
};

// Held by the worker that runs an instance. Its liveness is a lock the
// kernel drops when the process dies (durable/lease.h), never a pid: an
// instance whose row says running but whose lease nobody holds was orphaned
// by a crash and is claimed again.
class Lease {
 public:
  virtual ~Lease() = default;
  virtual const std::string& instance_id() const = 0;
};

// A claimed instance: its row as claimed and the lease that makes the
// claim exclusive. `recovered` is set when the previous holder died.
struct Claim {
  Instance instance;
  std::unique_ptr<Lease> lease;
  bool recovered = false;
};

// What a segment adds to the instance's figures.
struct SegmentEnd {
  Segment segment;               // index, run id, snapshot it started from, end, figures
  std::string next_snapshot;     // park: where the next segment resumes from
  uint64_t monotonic_floor_ns = 0;
};

class InstanceStore {
 public:
  virtual ~InstanceStore() = default;

  // A new pending instance; returns its id. With an idempotency key already
  // used, returns the existing instance's id and creates nothing.
  virtual Result<std::string> Create(const NewInstance& instance) = 0;
  // By id or unique prefix; kNotFound naming it, kInvalidArgument if ambiguous.
  virtual Result<Instance> Get(const std::string& id_or_prefix) = 0;
  virtual Result<std::vector<Instance>> List() = 0;

  // Claims one runnable instance for `worker`: pending, sleeping and due at
  // `now_ns`, waiting with its condition met (MarkRunnable), or running with
  // a dead lease (recovered). nullopt: nothing to do now.
  virtual Result<std::optional<Claim>> ClaimNext(int64_t now_ns, const std::string& worker) = 0;
  // The earliest until_ns of a sleeping instance (for the worker's timer).
  virtual Result<std::optional<int64_t>> NextWake() = 0;

  // Before the snapshot of a park is written: the condition and the
  // snapshot file it will be in, so that a crash after the file is complete
  // but before Park still parks (docs/DURABLE.md, crash matrix).
  virtual Status PreparePark(const Claim& claim, const WaitCondition& wait,
                             const std::string& snapshot) = 0;
  // Parks the claimed instance: sleeping (until only) or waiting, or pending
  // when `wait` is empty (a drained worker); the lease is then released.
  virtual Status Park(Claim& claim, const SegmentEnd& end, const WaitCondition& wait) = 0;
  // Ends the claimed instance (done when exit status 0 and not cancelled).
  virtual Status Finish(Claim& claim, const SegmentEnd& end, State state, int exit_status,
                        const std::string& error) = 0;
  // Records a segment's run id as soon as it is known (so logs of a killed
  // segment are found).
  virtual Status NoteSegmentStart(const Claim& claim, const Segment& segment) = 0;

  // A parked (sleeping/waiting) instance becomes pending at once (d3: a
  // signal arrived, a child ended). False when it is not parked.
  virtual Result<bool> MarkRunnable(const std::string& id) = 0;
  // Cancels: a pending or parked instance at once; a running one is marked
  // and its worker stops it. False when it had ended already.
  virtual Result<bool> Cancel(const std::string& id) = 0;
  // Whether cancel was requested (the worker polls it while running).
  virtual Result<bool> CancelRequested(const std::string& id) = 0;

  // The test clock (DEJA_TEST_CLOCK=warp): an offset added to the durable
  // clock, kept in the store so a restarted worker continues from it.
  virtual Result<int64_t> ClockOffset() = 0;
  virtual Status SetClockOffset(int64_t offset_ns) = 0;
};

// Opens (creating if needed) the SQLite store of `home`
// ($DEJA_HOME/durable.db, schema versioned; its own file, so the registry's
// index is never locked by a worker).
Result<std::unique_ptr<InstanceStore>> OpenSqliteStore(const std::string& home);

}  // namespace deja::durable
