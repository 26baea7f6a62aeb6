// Validation of the exception-handling proposal in its legacy form: tags,
// try / catch / catch_all / delegate blocks, `throw` and `rethrow`.
//
// A try block is a block whose label is its results; `catch x` and
// `catch_all` end the try body (or the previous catch) like `else` ends an
// if, and start a handler whose stack begins with the tag's parameters
// (catch) or empty (catch_all); `delegate l` ends the try instead of `end`
// and names a label outside it. `rethrow l` must name a catch or catch_all
// block, whose caught exception it throws again.
#include "engine/validate/error.h"
#include "engine/validate/func_validator.h"
#include "engine/validate/validator.h"

namespace deja::engine {

Status CheckTags(const Module& m) {
  for (size_t i = 0; i < m.tags.size(); ++i) {
    u32 type = m.tags[i];
    if (type >= m.types.size()) {
      return Status::Invalid("tag " + std::to_string(i) + ": " + WithIndex("unknown type", type));
    }
    if (!m.types[type].results.empty()) {
      return Status::Invalid("tag " + std::to_string(i) + ": non-empty tag result type " +
                             m.types[type].ToString());
    }
  }
  for (const Import& im : m.imports) {
    if (im.kind != ExternKind::kTag) continue;
    // Imported tags are in m.tags too; this names the import in the message.
    if (im.tag_type >= m.types.size()) {
      return Status::Invalid("import \"" + im.module + "\" \"" + im.name +
                             "\": " + WithIndex("unknown type", im.tag_type));
    }
  }
  return Status();
}

Status FuncValidator::TagParams(u32 tag_index, Types* params) const {
  if (tag_index >= module_.tags.size()) return Error(WithIndex("unknown tag", tag_index));
  const FuncType& t = module_.types[module_.tags[tag_index]];
  *params = {t.params.data(), static_cast<u32>(t.params.size())};
  return Status();
}

Status FuncValidator::StepException(const Instr& in) {
  Types params, results;
  Ctrl c;
  switch (in.op) {
    case Opcode::kTry:
      DEJA_TRY(BlockTypes(in.block_type, &params, &results));
      DEJA_TRY(PopTypes(params));
      PushCtrl(Opcode::kTry, params, results);
      return Status();
    case Opcode::kCatch:
    case Opcode::kCatchAll: {
      Opcode open = ctrls_.back().op;
      if (open != Opcode::kTry && open != Opcode::kCatch) {
        return Malformed(offset_, std::string(OpcodeName(in.op)) +
                                      " without a matching try (or after catch_all)");
      }
      Types payload;
      if (in.op == Opcode::kCatch) DEJA_TRY(TagParams(in.index, &payload));
      DEJA_TRY(PopCtrl(&c));
      // The handler's stack starts with the payload, not the try's params.
      ctrls_.push_back({in.op, c.params, c.results, static_cast<u32>(vals_.size()), false});
      PushTypes(payload);
      return Status();
    }
    case Opcode::kDelegate:
      if (ctrls_.back().op != Opcode::kTry) {
        return Malformed(offset_, "delegate without a matching try (or after a catch)");
      }
      DEJA_TRY(PopCtrl(&c));
      DEJA_TRY(CheckLabel(in.index));
      PushTypes(c.results);
      return Status();
    case Opcode::kThrow:
      DEJA_TRY(TagParams(in.index, &params));
      DEJA_TRY(PopTypes(params));
      SetUnreachable();
      return Status();
    case Opcode::kRethrow: {
      DEJA_TRY(CheckLabel(in.index));
      Opcode target = ctrls_[ctrls_.size() - 1 - in.index].op;
      if (target != Opcode::kCatch && target != Opcode::kCatchAll) {
        return Error(WithIndex("invalid rethrow label", in.index) +
                     ": not a catch or catch_all block");
      }
      SetUnreachable();
      return Status();
    }
    default:
      return Status::Internal(std::string("not an exception instruction: ") + OpcodeName(in.op));
  }
}

}  // namespace deja::engine
