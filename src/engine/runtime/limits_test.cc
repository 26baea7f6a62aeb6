// StoreLimits on tables and object counts (issue 13, item 4): table elements
// take memory outside --max-memory, so they have caps of their own.
#include <gtest/gtest.h>

#include <string>

#include "engine/runtime/test_util.h"

namespace deja {
namespace {

using engine::testing::CompileWat;

std::string Tables(int n, const std::string& decl) {
  std::string wat = "(module";
  for (int i = 0; i < n; ++i) wat += " (table " + decl + " funcref)";
  return wat + ")";
}

Result<InstanceId> Instantiate(Store& store, std::string_view wat) {
  auto m = CompileWat(wat);
  EXPECT_TRUE(m.ok()) << m.status().ToString();
  return store.Instantiate(*m, {});
}

void ExpectRefused(const Result<InstanceId>& r, const std::string& text) {
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Status::Code::kUninstantiable) << r.status().ToString();
  EXPECT_NE(r.status().message().find(text), std::string::npos) << r.status().ToString();
}

TEST(LimitsTest, SixteenHugeTablesAreRefusedByDefault) {
  // The issue's module: 16 tables of 10 M elements took 1.25 GB.
  Store store;
  ExpectRefused(Instantiate(store, Tables(16, "10000000")),
                "table 0: a table of 10000000 elements is more than the per-table limit of "
                "1000000 elements (StoreLimits::max_table_elements)");
  // Within the per-table limit, the total stops it: 4 of 1 M fit, not 5.
  ExpectRefused(Instantiate(store, Tables(5, "1000000")),
                "table 4: a table of 1000000 elements is more than the 0 left of the store's "
                "table elements (StoreLimits::max_total_table_elements 4000000)");
  // The refused instantiations gave their elements back.
  EXPECT_TRUE(Instantiate(store, Tables(4, "1000000")).ok());
}

TEST(LimitsTest, TableGrowStopsAtTheStoreTotal) {
  StoreLimits limits;
  limits.max_table_elements = 100;
  limits.max_total_table_elements = 150;
  Store store(limits);
  auto inst = Instantiate(store, R"((module
    (table $a (export "a") 10 funcref)
    (table $b (export "b") 10 funcref)
    (func (export "grow_a") (param i32) (result i32) (table.grow $a (ref.null func) (local.get 0)))
    (func (export "grow_b") (param i32) (result i32) (table.grow $b (ref.null func) (local.get 0)))))");
  ASSERT_TRUE(inst.ok()) << inst.status().ToString();
  auto grow = [&](const char* name, uint32_t n) {
    std::vector<Value> results;
    EXPECT_EQ(store.Call(*store.GetExport(*inst, name), {{Value::I32(n)}}, &results),
              Outcome::kReturned);
    return static_cast<int32_t>(results.at(0).i32());
  };
  EXPECT_EQ(grow("grow_a", 91), -1);  // past the per-table 100
  EXPECT_EQ(grow("grow_a", 90), 10);  // a: 100, b: 10
  EXPECT_EQ(grow("grow_b", 41), -1);  // 151 in all
  EXPECT_EQ(grow("grow_b", 40), 10);  // 150 in all
  EXPECT_EQ(grow("grow_b", 1), -1);
  EXPECT_EQ(store.TableSize(*store.GetExport(*inst, "b")), 50u);
  // A table made by the embedder counts too.
  auto t = store.AddTable({ValType::kFuncRef, {1, std::nullopt}}, Value::NullRef(ValType::kFuncRef));
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.status().message().find("max_total_table_elements"), std::string::npos);
}

TEST(LimitsTest, ObjectCountsAreCapped) {
  StoreLimits limits;
  limits.max_tables = 2;
  limits.max_memories = 1;
  limits.max_instances = 3;
  Store store(limits);
  ExpectRefused(Instantiate(store, Tables(3, "1")),
                "the store would hold 3 tables (max_tables in StoreLimits is 2)");
  ASSERT_TRUE(Instantiate(store, "(module (memory 1))").ok());
  ExpectRefused(Instantiate(store, "(module (memory 1))"),
                "the store would hold 2 memories (max_memories in StoreLimits is 1)");
  EXPECT_FALSE(store.AddMemory({{1, std::nullopt}}).ok());
  ASSERT_TRUE(Instantiate(store, Tables(2, "1")).ok());
  EXPECT_FALSE(store.AddTable({ValType::kFuncRef, {0, std::nullopt}},
                              Value::NullRef(ValType::kFuncRef))
                   .ok());
  ASSERT_TRUE(Instantiate(store, "(module)").ok());
  ExpectRefused(Instantiate(store, "(module)"),
                "the store would hold 4 instances (max_instances in StoreLimits is 3)");
}

TEST(LimitsTest, RestoredTablesCountAgainstTheTotal) {
  constexpr std::string_view kWat = R"((module
    (table $a (export "a") 1 funcref)
    (func (export "grow") (param i32) (result i32) (table.grow $a (ref.null func) (local.get 0)))))";
  Store big;
  auto inst = Instantiate(big, kWat);
  ASSERT_TRUE(inst.ok());
  std::vector<Value> results;
  ASSERT_EQ(big.Call(*big.GetExport(*inst, "grow"), {{Value::I32(199)}}, &results),
            Outcome::kReturned);
  auto saved = big.SaveState();
  ASSERT_TRUE(saved.ok());

  StoreLimits limits;
  limits.max_total_table_elements = 150;
  Store small(limits);
  ASSERT_TRUE(Instantiate(small, kWat).ok());
  Status s = small.RestoreState(*saved);
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument) << s.ToString();
  EXPECT_NE(s.message().find("max_total_table_elements"), std::string::npos) << s.ToString();

  limits.max_total_table_elements = 200;
  Store fits(limits);
  ASSERT_TRUE(Instantiate(fits, kWat).ok());
  ASSERT_TRUE(fits.RestoreState(*saved).ok());
  // The restored 200 elements are the whole budget: nothing more grows.
  auto finst = 0u;
  ASSERT_EQ(fits.Call(*fits.GetExport(finst, "grow"), {{Value::I32(1)}}, &results),
            Outcome::kReturned);
  EXPECT_EQ(static_cast<int32_t>(results.at(0).i32()), -1);
}

}  // namespace
}  // namespace deja
