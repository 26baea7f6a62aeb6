#include <gtest/gtest.h>

#include <algorithm>

#include "engine/runtime/state_format.h"
#include "engine/runtime/test_util.h"

namespace deja {
namespace {

using engine::testing::CompileWat;

// tick(x) = 7x + 1; suspends instead on call number `suspend_at` (1-based).
struct Ticker {
  int calls = 0;
  int suspend_at = 0;
  uint32_t pending = 0;
};

HostAction Tick(HostCall& call, std::span<uint64_t> slots) {
  auto* t = static_cast<Ticker*>(call.data());
  if (++t->calls == t->suspend_at) {
    t->pending = static_cast<uint32_t>(slots[0]);
    return call.Suspend();
  }
  slots[0] = static_cast<uint32_t>(slots[0] * 7 + 1);
  return HostAction::kContinue;
}

// Recursion several frames deep with live locals on every frame, memory
// writes, a mutable global and a table write, all around host calls.
constexpr std::string_view kGuest = R"((module
  (import "env" "tick" (func $tick (param i32) (result i32)))
  (memory (export "mem") 2 4)
  (table (export "tab") 2 funcref)
  (global $count (export "count") (mut i32) (i32.const 0))
  (data $d "passive")
  (elem declare func $rec)
  (func $rec (param $n i32) (result i64)
    (local $t i64)
    (global.set $count (i32.add (global.get $count) (i32.const 1)))
    (if (result i64) (i32.eqz (local.get $n))
      (then (i64.extend_i32_u (call $tick (i32.const 0))))
      (else
        (local.set $t (i64.mul (i64.extend_i32_u (local.get $n)) (i64.const 1000003)))
        (i32.store (i32.mul (local.get $n) (i32.const 4)) (call $tick (local.get $n)))
        (i64.add (local.get $t)
          (i64.add (call $rec (i32.sub (local.get $n) (i32.const 1)))
                   (i64.load32_u (i32.mul (local.get $n) (i32.const 4))))))))
  (func (export "run") (param $n i32) (result i64)
    (drop (memory.grow (i32.const 1)))
    (i32.store (i32.const 70000) (i32.const 99))
    (table.set 0 (i32.const 1) (ref.func $rec))
    (data.drop $d)
    (call $rec (local.get $n)))
  (func (export "init_d") (memory.init $d (i32.const 0) (i32.const 0) (i32.const 1))))
)";

struct Setup {
  Store store;
  Ticker ticker;
  InstanceId inst = 0;
};

std::unique_ptr<Setup> Build(int suspend_at) {
  auto s = std::make_unique<Setup>();
  s->ticker.suspend_at = suspend_at;
  auto m = CompileWat(kGuest);
  EXPECT_TRUE(m.ok()) << m.status().ToString();
  Linker linker;
  linker.Define("env", "tick",
                s->store.AddHostFunc({{ValType::kI32}, {ValType::kI32}}, Tick, &s->ticker, "tick"));
  auto inst = linker.Instantiate(s->store, *m);
  EXPECT_TRUE(inst.ok()) << inst.status().ToString();
  s->inst = *inst;
  return s;
}

Outcome RunGuest(Setup& s, std::vector<Value>* results) {
  Value args[] = {Value::I32(6)};
  return s.store.Call(*s.store.GetExport(s.inst, "run"), args, results);
}

TEST(StateTest, SuspendedCallResumesInAnotherStore) {
  auto plain = Build(0);
  std::vector<Value> expected;
  ASSERT_EQ(RunGuest(*plain, &expected), Outcome::kReturned) << plain->store.trap().ToString();

  auto first = Build(4);
  std::vector<Value> results;
  ASSERT_EQ(RunGuest(*first, &results), Outcome::kSuspended) << first->store.trap().ToString();
  auto bytes = first->store.SaveState();
  ASSERT_TRUE(bytes.ok()) << bytes.status().ToString();

  auto second = Build(0);
  ASSERT_TRUE(second->store.RestoreState(*bytes).ok());
  EXPECT_TRUE(second->store.suspended());
  Value host_result[] = {Value::I32(first->ticker.pending * 7 + 1)};
  ASSERT_EQ(second->store.Resume(host_result, &results), Outcome::kReturned)
      << second->store.trap().ToString();
  EXPECT_EQ(results, expected);

  Store& a = plain->store;
  Store& b = second->store;
  Extern mem_a = *a.GetExport(plain->inst, "mem"), mem_b = *b.GetExport(second->inst, "mem");
  ASSERT_EQ(a.MemoryPages(mem_a), 3u);
  ASSERT_EQ(b.MemoryPages(mem_b), 3u);
  EXPECT_TRUE(std::ranges::equal(a.MemoryData(mem_a), b.MemoryData(mem_b)));
  EXPECT_EQ(a.GetGlobal(*a.GetExport(plain->inst, "count")),
            b.GetGlobal(*b.GetExport(second->inst, "count")));
  EXPECT_EQ(*a.TableGet(*a.GetExport(plain->inst, "tab"), 1),
            *b.TableGet(*b.GetExport(second->inst, "tab"), 1));
  // The dropped passive segment stays dropped.
  std::vector<Value> none;
  EXPECT_EQ(b.Call(*b.GetExport(second->inst, "init_d"), {}, &none), Outcome::kTrapped);
}

TEST(StateTest, OnlyOneCallAtATime) {
  auto s = Build(2);
  std::vector<Value> results;
  EXPECT_EQ(s->store.Resume({}, &results), Outcome::kTrapped);
  EXPECT_EQ(s->store.trap().message, "resume: no call is suspended");
  ASSERT_EQ(RunGuest(*s, &results), Outcome::kSuspended) << s->store.trap().ToString();
  EXPECT_EQ(RunGuest(*s, &results), Outcome::kTrapped);
  EXPECT_EQ(s->store.trap().kind, TrapKind::kHost);
  EXPECT_TRUE(s->store.suspended());
  // Resuming in the same store, without saving, finishes the first call.
  Value host_result[] = {Value::I32(s->ticker.pending * 7 + 1)};
  ASSERT_EQ(s->store.Resume(host_result, &results), Outcome::kReturned)
      << s->store.trap().ToString();
  auto plain = Build(0);
  std::vector<Value> expected;
  ASSERT_EQ(RunGuest(*plain, &expected), Outcome::kReturned);
  EXPECT_EQ(results, expected);
}

TEST(StateTest, IdleStoreRoundTrip) {
  auto first = Build(0);
  std::vector<Value> results;
  ASSERT_EQ(RunGuest(*first, &results), Outcome::kReturned) << first->store.trap().ToString();
  auto bytes = first->store.SaveState();
  ASSERT_TRUE(bytes.ok());
  auto second = Build(0);
  ASSERT_TRUE(second->store.RestoreState(*bytes).ok());
  EXPECT_FALSE(second->store.suspended());
  Extern mem = *second->store.GetExport(second->inst, "mem");
  EXPECT_EQ(second->store.MemoryPages(mem), 3u);
  EXPECT_EQ(second->store.MemoryData(mem)[70000], 99);
}

TEST(StateTest, ZeroPagesAreNotStored) {
  auto s = Build(0);
  auto bytes = s->store.SaveState();
  ASSERT_TRUE(bytes.ok());
  // Two empty pages of memory cost nothing.
  EXPECT_LT(bytes->size(), 65536u);
}

TEST(StateTest, CorruptionIsDetected) {
  auto s = Build(0);
  auto saved = s->store.SaveState();
  ASSERT_TRUE(saved.ok());
  const std::vector<u8>& good = *saved;

  std::vector<u8> flipped = good;
  flipped[good.size() - 1] ^= 0x40;
  EXPECT_EQ(s->store.RestoreState(flipped).code(), Status::Code::kCorruption);

  std::vector<u8> truncated(good.begin(), good.end() - 3);
  EXPECT_EQ(s->store.RestoreState(truncated).code(), Status::Code::kCorruption);

  std::vector<u8> bad_magic = good;
  bad_magic[0] = 'X';
  EXPECT_EQ(s->store.RestoreState(bad_magic).code(), Status::Code::kCorruption);

  EXPECT_EQ(s->store.RestoreState({}).code(), Status::Code::kCorruption);

  std::vector<u8> new_version = good;
  new_version[8] = 99;
  EXPECT_EQ(s->store.RestoreState(new_version).code(), Status::Code::kInvalidArgument);

  EXPECT_TRUE(s->store.RestoreState(good).ok());
}

// A payload cut short anywhere, even with a header and checksum that match
// it, is refused without crashing.
TEST(StateTest, EveryTruncationIsRefused) {
  auto s = Build(3);
  std::vector<Value> results;
  ASSERT_EQ(RunGuest(*s, &results), Outcome::kSuspended) << s->store.trap().ToString();
  auto saved = s->store.SaveState();
  ASSERT_TRUE(saved.ok());
  std::span<const u8> payload = std::span<const u8>(*saved).subspan(engine::kStateHeaderSize);
  auto target = Build(0);
  // Every cut in the shape and in the tail (thread state), a sample of the
  // memory pages in between: checksumming each prefix makes this quadratic.
  auto next = [&](size_t len) {
    bool dense = len < 512 || len + 1024 >= payload.size();
    return dense ? len + 1 : std::min(len + 4093, payload.size() - 1024);
  };
  for (size_t len = 0; len < payload.size(); len = next(len)) {
    std::vector<u8> bytes;
    engine::StateWriter w(&bytes);
    w.Bytes({reinterpret_cast<const u8*>(engine::kStateMagic), sizeof engine::kStateMagic});
    w.U32(engine::kStateVersion);
    w.U64(len);
    w.U32(engine::Crc32(payload.first(len)));
    w.Bytes(payload.first(len));
    ASSERT_FALSE(target->store.RestoreState(bytes).ok()) << "length " << len;
  }
  EXPECT_TRUE(target->store.RestoreState(*saved).ok());
  EXPECT_TRUE(target->store.suspended());
}

TEST(StateTest, StateOfAnotherStoreIsRefused) {
  auto s = Build(0);
  auto bytes = s->store.SaveState();
  ASSERT_TRUE(bytes.ok());
  Store other;
  Status st = other.RestoreState(*bytes);
  EXPECT_EQ(st.code(), Status::Code::kInvalidArgument) << st.ToString();
}

}  // namespace
}  // namespace deja
