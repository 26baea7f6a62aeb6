// The same load through the session layer (deja/session.h), as a worker or a
// server would drive it: 1,000 recorded runs, 50 alive at a time on a few
// threads of one process, each with its stdio in memory, then each replayed
// with its output going to its own sink. Nothing process-wide is turned on
// (no SIGUSR1, no process exit at a deadline): every session owns its store,
// WASI, recording, lease and deadline.
#include <gtest/gtest.h>

#include <atomic>
#include <cctype>
#include <chrono>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "deja/deadline.h"
#include "deja/session.h"

namespace deja {
namespace {

constexpr int kGuests = 1000;
constexpr int kAtATime = 50;
constexpr int kThreads = 4;

struct Guest {
  session::RunSpec spec;
  std::string expected_out;  // empty: anything non-empty
  int expected_status = 0;
  session::RunResult run;
  std::string replay_failure;
};

std::string Guests() { return DEJA_GUEST_DIR; }

// Guest `i` of three kinds: hello (argv), tm_calls (files, clocks, random in
// its own directory), stdio_echo (stdin).
void Describe(int i, const std::string& home, Guest* g) {
  session::RunSpec& s = g->spec;
  s.home = home;
  s.source = session::Source::kModule;
  s.timeout = std::chrono::seconds(60);  // on the one shared timer
  s.stdin_stream.kind = StdioKind::kBuffer;
  s.stdout_stream.kind = StdioKind::kBuffer;
  s.stderr_stream.kind = StdioKind::kBuffer;
  std::string tag = "guest-" + std::to_string(i);
  switch (i % 3) {
    case 0:
      s.file = Guests() + "/hello.wasm";
      s.args = {tag};
      g->expected_out = "hello from deja " + tag + "\n";
      break;
    case 1: {
      std::string dir = home + "/dirs/" + tag;
      std::filesystem::create_directories(dir);
      s.file = Guests() + "/tm_calls.wasm";
      s.preopens.push_back({dir, "/data", false});
      s.args = {"/data", std::to_string(5 + i % 20)};
      break;
    }
    default:
      s.file = Guests() + "/stdio_echo.wasm";
      s.stdin_stream.input = tag;
      for (char ch : tag) g->expected_out += static_cast<char>(std::toupper(ch));
      g->expected_status = 3;  // stdio_echo's own exit status
      break;
  }
}

std::string ReplayOne(const std::string& home, const Guest& g) {
  session::ReplaySpec r;
  r.home = home;
  r.id = g.run.run_id;
  std::string sunk[3];
  r.output = [&sunk](int stream, std::span<const uint8_t> bytes) {
    if (stream == 1 || stream == 2) sunk[stream].append(bytes.begin(), bytes.end());
  };
  session::ReplayResult replayed = session::Replay(r, session::SessionIo{});
  if (replayed.verdict != session::ReplayVerdict::kMatched) {
    std::string why = "verdict " + std::to_string(static_cast<int>(replayed.verdict));
    for (const std::string& m : replayed.run.messages) why += "; " + m;
    return why;
  }
  if (replayed.run.exit_status != g.run.exit_status) return "exit status differs";
  if (sunk[1] != g.run.stdout_output) return "stdout differs: \"" + sunk[1] + "\"";
  if (sunk[2] != g.run.stderr_output) return "stderr differs";
  return {};
}

TEST(SessionLayer, AThousandRecordedRunsReplayInOneProcess) {
  char tmpl[] = "/tmp/deja-session-many-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  std::string home = tmpl;

  auto t0 = std::chrono::steady_clock::now();
  int replayed = 0;
  for (int batch = 0; batch < kGuests / kAtATime; ++batch) {
    std::vector<Guest> guests(kAtATime);
    for (int k = 0; k < kAtATime; ++k) Describe(batch * kAtATime + k, home, &guests[k]);
    for (int phase = 0; phase < 2; ++phase) {
      std::atomic<int> next{0};
      std::vector<std::thread> workers;
      for (int t = 0; t < kThreads; ++t) {
        workers.emplace_back([&] {
          for (int k; (k = next.fetch_add(1)) < kAtATime;) {
            Guest& g = guests[k];
            if (phase == 0) {
              g.run = session::Run(g.spec, session::SessionIo{});
            } else {
              g.replay_failure = ReplayOne(home, g);
            }
          }
        });
      }
      for (std::thread& w : workers) w.join();
      for (int k = 0; k < kAtATime; ++k) {
        const Guest& g = guests[k];
        SCOPED_TRACE("guest " + std::to_string(batch * kAtATime + k) + " (" + g.spec.file + ")");
        if (phase == 0) {
          std::string said;
          for (const std::string& m : g.run.messages) said += m + "\n";
          ASSERT_TRUE(g.run.outcome == session::RunOutcome::kReturned ||
                      g.run.outcome == session::RunOutcome::kExited)
              << session::RunOutcomeName(g.run.outcome) << "\n" << said;
          ASSERT_EQ(g.run.exit_status, g.expected_status) << said << "stderr: " << g.run.stderr_output;
          ASSERT_FALSE(g.run.run_id.empty());
          EXPECT_GT(g.run.host_calls, 0u);
          if (g.expected_out.empty()) {
            EXPECT_NE(g.run.stdout_output, "");
          } else {
            EXPECT_EQ(g.run.stdout_output, g.expected_out);
          }
        } else {
          ASSERT_EQ(g.replay_failure, "");
          ++replayed;
        }
      }
    }
  }
  EXPECT_EQ(replayed, kGuests);
  EXPECT_EQ(DeadlineTimer::Shared().pending(), 0u);
  std::cout << kGuests << " sessions recorded and replayed in "
            << std::chrono::duration_cast<std::chrono::milliseconds>(
                   std::chrono::steady_clock::now() - t0)
                   .count()
            << " ms\n";
  std::filesystem::remove_all(home);
}

}  // namespace
}  // namespace deja
