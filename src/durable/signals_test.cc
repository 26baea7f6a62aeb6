// The signal and message queues: order, kept before a wait, exactly-once
// takes and sends under idempotency keys, across connections.
#include "durable/signals.h"

#include <gtest/gtest.h>

#include "durable/api_test_util.h"

namespace deja::durable {
namespace {

struct Fixture {
  testing::TempDb db;
  Mailbox box = *Mailbox::Open(db.get());
  std::optional<Taken> Take(std::string_view inst, std::string_view name, std::string_view key,
                            u32 cap = 1024) {
    u32 size = 0;
    auto t = box.TakeSignal(inst, name, key, cap, &size);
    EXPECT_TRUE(t.ok()) << t.status().ToString();
    return t.ok() ? *t : std::nullopt;
  }
};

TEST(SignalQueueTest, SignalsSentBeforeTheWaitAreKeptInOrderPerName) {
  Fixture f;
  ASSERT_TRUE(f.box.Signal("i1", "approved", "one").ok());
  ASSERT_TRUE(f.box.Signal("i1", "other", "x").ok());
  ASSERT_TRUE(f.box.Signal("i1", "approved", "two").ok());
  ASSERT_TRUE(f.box.Signal("i2", "approved", "not yours").ok());
  EXPECT_EQ(*f.box.PendingSignals("i1"), 3);
  EXPECT_EQ(*f.box.PendingSignals("i1", "approved"), 2);
  EXPECT_EQ(f.Take("i1", "approved", "i1/0")->payload, "one");
  EXPECT_EQ(f.Take("i1", "approved", "i1/1")->payload, "two");
  EXPECT_FALSE(f.Take("i1", "approved", "i1/2"));
  EXPECT_EQ(f.Take("i1", "other", "i1/3")->payload, "x");
  EXPECT_EQ(f.Take("i2", "approved", "i2/0")->payload, "not yours");
}

TEST(SignalQueueTest, TakingAgainUnderTheSameKeyReturnsTheSameSignal) {
  Fixture f;
  ASSERT_TRUE(f.box.Signal("i1", "go", "first").ok());
  ASSERT_TRUE(f.box.Signal("i1", "go", "second").ok());
  EXPECT_EQ(f.Take("i1", "go", "i1/5")->payload, "first");
  // The instance resumed from a snapshot before request 5 asks again.
  EXPECT_EQ(f.Take("i1", "go", "i1/5")->payload, "first");
  EXPECT_EQ(*f.box.PendingSignals("i1", "go"), 1) << "the second is still queued";
  EXPECT_EQ(f.Take("i1", "go", "i1/6")->payload, "second");
}

TEST(SignalQueueTest, APayloadTooBigForTheBufferIsNotTaken) {
  Fixture f;
  ASSERT_TRUE(f.box.Signal("i1", "go", std::string(100, 'p')).ok());
  u32 size = 0;
  auto t = f.box.TakeSignal("i1", "go", "i1/0", 10, &size);
  ASSERT_TRUE(t.ok());
  ASSERT_TRUE(*t);
  EXPECT_EQ(size, 100u);
  EXPECT_EQ(*f.box.PendingSignals("i1", "go"), 1);
  EXPECT_EQ(f.Take("i1", "go", "i1/1", 100)->payload.size(), 100u);
}

TEST(SignalQueueTest, BinaryPayloadsSurvive) {
  Fixture f;
  std::string bytes("a\0b\xff\n", 5);
  ASSERT_TRUE(f.box.Signal("i1", "bin", bytes).ok());
  EXPECT_EQ(f.Take("i1", "bin", "i1/0")->payload, bytes);
}

TEST(MessageQueueTest, ASendUnderTheSameKeyIsStoredOnce) {
  Fixture f;
  bool stored = false;
  ASSERT_TRUE(f.box.Send("a/3", "a", "b", "hello", &stored).ok());
  EXPECT_TRUE(stored);
  ASSERT_TRUE(f.box.Send("a/3", "a", "b", "hello", &stored).ok());
  EXPECT_FALSE(stored) << "a resumed sender delivers nothing twice";
  ASSERT_TRUE(f.box.Send("a/4", "a", "b", "again", &stored).ok());
  EXPECT_TRUE(stored);
  EXPECT_EQ(*f.box.MessageRows("b"), 2);
  u32 size = 0;
  EXPECT_EQ((*f.box.TakeMessage("b", "b/0", 100, &size))->payload, "hello");
  EXPECT_EQ((*f.box.TakeMessage("b", "b/0", 100, &size))->payload, "hello");
  EXPECT_EQ((*f.box.TakeMessage("b", "b/1", 100, &size))->payload, "again");
  EXPECT_FALSE(*f.box.TakeMessage("b", "b/2", 100, &size));
  EXPECT_EQ(*f.box.PendingMessages("b"), 0);
}

TEST(SignalQueueTest, AnotherConnectionSeesTheQueue) {
  Fixture f;
  auto other = f.db.Reopen();
  auto box2 = Mailbox::Open(other.get());
  ASSERT_TRUE(box2.ok());
  ASSERT_TRUE(box2->Signal("i1", "go", "from the cli").ok());
  EXPECT_EQ(f.Take("i1", "go", "i1/0")->payload, "from the cli");
}

}  // namespace
}  // namespace deja::durable
