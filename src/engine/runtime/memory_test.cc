#include <gtest/gtest.h>

#include "engine/runtime/objects.h"
#include "engine/runtime/test_util.h"

namespace deja {
namespace {

using engine::testing::CompileWat;
using engine::kWasmPageSize;
using engine::LimitsMatch;
using engine::MemoryInst;
using engine::NewMemory;
using engine::ResetMemory;

TEST(MemoryTest, GrowCommitsPagesWithoutMovingBase) {
  auto mem = NewMemory({{1, 10}}, StoreLimits{});
  ASSERT_TRUE(mem.ok()) << mem.status().ToString();
  MemoryInst& m = **mem;
  u8* base = m.base;
  m.base[0] = 1;
  EXPECT_EQ(m.Grow(2), 1);
  EXPECT_EQ(m.base, base);
  EXPECT_EQ(m.size, 3 * kWasmPageSize);
  m.base[3 * kWasmPageSize - 1] = 2;  // the new pages are writable
  EXPECT_EQ(m.base[0], 1);
  EXPECT_EQ(m.Grow(0), 3);
  EXPECT_EQ(m.Grow(8), -1);  // 11 > max 10
  EXPECT_EQ(m.Grow(7), 3);
  EXPECT_EQ(m.Grow(1), -1);
}

TEST(MemoryTest, StoreLimitCapsTheMaximum) {
  StoreLimits limits;
  limits.max_memory_pages = 4;
  auto mem = NewMemory({{1, std::nullopt}}, limits);
  ASSERT_TRUE(mem.ok());
  EXPECT_EQ((*mem)->max_pages, 4u);
  EXPECT_EQ((*mem)->Grow(3), 1);
  EXPECT_EQ((*mem)->Grow(1), -1);
  EXPECT_EQ((*mem)->Grow(UINT64_MAX), -1);
}

TEST(MemoryTest, MinimumAboveTheLimitIsRefused) {
  StoreLimits limits;
  limits.max_memory_pages = 4;
  Store store(limits);
  auto mem = store.AddMemory({{5, std::nullopt}});
  ASSERT_FALSE(mem.ok());
  EXPECT_EQ(mem.status().code(), Status::Code::kResourceExhausted);

  auto m = CompileWat("(module (memory 5))");
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  auto inst = store.Instantiate(*m, {});
  ASSERT_FALSE(inst.ok());
  EXPECT_EQ(inst.status().code(), Status::Code::kUninstantiable);
}

TEST(MemoryTest, ResetMemoryZeroesAndResizes) {
  auto mem = NewMemory({{2, 8}}, StoreLimits{});
  ASSERT_TRUE(mem.ok());
  MemoryInst& m = **mem;
  m.base[5] = 9;
  m.base[kWasmPageSize + 5] = 9;
  ASSERT_TRUE(ResetMemory(&m, 1).ok());
  EXPECT_EQ(m.size, kWasmPageSize);
  EXPECT_EQ(m.base[5], 0);
  ASSERT_TRUE(ResetMemory(&m, 3).ok());
  EXPECT_EQ(m.size, 3 * kWasmPageSize);
  EXPECT_EQ(m.base[kWasmPageSize + 5], 0);
  EXPECT_FALSE(ResetMemory(&m, 9).ok());
}

// memory.grow in the guest: past the store limit, and by a huge delta.
TEST(MemoryTest, GuestMemoryGrowFailsPastLimits) {
  StoreLimits limits;
  limits.max_memory_pages = 3;
  Store store(limits);
  auto m = CompileWat(R"((module (memory 1)
    (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))))");
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  auto inst = store.Instantiate(*m, {});
  ASSERT_TRUE(inst.ok()) << inst.status().ToString();
  Extern grow = *store.GetExport(*inst, "grow");
  auto call = [&](uint32_t delta) {
    std::vector<Value> results;
    Value args[] = {Value::I32(delta)};
    EXPECT_EQ(store.Call(grow, args, &results), Outcome::kReturned) << store.trap().ToString();
    return results.empty() ? 0u : results[0].i32();
  };
  EXPECT_EQ(call(0xffffffffu), 0xffffffffu);
  EXPECT_EQ(call(0x10000u), 0xffffffffu);
  EXPECT_EQ(call(3), 0xffffffffu);
  EXPECT_EQ(call(2), 1u);
  EXPECT_EQ(call(1), 0xffffffffu);
  EXPECT_EQ(call(0), 3u);
}

TEST(MemoryTest, TableMinimumAboveTheLimitIsRefused) {
  StoreLimits limits;
  limits.max_table_elements = 100;
  Store store(limits);
  auto t = store.AddTable({ValType::kFuncRef, {101, std::nullopt}},
                          Value::NullRef(ValType::kFuncRef));
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().code(), Status::Code::kResourceExhausted);
  auto ok = store.AddTable({ValType::kFuncRef, {100, std::nullopt}},
                           Value::NullRef(ValType::kFuncRef));
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(store.impl().tables[ok->addr]->max, 100u);
}

TEST(MemoryTest, LimitsMatchFollowsSubtyping) {
  EXPECT_TRUE(LimitsMatch({2, 5}, {1, 6}));
  EXPECT_TRUE(LimitsMatch({2, std::nullopt}, {1, std::nullopt}));
  EXPECT_FALSE(LimitsMatch({0, 5}, {1, 6}));
  EXPECT_FALSE(LimitsMatch({2, std::nullopt}, {1, 6}));
  EXPECT_FALSE(LimitsMatch({2, 7}, {1, 6}));
}

}  // namespace
}  // namespace deja
