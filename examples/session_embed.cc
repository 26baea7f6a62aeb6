// Recording, replay, snapshots and resume from C++ (deja/session.h): runs
// ticks.wat recorded, with snapshots allowed, so it suspends itself after
// "tick 2"; replays that recording; resumes the snapshot to the end; and
// replays the resumed run. Everything goes into a fresh registry under
// /tmp. Exits non-zero if any step does not end as it should.
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <string>

#include "deja/session.h"

namespace session = deja::session;

namespace {

bool Check(bool ok, const char* step, const session::RunResult& r) {
  if (ok) return true;
  std::cerr << step << ": unexpected end: " << session::RunOutcomeName(r.outcome) << ", status "
            << r.exit_status << "\n";
  for (const std::string& m : r.messages) std::cerr << "  " << m << "\n";
  return false;
}

}  // namespace

int main(int argc, char** argv) {
  std::string wat = argc > 1 ? argv[1] : "ticks.wat";
  char dir_template[] = "/tmp/deja-session-example.XXXXXX";
  if (mkdtemp(dir_template) == nullptr) return 1;
  std::string dir = dir_template;

  // The host's messages ("recording ID", "suspended after ...") as they come.
  session::SessionIo io;
  io.on_message = [](std::string_view m) { std::cout << "[deja] " << m << "\n" << std::flush; };

  // 1. Record a run that may be snapshotted.
  session::RunSpec spec;
  spec.file = wat;
  spec.home = dir + "/home";          // the registry (default: $DEJA_HOME)
  spec.snapshot_to = dir + "/ticks.snap";
  session::RunResult first = session::Run(spec, io);
  bool ok = Check(first.outcome == session::RunOutcome::kSuspended &&
                      first.exit_status == session::kStatusSuspended && first.snapshot_path,
                  "run", first);

  // 2. Replay it: the same output, stopping where it was suspended.
  session::ReplaySpec replay;
  replay.home = spec.home;
  replay.id = first.run_id;
  session::ReplayResult replayed = session::Replay(replay, io);
  ok = ok && Check(replayed.verdict == session::ReplayVerdict::kMatched &&
                       replayed.run.outcome == session::RunOutcome::kSuspended,
                   "replay of the suspended run", replayed.run);

  // 3. Resume the snapshot (recorded too) and run it to the end.
  session::RunSpec resume;
  resume.file = *first.snapshot_path;  // told from a module by its magic
  resume.home = spec.home;
  session::RunResult second = session::Run(resume, io);
  ok = ok && Check(second.outcome == session::RunOutcome::kReturned && second.exit_status == 0,
                   "resume", second);

  // 4. Replay the resumed run: it starts from the stored snapshot.
  replay.id = second.run_id;
  replayed = session::Replay(replay, io);
  ok = ok && Check(replayed.verdict == session::ReplayVerdict::kMatched,
                   "replay of the resumed run", replayed.run);

  std::filesystem::remove_all(dir);
  std::cout << (ok ? "session example: ok" : "session example: FAILED") << "\n";
  return ok ? 0 : 1;
}
