// Per-function work (validation, compilation) spread across threads for large
// modules. The result does not depend on the number of threads: the status
// returned is the one of the FIRST failing function in index order, exactly
// as a plain loop would report it.
#pragma once

#include <algorithm>
#include <atomic>
#include <thread>  // hardware_concurrency
#include <vector>

#include <pthread.h>

#include "deja/status.h"
#include "engine/module.h"

namespace deja::engine {

// Modules with fewer bytes of function bodies than this run on the calling
// thread only: starting threads costs more than it saves (and `deja run` of a
// small module must start in well under a millisecond).
inline constexpr size_t kParallelMinBodyBytes = size_t{1} << 20;

// How many threads ForEachFunction uses for `code`.
inline unsigned FunctionWorkers(const std::vector<Function>& code) {
  size_t bytes = 0;
  for (const Function& f : code) bytes += f.body_size;
  if (bytes < kParallelMinBodyBytes) return 1;
  unsigned hw = std::thread::hardware_concurrency();
  return std::clamp(hw, 1u, 8u);
}

// Calls work(i) for i in [0, count), where `work` is made by make_work() once
// per thread (so that each thread reuses its own buffers). Functions are
// handed out in blocks in ascending order; once block b failed, no block
// after b is started, and every block before b runs to its end, so the
// lowest failing index is always found.
template <typename MakeWork>
Status ForEachFunction(u32 count, unsigned workers, MakeWork make_work) {
  if (workers <= 1 || count < 2) {
    auto work = make_work();
    for (u32 i = 0; i < count; ++i) DEJA_TRY(work(i));
    return Status();
  }
  constexpr u32 kBlock = 16;
  const u32 blocks = (count + kBlock - 1) / kBlock;
  std::vector<Status> errors(blocks);
  std::atomic<u32> next{0};
  std::atomic<u32> first_failed{blocks};
  auto run = [&] {
    auto work = make_work();
    for (;;) {
      u32 b = next.fetch_add(1, std::memory_order_relaxed);
      if (b >= blocks || b > first_failed.load(std::memory_order_relaxed)) return;
      u32 end = std::min(count, (b + 1) * kBlock);
      for (u32 i = b * kBlock; i < end; ++i) {
        Status st = work(i);
        if (!st.ok()) {
          errors[b] = std::move(st);
          u32 seen = first_failed.load(std::memory_order_relaxed);
          while (b < seen && !first_failed.compare_exchange_weak(seen, b)) {
          }
          return;
        }
      }
    }
  };
  // pthreads rather than std::thread: a thread that cannot be started is no
  // error here (the blocks are shared out, so fewer threads just take longer),
  // and std::thread would report it with an exception.
  using Run = decltype(run);
  auto trampoline = [](void* arg) -> void* {
    (*static_cast<Run*>(arg))();
    return nullptr;
  };
  std::vector<pthread_t> threads;
  threads.reserve(workers - 1);
  for (unsigned t = 1; t < std::min<u32>(workers, blocks); ++t) {
    pthread_t thread;
    if (pthread_create(&thread, nullptr, trampoline, &run) == 0) threads.push_back(thread);
  }
  run();
  for (pthread_t t : threads) pthread_join(t, nullptr);
  u32 failed = first_failed.load();
  return failed < blocks ? errors[failed] : Status();
}

}  // namespace deja::engine
