// A small bytecode interpreter: a stack machine with a switch dispatch loop
// (the shape of every scripting-language core) running a Collatz program.
#define KERNEL_NAME "interp"
#define KERNEL_DEFAULT_N 12

#include "kernel.h"  // first: it sets _POSIX_C_SOURCE

#include <stdint.h>

enum Op { kPush, kLoad, kStore, kAdd, kMul, kAnd, kShr, kLt, kNe, kJz, kJmp, kHalt };

typedef struct {
  int32_t code[128];
  int len;
  int labels[8];
  int fixups[16][2];  // (code index, label)
  int nfixups;
} Asm;

static void emit(Asm* a, enum Op op) { a->code[a->len++] = op; }
static void emit_imm(Asm* a, enum Op op, int32_t imm) {
  a->code[a->len++] = op;
  a->code[a->len++] = imm;
}
static void emit_jump(Asm* a, enum Op op, int label) {
  a->code[a->len++] = op;
  a->fixups[a->nfixups][0] = a->len;
  a->fixups[a->nfixups][1] = label;
  a->nfixups++;
  a->code[a->len++] = -1;
}
static void bind(Asm* a, int label) { a->labels[label] = a->len; }

// Registers: r0 = i, r1 = x, r2 = steps, r3 = end. For i in [r0, r3): count
// the Collatz steps from i down to 1. The result is the total step count.
static void assemble(Asm* a) {
  enum { kLoopI, kLoopX, kEven, kStep, kNextI, kEnd };
  a->len = 0;
  a->nfixups = 0;
  bind(a, kLoopI);
  emit_imm(a, kLoad, 0), emit_imm(a, kLoad, 3), emit(a, kLt), emit_jump(a, kJz, kEnd);
  emit_imm(a, kLoad, 0), emit_imm(a, kStore, 1);
  bind(a, kLoopX);
  emit_imm(a, kLoad, 1), emit_imm(a, kPush, 1), emit(a, kNe), emit_jump(a, kJz, kNextI);
  emit_imm(a, kLoad, 1), emit_imm(a, kPush, 1), emit(a, kAnd), emit_jump(a, kJz, kEven);
  emit_imm(a, kLoad, 1), emit_imm(a, kPush, 3), emit(a, kMul), emit_imm(a, kPush, 1), emit(a, kAdd);
  emit_imm(a, kStore, 1), emit_jump(a, kJmp, kStep);
  bind(a, kEven);
  emit_imm(a, kLoad, 1), emit_imm(a, kPush, 1), emit(a, kShr), emit_imm(a, kStore, 1);
  bind(a, kStep);
  emit_imm(a, kLoad, 2), emit_imm(a, kPush, 1), emit(a, kAdd), emit_imm(a, kStore, 2);
  emit_jump(a, kJmp, kLoopX);
  bind(a, kNextI);
  emit_imm(a, kLoad, 0), emit_imm(a, kPush, 1), emit(a, kAdd), emit_imm(a, kStore, 0);
  emit_jump(a, kJmp, kLoopI);
  bind(a, kEnd);
  emit_imm(a, kLoad, 2), emit(a, kHalt);
  for (int i = 0; i < a->nfixups; i++) a->code[a->fixups[i][0]] = a->labels[a->fixups[i][1]];
}

static int64_t run(const int32_t* code, int64_t* regs) {
  int64_t stack[64];
  int sp = 0;
  int pc = 0;
  for (;;) {
    switch ((enum Op)code[pc++]) {
      case kPush: stack[sp++] = code[pc++]; break;
      case kLoad: stack[sp++] = regs[code[pc++]]; break;
      case kStore: regs[code[pc++]] = stack[--sp]; break;
      case kAdd: sp--; stack[sp - 1] += stack[sp]; break;
      case kMul: sp--; stack[sp - 1] *= stack[sp]; break;
      case kAnd: sp--; stack[sp - 1] &= stack[sp]; break;
      case kShr: sp--; stack[sp - 1] >>= stack[sp]; break;
      case kLt: sp--; stack[sp - 1] = stack[sp - 1] < stack[sp]; break;
      case kNe: sp--; stack[sp - 1] = stack[sp - 1] != stack[sp]; break;
      case kJz: {
        int32_t target = code[pc++];
        if (stack[--sp] == 0) pc = target;
        break;
      }
      case kJmp: pc = code[pc]; break;
      case kHalt: return stack[sp - 1];
    }
  }
}

static uint64_t kernel(int n) {
  static Asm a;
  assemble(&a);
  uint64_t sum = 0;
  for (int round = 0; round < n; round++) {
    int64_t regs[4] = {1 + (int64_t)round * 2000, 0, 0, 1 + (int64_t)(round + 1) * 2000};
    sum = mix64(sum, (uint64_t)run(a.code, regs));
  }
  return sum;
}

