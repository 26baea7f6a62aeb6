// A minimal C++ exception runtime for wasm32-wasi guests built with
// clang-19 -fwasm-exceptions. Debian's wasm libc++abi is built without
// exception support (the link fails on __cxa_throw, __cxa_begin_catch,
// __cxa_end_catch, _Unwind_CallPersonality, __wasm_lpad_context), so a test
// guest includes this header once. It implements the parts clang's code
// calls:
// - __cxa_allocate_exception / __cxa_throw: a header before the object
//   records its type and destructor; the throw is the Wasm `throw` of the
//   C++ tag (index 0, __cpp_exception) with the header's address.
// - _Unwind_CallPersonality: a landing pad stores its call-site index and
//   its LSDA in __wasm_lpad_context, then asks which catch clause applies;
//   the answer (the clause's type-table index, 0 for "cleanup only") goes in
//   __wasm_lpad_context.selector, which the pad compares with each clause's
//   typeid. Types match exactly (same type_info, or same name); catch (...)
//   matches everything. Base-class matching and exception specifications are
//   not implemented: a guest that needs them is outside this shim.
// - __cxa_begin_catch / __cxa_end_catch / __cxa_rethrow: the caught
//   exceptions as a stack, freed when their last handler ends.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <typeinfo>

namespace eh_shim {

struct Header {
  const std::type_info* type;
  void (*destroy)(void*);
  int handlers;    // catch clauses currently in it
  bool rethrown;
  Header* next;    // the caught stack
  // The exception as the landing pads see it (what the Wasm throw carries).
  uint64_t unwind_class;
};

inline Header* FromUnwind(void* exn) {
  return reinterpret_cast<Header*>(static_cast<char*>(exn) - offsetof(Header, unwind_class));
}
inline void* ObjectOf(Header* h) { return h + 1; }
inline Header* HeaderOf(void* object) { return static_cast<Header*>(object) - 1; }

inline Header* caught = nullptr;

inline uintptr_t ReadUleb(const uint8_t** p) {
  uintptr_t v = 0;
  unsigned shift = 0;
  uint8_t b;
  do {
    b = *(*p)++;
    v |= uintptr_t{b & 0x7fu} << shift;
    shift += 7;
  } while (b & 0x80);
  return v;
}

inline intptr_t ReadSleb(const uint8_t** p) {
  uintptr_t v = 0;
  unsigned shift = 0;
  uint8_t b;
  do {
    b = *(*p)++;
    v |= uintptr_t{b & 0x7fu} << shift;
    shift += 7;
  } while (b & 0x80);
  if (shift < 8 * sizeof v && (b & 0x40)) v |= ~uintptr_t{0} << shift;
  return static_cast<intptr_t>(v);
}

inline bool SameType(const std::type_info* a, const std::type_info* b) {
  return a == b || std::strcmp(a->name(), b->name()) == 0;
}

// The selector for `thrown` at call site `index` of `lsda`: the type-table
// index of the first clause that matches, or 0 (cleanup only / no match).
inline uintptr_t Select(const uint8_t* lsda, uintptr_t index, const std::type_info* thrown) {
  const uint8_t* p = lsda;
  uint8_t lp_start_encoding = *p++;
  if (lp_start_encoding != 0xff) std::abort();  // DW_EH_PE_omit is all clang emits here
  uint8_t ttype_encoding = *p++;
  const uint8_t* class_info = nullptr;
  if (ttype_encoding != 0xff) {
    uintptr_t offset = ReadUleb(&p);
    class_info = p + offset;
  }
  uint8_t call_site_encoding = *p++;
  if (call_site_encoding != 0x01) std::abort();  // uleb128
  uintptr_t table_length = ReadUleb(&p);
  const uint8_t* action_table = p + table_length;
  uintptr_t action = 0;
  for (uintptr_t i = 0; p < action_table; ++i) {
    ReadUleb(&p);  // landing pad
    uintptr_t a = ReadUleb(&p);
    if (i == index) {
      action = a;
      break;
    }
  }
  if (action == 0) return 0;
  const uint8_t* record = action_table + action - 1;
  for (;;) {
    intptr_t filter = ReadSleb(&record);
    const uint8_t* next_at = record;
    intptr_t next = ReadSleb(&record);
    if (filter > 0 && class_info != nullptr) {
      // 4-byte entries (absptr, udata4 or sdata4 on wasm32), counted back.
      uint32_t address;
      std::memcpy(&address, class_info - 4 * filter, 4);
      auto* type = reinterpret_cast<const std::type_info*>(uintptr_t{address});
      if (type == nullptr || SameType(type, thrown)) return static_cast<uintptr_t>(filter);
    }
    if (next == 0) return 0;
    record = next_at + next;
  }
}

}  // namespace eh_shim

extern "C" {

struct LandingPadContext {
  uintptr_t lpad_index;
  uintptr_t lsda;
  uintptr_t selector;
};
LandingPadContext __wasm_lpad_context;

int _Unwind_CallPersonality(void* exn) {
  eh_shim::Header* h = eh_shim::FromUnwind(exn);
  __wasm_lpad_context.selector =
      eh_shim::Select(reinterpret_cast<const uint8_t*>(__wasm_lpad_context.lsda),
                      __wasm_lpad_context.lpad_index, h->type);
  return 0;
}

void* __cxa_allocate_exception(size_t size) {
  auto* h = static_cast<eh_shim::Header*>(std::calloc(1, sizeof(eh_shim::Header) + size));
  if (h == nullptr) std::abort();
  return eh_shim::ObjectOf(h);
}

void __cxa_free_exception(void* object) { std::free(eh_shim::HeaderOf(object)); }

[[noreturn]] __attribute__((noinline)) void __cxa_throw(void* object, std::type_info* type, void (*destroy)(void*)) {
  eh_shim::Header* h = eh_shim::HeaderOf(object);
  h->type = type;
  h->destroy = destroy;
  __builtin_wasm_throw(0, &h->unwind_class);
}

void* __cxa_begin_catch(void* exn) {
  eh_shim::Header* h = eh_shim::FromUnwind(exn);
  if (h->handlers++ == 0) {
    h->next = eh_shim::caught;
    eh_shim::caught = h;
  }
  h->rethrown = false;
  return eh_shim::ObjectOf(h);
}

void __cxa_end_catch() {
  eh_shim::Header* h = eh_shim::caught;
  if (h == nullptr || --h->handlers > 0) return;
  eh_shim::caught = h->next;
  if (h->rethrown) return;  // on its way to another handler
  if (h->destroy != nullptr) h->destroy(eh_shim::ObjectOf(h));
  std::free(h);
}

[[noreturn]] __attribute__((noinline)) void __cxa_rethrow() {
  eh_shim::Header* h = eh_shim::caught;
  if (h == nullptr) std::abort();
  h->rethrown = true;
  __builtin_wasm_throw(0, &h->unwind_class);
}

}  // extern "C"
