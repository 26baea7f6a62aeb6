// The interpreter through the public API: arithmetic edge cases, control
// flow, calls, memory, tables and traps with backtraces.
#include <cmath>

#include "engine/exec/exec_test_util.h"

namespace deja {
namespace {

using engine::testing::Call1;
using engine::testing::CallExport;
using engine::testing::CallTrap;
using engine::testing::LoadWat;

constexpr std::string_view kArith = R"(
(module
  (func (export "div_s") (param i32 i32) (result i32) (i32.div_s (local.get 0) (local.get 1)))
  (func (export "rem_s") (param i32 i32) (result i32) (i32.rem_s (local.get 0) (local.get 1)))
  (func (export "rem_s64") (param i64 i64) (result i64) (i64.rem_s (local.get 0) (local.get 1)))
  (func (export "shl_const") (param i32) (result i32) (i32.shl (local.get 0) (i32.const 33)))
  (func (export "sub_const_first") (param i32) (result i32) (i32.sub (i32.const 10) (local.get 0)))
  (func (export "trunc") (param f32) (result i32) (i32.trunc_f32_s (local.get 0)))
  (func (export "trunc_u64") (param f64) (result i64) (i64.trunc_f64_u (local.get 0)))
  (func (export "sat") (param f64) (result i32) (i32.trunc_sat_f64_s (local.get 0)))
  (func (export "min") (param f32 f32) (result f32) (f32.min (local.get 0) (local.get 1)))
  (func (export "max") (param f64 f64) (result f64) (f64.max (local.get 0) (local.get 1)))
  (func (export "nearest") (param f64) (result f64) (f64.nearest (local.get 0)))
  (func (export "neg") (param f32) (result f32) (f32.neg (local.get 0)))
  (func (export "copysign") (param f64 f64) (result f64) (f64.copysign (local.get 0) (local.get 1)))
  (func (export "div0") (result f32) (f32.div (f32.const 0) (f32.const 0)))
  (func (export "ext8") (param i32) (result i32) (i32.extend8_s (local.get 0)))
  (func (export "u64_to_f32") (param i64) (result f32) (f32.convert_i64_u (local.get 0))))
)";

TEST(InterpTest, IntegerDivisionEdgeCases) {
  Store store;
  InstanceId inst = LoadWat(store, kArith);
  EXPECT_EQ(Call1(store, inst, "div_s", {Value::I32(7), Value::I32(-2)}), Value::I32(-3));
  EXPECT_EQ(CallTrap(store, inst, "div_s", {Value::I32(1), Value::I32(0)}).kind,
            TrapKind::kIntegerDivideByZero);
  Trap overflow = CallTrap(store, inst, "div_s", {Value::I32(0x80000000u), Value::I32(-1)});
  EXPECT_EQ(overflow.kind, TrapKind::kIntegerOverflow);
  EXPECT_EQ(overflow.message, "integer overflow");
  EXPECT_EQ(Call1(store, inst, "rem_s", {Value::I32(0x80000000u), Value::I32(-1)}), Value::I32(0));
  EXPECT_EQ(Call1(store, inst, "rem_s64", {Value::I64(1ull << 63), Value::I64(~0ull)}),
            Value::I64(0));
  EXPECT_EQ(Call1(store, inst, "rem_s", {Value::I32(-7), Value::I32(2)}), Value::I32(-1));
}

TEST(InterpTest, ConstantOperandsAndShifts) {
  Store store;
  InstanceId inst = LoadWat(store, kArith);
  EXPECT_EQ(Call1(store, inst, "shl_const", {Value::I32(1)}), Value::I32(2));
  EXPECT_EQ(Call1(store, inst, "sub_const_first", {Value::I32(3)}), Value::I32(7));
  EXPECT_EQ(Call1(store, inst, "ext8", {Value::I32(0x80)}), Value::I32(0xffffff80u));
}

TEST(InterpTest, TruncationTrapsAndSaturates) {
  Store store;
  InstanceId inst = LoadWat(store, kArith);
  EXPECT_EQ(Call1(store, inst, "trunc", {Value::F32(-2147483648.0f)}), Value::I32(0x80000000u));
  EXPECT_EQ(CallTrap(store, inst, "trunc", {Value::F32(2147483648.0f)}).kind,
            TrapKind::kIntegerOverflow);
  Trap nan = CallTrap(store, inst, "trunc", {Value::F32(NAN)});
  EXPECT_EQ(nan.kind, TrapKind::kInvalidConversion);
  EXPECT_EQ(nan.message, "invalid conversion to integer");
  EXPECT_EQ(Call1(store, inst, "trunc_u64", {Value::F64(-0.9)}), Value::I64(0));
  EXPECT_EQ(CallTrap(store, inst, "trunc_u64", {Value::F64(-1.0)}).kind,
            TrapKind::kIntegerOverflow);
  EXPECT_EQ(Call1(store, inst, "sat", {Value::F64(1e300)}), Value::I32(0x7fffffff));
  EXPECT_EQ(Call1(store, inst, "sat", {Value::F64(-1e300)}), Value::I32(0x80000000u));
  EXPECT_EQ(Call1(store, inst, "sat", {Value::F64(NAN)}), Value::I32(0));
  // 2^64 - 1 rounds to nearest: 2^64 as f32.
  EXPECT_EQ(Call1(store, inst, "u64_to_f32", {Value::I64(~0ull)}),
            Value::F32(18446744073709551616.0f));
}

TEST(InterpTest, FloatMinMaxNearestAndBitOps) {
  Store store;
  InstanceId inst = LoadWat(store, kArith);
  EXPECT_EQ(Call1(store, inst, "min", {Value::F32(0.0f), Value::F32(-0.0f)}), Value::F32(-0.0f));
  EXPECT_EQ(Call1(store, inst, "max", {Value::F64(-0.0), Value::F64(0.0)}), Value::F64(0.0));
  EXPECT_TRUE(std::isnan(Call1(store, inst, "min", {Value::F32(NAN), Value::F32(1)}).f32()));
  EXPECT_EQ(Call1(store, inst, "nearest", {Value::F64(2.5)}), Value::F64(2.0));
  EXPECT_EQ(Call1(store, inst, "nearest", {Value::F64(-3.5)}), Value::F64(-4.0));
  // neg and copysign flip bits only: a NaN payload survives.
  EXPECT_EQ(Call1(store, inst, "neg", {Value::F32Bits(0x7fa00001)}), Value::F32Bits(0xffa00001));
  EXPECT_EQ(Call1(store, inst, "copysign", {Value::F64Bits(0x7ff0000000000001), Value::F64(-1)}),
            Value::F64Bits(0xfff0000000000001));
}

TEST(InterpTest, CanonicalizeNansSelectsCanonicalVariants) {
  Store plain_store, canon_store;
  InstanceId plain = LoadWat(plain_store, kArith);
  InstanceId canon = LoadWat(canon_store, kArith, {}, CompileOptions{.canonicalize_nans = true});
  EXPECT_TRUE(std::isnan(Call1(plain_store, plain, "div0", {}).f32()));
  EXPECT_EQ(Call1(canon_store, canon, "div0", {}), Value::F32Bits(0x7fc00000));
  // Bit operations are not float arithmetic and keep their payloads.
  EXPECT_EQ(Call1(canon_store, canon, "neg", {Value::F32Bits(0x7fa00001)}),
            Value::F32Bits(0xffa00001));
}

constexpr std::string_view kControl = R"(
(module
  (func (export "classify") (param i32) (result i32)
    (block $d (block $c (block $b (block $a
      (br_table $a $b $c $d (local.get 0)))
      (return (i32.const 10)))
      (return (i32.const 11)))
      (return (i32.const 12)))
    (i32.const 13))
  (func (export "swap") (param i32 i32) (result i32 i32) (local.get 1) (local.get 0))
  (func (export "sum3") (result i32)
    (block (result i32 i32 i32) (i32.const 1) (i32.const 2) (i32.const 3))
    (i32.add) (i32.add))
  (func (export "fac") (param i64) (result i64) (local $acc i64)
    (local.set $acc (i64.const 1))
    (block $done (loop $top
      (br_if $done (i64.eqz (local.get 0)))
      (local.set $acc (i64.mul (local.get $acc) (local.get 0)))
      (local.set 0 (i64.sub (local.get 0) (i64.const 1)))
      (br $top)))
    (local.get $acc))
  (func (export "tee_order") (param i32) (result i32)
    ;; the first operand reads local 0 before local.tee changes it
    (i32.sub (local.get 0) (local.tee 0 (i32.const 5))))
  (func (export "br_value") (param i32) (result i32)
    (block (result i32) (i32.const 7) (br_if 0 (local.get 0)) (drop) (i32.const 8)))
  (func $fib (export "fib") (param i32) (result i32)
    (if (result i32) (i32.lt_u (local.get 0) (i32.const 2))
      (then (local.get 0))
      (else (i32.add (call $fib (i32.sub (local.get 0) (i32.const 1)))
                     (call $fib (i32.sub (local.get 0) (i32.const 2)))))))
  (func $down (export "down") (param i32) (result i32)
    (if (result i32) (i32.eqz (local.get 0)) (then (i32.const 0))
      (else (i32.add (i32.const 1) (call $down (i32.sub (local.get 0) (i32.const 1)))))))
  (func $forever (export "forever") (call $forever)))
)";

TEST(InterpTest, BrTableAndNestedBlocks) {
  Store store;
  InstanceId inst = LoadWat(store, kControl);
  for (u32 i = 0; i < 6; ++i) {
    EXPECT_EQ(Call1(store, inst, "classify", {Value::I32(i)}), Value::I32(i < 3 ? 10 + i : 13));
  }
}

TEST(InterpTest, MultiValueAndLocalOrder) {
  Store store;
  InstanceId inst = LoadWat(store, kControl);
  std::vector<Value> results;
  ASSERT_EQ(CallExport(store, inst, "swap", {Value::I32(1), Value::I32(2)}, &results),
            Outcome::kReturned);
  EXPECT_EQ(results, (std::vector<Value>{Value::I32(2), Value::I32(1)}));
  EXPECT_EQ(Call1(store, inst, "sum3", {}), Value::I32(6));
  EXPECT_EQ(Call1(store, inst, "tee_order", {Value::I32(12)}), Value::I32(7));
  EXPECT_EQ(Call1(store, inst, "br_value", {Value::I32(1)}), Value::I32(7));
  EXPECT_EQ(Call1(store, inst, "br_value", {Value::I32(0)}), Value::I32(8));
}

TEST(InterpTest, LoopsAndRecursion) {
  Store store;
  InstanceId inst = LoadWat(store, kControl);
  EXPECT_EQ(Call1(store, inst, "fac", {Value::I64(20)}), Value::I64(2432902008176640000ull));
  EXPECT_EQ(Call1(store, inst, "fib", {Value::I32(20)}), Value::I32(6765));
  EXPECT_EQ(Call1(store, inst, "down", {Value::I32(10000)}), Value::I32(10000));
}

TEST(InterpTest, DeepRecursionIsCallStackExhausted) {
  StoreLimits limits;
  limits.max_call_depth = 500;
  Store store(limits);
  InstanceId inst = LoadWat(store, kControl);
  EXPECT_EQ(Call1(store, inst, "down", {Value::I32(498)}), Value::I32(498));
  Trap trap = CallTrap(store, inst, "down", {Value::I32(500)});
  EXPECT_EQ(trap.kind, TrapKind::kCallStackExhausted);
  EXPECT_EQ(trap.message, "call stack exhausted");
  EXPECT_EQ(trap.backtrace.size(), 500u);
  // Unbounded recursion with the default limits: a trap, not a host crash.
  Store big;
  InstanceId inst2 = LoadWat(big, kControl);
  EXPECT_EQ(CallTrap(big, inst2, "forever", {}).kind, TrapKind::kCallStackExhausted);
  // The store is usable afterwards.
  EXPECT_EQ(Call1(big, inst2, "fib", {Value::I32(10)}), Value::I32(55));
}

TEST(InterpTest, ValueStackLimitIsCallStackExhausted) {
  StoreLimits limits;
  limits.max_stack_slots = 1000;
  Store store(limits);
  InstanceId inst = LoadWat(store, kControl);
  EXPECT_EQ(CallTrap(store, inst, "down", {Value::I32(5000)}).kind, TrapKind::kCallStackExhausted);
}

constexpr std::string_view kMemory = R"(
(module $mem
  (memory 1 3)
  (data (i32.const 16) "\01\02\03\04")
  (func (export "load") (param i32) (result i32) (i32.load (local.get 0)))
  (func (export "load_far") (param i32) (result i32) (i32.load offset=0xffffffff (local.get 0)))
  (func (export "load8s") (param i32) (result i32) (i32.load8_s (local.get 0)))
  (func (export "store16") (param i32 i32) (i64.store16 (local.get 0) (i64.extend_i32_u (local.get 1))))
  (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
  (func (export "size") (result i32) (memory.size))
  (func (export "fill") (param i32 i32 i32) (memory.fill (local.get 0) (local.get 1) (local.get 2)))
  (func (export "copy") (param i32 i32 i32) (memory.copy (local.get 0) (local.get 1) (local.get 2))))
)";

TEST(InterpTest, MemoryBoundsAreChecked) {
  Store store;
  InstanceId inst = LoadWat(store, kMemory);
  EXPECT_EQ(Call1(store, inst, "load", {Value::I32(16)}), Value::I32(0x04030201));
  EXPECT_EQ(Call1(store, inst, "load", {Value::I32(65532)}), Value::I32(0));
  Trap oob = CallTrap(store, inst, "load", {Value::I32(65533)});
  EXPECT_EQ(oob.kind, TrapKind::kMemoryOutOfBounds);
  EXPECT_EQ(oob.message, "out of bounds memory access");
  EXPECT_EQ(CallTrap(store, inst, "load_far", {Value::I32(1)}).kind, TrapKind::kMemoryOutOfBounds);
  EXPECT_EQ(CallTrap(store, inst, "load", {Value::I32(0xffffffffu)}).kind,
            TrapKind::kMemoryOutOfBounds);
  std::vector<Value> none;
  ASSERT_EQ(CallExport(store, inst, "store16", {Value::I32(0), Value::I32(0x1ff80)}, &none),
            Outcome::kReturned);
  EXPECT_EQ(Call1(store, inst, "load8s", {Value::I32(0)}), Value::I32(0xffffff80u));
  EXPECT_EQ(Call1(store, inst, "load8s", {Value::I32(1)}), Value::I32(0xffffffffu));
}

TEST(InterpTest, MemoryGrowRefreshesTheBound) {
  Store store;
  InstanceId inst = LoadWat(store, kMemory);
  EXPECT_EQ(CallTrap(store, inst, "load", {Value::I32(65536)}).kind, TrapKind::kMemoryOutOfBounds);
  EXPECT_EQ(Call1(store, inst, "grow", {Value::I32(1)}), Value::I32(1));
  EXPECT_EQ(Call1(store, inst, "size", {}), Value::I32(2));
  EXPECT_EQ(Call1(store, inst, "load", {Value::I32(65536)}), Value::I32(0));
  EXPECT_EQ(Call1(store, inst, "grow", {Value::I32(2)}), Value::I32(0xffffffffu));
  EXPECT_EQ(Call1(store, inst, "size", {}), Value::I32(2));
}

TEST(InterpTest, BulkMemoryChecksBoundsBeforeWriting) {
  Store store;
  InstanceId inst = LoadWat(store, kMemory);
  std::vector<Value> none;
  EXPECT_EQ(CallTrap(store, inst, "fill", {Value::I32(65530), Value::I32(7), Value::I32(7)}).kind,
            TrapKind::kMemoryOutOfBounds);
  EXPECT_EQ(Call1(store, inst, "load", {Value::I32(65530)}), Value::I32(0));  // nothing written
  ASSERT_EQ(
      CallExport(store, inst, "fill", {Value::I32(65536), Value::I32(7), Value::I32(0)}, &none),
      Outcome::kReturned);  // zero length at the end is fine
  ASSERT_EQ(CallExport(store, inst, "copy", {Value::I32(17), Value::I32(16), Value::I32(4)}, &none),
            Outcome::kReturned);  // overlapping: memmove semantics
  EXPECT_EQ(Call1(store, inst, "load", {Value::I32(16)}), Value::I32(0x03020101));
}

constexpr std::string_view kTables = R"(
(module
  (type $ii (func (param i32) (result i32)))
  (table $t 4 funcref)
  (elem (table $t) (i32.const 0) func $double $square)
  (elem declare func $nullary)
  (func $double (type $ii) (i32.mul (local.get 0) (i32.const 2)))
  (func $square (type $ii) (i32.mul (local.get 0) (local.get 0)))
  (func $nullary (result i32) (i32.const 1))
  (func (export "dispatch") (param i32 i32) (result i32)
    (call_indirect $t (type $ii) (local.get 1) (local.get 0)))
  (func (export "set_nullary") (table.set $t (i32.const 3) (ref.func $nullary)))
  (func (export "grow") (param i32) (result i32) (table.grow $t (ref.null func) (local.get 0)))
  (func (export "size") (result i32) (table.size $t))
  (func (export "is_null") (param i32) (result i32) (ref.is_null (table.get $t (local.get 0)))))
)";

TEST(InterpTest, CallIndirectChecksIndexNullAndType) {
  Store store;
  InstanceId inst = LoadWat(store, kTables);
  EXPECT_EQ(Call1(store, inst, "dispatch", {Value::I32(0), Value::I32(21)}), Value::I32(42));
  EXPECT_EQ(Call1(store, inst, "dispatch", {Value::I32(1), Value::I32(9)}), Value::I32(81));
  EXPECT_EQ(CallTrap(store, inst, "dispatch", {Value::I32(2), Value::I32(0)}).kind,
            TrapKind::kUninitializedElement);
  EXPECT_EQ(CallTrap(store, inst, "dispatch", {Value::I32(4), Value::I32(0)}).kind,
            TrapKind::kUndefinedElement);
  std::vector<Value> none;
  ASSERT_EQ(CallExport(store, inst, "set_nullary", {}, &none), Outcome::kReturned);
  EXPECT_EQ(CallTrap(store, inst, "dispatch", {Value::I32(3), Value::I32(0)}).kind,
            TrapKind::kIndirectCallTypeMismatch);
}

TEST(InterpTest, TableGrowSizeAndGet) {
  Store store;
  InstanceId inst = LoadWat(store, kTables);
  EXPECT_EQ(Call1(store, inst, "grow", {Value::I32(2)}), Value::I32(4));
  EXPECT_EQ(Call1(store, inst, "size", {}), Value::I32(6));
  EXPECT_EQ(Call1(store, inst, "is_null", {Value::I32(0)}), Value::I32(0));
  EXPECT_EQ(Call1(store, inst, "is_null", {Value::I32(5)}), Value::I32(1));
  EXPECT_EQ(CallTrap(store, inst, "is_null", {Value::I32(6)}).kind, TrapKind::kTableOutOfBounds);
}

TEST(InterpTest, TrapBacktraceNamesFramesInnermostFirst) {
  Store store;
  InstanceId inst = LoadWat(store, R"(
(module $calc
  (func $inner (param i32) (result i32) (i32.div_u (i32.const 1) (local.get 0)))
  (func $middle (param i32) (result i32) (call $inner (local.get 0)))
  (func (export "outer") (result i32) (nop) (call $middle (i32.const 0))))
)");
  Trap trap = CallTrap(store, inst, "outer", {});
  EXPECT_EQ(trap.kind, TrapKind::kIntegerDivideByZero);
  EXPECT_EQ(trap.message, "integer divide by zero");
  ASSERT_EQ(trap.backtrace.size(), 3u);
  EXPECT_EQ(trap.backtrace[0].func_index, 0u);
  EXPECT_EQ(trap.backtrace[0].func_name, "inner");
  EXPECT_EQ(trap.backtrace[0].module_name, "calc");
  EXPECT_EQ(trap.backtrace[1].func_name, "middle");
  EXPECT_EQ(trap.backtrace[2].func_index, 2u);
  // Offsets point at the trapping div_u and at each call, in module order.
  EXPECT_GT(trap.backtrace[0].module_offset, 0u);
  EXPECT_LT(trap.backtrace[0].module_offset, trap.backtrace[1].module_offset);
  EXPECT_LT(trap.backtrace[1].module_offset, trap.backtrace[2].module_offset);
}

TEST(InterpTest, UnreachableTraps) {
  Store store;
  InstanceId inst = LoadWat(store, R"((module (func (export "f") (unreachable))))");
  Trap trap = CallTrap(store, inst, "f", {});
  EXPECT_EQ(trap.kind, TrapKind::kUnreachable);
  EXPECT_EQ(trap.message, "unreachable");
  ASSERT_EQ(trap.backtrace.size(), 1u);
}

}  // namespace
}  // namespace deja
