#include <gtest/gtest.h>

#include "engine/decode/decoder.h"
#include "engine/decode/test_builders.h"
#include "text/wat.h"

namespace deja::engine {
namespace {

using namespace testing;  // NOLINT: byte builders

Bytes NameSection(const Bytes& subsections) { return Section(0, Cat({Name("name"), subsections})); }
Bytes Subsection(u8 id, const Bytes& contents) { return Section(id, contents); }

TEST(NameSectionTest, ModuleAndFunctionNames) {
  Bytes names = NameSection(Cat({
      Subsection(0, Name("mod")),
      Subsection(1, Cat({{0x02, 0x00}, Name("f0"), {0x02}, Name("f2")})),
      Subsection(2, {0x00}),  // local names: skipped
  }));
  Result<Module> r = DecodeModule(Wasm({names}));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->name, "mod");
  EXPECT_EQ(r->func_names, (std::map<u32, std::string>{{0, "f0"}, {2, "f2"}}));
}

TEST(NameSectionTest, MalformedNameSectionIsIgnored) {
  const Bytes cases[] = {
      NameSection(Subsection(1, Cat({{0x01, 0x00}, {0x01, 0xff}}))),        // bad UTF-8
      NameSection(Cat({Subsection(1, {0x00}), Subsection(0, Name("m"))})),  // out of order
      NameSection(Cat({Subsection(0, Name("m")), {0x01, 0x7f}})),           // size past the end
      NameSection(Subsection(0, Cat({Name("m"), {0x00}}))),                 // trailing bytes
      NameSection(Subsection(1, Cat({{0x02, 0x03}, Name("a"), {0x01}, Name("b")}))),  // unsorted
  };
  for (const Bytes& names : cases) {
    Result<Module> r = DecodeModule(Wasm({names}));
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(r->name, "");
    EXPECT_TRUE(r->func_names.empty());
  }
}

TEST(NameSectionTest, OtherCustomSectionsAreSkipped) {
  Result<Module> r = DecodeModule(Wasm({Section(0, Cat({Name("names"), {0xff, 0xfe}}))}));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->name, "");
}

TEST(DecodeWatTest, EverySectionOfATextModule) {
  Result<Bytes> wasm = text::WatToWasm(R"(
    (module $m
      (type $t (func (param i32) (result i64)))
      (import "env" "f" (func $imp (type $t)))
      (import "env" "tab" (table 1 2 funcref))
      (import "env" "mem" (memory 1))
      (import "env" "g" (global $g (mut i32)))
      (func $add (param i32 i32) (result i32) (local i64 i64 f32)
        local.get 0 local.get 1 i32.add)
      (func $s)
      (table $t2 3 externref)
      (global $gg f64 (f64.const 1.5))
      (export "add" (func $add))
      (export "mem" (memory 0))
      (start $s)
      (elem (i32.const 0) $add)
      (data (i32.const 8) "hello")))");
  ASSERT_TRUE(wasm.ok()) << wasm.status().ToString();
  Result<Module> r = DecodeModule(*wasm);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const Module& m = *r;
  EXPECT_EQ(m.bytes, *wasm);
  ASSERT_EQ(m.imports.size(), 4u);
  EXPECT_EQ(m.imports[1].kind, ExternKind::kTable);
  EXPECT_EQ(m.imports[1].table.limits.max, 2u);
  EXPECT_EQ(m.imports[3].global.mut, true);
  EXPECT_EQ(m.num_imported_funcs, 1u);
  EXPECT_EQ(m.num_imported_tables, 1u);
  EXPECT_EQ(m.num_imported_memories, 1u);
  EXPECT_EQ(m.num_imported_globals, 1u);
  ASSERT_EQ(m.func_types.size(), 3u);
  EXPECT_EQ(m.func_type(0), (FuncType{{ValType::kI32}, {ValType::kI64}}));
  EXPECT_EQ(m.func_type(1), (FuncType{{ValType::kI32, ValType::kI32}, {ValType::kI32}}));
  ASSERT_EQ(m.tables.size(), 2u);
  EXPECT_EQ(m.tables[1].elem, ValType::kExternRef);
  ASSERT_EQ(m.globals.size(), 2u);
  EXPECT_EQ(m.globals[1].type, ValType::kF64);
  ASSERT_EQ(m.global_defs.size(), 1u);
  EXPECT_EQ(m.global_defs[0].init.instrs[0].op, Opcode::kF64Const);
  ASSERT_EQ(m.code.size(), 2u);
  const Function& add = m.code[0];
  ASSERT_EQ(add.locals.size(), 2u);
  EXPECT_EQ(add.locals[0].count, 2u);
  EXPECT_EQ(add.locals[0].type, ValType::kI64);
  EXPECT_EQ(add.num_locals, 3u);
  // local.get 0, local.get 1, i32.add, end
  EXPECT_EQ(m.body(add).size(), 6u);
  EXPECT_EQ(m.body(add).back(), 0x0b);
  ASSERT_EQ(m.exports.size(), 2u);
  EXPECT_EQ(m.exports[1].name, "mem");
  EXPECT_EQ(m.exports[1].kind, ExternKind::kMemory);
  EXPECT_EQ(m.start, 2u);
  ASSERT_EQ(m.elems.size(), 1u);
  EXPECT_EQ(m.elems[0].init[0].instrs[0].index, 1u);
  ASSERT_EQ(m.datas.size(), 1u);
  EXPECT_EQ(std::string(m.datas[0].bytes.begin(), m.datas[0].bytes.end()), "hello");
  EXPECT_EQ(m.name, "m");
  EXPECT_EQ(m.func_names.at(1), "add");
}

}  // namespace
}  // namespace deja::engine
