// The SQLite instance store: ids and prefixes, claims exclusive across
// connections (as across worker processes), parks and wakes, cancel,
// recovery of an instance whose lease died, and a park whose snapshot was
// complete when its worker died.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "durable/instance_store.h"

namespace deja::durable {
namespace {

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/deja-durable-test.XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    home_ = tmpl;
    a_ = Open();
    b_ = Open();
  }
  void TearDown() override { std::filesystem::remove_all(home_); }

  std::unique_ptr<InstanceStore> Open() {
    Result<std::unique_ptr<InstanceStore>> s = OpenSqliteStore(home_);
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    return s.ok() ? std::move(s).value() : nullptr;
  }
  std::string Create(InstanceStore& s) {
    NewInstance n;
    n.module = "/m.wasm";
    n.name = "m.wasm";
    n.spec_json = "{\"version\":1}";
    Result<std::string> id = s.Create(n);
    EXPECT_TRUE(id.ok());
    return id.ok() ? *id : "";
  }
  std::optional<Claim> ClaimAt(InstanceStore& s, int64_t now) {
    Result<std::optional<Claim>> c = s.ClaimNext(now, "test");
    EXPECT_TRUE(c.ok()) << c.status().ToString();
    return c.ok() ? std::move(c).value() : std::nullopt;
  }

  std::string home_;
  std::unique_ptr<InstanceStore> a_, b_;
};

TEST_F(StoreTest, CreateGetByPrefixAndList) {
  std::string id = Create(*a_);
  ASSERT_EQ(id.size(), 14u);
  EXPECT_EQ(id.substr(0, 2), "i-");
  Result<Instance> got = b_->Get(id.substr(0, 8));
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->id, id);
  EXPECT_EQ(got->state, State::kPending);
  EXPECT_EQ(b_->Get("i-ffffffffffff").status().code(), Status::Code::kNotFound);
  Result<std::vector<Instance>> all = a_->List();
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), 1u);
}

TEST_F(StoreTest, IdempotencyKeyCreatesOnce) {
  NewInstance n;
  n.module = "/m.wasm";
  n.spec_json = "{}";
  n.idempotency_key = "parent/42";
  Result<std::string> first = a_->Create(n);
  Result<std::string> second = b_->Create(n);
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_EQ(*first, *second);
  EXPECT_EQ(a_->List()->size(), 1u);
}

TEST_F(StoreTest, ClaimIsExclusiveAcrossConnections) {
  std::string id = Create(*a_);
  std::optional<Claim> first = ClaimAt(*a_, 0);
  ASSERT_TRUE(first);
  EXPECT_EQ(first->instance.id, id);
  EXPECT_FALSE(first->recovered);
  // The row says running and the lease is held: nobody else gets it.
  EXPECT_FALSE(ClaimAt(*b_, 0));
  EXPECT_FALSE(ClaimAt(*a_, 0));
}

TEST_F(StoreTest, SleepingWakesWhenDue) {
  std::string id = Create(*a_);
  std::optional<Claim> c = ClaimAt(*a_, 0);
  ASSERT_TRUE(c);
  WaitCondition wait;
  wait.until_ns = 1000;
  SegmentEnd end;
  end.segment.run_id = "run0";
  end.segment.end = "parked";
  end.segment.fuel = 7;
  end.next_snapshot = "/snap0";
  end.monotonic_floor_ns = 55;
  ASSERT_TRUE(a_->Park(*c, end, wait).ok());
  Result<Instance> got = b_->Get(id);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->state, State::kSleeping);
  EXPECT_EQ(got->wait.until_ns, 1000);
  EXPECT_EQ(got->snapshot, "/snap0");
  EXPECT_EQ(got->monotonic_floor_ns, 55u);
  ASSERT_EQ(got->segments.size(), 1u);
  EXPECT_EQ(got->segments[0].run_id, "run0");
  EXPECT_EQ(*b_->NextWake(), std::optional<int64_t>(1000));
  EXPECT_FALSE(ClaimAt(*b_, 999));
  std::optional<Claim> woken = ClaimAt(*b_, 1000);
  ASSERT_TRUE(woken);
  EXPECT_EQ(woken->instance.snapshot, "/snap0");
  EXPECT_EQ(woken->instance.segments.size(), 1u);
}

TEST_F(StoreTest, FinishAndCancel) {
  std::string done = Create(*a_);
  std::optional<Claim> c = ClaimAt(*a_, 0);
  ASSERT_TRUE(c);
  ASSERT_TRUE(a_->Finish(*c, SegmentEnd{}, State::kDone, 0, "").ok());
  EXPECT_EQ(b_->Get(done)->state, State::kDone);
  EXPECT_EQ(b_->Get(done)->exit_status, 0);
  EXPECT_FALSE(*b_->Cancel(done));  // already ended

  std::string pending = Create(*a_);
  EXPECT_TRUE(*b_->Cancel(pending));
  EXPECT_EQ(a_->Get(pending)->state, State::kCancelled);
  EXPECT_EQ(a_->Get(pending)->exit_status, kCancelledStatus);
  EXPECT_FALSE(ClaimAt(*a_, 0));

  std::string running = Create(*a_);
  std::optional<Claim> r = ClaimAt(*a_, 0);
  ASSERT_TRUE(r);
  EXPECT_TRUE(*b_->Cancel(running));  // marked; its worker stops it
  EXPECT_EQ(b_->Get(running)->state, State::kRunning);
  EXPECT_TRUE(*a_->CancelRequested(running));
}

TEST_F(StoreTest, DeadLeaseIsRecovered) {
  std::string id = Create(*a_);
  std::optional<Claim> c = ClaimAt(*a_, 0);
  ASSERT_TRUE(c);
  c->lease.reset();  // as the kernel does when the worker dies
  std::optional<Claim> again = ClaimAt(*b_, 0);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->instance.id, id);
  EXPECT_TRUE(again->recovered);
}

TEST_F(StoreTest, ParkWithCompleteSnapshotSurvivesDeath) {
  std::string id = Create(*a_);
  std::optional<Claim> c = ClaimAt(*a_, 0);
  ASSERT_TRUE(c);
  std::string snap = home_ + "/0.snap";
  WaitCondition wait;
  wait.until_ns = 5000;
  ASSERT_TRUE(a_->PreparePark(*c, wait, snap).ok());
  std::ofstream(snap) << "snapshot";
  c->lease.reset();  // died after the snapshot, before Park
  EXPECT_FALSE(ClaimAt(*b_, 10));  // the park stands: asleep until 5000
  EXPECT_EQ(b_->Get(id)->state, State::kSleeping);
  std::optional<Claim> woken = ClaimAt(*b_, 5000);
  ASSERT_TRUE(woken);
  EXPECT_EQ(woken->instance.snapshot, snap);
}

TEST_F(StoreTest, ParkWithoutSnapshotRunsAgain) {
  Create(*a_);
  std::optional<Claim> c = ClaimAt(*a_, 0);
  ASSERT_TRUE(c);
  WaitCondition wait;
  wait.until_ns = 5000;
  ASSERT_TRUE(a_->PreparePark(*c, wait, home_ + "/never-written.snap").ok());
  c->lease.reset();  // died before the snapshot was complete
  std::optional<Claim> again = ClaimAt(*b_, 10);
  ASSERT_TRUE(again);
  EXPECT_TRUE(again->recovered);
  EXPECT_EQ(again->instance.snapshot, "");  // from the module again
}

TEST_F(StoreTest, WaitConditionRoundTrips) {
  WaitCondition w;
  w.until_ns = 12;
  w.signal = "approved";
  w.children = {"i-1", "i-2"};
  w.all_children = false;
  Result<WaitCondition> back = DecodeWait(EncodeWait(w));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->until_ns, 12);
  EXPECT_EQ(back->signal, "approved");
  EXPECT_EQ(back->children, w.children);
  EXPECT_FALSE(back->all_children);
  EXPECT_FALSE(DecodeWait("[1]").ok());
  EXPECT_FALSE(DecodeWait("{\"until\":\"x\"}").ok());
}

TEST_F(StoreTest, SchemaVersionIsChecked) {
  a_.reset();
  b_.reset();
  {
    std::unique_ptr<InstanceStore> s = Open();
    ASSERT_TRUE(s);
  }
  // A store written by a later deja is refused by name, not misread.
  std::string cmd = "sqlite3 " + home_ + "/durable.db \"UPDATE meta SET value='99' WHERE key='schema_version'\" 2>/dev/null";
  if (std::system(cmd.c_str()) != 0) GTEST_SKIP() << "no sqlite3 command";
  Result<std::unique_ptr<InstanceStore>> s = OpenSqliteStore(home_);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("schema version 99"), std::string::npos);
}

}  // namespace
}  // namespace deja::durable
