// A host call suspended where its result feeds a fused compare-and-branch
// (`call; i32.eqz; br_if`, `call; i32.lt_s; br_if`): the compiler takes the
// compare back into the branch, and the call's resume point must survive
// that, or the suspended state cannot be saved (found by the durable guest
// API: `if (deja_raw_wait_signal(...) != 0) return` compiles to this).
#include <gtest/gtest.h>

#include "engine/runtime/test_util.h"

namespace deja {
namespace {

using engine::testing::CompileWat;

struct Host {
  int calls = 0;
  int suspend_at = 0;
};

// Returns 0 the first three times, then 1; suspends on call `suspend_at`.
HostAction Poll(HostCall& call, std::span<uint64_t> slots) {
  auto* h = static_cast<Host*>(call.data());
  ++h->calls;
  if (h->calls == h->suspend_at) return call.Suspend();
  slots[0] = h->calls > 3 ? 1 : 0;
  return HostAction::kContinue;
}

constexpr std::string_view kGuest = R"((module
  (import "env" "poll" (func $poll (result i32)))
  (func (export "eqz") (result i32) (local $n i32)
    (loop $again
      (local.set $n (i32.add (local.get $n) (i32.const 1)))
      (br_if $again (i32.eqz (call $poll))))
    (local.get $n))
  (func (export "lt") (result i32) (local $n i32)
    (loop $again
      (local.set $n (i32.add (local.get $n) (i32.const 10)))
      (br_if $again (i32.lt_s (call $poll) (i32.const 1))))
    (local.get $n)))
)";

struct Setup {
  Store store;
  Host host;
  InstanceId inst = 0;
};

std::unique_ptr<Setup> Build(int suspend_at) {
  auto s = std::make_unique<Setup>();
  s->host.suspend_at = suspend_at;
  auto m = CompileWat(kGuest);
  EXPECT_TRUE(m.ok()) << m.status().ToString();
  Linker linker;
  linker.Define("env", "poll", s->store.AddHostFunc({{}, {ValType::kI32}}, Poll, &s->host, "poll"));
  auto inst = linker.Instantiate(s->store, *m);
  EXPECT_TRUE(inst.ok()) << inst.status().ToString();
  s->inst = *inst;
  return s;
}

class SuspendFusedTest : public ::testing::TestWithParam<const char*> {};

TEST_P(SuspendFusedTest, ASuspendedCallFeedingAFusedBranchSavesAndResumes) {
  auto first = Build(2);
  std::vector<Value> results;
  ASSERT_EQ(first->store.Call(*first->store.GetExport(first->inst, GetParam()), {}, &results),
            Outcome::kSuspended);
  auto bytes = first->store.SaveState();
  ASSERT_TRUE(bytes.ok()) << bytes.status().ToString();

  auto second = Build(0);
  second->host.calls = 2;  // the world as the first store left it
  ASSERT_TRUE(second->store.RestoreState(*bytes).ok());
  Value zero[] = {Value::I32(0)};  // the suspended poll returns 0: loop again
  ASSERT_EQ(second->store.Resume(zero, &results), Outcome::kReturned)
      << second->store.trap().ToString();
  u32 step = std::string_view(GetParam()) == "eqz" ? 1 : 10;
  EXPECT_EQ(results[0].i32(), 4 * step) << "polls 1-3 give 0, poll 4 gives 1";
}

INSTANTIATE_TEST_SUITE_P(Fusions, SuspendFusedTest, ::testing::Values("eqz", "lt"));

}  // namespace
}  // namespace deja
