#include <gtest/gtest.h>

#include "deja/memory.h"
#include "engine/runtime/test_util.h"

namespace deja {
namespace {

using engine::testing::CompileWat;

TEST(MemoryViewTest, ScalarsAreLittleEndianAtAnyAlignment) {
  std::vector<uint8_t> bytes(16, 0);
  MemoryView mem(bytes);
  ASSERT_TRUE(mem.Write<uint32_t>(1, 0x11223344).ok());
  EXPECT_EQ(bytes[1], 0x44);
  EXPECT_EQ(bytes[4], 0x11);
  EXPECT_EQ(*mem.Read<uint32_t>(1), 0x11223344u);
  EXPECT_EQ(*mem.Read<uint16_t>(2), 0x2233u);
  ASSERT_TRUE(mem.Write<int64_t>(8, -2).ok());
  EXPECT_EQ(*mem.Read<int64_t>(8), -2);
  ASSERT_TRUE(mem.Write<double>(8, 1.5).ok());
  EXPECT_EQ(*mem.Read<double>(8), 1.5);
  ASSERT_TRUE(mem.Write<float>(12, -0.25f).ok());
  EXPECT_EQ(*mem.Read<float>(12), -0.25f);
}

TEST(MemoryViewTest, OutOfBoundsIsAnErrorNamingAddressAndSizeAndChangesNothing) {
  std::vector<uint8_t> bytes(16, 7);
  MemoryView mem(bytes);
  Result<uint32_t> r = mem.Read<uint32_t>(13);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(r.status().message(),
            "out of bounds memory access: 4 bytes at guest address 0xd (memory is 16 bytes)");
  EXPECT_FALSE(mem.Write<uint64_t>(9, 0).ok());
  EXPECT_EQ(bytes, std::vector<uint8_t>(16, 7));
  // Address + length overflowing 64 bits is out of bounds, not wrapped.
  EXPECT_FALSE(mem.Bytes(UINT64_MAX, 2).ok());
  EXPECT_FALSE(mem.Read<uint8_t>(UINT64_MAX).ok());
  EXPECT_FALSE(mem.String(8, UINT64_MAX - 4).ok());
  uint8_t two[2] = {1, 2};
  EXPECT_FALSE(mem.WriteBytes(15, two).ok());
  EXPECT_TRUE(mem.WriteBytes(14, two).ok());
  EXPECT_TRUE(mem.Bytes(16, 0).ok());  // an empty span at the end is in bounds
  EXPECT_FALSE(mem.Bytes(17, 0).ok());
  EXPECT_FALSE(MemoryView().Read<uint8_t>(0).ok());
}

TEST(MemoryViewTest, StringsAndCStrings) {
  std::vector<uint8_t> bytes(16, 'x');
  MemoryView mem(bytes);
  ASSERT_TRUE(mem.WriteString(2, std::string_view("hi\0", 3)).ok());
  EXPECT_EQ(*mem.String(2, 2), "hi");
  EXPECT_EQ(*mem.CString(2), "hi");
  EXPECT_EQ(*mem.CString(4), "");
  // No NUL before the end of memory, or within max_len.
  Result<std::string_view> unterminated = mem.CString(5);
  ASSERT_FALSE(unterminated.ok());
  EXPECT_NE(unterminated.status().message().find("unterminated string at guest address 0x5"),
            std::string_view::npos);
  EXPECT_FALSE(mem.CString(2, 2).ok());
  EXPECT_TRUE(mem.CString(2, 3).ok());
  EXPECT_FALSE(mem.CString(16).ok());
  Result<std::span<uint8_t>> span = mem.MutableBytes(0, 2);
  ASSERT_TRUE(span.ok());
  (*span)[0] = 'A';
  EXPECT_EQ(bytes[0], 'A');
}

// A host function reading its arguments through a view of the caller's memory.
HostAction SumPair(HostCall& call, std::span<uint64_t> slots) {
  MemoryView mem(call.memory());
  Result<uint32_t> a = mem.Read<uint32_t>(slots[0]);
  Result<uint32_t> b = mem.Read<uint32_t>(slots[0] + 4);
  if (!a.ok()) return call.Trap(std::string(a.status().message()));
  if (!b.ok()) return call.Trap(std::string(b.status().message()));
  slots[0] = *a + *b;
  return HostAction::kContinue;
}

TEST(MemoryViewTest, HostFunctionReadsGuestIntegersAndTrapsOutOfBounds) {
  auto m = CompileWat(R"((module (import "env" "sum" (func $sum (param i32) (result i32)))
    (memory (export "memory") 1)
    (data (i32.const 8) "\05\00\00\00\25\00\00\00")
    (func (export "sum") (param i32) (result i32) (call $sum (local.get 0)))))");
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  Store store;
  Linker linker;
  linker.Define("env", "sum", store.AddHostFunc({{ValType::kI32}, {ValType::kI32}}, SumPair,
                                                nullptr, "sum"));
  Result<InstanceId> inst = linker.Instantiate(store, *m);
  ASSERT_TRUE(inst.ok()) << inst.status().ToString();
  std::vector<Value> results;
  Value at8[] = {Value::I32(8)};
  ASSERT_EQ(store.Call(*store.GetExport(*inst, "sum"), at8, &results), Outcome::kReturned);
  EXPECT_EQ(results[0], Value::I32(42));
  Value at_end[] = {Value::I32(65532)};
  ASSERT_EQ(store.Call(*store.GetExport(*inst, "sum"), at_end, &results), Outcome::kTrapped);
  EXPECT_NE(store.trap().message.find("4 bytes at guest address 0x10000"), std::string::npos)
      << store.trap().message;
  // Outside a call: a view of an exported memory.
  MemoryView mem(store.MemoryData(*store.GetExport(*inst, "memory")));
  EXPECT_EQ(mem.size(), 65536u);
  EXPECT_EQ(*mem.Read<uint32_t>(12), 37u);
}

}  // namespace
}  // namespace deja
