#include "server/idempotency.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

namespace deja::server {
namespace {

using namespace std::chrono_literals;

std::array<uint8_t, 32> Fp(std::string_view method, std::string_view target, std::string_view body) {
  RequestFingerprint f;
  f.AddMethodAndTarget(method, target);
  f.AddBody(body);
  return f.Final();
}

StoredResponse Response(std::string body) {
  return {201, {{"Set-Cookie", "a=1"}, {"Set-Cookie", "b=2"}}, std::move(body)};
}

TEST(Idempotency, Fingerprint) {
  EXPECT_EQ(Fp("POST", "/a", "x"), Fp("POST", "/a", "x"));
  EXPECT_NE(Fp("POST", "/a", "x"), Fp("POST", "/a", "y"));
  EXPECT_NE(Fp("GE", "T/a", ""), Fp("GET", "/a", ""));
  RequestFingerprint pieces;  // a streamed body hashes as the whole
  pieces.AddMethodAndTarget("POST", "/a");
  pieces.AddBody("he");
  pieces.AddBody("llo");
  EXPECT_EQ(pieces.Final(), Fp("POST", "/a", "hello"));
  EXPECT_EQ(ValidIdempotencyKey("abc-123"), "");
  EXPECT_EQ(ValidIdempotencyKey(""), "Idempotency-Key is empty");
  EXPECT_EQ(ValidIdempotencyKey(std::string(256, 'k')), "Idempotency-Key longer than 255 bytes");
  EXPECT_EQ(ValidIdempotencyKey("a b"), "Idempotency-Key has a byte that is not visible ASCII");
}

TEST(Idempotency, DuplicateGetsStoredResponse) {
  FakeClock clock;
  MemoryIdempotencyBackend store;
  IdempotencyGate gate(&store, {}, &clock);
  IdempotencyKey key{"acme", "hello", "k1"};
  auto fp = Fp("POST", "/acme/hello", "body");
  ASSERT_EQ(gate.Begin(key, fp).outcome, IdempotencyOutcome::kRun);
  gate.Complete(key, Response("first"));
  IdempotencyBegin again = gate.Begin(key, fp);
  ASSERT_EQ(again.outcome, IdempotencyOutcome::kReplay);
  EXPECT_EQ(again.stored.status, 201);
  EXPECT_EQ(again.stored.body, "first");
  EXPECT_EQ(again.stored.headers.size(), 2u);
  // Keys are per tenant and function.
  EXPECT_EQ(gate.Begin({"other", "hello", "k1"}, fp).outcome, IdempotencyOutcome::kRun);
  EXPECT_EQ(gate.Begin({"acme", "bye", "k1"}, fp).outcome, IdempotencyOutcome::kRun);
}

TEST(Idempotency, DifferentBodyIsRefused) {
  FakeClock clock;
  MemoryIdempotencyBackend store;
  IdempotencyGate gate(&store, {}, &clock);
  IdempotencyKey key{"acme", "hello", "k1"};
  ASSERT_EQ(gate.Begin(key, Fp("POST", "/acme/hello", "one")).outcome, IdempotencyOutcome::kRun);
  // While the first runs ...
  IdempotencyBegin b = gate.Begin(key, Fp("POST", "/acme/hello", "two"));
  EXPECT_EQ(b.outcome, IdempotencyOutcome::kMismatch);
  EXPECT_EQ(b.message, "Idempotency-Key 'k1' of acme/hello was used with a different request");
  gate.Complete(key, Response("one"));
  // ... and after.
  EXPECT_EQ(gate.Begin(key, Fp("POST", "/acme/hello", "two")).outcome, IdempotencyOutcome::kMismatch);
  EXPECT_EQ(gate.Begin(key, Fp("POST", "/acme/hello/x", "one")).outcome, IdempotencyOutcome::kMismatch);
}

TEST(Idempotency, ConcurrentDuplicatesWaitForTheFirst) {
  MemoryIdempotencyBackend store;
  IdempotencyGate gate(&store);
  IdempotencyKey key{"acme", "hello", "k1"};
  auto fp = Fp("POST", "/acme/hello", "body");
  ASSERT_EQ(gate.Begin(key, fp).outcome, IdempotencyOutcome::kRun);
  std::atomic<int> replays{0}, runs{0};
  std::vector<std::thread> dups;
  for (int i = 0; i < 8; ++i) {
    dups.emplace_back([&] {
      IdempotencyBegin b = gate.Begin(key, fp);
      if (b.outcome == IdempotencyOutcome::kReplay && b.stored.body == "first") ++replays;
      if (b.outcome == IdempotencyOutcome::kRun) ++runs;
    });
  }
  std::this_thread::sleep_for(50ms);  // the duplicates are waiting
  EXPECT_EQ(replays.load(), 0);
  gate.Complete(key, Response("first"));
  for (auto& t : dups) t.join();
  EXPECT_EQ(replays.load(), 8);
  EXPECT_EQ(runs.load(), 0);
}

TEST(Idempotency, AbandonedRunPassesToOneWaiter) {
  MemoryIdempotencyBackend store;
  IdempotencyGate gate(&store);
  IdempotencyKey key{"acme", "hello", "k1"};
  auto fp = Fp("POST", "/acme/hello", "body");
  ASSERT_EQ(gate.Begin(key, fp).outcome, IdempotencyOutcome::kRun);
  std::atomic<int> runs{0}, replays{0};
  std::vector<std::thread> dups;
  for (int i = 0; i < 4; ++i) {
    dups.emplace_back([&] {
      IdempotencyBegin b = gate.Begin(key, fp);
      if (b.outcome == IdempotencyOutcome::kRun) {
        ++runs;
        gate.Complete(key, Response("second"));
      } else if (b.outcome == IdempotencyOutcome::kReplay) {
        ++replays;
      }
    });
  }
  std::this_thread::sleep_for(50ms);
  gate.Abandon(key);
  for (auto& t : dups) t.join();
  EXPECT_EQ(runs.load(), 1);
  EXPECT_EQ(replays.load(), 3);
}

TEST(Idempotency, WaitTimesOutAsInProgress) {
  MemoryIdempotencyBackend store;
  IdempotencyGate gate(&store, {.wait = 20ms});
  IdempotencyKey key{"acme", "hello", "k1"};
  auto fp = Fp("POST", "/acme/hello", "body");
  ASSERT_EQ(gate.Begin(key, fp).outcome, IdempotencyOutcome::kRun);
  IdempotencyBegin b = gate.Begin(key, fp);
  EXPECT_EQ(b.outcome, IdempotencyOutcome::kInProgress);
  EXPECT_EQ(b.message, "Idempotency-Key 'k1' of acme/hello: the first request is still in progress");
}

TEST(Idempotency, Expiry) {
  FakeClock clock;
  MemoryIdempotencyBackend store;
  IdempotencyGate gate(&store, {.ttl = 1h}, &clock);
  IdempotencyKey key{"acme", "hello", "k1"};
  auto fp = Fp("POST", "/a", "");
  ASSERT_EQ(gate.Begin(key, fp).outcome, IdempotencyOutcome::kRun);
  gate.Complete(key, Response("first"));
  clock.Advance(59min);
  EXPECT_EQ(gate.Begin(key, fp).outcome, IdempotencyOutcome::kReplay);
  clock.Advance(1min);
  EXPECT_EQ(gate.Begin(key, fp).outcome, IdempotencyOutcome::kRun);  // expired: runs again
  EXPECT_EQ(store.size(), 0u);
}

TEST(Idempotency, BoundedStoreAndLargeResponses) {
  FakeClock clock;
  MemoryIdempotencyBackend store(3);
  IdempotencyGate gate(&store, {.max_body_bytes = 10, .max_in_flight = 2}, &clock);
  auto fp = Fp("POST", "/a", "");
  for (int i = 0; i < 5; ++i) {
    IdempotencyKey key{"acme", "hello", "k" + std::to_string(i)};
    ASSERT_EQ(gate.Begin(key, fp).outcome, IdempotencyOutcome::kRun);
    gate.Complete(key, Response("r"));
  }
  EXPECT_EQ(store.size(), 3u);
  EXPECT_EQ(gate.Begin({"acme", "hello", "k0"}, fp).outcome, IdempotencyOutcome::kRun);  // evicted
  EXPECT_EQ(gate.Begin({"acme", "hello", "k4"}, fp).outcome, IdempotencyOutcome::kReplay);

  IdempotencyKey big{"acme", "hello", "big"};
  ASSERT_EQ(gate.Begin(big, fp).outcome, IdempotencyOutcome::kRun);
  // k0 and big are in flight: the cap of 2 refuses a third key.
  EXPECT_EQ(gate.Begin({"acme", "hello", "k9"}, fp).outcome, IdempotencyOutcome::kBusy);
  gate.Complete(big, Response("more than ten bytes"));
  IdempotencyBegin b = gate.Begin(big, fp);
  EXPECT_EQ(b.outcome, IdempotencyOutcome::kTooLarge);
  EXPECT_EQ(b.message, "Idempotency-Key 'big' of acme/hello: the first response was too large to keep for replay");
}

}  // namespace
}  // namespace deja::server
