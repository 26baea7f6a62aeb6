// Typing of function bodies: the spec's validation algorithm with an explicit
// operand stack and control stack, so deep nesting never recurses natively.
// One FuncValidator is reused for all functions of a module (no allocation
// per instruction once its vectors have grown).
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "deja/status.h"
#include "engine/instr.h"
#include "engine/module.h"

namespace deja::engine {

class FuncValidator {
 public:
  // `declared[f]` says whether function f may be named by ref.func in a body
  // (it occurs in an element segment, an export or a global initializer).
  // Both must outlive the validator.
  FuncValidator(const Module& module, const std::vector<bool>& declared)
      : module_(module), declared_(declared) {}

  // Validates defined function `func_index` (function index space).
  // Errors: kInvalid "func N offset 0xHEX: reason"; malformed code found while
  // reading is passed on with the same prefix.
  Status Validate(u32 func_index);

  // Operand stack types, concatenated: stack i is types[ends[i-1], ends[i]).
  struct TypeStacks {
    std::vector<ValType> types;
    std::vector<u32> ends;
  };
  // The operand stack types of defined function `func_index` (already
  // validated) just before the instruction at each body-relative offset of
  // `offsets` (ascending; the body's size stands for its end, where the
  // stack is the function's results), in one pass over the body. Used to
  // type a saved call stack (exec/thread_save.cc). Errors: kInvalid if an
  // offset is not an instruction of the function or lies in unreachable code.
  Status TypesAt(u32 func_index, std::span<const u32> offsets, TypeStacks* out);

 private:
  // A list of value types that lives in the Module or in static storage.
  struct Types {
    const ValType* data = nullptr;
    u32 size = 0;
    ValType operator[](u32 i) const { return data[i]; }
  };
  struct Ctrl {
    // kBlock, kLoop, kIf, kElse, kTry, kCatch, kCatchAll; the function frame is a kBlock
    Opcode op = Opcode::kBlock;
    Types params;
    Types results;
    u32 height = 0;  // operand stack height when the block was entered
    bool unreachable = false;
  };

  // Operand stack; kUnknown is the spec's bottom type of unreachable code.
  static constexpr ValType kUnknown = static_cast<ValType>(0);
  void Push(ValType t) { vals_.push_back(t); }
  void PushTypes(Types ts);
  Status Pop(ValType* out);
  Status PopExpect(ValType expected, ValType* out = nullptr);
  Status PopTypes(Types ts);
  void PushCtrl(Opcode op, Types params, Types results);
  Status PopCtrl(Ctrl* out);
  Types LabelTypes(const Ctrl& c) const { return c.op == Opcode::kLoop ? c.params : c.results; }
  void SetUnreachable();

  Status Step(const Instr& in);  // one instruction
  Status StepControl(const Instr& in);
  Status StepBranch(const Instr& in);
  Status StepBrTable(const Instr& in);
  Status StepParametric(const Instr& in);
  Status StepVariable(const Instr& in);
  Status StepCall(const Instr& in);
  Status StepRef(const Instr& in);
  Status StepTable(const Instr& in);
  Status StepFixed(const Instr& in);  // numeric, memory and bulk memory
  Status StepBySignature(const char* sig);
  // try, catch, catch_all, delegate, throw, rethrow (exceptions.cc).
  Status StepException(const Instr& in);
  Status TagParams(u32 tag_index, Types* params) const;

  Status BlockTypes(const BlockType& bt, Types* params, Types* results);
  Status LocalType(u32 index, ValType* out) const;
  Status CheckLabel(u32 depth) const;
  Status CheckMemory() const;
  Status CheckTable(u32 index) const;
  Status CheckData(u32 index) const;
  Status CheckElem(u32 index) const;
  Status CheckFunc(u32 index) const;
  Status CheckType(u32 index) const;

  Status SetLocals(const FuncType& type, const Function& f);
  // Validates, recording the stack before each of `stops` (TypesAt) into
  // `out`, and stops once all are recorded; `out` is null for Validate.
  Status Run(u32 func_index, std::span<const u32> stops, TypeStacks* out);

  // Builds kInvalid "func N offset 0xHEX: reason" for the current instruction.
  Status Error(std::string reason) const;
  // The same for code the binary format forbids (kMalformed).
  Status Malformed(u32 offset, std::string_view reason) const;

  const Module& module_;
  const std::vector<bool>& declared_;
  u32 func_index_ = 0;
  u32 offset_ = 0;            // of the instruction being validated
  Opcode op_ = Opcode::kNop;  // the instruction being validated, for messages
  Types func_params_;
  // Declared locals as runs: local index where each run ends (exclusive) and
  // its type; looked up by binary search, so huge local counts cost nothing.
  std::vector<u32> local_ends_;
  std::vector<ValType> local_types_;
  std::vector<ValType> vals_;
  std::vector<Ctrl> ctrls_;
  std::vector<ValType> scratch_;  // br_table's re-pushed label values
};

}  // namespace deja::engine
