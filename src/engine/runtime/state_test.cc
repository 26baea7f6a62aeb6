#include <gtest/gtest.h>

#include <algorithm>

#include "engine/runtime/pages.h"
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
    std::vector<u8> bytes = engine::StateHeader(engine::kStateVersion, payload.first(len));
    bytes.insert(bytes.end(), payload.begin(), payload.begin() + static_cast<std::ptrdiff_t>(len));
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

// Sparse memory: only pages holding a non-zero byte are stored.
constexpr std::string_view kPagesGuest = R"((module
  (memory (export "mem") 1 300)
  (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
  (func (export "poke") (param i32 i32) (i32.store8 (local.get 0) (local.get 1))))
)";
constexpr u32 kPagesGuestFuncs = 2;
constexpr u64 kPage = 65536;

struct Pages {
  Store store;
  std::vector<InstanceId> insts;

  void Call(size_t inst, const char* name, std::vector<Value> args) {
    std::vector<Value> results;
    ASSERT_EQ(store.Call(*store.GetExport(insts[inst], name), args, &results), Outcome::kReturned)
        << store.trap().ToString();
  }
  std::span<uint8_t> Memory(size_t inst) {
    return store.MemoryData(*store.GetExport(insts[inst], "mem"));
  }
};

// `instances` instances of kPagesGuest, each with its own memory.
std::unique_ptr<Pages> BuildPages(size_t instances) {
  auto p = std::make_unique<Pages>();
  auto m = CompileWat(kPagesGuest);
  EXPECT_TRUE(m.ok()) << m.status().ToString();
  for (size_t i = 0; i < instances; ++i) p->insts.push_back(*p->store.Instantiate(*m, {}));
  return p;
}

// Where memory `index`'s part of a kPagesGuest store's payload starts.
size_t MemoryPart(size_t instances, size_t index, u32 stored_before) {
  size_t shape = 5 * 4 + instances * (kPagesGuestFuncs * 5 + 8);
  return engine::kStateHeaderSize + shape + index * 12 + stored_before * (4 + kPage);
}

u32 LoadU32(const std::vector<u8>& b, size_t at) {
  return b[at] | b[at + 1] << 8 | b[at + 2] << 16 | static_cast<u32>(b[at + 3]) << 24;
}

void StoreU32(std::vector<u8>* b, size_t at, u32 v) {
  for (int i = 0; i < 4; ++i) (*b)[at + i] = static_cast<u8>(v >> (8 * i));
}

std::vector<u8> Reseal(const std::vector<u8>& state) {
  std::span<const u8> payload = std::span(state).subspan(engine::kStateHeaderSize);
  std::vector<u8> out = engine::StateHeader(engine::kStateVersion, payload);
  out.insert(out.end(), payload.begin(), payload.end());
  return out;
}

TEST(StateTest, SparsePagesRoundTrip) {
  auto s = BuildPages(2);
  // Memory 0 grows after start; a page far out is written, one near the
  // start is written and zeroed again; memory 1 has its first page written.
  s->Call(0, "grow", {Value::I32(260)});
  s->Call(0, "poke", {Value::I32(250 * kPage + 123), Value::I32(7)});
  s->Call(0, "poke", {Value::I32(3 * kPage + 9), Value::I32(5)});
  s->Call(0, "poke", {Value::I32(3 * kPage + 9), Value::I32(0)});
  s->Call(1, "poke", {Value::I32(kPage - 1), Value::I32(1)});
  for (size_t i = 0; i < 2; ++i) {
    std::span<uint8_t> mem = s->Memory(i);
    EXPECT_EQ(engine::NonZeroPages(mem.data(), mem.size() / kPage),
              engine::NonZeroPagesByScan(mem.data(), mem.size() / kPage));
  }
  EXPECT_EQ(engine::NonZeroPages(s->Memory(0).data(), 261), std::vector<u32>{250});

  auto saved = s->store.SaveState();
  ASSERT_TRUE(saved.ok()) << saved.status().ToString();
  // Two stored pages (one per memory) of the 262 there are.
  EXPECT_GT(saved->size(), 2 * kPage);
  EXPECT_LT(saved->size(), 3 * kPage);
  EXPECT_EQ(LoadU32(*saved, MemoryPart(2, 0, 0) + 8), 1u);
  EXPECT_EQ(LoadU32(*saved, MemoryPart(2, 0, 0) + 12), 250u);

  // The target's own data in pages the state does not store is gone after.
  auto t = BuildPages(2);
  t->Call(0, "poke", {Value::I32(100), Value::I32(42)});
  ASSERT_TRUE(t->store.RestoreState(*saved).ok());
  for (size_t i = 0; i < 2; ++i) {
    ASSERT_EQ(t->Memory(i).size(), s->Memory(i).size());
    EXPECT_TRUE(std::ranges::equal(t->Memory(i), s->Memory(i))) << "memory " << i;
  }
  EXPECT_EQ(t->Memory(0)[250 * kPage + 123], 7);
  EXPECT_EQ(t->Memory(0)[100], 0);
  // Its memory can grow on from the restored size.
  t->Call(0, "grow", {Value::I32(1)});
  EXPECT_EQ(t->Memory(0).size(), 262 * kPage);
}

TEST(StateTest, BadPageIndexOrCountIsRefused) {
  auto s = BuildPages(1);
  s->Call(0, "grow", {Value::I32(9)});
  s->Call(0, "poke", {Value::I32(2 * kPage), Value::I32(1)});
  s->Call(0, "poke", {Value::I32(6 * kPage), Value::I32(1)});
  auto saved = s->store.SaveState();
  ASSERT_TRUE(saved.ok());
  const size_t count_at = MemoryPart(1, 0, 0) + 8;
  const size_t first_at = count_at + 4, second_at = MemoryPart(1, 0, 1) + 12;
  ASSERT_EQ(LoadU32(*saved, count_at), 2u);
  ASSERT_EQ(LoadU32(*saved, first_at), 2u);
  ASSERT_EQ(LoadU32(*saved, second_at), 6u);
  auto t = BuildPages(1);
  auto refused = [&](size_t at, u32 value) {
    std::vector<u8> bad = *saved;
    StoreU32(&bad, at, value);
    return t->store.RestoreState(Reseal(bad)).code() == Status::Code::kCorruption;
  };
  EXPECT_TRUE(refused(first_at, 10));  // past the memory's 10 pages
  EXPECT_TRUE(refused(second_at, 2));  // the same page twice
  EXPECT_TRUE(refused(second_at, 1));  // out of order
  EXPECT_TRUE(refused(count_at, 3));   // more pages than stored
  EXPECT_TRUE(refused(count_at, 11));  // more pages than the memory has
  EXPECT_TRUE(refused(count_at, 1));   // fewer: the rest misparses
  EXPECT_TRUE(refused(count_at, UINT32_MAX));
  // A sound state still restores, and nothing of the refused ones stuck.
  ASSERT_TRUE(t->store.RestoreState(*saved).ok());
  EXPECT_TRUE(std::ranges::equal(t->Memory(0), s->Memory(0)));
}

TEST(StateTest, OlderVersionsAreRead) {
  auto s = BuildPages(1);
  s->Call(0, "poke", {Value::I32(5), Value::I32(5)});
  auto saved = s->store.SaveState();
  ASSERT_TRUE(saved.ok());
  std::span<const u8> payload = std::span<const u8>(*saved).subspan(engine::kStateHeaderSize);
  // Version 2: the same payload behind a CRC-32.
  std::vector<u8> v2 = engine::StateHeader(2, payload);
  ASSERT_EQ(v2.size(), engine::StateHeaderSize(2));
  v2.insert(v2.end(), payload.begin(), payload.end());
  auto t = BuildPages(1);
  ASSERT_TRUE(t->store.RestoreState(v2).ok());
  EXPECT_EQ(t->Memory(0)[5], 5);
  v2[engine::StateHeaderSize(2) - 1] ^= 1;
  EXPECT_EQ(t->store.RestoreState(v2).code(), Status::Code::kCorruption);
}

}  // namespace
}  // namespace deja
