// FuncCompiler: exception handling, the legacy form. A try block compiles
// like a block; what makes it catch is data, not code: a Handler records the
// code range of the try body, where each catch clause starts and where the
// payload goes, and exec/unwind.cc consults it when a `throw` unwinds the
// engine's frames. So a try costs nothing unless something is thrown.
//
// Frame layout: params | locals | one exn slot per try nesting level |
// operand stack. A catch clause stores the exception it caught (an index
// into ThreadState::exceptions, plus one) in its level's exn slot, which
// rethrow reads; the slots sit below the operand stack, so a call's frame
// (which starts at its arguments) never overlaps them.
#include "engine/compile/func_compiler.h"
#include "engine/exec/interp.h"

namespace deja::engine {

Status FuncCompiler::CountTryDepth(u32* depth) const {
  InstrReader reader(module_.body(func_), func_.body_offset);
  std::vector<bool> is_try;  // per open block
  u32 open = 0, deepest = 0;
  Instr in;
  while (!reader.AtEnd()) {
    DEJA_TRY(reader.Next(&in));
    switch (in.op) {
      case Opcode::kBlock:
      case Opcode::kLoop:
      case Opcode::kIf:
        is_try.push_back(false);
        break;
      case Opcode::kTry:
        is_try.push_back(true);
        deepest = std::max(deepest, ++open);
        break;
      case Opcode::kEnd:
      case Opcode::kDelegate:
        if (!is_try.empty()) {
          if (is_try.back()) --open;
          is_try.pop_back();
        }
        break;
      default:
        break;
    }
  }
  *depth = deepest;
  return Status();
}

Status FuncCompiler::StepException(const Instr& in) {
  switch (in.op) {
    case Opcode::kTry:
      BeginTry(in);
      return Status();
    case Opcode::kCatch:
    case Opcode::kCatchAll:
      BeginCatch(in);
      return Status();
    case Opcode::kDelegate:
      Delegate(in.index);
      return Status();
    case Opcode::kThrow: {
      const FuncType& t = module_.types[module_.tags[in.index]];
      size_t first = stack_.size() - t.params.size();
      for (size_t i = first; i < stack_.size(); ++i) Materialize(i);
      Emit(IOp::kThrow, {in.index, SlotOf(first)});
      Pop(t.params.size());
      unreachable_ = true;
      return Status();
    }
    case Opcode::kRethrow:
      Emit(IOp::kRethrow, {Label(in.index).level});
      unreachable_ = true;
      return Status();
    default:
      return Error(in.offset, std::string("cannot compile ") + OpcodeName(in.op));
  }
}

void FuncCompiler::BeginTry(const Instr& in) {
  Ctrl c;
  c.kind = Opcode::kTry;
  BlockArity(in.block_type, &c.num_params, &c.num_results);
  MaterializeAll();  // a handler finds everything below the try in its slot
  c.height = static_cast<u32>(stack_.size()) - c.num_params;
  Handler h;
  h.begin = static_cast<u32>(out_.code.size());
  h.parent = ctrls_.back().active;
  h.height = c.height;
  h.level = try_level_++;
  h.wasm_offset = in.offset - func_.body_offset;
  c.handler = static_cast<u32>(out_.handlers.size());
  c.active = c.handler;
  c.level = h.level;
  out_.handlers.push_back(h);
  ctrls_.push_back(std::move(c));
}

// Like else: the code before falls through to the end, and the clause is a
// new straight-line block entered only by the unwinder, with the payload
// (catch) or nothing (catch_all) on the stack above the try's height.
void FuncCompiler::BeginCatch(const Instr& in) {
  Ctrl& c = ctrls_.back();
  if (!unreachable_) {
    for (u32 i = 0; i < c.num_results; ++i) Materialize(c.height + i);
    EmitJumpTo(c, IOp::kBr, {});
  }
  Handler& h = out_.handlers[c.handler];
  if (c.kind == Opcode::kTry) {
    h.end = static_cast<u32>(out_.code.size());
    c.active = h.parent;  // a `throw` inside a clause is not this try's
  }
  BindLabel();
  StartFuelBlock();
  u32 pc = out_.fuel_ops.back();
  stack_.resize(c.height);
  if (in.op == Opcode::kCatch) {
    c.clauses.push_back(CatchClause{in.index, pc});
    const FuncType& t = module_.types[module_.tags[in.index]];
    for (size_t i = 0; i < t.params.size(); ++i) PushSlot();
  } else {
    h.catch_all_pc = pc;
  }
  c.kind = in.op;
  unreachable_ = false;
}

// `delegate l` ends the try like `end`; a `throw` in its body goes on to the
// handler in effect at label l (outside the try), or to the caller.
void FuncCompiler::Delegate(u32 depth) {
  Ctrl& c = ctrls_.back();
  Handler& h = out_.handlers[c.handler];
  h.delegate = true;
  // Labels count from outside the try: depth 0 is the block around it.
  h.target = ctrls_[ctrls_.size() - 2 - depth].active;
  EndBlock();
}

void FuncCompiler::FinishTry(Ctrl& c) {
  Handler& h = out_.handlers[c.handler];
  u32 here = static_cast<u32>(out_.code.size());
  if (c.kind == Opcode::kTry) h.end = here;  // no clause: try ... end or delegate
  h.region_end = here;
  h.catches_begin = static_cast<u32>(out_.catches.size());
  out_.catches.insert(out_.catches.end(), c.clauses.begin(), c.clauses.end());
  h.catches_end = static_cast<u32>(out_.catches.size());
  --try_level_;
}

}  // namespace deja::engine
