#include "engine/instr.h"

namespace deja::engine {
namespace {

struct OpInfo {
  const char* name;
  ImmKind imm;
  const char* sig;
};

const OpInfo* Find(Opcode op) {
  switch (op) {
#define DEJA_OPCODE(name, code, imm, text, sig) \
  case Opcode::k##name: {                      \
    static constexpr OpInfo kInfo{text, ImmKind::k##imm, sig}; \
    return &kInfo;                             \
  }
#include "engine/opcodes.def"
  }
  return nullptr;
}

}  // namespace

const char* OpcodeName(Opcode op) {
  const OpInfo* info = Find(op);
  return info ? info->name : "<unknown>";
}

ImmKind OpcodeImmKind(Opcode op) {
  const OpInfo* info = Find(op);
  return info ? info->imm : ImmKind::kNone;
}

const char* OpcodeSignature(Opcode op) {
  const OpInfo* info = Find(op);
  return info ? info->sig : "";
}

}  // namespace deja::engine
