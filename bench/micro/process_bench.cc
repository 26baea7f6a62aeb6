// Whole processes: `deja run hello.wasm` (start-up, compile, WASI set-up,
// one fd_write, exit) and the native hello for reference. Wall time is the
// target; child_cpu_ms (the child's user + system time) is steadier on a
// loaded machine.
#include <fcntl.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

#include "micro.h"

extern char** environ;

namespace deja::bench {
namespace {

void RunProcess(benchmark::State& state, std::vector<std::string> argv) {
  std::vector<char*> args;
  for (std::string& arg : argv) args.push_back(arg.data());
  args.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  double child_cpu = 0;
  for (auto _ : state) {
    pid_t pid = 0;
    if (posix_spawn(&pid, args[0], &actions, nullptr, args.data(), environ) != 0) {
      Die(argv[0], Status::IoError("cannot start"));
    }
    int status = 0;
    struct rusage usage = {};
    wait4(pid, &status, 0, &usage);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) Die(argv[0], Status::Internal("failed"));
    child_cpu += static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1e3 +
                 static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e3;
  }
  state.counters["child_cpu_ms"] = child_cpu / static_cast<double>(state.iterations());
  posix_spawn_file_actions_destroy(&actions);
}

void BM_ProcessDejaRunHello(benchmark::State& state) {
  RunProcess(state, {DEJA_BIN, "run", "--no-record", DEJA_BENCH_DIR "/wasm/hello.wasm"});
}
// The default: recorded into a registry (module stored once, a log and an
// index row per run). The registry is a fresh temporary directory.
void BM_ProcessDejaRunHelloRecorded(benchmark::State& state) {
  char home[] = "/tmp/deja-bench-home.XXXXXX";
  if (mkdtemp(home) == nullptr) Die("mkdtemp", Status::IoError("cannot create"));
  setenv("DEJA_HOME", home, 1);
  RunProcess(state, {DEJA_BIN, "run", DEJA_BENCH_DIR "/wasm/hello.wasm"});
  unsetenv("DEJA_HOME");
  std::string rm = std::string("rm -rf ") + home;
  if (std::system(rm.c_str()) != 0) Die("rm", Status::IoError(home));
}
void BM_ProcessNativeHello(benchmark::State& state) {
  RunProcess(state, {DEJA_BENCH_DIR "/native/hello"});
}
BENCHMARK(BM_ProcessDejaRunHello)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_ProcessDejaRunHelloRecorded)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_ProcessNativeHello)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
}  // namespace deja::bench
