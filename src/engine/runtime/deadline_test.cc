#include "deja/deadline.h"

#include <dirent.h>
#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <thread>
#include <vector>

#include "engine/runtime/test_util.h"

namespace deja::engine {
namespace {

using testing::CompileWat;
using namespace std::chrono_literals;

// Threads of this process (/proc/self/task entries).
int ThreadCount() {
  int n = 0;
  DIR* dir = opendir("/proc/self/task");
  if (dir == nullptr) return -1;
  while (dirent* e = readdir(dir)) {
    if (e->d_name[0] != '.') ++n;
  }
  closedir(dir);
  return n;
}

struct Spinner {
  Store store;
  Extern spin;
};

std::unique_ptr<Spinner> MakeSpinner(const Module& m) {
  auto s = std::make_unique<Spinner>();
  Result<InstanceId> inst = s->store.Instantiate(m, {});
  if (!inst.ok()) return nullptr;
  s->spin = *s->store.GetExport(*inst, "spin");
  return s;
}

TEST(DeadlineTest, CancelledInTimeNeverFires) {
  DeadlineTimer timer;
  Store store;
  DeadlineTimer::Id id = timer.Add(store, DeadlineTimer::Clock::now() + 50ms);
  EXPECT_NE(id, 0u);
  EXPECT_EQ(timer.pending(), 1u);
  EXPECT_FALSE(timer.Cancel(id));
  EXPECT_EQ(timer.pending(), 0u);
  std::this_thread::sleep_for(80ms);
  // No interrupt pending: a loop bounded by fuel runs out of fuel instead.
  auto m = CompileWat(R"((module (func (export "spin") (loop (br 0)))))");
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  auto inst = store.Instantiate(*m, {});
  ASSERT_TRUE(inst.ok());
  store.SetFuel(10'000);
  std::vector<Value> results;
  ASSERT_EQ(store.Call(*store.GetExport(*inst, "spin"), {}, &results), Outcome::kTrapped);
  EXPECT_EQ(store.trap().kind, TrapKind::kOutOfFuel);
  EXPECT_FALSE(timer.Cancel(id));  // unknown by now
}

TEST(DeadlineTest, FiredDeadlineReportsOnCancel) {
  DeadlineTimer timer;
  auto m = CompileWat(R"((module (func (export "spin") (loop (br 0)))))");
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  auto s = MakeSpinner(*m);
  ASSERT_NE(s, nullptr);
  DeadlineTimer::Id id = timer.Add(s->store, DeadlineTimer::Clock::now() + 10ms);
  std::vector<Value> results;
  ASSERT_EQ(s->store.Call(s->spin, {}, &results), Outcome::kTrapped);
  EXPECT_EQ(s->store.trap().kind, TrapKind::kInterrupted);
  EXPECT_TRUE(timer.Cancel(id));
  EXPECT_EQ(timer.pending(), 0u);
}

TEST(DeadlineTest, EarlierDeadlineAddedLaterFiresFirst) {
  DeadlineTimer timer;
  Store late, early;
  auto t0 = DeadlineTimer::Clock::now();
  DeadlineTimer::Id a = timer.Add(late, t0 + 10s);
  DeadlineTimer::Id b = timer.Add(early, t0 + 20ms);  // wakes the sleeping thread
  auto m = CompileWat(R"((module (func (export "spin") (loop (br 0)))))");
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  auto inst = early.Instantiate(*m, {});
  ASSERT_TRUE(inst.ok());
  std::vector<Value> results;
  ASSERT_EQ(early.Call(*early.GetExport(*inst, "spin"), {}, &results), Outcome::kTrapped);
  EXPECT_LT(DeadlineTimer::Clock::now() - t0, 5s);
  EXPECT_TRUE(timer.Cancel(b));
  EXPECT_FALSE(timer.Cancel(a));
}

// Hundreds of stores, each spinning until its own deadline, on a few
// threads: every one is interrupted, by one timer thread in all.
TEST(DeadlineTest, HundredsOfStoresShareOneThread) {
  constexpr int kStores = 400;
  constexpr int kWorkers = 4;
  DeadlineTimer timer;
  auto m = CompileWat(R"((module (func (export "spin") (loop (br 0)))))");
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  std::vector<std::unique_ptr<Spinner>> spinners;
  for (int i = 0; i < kStores; ++i) {
    spinners.push_back(MakeSpinner(*m));
    ASSERT_NE(spinners.back(), nullptr);
  }
  int threads_before = ThreadCount();
  auto t0 = DeadlineTimer::Clock::now();
  std::vector<DeadlineTimer::Id> ids;
  // Staggered, out of order: 1..40 ms.
  for (int i = 0; i < kStores; ++i) {
    ids.push_back(timer.Add(spinners[i]->store, t0 + std::chrono::milliseconds(1 + (i * 7) % 40)));
  }
  EXPECT_EQ(ThreadCount(), threads_before + 1);  // the timer's thread, started by the first Add
  EXPECT_EQ(timer.pending(), size_t{kStores});
  std::atomic<int> interrupted{0};
  std::vector<std::thread> workers;
  for (int w = 0; w < kWorkers; ++w) {
    workers.emplace_back([&, w] {
      std::vector<Value> results;
      for (int i = w; i < kStores; i += kWorkers) {
        Spinner& s = *spinners[i];
        if (s.store.Call(s.spin, {}, &results) == Outcome::kTrapped &&
            s.store.trap().kind == TrapKind::kInterrupted) {
          interrupted.fetch_add(1);
        }
      }
    });
  }
  for (std::thread& t : workers) t.join();
  EXPECT_EQ(interrupted.load(), kStores);
  int fired = 0;
  for (DeadlineTimer::Id id : ids) fired += timer.Cancel(id) ? 1 : 0;
  EXPECT_EQ(fired, kStores);
  EXPECT_EQ(timer.pending(), 0u);
}

// Adding and cancelling is cheap: 100,000 deadlines that never fire.
TEST(DeadlineTest, AddAndCancelAreCheap) {
  DeadlineTimer timer;
  std::vector<std::unique_ptr<Store>> stores;
  for (int i = 0; i < 100; ++i) stores.push_back(std::make_unique<Store>());
  auto t0 = DeadlineTimer::Clock::now();
  std::vector<DeadlineTimer::Id> ids;
  ids.reserve(100'000);
  for (int i = 0; i < 100'000; ++i) {
    ids.push_back(timer.Add(*stores[i % 100], t0 + 1h + std::chrono::microseconds(i * 7919 % 100'000)));
  }
  EXPECT_EQ(timer.pending(), 100'000u);
  for (DeadlineTimer::Id id : ids) EXPECT_FALSE(timer.Cancel(id));
  EXPECT_EQ(timer.pending(), 0u);
  // Generous even under ASan: a thread per deadline could not come close.
  EXPECT_LT(DeadlineTimer::Clock::now() - t0, 10s);
}

TEST(DeadlineTest, ScopedDeadlineCancelsOnScopeExit) {
  DeadlineTimer timer;
  Store store;
  {
    ScopedDeadline d(store, 10s, timer);
    EXPECT_EQ(timer.pending(), 1u);
    EXPECT_FALSE(d.Disarm());
    EXPECT_FALSE(d.Disarm());
  }
  { ScopedDeadline d(store, 10s, timer); }
  EXPECT_EQ(timer.pending(), 0u);
}

}  // namespace
}  // namespace deja::engine
