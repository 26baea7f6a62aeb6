// Compiles one function body to slot code. The operand stack is simulated:
// each entry is either in its canonical slot (params | locals | position),
// or still a deferred local, constant or `slot + constant` (an i32 address
// computation), so local.get, constants and address arithmetic cost nothing
// until an operator names them as operands; loads and stores take a
// deferred `slot + constant` as their address directly.
#pragma once

#include <span>
#include <string>
#include <vector>

#include "deja/module.h"
#include "engine/compile/code.h"
#include "engine/compile/op_variants.h"
#include "engine/module.h"

namespace deja::engine {

class FuncCompiler {
 public:
  FuncCompiler(const Module& module, u32 func_index, const CompileOptions& options);
  Result<CompiledFunc> Compile();

 private:
  // kAddend: the i32 `slot[local] + value` (wrapping), where `local` is a
  // local or the entry's own slot.
  enum class Where : u8 { kSlot, kLocal, kConst, kAddend };
  struct Entry {
    Where where = Where::kSlot;
    u32 local = 0;
    u64 value = 0;
  };
  struct Fixup {
    u32 word;   // the offset word to patch
    u32 start;  // the branching instruction's first word
  };
  struct Ctrl {
    Opcode kind = Opcode::kBlock;
    u32 height = 0;  // stack height below the block's params
    u32 num_params = 0;
    u32 num_results = 0;
    u32 loop_start = 0;           // loop: the branch target
    std::vector<Fixup> fixups;    // branches to the end label
    bool has_else_fixup = false;  // if: the jump to else (or end) to bind
    Fixup else_fixup{};
    // Exceptions: the handler code inside this block is covered by (the
    // try's own while in its body), this try's handler, its nesting level and
    // its catch clauses so far (func_compiler_eh.cc).
    u32 active = kNoHandler;
    u32 handler = kNoHandler;
    u32 level = 0;
    std::vector<CatchClause> clauses;
    u32 label_arity() const { return kind == Opcode::kLoop ? num_params : num_results; }
  };

  // "func N offset 0xHEX: reason" (kInternal: validation should have caught it).
  Status Error(u32 offset, const std::string& reason) const;
  std::string Where(u32 offset) const;  // "func N offset 0xHEX: "
  Status Step(const Instr& in);
  Status StepControl(const Instr& in);
  Status StepVariable(const Instr& in);
  Status StepMemoryOrTable(const Instr& in);
  Status StepGeneric(const Instr& in, const OpVariants& v);
  // SIMD (func_compiler_simd.cc).
  Status StepSimd(const Instr& in);
  void ZeroV128Locals();  // at entry: the high halves of v128 locals
  // Moves that copy both halves of a slot in functions that touch v128.
  IOp CopyOp() const { return wide_ ? IOp::kCopyV : IOp::kCopy; }
  bool DeferAddend(Opcode op);  // i32.add/sub of a constant, if deferrable
  void StepMemAccess(const Instr& in, const OpVariants& v);  // load, store
  // `load; store` of the loaded value as one Move op, if they fit.
  bool FuseMove(const Instr& store);
  // `load; op` where a float op's second operand is the loaded value.
  bool FuseLoadOperand(const Instr& in, const OpVariants& v);
  void Skip(const Instr& in);

  // Code emission.
  u32 Emit(IOp op, std::initializer_list<u64> imms);
  // An op whose first immediate is its destination slot (for local.set's retarget).
  void EmitWithDst(IOp op, std::initializer_list<u64> imms);
  void BindFixup(const Fixup& f, u32 target);
  void BindLabel();  // a jump target at code.size()
  void StartFuelBlock();
  void FinishFuelBlock();
  // Resume points (code.h): the stack below `height` as it is now.
  void AddResumePoint(ResumePoint::Kind kind, u32 pc, u32 wasm_offset, size_t height);
  // Emitted code from `pc` on was taken back: its points go (a call's
  // return address at `pc` belongs to the code before and stays).
  void DropResumePointsFrom(u32 pc);

  // The simulated stack.
  u32 SlotOf(size_t pos) const { return stack_base_ + static_cast<u32>(pos); }
  u32 Top() const { return static_cast<u32>(stack_.size()) - 1; }
  void PushSlot();
  void Push(Entry e);
  void Pop(size_t n);
  void Materialize(size_t pos);
  void MaterializeAll();
  void MaterializeLocal(u32 local);  // entries reading `local`, before it changes
  u32 Operand(size_t pos);           // its slot; constants are materialized
  void EmitMove(const Entry& src, size_t src_pos, u32 dst_slot);

  void BlockArity(const BlockType& bt, u32* params, u32* results) const;
  Ctrl& Label(u32 depth) { return ctrls_[ctrls_.size() - 1 - depth]; }
  bool MovesNeeded(const Ctrl& target) const;
  void EmitBranchMoves(const Ctrl& target);
  void EmitJumpTo(Ctrl& target, IOp op, std::initializer_list<u64> imms_before_offset);
  void EmitReturn();
  // A condition that is the fresh result of a compare or i32.eqz, which a
  // following br_if or if can test directly.
  struct FusedCond {
    size_t start = 0;  // the compare's first word
    u64 a = 0, b = 0;  // its operands (b unused for eqz)
    bool has_b = false;
    IOp if_true{}, if_false{};  // jump when the condition holds / fails
  };
  bool FusableCond(FusedCond* out) const;
  void DropFusedCond(const FusedCond& c);  // removes the compare; pops its result
  void EmitFused(const FusedCond& c, bool when_true, Ctrl* target, Fixup* fixup);
  void BeginBlock(const Instr& in);  // block, loop, if
  void BeginElse();
  void EndBlock();
  void BrIf(u32 depth);
  void BrTable(std::span<const u32> targets);
  void CallOp(const Instr& in);  // call, call_indirect, return_call, return_call_indirect
  // Exceptions (func_compiler_eh.cc).
  Status StepException(const Instr& in);  // try, catch, catch_all, delegate, throw, rethrow
  void BeginTry(const Instr& in);
  void BeginCatch(const Instr& in);
  void Delegate(u32 depth);
  void FinishTry(Ctrl& c);  // at the try's end: the handler's ranges and clauses
  Status CountTryDepth(u32* depth) const;  // when the decoder did not scan the body
  bool IsTry(Opcode kind) const {
    return kind == Opcode::kTry || kind == Opcode::kCatch || kind == Opcode::kCatchAll;
  }

  const Module& module_;
  u32 func_index_;
  const Function& func_;
  const FuncType& type_;
  bool canonical_nans_;
  bool layout_variant_;       // CompileOptions::test_layout_variant
  // The function touches v128 values (func_compiler_simd.cc): its moves copy
  // the high halves of slots too.
  bool wide_;
  u32 num_locals_total_ = 0;  // params + declared locals
  u32 stack_base_ = 0;        // + exn slots: the slot of operand stack position 0
  u32 try_level_ = 0;         // try blocks open
  CompiledFunc out_;
  std::vector<Entry> stack_;
  std::vector<Ctrl> ctrls_;
  u32 max_height_ = 0;
  bool unreachable_ = false;
  u32 skip_depth_ = 0;
  size_t last_dst_word_ = SIZE_MAX;  // dst word of the last op, if retargetable
  // The last generic op (for fusing a compare or i32.eqz into br_if); valid
  // while last_dst_word_ == its start + 1.
  size_t last_generic_start_ = SIZE_MAX;
  OpVariants last_generic_;
  bool last_generic_imm_ = false;
  // The last load (for fusing it with a store of its value into a Move);
  // valid while last_dst_word_ == its start + 1.
  size_t last_load_start_ = SIZE_MAX;
  u32 last_load_width_ = 0;  // bytes
  Opcode last_load_op_ = Opcode::kNop;
  size_t fuel_word_ = SIZE_MAX;
  // The last Fuel op, until the next instruction (where it resumes) is known.
  u32 pending_fuel_pc_ = UINT32_MAX;
  u64 fuel_count_ = 0;
};

}  // namespace deja::engine
