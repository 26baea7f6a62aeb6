// ApiHost: request numbering into idempotency keys, a resumed segment that
// asks again getting the same answers, parking only when the condition does
// not hold, and the wait condition's text form.
#include "durable/api_host.h"

#include <gtest/gtest.h>

#include "durable/api_test_util.h"

namespace deja::durable {
namespace {

using wasi::Errno;
using wasi::WaitCondition;

struct Fixture {
  testing::TempDb db;
  Mailbox box = *Mailbox::Open(db.get());
  Children children = *Children::Open(db.get());
  testing::MapLauncher launcher;
  ApiHost Host(std::string id, u64 first = 0) {
    return ApiHost(std::move(id), first, &box, &children, &launcher);
  }
};

TEST(ApiHostTest, SpawnRetriedFromAnEarlierRequestMakesNoSecondChild) {
  Fixture f;
  ApiHost host = f.Host("p");
  std::vector<std::string> argv{"pay"};
  u64 a = 99, b = 99;
  ASSERT_EQ(host.Spawn("payment", argv, "in", &a), Errno::kSuccess);
  ASSERT_EQ(host.Spawn("payment", argv, "in", &b), Errno::kSuccess);
  EXPECT_EQ(a, 0u);
  EXPECT_EQ(b, 1u);
  EXPECT_EQ(host.next_request(), 2u);
  // The worker died; the instance resumes from a snapshot taken before both.
  ApiHost resumed = f.Host("p", 0);
  u64 a2 = 99;
  ASSERT_EQ(resumed.Spawn("payment", argv, "in", &a2), Errno::kSuccess);
  EXPECT_EQ(a2, a);
  EXPECT_EQ(*f.children.Rows("p"), 2);
  EXPECT_EQ(f.launcher.created.size(), 2u);
}

TEST(ApiHostTest, AWorkerKilledBetweenTheRowAndTheChildCreatesItOnRetry) {
  Fixture f;
  f.launcher.create_failures = 1;
  ApiHost host = f.Host("p");
  u64 child = 0;
  EXPECT_EQ(host.Spawn("payment", {}, "", &child), Errno::kIo);
  EXPECT_EQ(*f.children.Rows("p"), 1) << "the row is there";
  EXPECT_TRUE(f.launcher.created.empty());
  ApiHost resumed = f.Host("p", 0);
  ASSERT_EQ(resumed.Spawn("payment", {}, "", &child), Errno::kSuccess);
  EXPECT_EQ(*f.children.Rows("p"), 1);
  EXPECT_EQ(f.launcher.created.size(), 1u);
  EXPECT_TRUE(f.launcher.created.count("p.c0"));
}

TEST(ApiHostTest, ChildStatusAndOutput) {
  Fixture f;
  ApiHost host = f.Host("p");
  u64 child = 0;
  ASSERT_EQ(host.Spawn("payment", {}, "", &child), Errno::kSuccess);
  i32 status = -1;
  std::string out;
  EXPECT_EQ(host.ChildStatus(child, &status), Errno::kAgain);
  EXPECT_EQ(host.ChildOutput(child, 0, 100, &out), Errno::kAgain);
  EXPECT_EQ(host.ChildStatus(child + 1, &status), Errno::kBadf);
  f.launcher.End("p.c0", 3, "charged 42\n");
  ASSERT_EQ(host.ChildStatus(child, &status), Errno::kSuccess);
  EXPECT_EQ(status, 3);
  ASSERT_EQ(host.ChildOutput(child, 8, 100, &out), Errno::kSuccess);
  EXPECT_EQ(out, "42\n");
  out.clear();
  ASSERT_EQ(host.ChildOutput(child, 50, 100, &out), Errno::kSuccess);
  EXPECT_EQ(out, "") << "past the end: nothing";
  EXPECT_EQ(host.Spawn("missing", {}, "", &child), Errno::kNoent);
}

TEST(ApiHostTest, ParkSuspendsOnlyWhileTheConditionDoesNotHold) {
  Fixture f;
  ApiHost host = f.Host("p");
  WaitCondition w;
  w.signal = "approved";
  EXPECT_EQ(host.Park(w), Errno::kSuccess);
  auto parked = host.TakeParked();
  ASSERT_TRUE(parked);
  EXPECT_EQ(EncodeWait(*parked), "signal approved");
  ASSERT_TRUE(f.box.Signal("p", "approved", "yes").ok());
  EXPECT_EQ(*host.Holds(w), true);
  EXPECT_EQ(host.Park(w), Errno::kAlready);
  EXPECT_FALSE(host.TakeParked());
  std::string payload;
  u32 size = 0;
  ASSERT_EQ(host.TakeSignal("approved", 10, &payload, &size), Errno::kSuccess);
  EXPECT_EQ(payload, "yes");
}

TEST(ApiHostTest, AwaitAnyAndAll) {
  Fixture f;
  ApiHost host = f.Host("p");
  u64 c0 = 0, c1 = 0;
  ASSERT_EQ(host.Spawn("m", {}, "", &c0), Errno::kSuccess);
  ASSERT_EQ(host.Spawn("m", {}, "", &c1), Errno::kSuccess);
  WaitCondition any{WaitCondition::Kind::kChildren, "", {c0, c1}, false};
  WaitCondition all{WaitCondition::Kind::kChildren, "", {c0, c1}, true};
  EXPECT_FALSE(*host.Holds(any));
  f.launcher.End("p.c1", 0, "");
  EXPECT_TRUE(*host.Holds(any));
  EXPECT_FALSE(*host.Holds(all));
  f.launcher.End("p.c0", 0, "");
  EXPECT_TRUE(*host.Holds(all));
}

TEST(ApiHostTest, MessagesAreDeliveredOnceAndToExistingInstancesOnly) {
  Fixture f;
  f.launcher.others["b"] = true;
  ApiHost a = f.Host("a");
  EXPECT_EQ(a.Send("nobody", "x"), Errno::kNoent);
  ASSERT_EQ(a.Send("b", "hello"), Errno::kSuccess);  // request 1
  ApiHost a_again = f.Host("a", 1);                  // resumed before the send
  ASSERT_EQ(a_again.Send("b", "hello"), Errno::kSuccess);
  EXPECT_EQ(*f.box.MessageRows("b"), 1);
  ApiHost b = f.Host("b");
  std::string payload;
  u32 size = 0;
  ASSERT_EQ(b.Recv(100, &payload, &size), Errno::kSuccess);
  EXPECT_EQ(payload, "hello");
  EXPECT_EQ(b.Recv(100, &payload, &size), Errno::kAgain);
}

TEST(ApiHostTest, WaitConditionsRoundTripAndJunkIsRefused) {
  for (const char* text : {"signal approved", "message", "children all 0,1,2", "children any 7"}) {
    auto w = DecodeWait(text);
    ASSERT_TRUE(w.ok()) << text << ": " << w.status().ToString();
    EXPECT_EQ(EncodeWait(*w), text);
  }
  for (const char* text : {"", "signal ", "children all ", "children all 1,", "children any ,1",
                           "children any 1,x", "children some 1", "sleep 5"}) {
    EXPECT_FALSE(DecodeWait(text).ok()) << text;
  }
}

}  // namespace
}  // namespace deja::durable
