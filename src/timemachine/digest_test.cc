// Store::StateDigest (src/engine/runtime/digest.cc): what replay compares.
#include <gtest/gtest.h>

#include "deja/deja.h"
#include "text/wat.h"

namespace deja {
namespace {

constexpr const char* kWat = R"((module
  (memory (export "mem") 2)
  (global $g (export "g") (mut i64) (i64.const 5))
  (table (export "t") 3 funcref)
  (func $f (export "f") (param i32)
    (i32.store8 (i32.const 100) (local.get 0))
    (global.set $g (i64.extend_i32_u (local.get 0))))
  (elem (i32.const 1) $f)))";

struct Instance {
  Store store;
  InstanceId id = 0;
};

void Instantiate(Instance* in) {
  auto bytes = text::WatToWasm(kWat);
  ASSERT_TRUE(bytes.ok()) << bytes.status().ToString();
  auto module = Module::Compile(*bytes);
  ASSERT_TRUE(module.ok()) << module.status().ToString();
  auto id = in->store.Instantiate(*module, {});
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  in->id = *id;
}

void CallF(Instance& in, u32 arg) {
  std::vector<Value> results;
  auto f = in.store.GetExport(in.id, "f");
  ASSERT_TRUE(f.has_value());
  Value v = Value::I32(arg);
  ASSERT_EQ(in.store.Call(*f, {&v, 1}, &results), Outcome::kReturned);
}

TEST(StateDigest, EqualForIdenticalRuns) {
  Instance a, b;
  Instantiate(&a);
  Instantiate(&b);
  std::string d = a.store.StateDigest();
  EXPECT_EQ(d.size(), 32u);
  EXPECT_EQ(d.find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_EQ(d, b.store.StateDigest());
  CallF(a, 7);
  CallF(b, 7);
  EXPECT_EQ(a.store.StateDigest(), b.store.StateDigest());
  EXPECT_NE(a.store.StateDigest(), d);
  EXPECT_EQ(Store().StateDigest(), Store().StateDigest());
}

TEST(StateDigest, SeesOneByteOfMemory) {
  Instance a, b;
  Instantiate(&a);
  Instantiate(&b);
  auto mem = b.store.GetExport(b.id, "mem");
  ASSERT_TRUE(mem.has_value());
  b.store.MemoryData(*mem)[65536 + 1234] = 1;
  EXPECT_NE(a.store.StateDigest(), b.store.StateDigest());
  b.store.MemoryData(*mem)[65536 + 1234] = 0;
  EXPECT_EQ(a.store.StateDigest(), b.store.StateDigest());
}

TEST(StateDigest, SeesGlobalsTablesAndSize) {
  Instance a, b;
  Instantiate(&a);
  Instantiate(&b);
  auto g = b.store.GetExport(b.id, "g");
  ASSERT_TRUE(g.has_value());
  ASSERT_TRUE(b.store.SetGlobal(*g, Value::I64(6)).ok());
  EXPECT_NE(a.store.StateDigest(), b.store.StateDigest());
  ASSERT_TRUE(b.store.SetGlobal(*g, Value::I64(5)).ok());
  EXPECT_EQ(a.store.StateDigest(), b.store.StateDigest());

  // Growing memory by a zero page changes the digest.
  auto added = b.store.AddMemory(MemoryType{Limits{0, std::nullopt}});
  ASSERT_TRUE(added.ok());
  EXPECT_NE(a.store.StateDigest(), b.store.StateDigest());
}

}  // namespace
}  // namespace deja
