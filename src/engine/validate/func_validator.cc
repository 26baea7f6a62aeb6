// The core of body validation: the operand and control stacks, structured
// control flow and branches (the spec's appendix algorithm). Instructions
// with no control effect are typed in func_validator_ops.cc.
#include "engine/validate/func_validator.h"

#include <algorithm>
#include <limits>

#include "engine/validate/error.h"

namespace deja::engine {
namespace {

// Storage for the one-value block types `[] -> [t]`, so every type list the
// validator holds points into the Module or here (never into a moving vector).
constexpr ValType kSingleTypes[] = {ValType::kI32,      ValType::kI64,  ValType::kF32,
                                    ValType::kF64,      ValType::kV128, ValType::kFuncRef,
                                    ValType::kExternRef};

const ValType* SingleType(ValType t) {
  return std::find(std::begin(kSingleTypes), std::end(kSingleTypes), t);
}

const char* TypeName(ValType t) {
  return t == static_cast<ValType>(0) ? "nothing" : ValTypeName(t);
}

// The prefix "func N offset 0xHEX: " added to errors from InstrReader, whose
// messages may already start with "offset 0xHEX: ".
Status WithFuncPrefix(const Status& s, u32 func_index) {
  std::string message = "func " + std::to_string(func_index);
  message += s.message().starts_with("offset ") ? " " : ": ";
  message += s.message();
  return Status(s.code(), std::move(message));
}

}  // namespace

Status FuncValidator::Error(std::string reason) const {
  return Status::Invalid("func " + std::to_string(func_index_) + " offset " + HexOffset(offset_) +
                         ": " + reason);
}

Status FuncValidator::Malformed(u32 offset, std::string_view reason) const {
  std::string message = "func " + std::to_string(func_index_) + " offset " + HexOffset(offset);
  message += ": ";
  message += reason;
  return Status::Malformed(std::move(message));
}

Status FuncValidator::SetLocals(const FuncType& type, const Function& f) {
  func_params_ = {type.params.data(), static_cast<u32>(type.params.size())};
  local_ends_.clear();
  local_types_.clear();
  u64 end = type.params.size();
  for (const LocalRun& run : f.locals) {
    end += run.count;
    if (end > std::numeric_limits<u32>::max()) return Malformed(f.body_offset, "too many locals");
    local_ends_.push_back(static_cast<u32>(end));
    local_types_.push_back(run.type);
  }
  return Status();
}

Status FuncValidator::Validate(u32 func_index) { return Run(func_index, {}, nullptr); }

Status FuncValidator::TypesAt(u32 func_index, std::span<const u32> offsets, TypeStacks* out) {
  out->types.clear();
  out->ends.clear();
  return Run(func_index, offsets, out);
}

Status FuncValidator::Run(u32 func_index, std::span<const u32> stops, TypeStacks* out) {
  func_index_ = func_index;
  const Function& f = module_.code[func_index - module_.num_imported_funcs];
  offset_ = f.body_offset;
  DEJA_TRY(CheckType(f.type));
  const FuncType& type = module_.types[f.type];
  DEJA_TRY(SetLocals(type, f));
  vals_.clear();
  ctrls_.clear();
  ctrls_.push_back(
      {Opcode::kBlock, {}, {type.results.data(), static_cast<u32>(type.results.size())}, 0, false});

  size_t next = 0;  // the next of `stops` to reach
  InstrReader reader(module_.body(f), f.body_offset);
  Instr in;
  while (!reader.AtEnd()) {
    if (ctrls_.empty()) {
      return Malformed(reader.offset(), "operators remaining after end of function");
    }
    if (Status s = reader.Next(&in); !s.ok()) return WithFuncPrefix(s, func_index);
    offset_ = in.offset;
    for (; next < stops.size() && f.body_offset + u64{stops[next]} <= in.offset; ++next) {
      if (f.body_offset + u64{stops[next]} < in.offset)
        return Error("no instruction at this offset");
      if (ctrls_.back().unreachable) return Error("unreachable code");
      out->types.insert(out->types.end(), vals_.begin(), vals_.end());
      out->ends.push_back(static_cast<u32>(out->types.size()));
    }
    if (out != nullptr && next == stops.size()) return Status();  // typed them all
    DEJA_TRY(Step(in));
  }
  // What is left may only be the body's end: the function's results.
  for (; next < stops.size(); ++next) {
    if (stops[next] != f.body_size) return Error("no instruction at this offset");
    out->types.insert(out->types.end(), type.results.begin(), type.results.end());
    out->ends.push_back(static_cast<u32>(out->types.size()));
  }
  if (!ctrls_.empty()) return Malformed(reader.offset(), "unexpected end of function body");
  return Status();
}

// --- Operand and control stacks ---------------------------------------------

void FuncValidator::PushTypes(Types ts) {
  for (u32 i = 0; i < ts.size; ++i) vals_.push_back(ts[i]);
}

Status FuncValidator::Pop(ValType* out) {
  const Ctrl& c = ctrls_.back();
  if (vals_.size() == c.height) {
    if (c.unreachable) {
      *out = kUnknown;
      return Status();
    }
    return Error(std::string("type mismatch in ") + OpcodeName(op_) +
                 ": expected a value, the stack is empty");
  }
  *out = vals_.back();
  vals_.pop_back();
  return Status();
}

Status FuncValidator::PopExpect(ValType expected, ValType* out) {
  const Ctrl& c = ctrls_.back();
  ValType actual = kUnknown;  // what an unreachable block's empty stack yields
  if (vals_.size() > c.height) {
    actual = vals_.back();
    vals_.pop_back();
  } else if (!c.unreachable) {
    return Error(std::string("type mismatch in ") + OpcodeName(op_) + ": expected " +
                 TypeName(expected) + ", the stack is empty");
  }
  if (actual != expected && actual != kUnknown && expected != kUnknown) {
    return Error(std::string("type mismatch in ") + OpcodeName(op_) + ": expected " +
                 TypeName(expected) + ", got " + TypeName(actual));
  }
  if (out) *out = actual;
  return Status();
}

Status FuncValidator::PopTypes(Types ts) {
  for (u32 i = ts.size; i > 0; --i) DEJA_TRY(PopExpect(ts[i - 1]));
  return Status();
}

void FuncValidator::PushCtrl(Opcode op, Types params, Types results) {
  ctrls_.push_back({op, params, results, static_cast<u32>(vals_.size()), false});
  PushTypes(params);
}

Status FuncValidator::PopCtrl(Ctrl* out) {
  DEJA_TRY(PopTypes(ctrls_.back().results));
  if (vals_.size() != ctrls_.back().height) {
    return Error(std::string("type mismatch in ") + OpcodeName(op_) + ": " +
                 std::to_string(vals_.size() - ctrls_.back().height) +
                 " value(s) left on the stack at the end of the block");
  }
  *out = ctrls_.back();
  ctrls_.pop_back();
  return Status();
}

void FuncValidator::SetUnreachable() {
  vals_.resize(ctrls_.back().height);
  ctrls_.back().unreachable = true;
}

// --- Dispatch -----------------------------------------------------------------

Status FuncValidator::Step(const Instr& in) {
  op_ = in.op;
  switch (in.op) {
    case Opcode::kUnreachable:
      SetUnreachable();
      return Status();
    case Opcode::kBlock:
    case Opcode::kLoop:
    case Opcode::kIf:
    case Opcode::kElse:
    case Opcode::kEnd:
      return StepControl(in);
    case Opcode::kBr:
    case Opcode::kBrIf:
    case Opcode::kReturn:
      return StepBranch(in);
    case Opcode::kBrTable:
      return StepBrTable(in);
    case Opcode::kTry:
    case Opcode::kCatch:
    case Opcode::kCatchAll:
    case Opcode::kDelegate:
    case Opcode::kThrow:
    case Opcode::kRethrow:
      return StepException(in);
    case Opcode::kCall:
    case Opcode::kCallIndirect:
    case Opcode::kReturnCall:
    case Opcode::kReturnCallIndirect:
      return StepCall(in);
    case Opcode::kDrop:
    case Opcode::kSelect:
    case Opcode::kSelectT:
      return StepParametric(in);
    case Opcode::kLocalGet:
    case Opcode::kLocalSet:
    case Opcode::kLocalTee:
    case Opcode::kGlobalGet:
    case Opcode::kGlobalSet:
      return StepVariable(in);
    case Opcode::kRefNull:
    case Opcode::kRefIsNull:
    case Opcode::kRefFunc:
      return StepRef(in);
    case Opcode::kTableGet:
    case Opcode::kTableSet:
    case Opcode::kTableGrow:
    case Opcode::kTableSize:
    case Opcode::kTableFill:
    case Opcode::kTableCopy:
    case Opcode::kTableInit:
    case Opcode::kElemDrop:
      return StepTable(in);
    default:
      return StepFixed(in);
  }
}

// --- Control ------------------------------------------------------------------

Status FuncValidator::BlockTypes(const BlockType& bt, Types* params, Types* results) {
  switch (bt.kind) {
    case BlockType::Kind::kEmpty:
      *params = {};
      *results = {};
      return Status();
    case BlockType::Kind::kValue:
      *params = {};
      *results = {SingleType(bt.value), 1};
      if (results->data == std::end(kSingleTypes)) return Status::Internal("bad block value type");
      return Status();
    case BlockType::Kind::kTypeIndex: {
      DEJA_TRY(CheckType(bt.type_index));
      const FuncType& ft = module_.types[bt.type_index];
      *params = {ft.params.data(), static_cast<u32>(ft.params.size())};
      *results = {ft.results.data(), static_cast<u32>(ft.results.size())};
      return Status();
    }
  }
  return Status::Internal("bad block type");
}

Status FuncValidator::StepControl(const Instr& in) {
  Types params, results;
  Ctrl c;
  switch (in.op) {
    case Opcode::kIf:
      DEJA_TRY(PopExpect(ValType::kI32));
      [[fallthrough]];
    case Opcode::kBlock:
    case Opcode::kLoop:
      DEJA_TRY(BlockTypes(in.block_type, &params, &results));
      DEJA_TRY(PopTypes(params));
      PushCtrl(in.op, params, results);
      return Status();
    case Opcode::kElse:
      if (ctrls_.back().op != Opcode::kIf) {
        return Malformed(offset_, "END opcode expected: else without a matching if");
      }
      DEJA_TRY(PopCtrl(&c));
      PushCtrl(Opcode::kElse, c.params, c.results);
      return Status();
    default:  // kEnd
      DEJA_TRY(PopCtrl(&c));
      // An if without else leaves its parameters as results.
      if (c.op == Opcode::kIf && !std::equal(c.params.data, c.params.data + c.params.size,
                                             c.results.data, c.results.data + c.results.size)) {
        return Error(
            "type mismatch in if: no else branch, but the block's parameters "
            "differ from its results");
      }
      PushTypes(c.results);
      return Status();
  }
}

Status FuncValidator::CheckLabel(u32 depth) const {
  if (depth >= ctrls_.size()) return Error(WithIndex("unknown label", depth));
  return Status();
}

Status FuncValidator::StepBranch(const Instr& in) {
  if (in.op == Opcode::kReturn) {
    DEJA_TRY(PopTypes(ctrls_.front().results));
    SetUnreachable();
    return Status();
  }
  DEJA_TRY(CheckLabel(in.index));
  if (in.op == Opcode::kBrIf) DEJA_TRY(PopExpect(ValType::kI32));
  Types label = LabelTypes(ctrls_[ctrls_.size() - 1 - in.index]);
  DEJA_TRY(PopTypes(label));
  if (in.op == Opcode::kBrIf) {
    PushTypes(label);
  } else {
    SetUnreachable();
  }
  return Status();
}

Status FuncValidator::StepBrTable(const Instr& in) {
  DEJA_TRY(PopExpect(ValType::kI32));
  if (in.targets.empty()) return Status::Internal("br_table without a default target");
  u32 default_depth = in.targets.back();
  DEJA_TRY(CheckLabel(default_depth));
  Types default_label = LabelTypes(ctrls_[ctrls_.size() - 1 - default_depth]);
  for (u32 depth : in.targets.first(in.targets.size() - 1)) {
    DEJA_TRY(CheckLabel(depth));
    Types label = LabelTypes(ctrls_[ctrls_.size() - 1 - depth]);
    if (label.size != default_label.size) {
      return Error("type mismatch in br_table: target " + std::to_string(depth) + " takes " +
                   std::to_string(label.size) + " value(s), the default " +
                   std::to_string(default_label.size));
    }
    // Pop and push back what was actually there: in unreachable code an
    // unknown operand must stay unknown for the next target's check.
    scratch_.resize(label.size);
    for (u32 i = label.size; i > 0; --i) DEJA_TRY(PopExpect(label[i - 1], &scratch_[i - 1]));
    for (ValType t : scratch_) Push(t);
  }
  DEJA_TRY(PopTypes(default_label));
  SetUnreachable();
  return Status();
}

}  // namespace deja::engine
