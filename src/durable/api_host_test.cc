// ApiHost: request numbering into idempotency keys, a resumed segment that
// asks again getting the same answers, parking only when the condition does
// not hold, and the wait condition's text form.
#include "durable/api_host.h"

#include <gtest/gtest.h>

#include "durable/api_test_util.h"

namespace deja::durable {
namespace {

using wasi::Errno;
using Wait = wasi::WaitCondition;

struct Fixture {
  testing::TempDb db;
  Mailbox box = *Mailbox::Open(db.get());
  Children children = *Children::Open(db.get());
  testing::MapLauncher launcher;
  ParkRequest park;
  ApiHost Host(std::string id, u64 first = 0) {
    return ApiHost(std::move(id), first, &box, &children, &launcher, &park);
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
  EXPECT_EQ(f.launcher.by_key.count("p/0"), 1u);
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
  f.launcher.End("child0", 3, "charged 42\n");
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
  Wait w;
  w.signal = "approved";
  EXPECT_EQ(host.Park(w), Errno::kSuccess);
  std::optional<WaitCondition> parked = f.park.Take();
  ASSERT_TRUE(parked);
  EXPECT_EQ(parked->signal, "approved");
  EXPECT_TRUE(parked->children.empty());
  ASSERT_TRUE(f.box.Signal("p", "approved", "yes").ok());
  EXPECT_EQ(*host.Holds(w), true);
  EXPECT_EQ(host.Park(w), Errno::kAlready);
  EXPECT_FALSE(f.park.Take());
  std::string payload;
  u32 size = 0;
  ASSERT_EQ(host.TakeSignal("approved", 10, &payload, &size), Errno::kSuccess);
  EXPECT_EQ(payload, "yes");
  ApiHost no_park("p", 0, &f.box, &f.children, &f.launcher, nullptr);
  EXPECT_EQ(no_park.Park(w), Errno::kNosys);
}

TEST(ApiHostTest, AwaitAnyAndAll) {
  Fixture f;
  ApiHost host = f.Host("p");
  u64 c0 = 0, c1 = 0;
  ASSERT_EQ(host.Spawn("m", {}, "", &c0), Errno::kSuccess);
  ASSERT_EQ(host.Spawn("m", {}, "", &c1), Errno::kSuccess);
  Wait any{Wait::Kind::kChildren, "", {c0, c1}, false};
  Wait all{Wait::Kind::kChildren, "", {c0, c1}, true};
  EXPECT_FALSE(*host.Holds(any));
  ASSERT_EQ(host.Park(all), Errno::kSuccess);
  std::optional<WaitCondition> parked = f.park.Take();
  ASSERT_TRUE(parked);
  EXPECT_EQ(parked->children, (std::vector<std::string>{"child0", "child1"}));
  EXPECT_TRUE(parked->all_children);
  f.launcher.End("child1", 0, "");
  EXPECT_TRUE(*host.Holds(any));
  EXPECT_FALSE(*host.Holds(all));
  f.launcher.End("child0", 0, "");
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
  EXPECT_EQ(f.launcher.woken["b"], 2) << "a parked receiver is woken (twice is harmless)";
  ApiHost b = f.Host("b");
  std::string payload;
  u32 size = 0;
  ASSERT_EQ(b.Recv(100, &payload, &size), Errno::kSuccess);
  EXPECT_EQ(payload, "hello");
  EXPECT_EQ(b.Recv(100, &payload, &size), Errno::kAgain);
}

TEST(ApiHostTest, AMessageWaitShowsAsTheReservedSignalName) {
  Fixture f;
  ApiHost host = f.Host("b");
  Wait w;
  w.kind = Wait::Kind::kMessage;
  ASSERT_EQ(host.Park(w), Errno::kSuccess);
  EXPECT_EQ(f.park.Take()->signal, kMessageWait);
}

TEST(ApiHostTest, TheRequestCursorIsSavedPerSnapshot) {
  Fixture f;
  ApiHost host = f.Host("p");
  u64 c = 0;
  ASSERT_EQ(host.Spawn("m", {}, "", &c), Errno::kSuccess);
  ASSERT_TRUE(f.box.SaveCursor("p", "snap-1", host.next_request()).ok());
  ASSERT_EQ(host.Spawn("m", {}, "", &c), Errno::kSuccess);
  EXPECT_EQ(*f.box.LoadCursor("p", "snap-1"), 1u);
  EXPECT_EQ(*f.box.LoadCursor("p", ""), 0u) << "from the module";
  EXPECT_EQ(*f.box.LoadCursor("p", "never-saved"), 0u);
  // Resumed from snap-1 after a crash: the second spawn is asked again.
  ApiHost resumed = f.Host("p", *f.box.LoadCursor("p", "snap-1"));
  u64 again = 0;
  ASSERT_EQ(resumed.Spawn("m", {}, "", &again), Errno::kSuccess);
  EXPECT_EQ(again, c);
  EXPECT_EQ(f.launcher.created.size(), 2u);
}

}  // namespace
}  // namespace deja::durable
