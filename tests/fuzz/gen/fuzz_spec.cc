// libFuzzer target, source (c) of docs/FUZZING.md: mutated modules (seeded
// with the spec suite's, scripts/fuzz-smoke) must be accepted by deja exactly
// when wabt accepts them; accepted ones are then run in both and compared.
// Documented differences are skipped by the harness: SIMD (deja reports
// kUnsupported), imports of tables, memories and globals, and memories or
// tables that could grow past 1024 pages / 100 000 elements. deja compiles
// with NaN canonicalization, like wabt's arithmetic. A mismatch aborts after
// writing the module and the report to $DEJA_FUZZ_OUT (default: .).
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <string>

#include "diff_harness.h"

namespace {

struct Totals {
  unsigned long long modules = 0, both_reject = 0, skipped = 0, compared = 0, calls = 0, wabt_wrong = 0, deja_limits = 0;
  ~Totals() { Print(); }
  // Also every 100000 modules: libFuzzer skips destructors when interrupted.
  void Print() const {
    std::fprintf(stderr,
                 "fuzz_spec: %llu modules: %llu rejected by both, %llu accepted and compared (%llu calls), "
                 "%llu accepted and skipped, %llu validation disagreements where V8 sides with deja, %llu beyond deja's "
                 "limits, 0 mismatches\n",
                 modules, both_reject, compared, calls, skipped, wabt_wrong, deja_limits);
  }
};
Totals totals;
constexpr unsigned long long kReportEvery = 100000;

// V8 as a third validator: one node process, fed length-prefixed modules,
// answering '1' (valid) or '0' per module. Returns 1, 0, or -1 if node is
// not available.
constexpr char kV8Script[] = R"(
let buf = Buffer.alloc(0);
process.stdin.on('data', (d) => {
  buf = Buffer.concat([buf, d]);
  while (buf.length >= 4 && buf.length >= 4 + buf.readUInt32LE(0)) {
    const n = buf.readUInt32LE(0);
    const m = buf.subarray(4, 4 + n);
    buf = buf.subarray(4 + n);
    let ok = false;
    try { ok = WebAssembly.validate(m); } catch (e) { ok = false; }
    process.stdout.write(ok ? '1' : '0');
  }
});
)";

// libFuzzer's -timeout alarm interrupts blocking calls: EINTR is retried,
// or the first alarm during a V8 question would lose V8 for the whole run.
bool WriteAll(int fd, const uint8_t* p, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    p += w;
    n -= static_cast<size_t>(w);
  }
  return true;
}

bool ReadByte(int fd, char* c) {
  for (;;) {
    ssize_t r = read(fd, c, 1);
    if (r < 0 && errno == EINTR) continue;
    return r == 1;
  }
}

struct V8Process {
  int to = -1, from = -1;
  pid_t pid = -1;
  int starts = 0;

  bool Start() {
    int in[2], out[2];
    if (pipe(in) != 0) return false;
    if (pipe(out) != 0) {
      close(in[0]);
      close(in[1]);
      return false;
    }
    std::signal(SIGPIPE, SIG_IGN);
    pid = fork();
    if (pid < 0) return false;
    if (pid == 0) {
      dup2(in[0], 0);
      dup2(out[1], 1);
      close(in[1]);
      close(out[0]);
      execlp("node", "node", "-e", kV8Script, static_cast<char*>(nullptr));
      _exit(127);
    }
    close(in[0]);
    close(out[1]);
    to = in[1];
    from = out[0];
    return true;
  }

  void Stop() {
    if (to >= 0) close(to);
    if (from >= 0) close(from);
    to = from = -1;
    if (pid > 0) waitpid(pid, nullptr, 0);
    pid = -1;
  }
};

// A node that dies (or is missing) is started again, up to 3 times a run.
int V8Validates(std::span<const uint8_t> wasm) {
  static V8Process node;
  uint32_t n = static_cast<uint32_t>(wasm.size());
  uint8_t len[4] = {static_cast<uint8_t>(n), static_cast<uint8_t>(n >> 8), static_cast<uint8_t>(n >> 16),
                    static_cast<uint8_t>(n >> 24)};
  while (true) {
    if (node.to < 0) {
      if (node.starts >= 3) return -1;
      ++node.starts;
      if (!node.Start()) continue;
    }
    char answer = 0;
    if (WriteAll(node.to, len, 4) && WriteAll(node.to, wasm.data(), wasm.size()) && ReadByte(node.from, &answer)) {
      return answer == '1' ? 1 : 0;
    }
    node.Stop();
  }
}

// Without node: deja's messages for the body and expression ends that wabt
// does not check (docs/FUZZING.md, Known differences).
bool LooksLikeWabtLaxness(const std::string& report) {
  if (!report.starts_with("validation: deja rejects: malformed: ")) return false;
  for (const char* m : {": unexpected end of section or function; wabt accepts", ": section size mismatch; wabt accepts",
                        ": END opcode expected; wabt accepts"}) {
    if (report.ends_with(m)) return true;
  }
  return false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  deja::fuzz::DiffOptions options;
  options.fuel_per_call = 200'000;
  options.canonicalize_nans = true;
  options.max_memory_pages = 1024;
  options.max_table_elements = 100'000;
  std::span<const uint8_t> wasm(data, size);
  deja::fuzz::DiffResult r = deja::fuzz::RunDiff(wasm, options);
  if (++totals.modules % kReportEvery == 0) totals.Print();
  totals.calls += r.calls;
  switch (r.verdict) {
    case deja::fuzz::DiffVerdict::kMatch: ++totals.compared; return 0;
    case deja::fuzz::DiffVerdict::kSkipped:
      if (r.report.starts_with("both reject")) {
        ++totals.both_reject;
      } else {
        ++totals.skipped;
      }
      return 0;
    case deja::fuzz::DiffVerdict::kMismatch: break;
  }
  // deja's implementation limits (more than 2^24 locals in a function, a
  // module over 4 GiB) reject what the spec allows; wabt has none.
  if (r.report.starts_with("validation: deja rejects: resource exhausted: ") && r.report.ends_with("; wabt accepts")) {
    ++totals.deja_limits;
    return 0;
  }
  // A validation disagreement goes to a third validator, V8 (node's
  // WebAssembly.validate). When V8 agrees with deja, wabt is wrong: wabt
  // 1.0.32 accepts function bodies whose blocks are still open at their last
  // byte, instructions after a function's own `end`, immediates read past a
  // body and constant expressions without `end` (docs/FUZZING.md).
  if (r.report.starts_with("validation: ")) {
    bool deja_accepts = r.report.starts_with("validation: deja accepts");
    int v8 = V8Validates(wasm);
    if (v8 >= 0 && (v8 == 1) == deja_accepts) {
      ++totals.wabt_wrong;
      return 0;
    }
    if (v8 < 0 && LooksLikeWabtLaxness(r.report)) {
      ++totals.wabt_wrong;
      return 0;
    }
    r.report += v8 < 0 ? "; V8 not available" : (v8 == 1 ? "; V8 accepts" : "; V8 rejects");
  }
  const char* dir = std::getenv("DEJA_FUZZ_OUT");
  std::string path = deja::fuzz::WriteReproducer(wasm, r, dir != nullptr && *dir != '\0' ? dir : ".");
  std::fprintf(stderr, "fuzz_spec: MISMATCH: %s\n  module: %s\n", r.report.c_str(), path.c_str());
  std::abort();
}
