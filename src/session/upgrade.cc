#include "session/upgrade.h"

#include "registry/registry.h"
#include "session/guest_run.h"
#include "snapshot/snapshot.h"
#include "text/wat.h"
#include "timemachine/log.h"

namespace deja::session {
namespace {

// A history longer than this is a loop in a damaged registry, not a guest.
constexpr size_t kMaxSegments = 100000;

struct Segment {
  std::string run_id;
  snapshot::Snapshot made;  // the snapshot this segment suspended into (old module)
};

class Upgrader {
 public:
  Upgrader(const UpgradeSpec& spec, const SessionIo& io)
      : spec_(spec), messages_(io, &out_.messages) {}

  UpgradeResult Go() {
    Start();
    return std::move(out_);
  }

 private:
  void Fail(int status, std::string message) {
    messages_.Say(std::move(message));
    out_.exit_status = status;
  }

  void Start() {
    home_ = spec_.home.empty() ? registry::Registry::DefaultHome() : spec_.home;
    Result<std::unique_ptr<registry::Registry>> reg = registry::Registry::Open(home_);
    if (!reg.ok()) return Fail(kStatusIoError, "cannot open the registry at " + home_ + ": " + reg.status().ToString());
    registry_ = std::move(reg).value();
    Result<snapshot::Snapshot> last = snapshot::Read(spec_.snapshot_file);
    if (!last.ok()) return Fail(kStatusIoError, spec_.snapshot_file + ": " + last.status().ToString());
    if (last->meta.suspend_point != "host-call") {
      return Fail(kStatusUsage, spec_.snapshot_file + " was suspended at a " + last->meta.suspend_point +
                                    ", not at the guest's \"deja\" \"snapshot\" call: another module "
                                    "has no equivalent point");
    }
    Result<std::vector<u8>> wasm = text::LoadModuleFile(spec_.module_file);
    if (!wasm.ok()) return Fail(kStatusIoError, spec_.module_file + ": " + wasm.status().ToString());
    wasm_ = std::move(wasm).value();
    if (!History(std::move(last).value())) return;
    Replay();
  }

  // The segments, oldest first: each run's snapshot names the run that made it.
  bool History(snapshot::Snapshot last) {
    std::vector<Segment> reversed;
    snapshot::Snapshot made = std::move(last);
    while (true) {
      const std::string id = made.meta.run_id;
      if (id.empty()) {
        Fail(kStatusUsage, "a snapshot in the history was not taken from a recorded run: "
                           "there is no history to replay");
        return false;
      }
      if (reversed.size() >= kMaxSegments) {
        Fail(kStatusFailed, "the history has more than " + std::to_string(kMaxSegments) + " segments");
        return false;
      }
      Result<std::unique_ptr<tm::LogReader>> log = tm::LogReader::Open(registry_->LogPath(id));
      if (!log.ok()) {
        Fail(kStatusIoError, "run " + id + " (in the history): " + log.status().ToString());
        return false;
      }
      std::string from = (*log)->info().resumed_from;
      reversed.push_back({id, std::move(made)});
      if (from.empty()) break;
      Result<std::vector<u8>> bytes = registry_->GetSnapshot(from);
      Result<snapshot::Snapshot> prev = bytes.ok() ? snapshot::Decode(*bytes) : Result<snapshot::Snapshot>(bytes.status());
      if (!prev.ok()) {
        Fail(kStatusIoError, "run " + id + " resumed from snapshot " + from + ": " + prev.status().ToString());
        return false;
      }
      made = std::move(prev).value();
    }
    segments_.assign(std::make_move_iterator(reversed.rbegin()), std::make_move_iterator(reversed.rend()));
    for (const Segment& s : segments_) out_.segments.push_back(s.run_id);
    return true;
  }

  // Each segment against the new module, from the new module's own state
  // where the previous one parked.
  void Replay() {
    std::string hash = registry::Registry::ModuleHash(wasm_);
    std::vector<u8> start;
    u64 before = 0;  // host calls of the segments already replayed
    for (size_t i = 0; i < segments_.size(); ++i) {
      const Segment& seg = segments_[i];
      ReplaySpec r;
      r.id = seg.run_id;
      r.home = home_;
      r.module_file = spec_.module_file;
      r.start_snapshot = start;
      r.keep_suspended_state = true;
      r.output = [](int, std::span<const uint8_t>) {};
      ReplayResult replayed = session::Replay(r, SessionIo{});
      std::string where = "segment " + std::to_string(i + 1) + " of " +
                          std::to_string(segments_.size()) + " (run " + seg.run_id + ")";
      if (replayed.verdict == ReplayVerdict::kDiverged) {
        out_.divergence = replayed.divergence;
        out_.divergent_run = seg.run_id;
        std::string text = "not upgraded: " + where + " behaves differently on " +
                           spec_.module_file + ", at host call " +
                           std::to_string(before + replayed.divergence.value_or(ReplayDivergence{}).index) +
                           " of the history";
        for (const std::string& m : replayed.run.messages) text += "\n  " + m;
        return Fail(kStatusDiverged, text + "\n  the guest stays on its module");
      }
      if (replayed.verdict != ReplayVerdict::kMatched || replayed.suspended_state.empty()) {
        std::string text = "not upgraded: " + where + " could not be replayed to its park point";
        for (const std::string& m : replayed.run.messages) text += "\n  " + m;
        return Fail(replayed.verdict == ReplayVerdict::kNotStarted ? replayed.run.exit_status
                                                                    : kStatusDiverged,
                    text);
      }
      before += replayed.run.host_calls;
      // The new module's engine state at the park point; the WASI state is
      // the old one's there, since every host call was the same.
      snapshot::Snapshot next;
      next.meta = seg.made.meta;
      next.meta.module_hash = hash;
      next.meta.fuel_consumed = replayed.suspended_fuel;
      next.module = wasm_;
      next.engine_state = std::move(replayed.suspended_state);
      next.wasi_state = seg.made.wasi_state;
      if (i + 1 == segments_.size()) {
        if (Status s = snapshot::Write(spec_.output, next); !s.ok()) {
          return Fail(kStatusIoError, "cannot write " + spec_.output + ": " + s.ToString());
        }
        messages_.Say("upgraded: " + std::to_string(segments_.size()) + " segment(s), every host call "
                      "the same on " + spec_.module_file + "; the guest continues on it from " +
                      spec_.output);
        out_.exit_status = kStatusOk;
        return;
      }
      Result<std::vector<u8>> bytes = snapshot::Encode(next);
      if (!bytes.ok()) return Fail(kStatusInternal, "internal error: " + bytes.status().ToString());
      start = std::move(bytes).value();
    }
  }

  const UpgradeSpec& spec_;
  UpgradeResult out_;
  Messages messages_;
  std::string home_;
  std::unique_ptr<registry::Registry> registry_;
  std::vector<u8> wasm_;
  std::vector<Segment> segments_;
};

}  // namespace

UpgradeResult Upgrade(const UpgradeSpec& spec, const SessionIo& io) { return Upgrader(spec, io).Go(); }

}  // namespace deja::session
