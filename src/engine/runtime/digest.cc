// Store::StateDigest: XXH3-128 over every guest-visible object, in address
// order. Each object is hashed with its kind, size and type ahead of its
// contents, so that no two different states can feed the hash the same
// bytes (e.g. one memory of two pages vs two memories of one page).
#include <xxhash.h>

#include <cstring>
#include <string>

#include "base/hex.h"
#include "deja/store.h"
#include "engine/runtime/objects.h"
#include "engine/runtime/store_impl.h"

namespace deja {
namespace {

class Hasher {
 public:
  Hasher() : state_(XXH3_createState()) { XXH3_128bits_reset(state_); }
  ~Hasher() { XXH3_freeState(state_); }
  Hasher(const Hasher&) = delete;
  Hasher& operator=(const Hasher&) = delete;

  void Bytes(const void* p, size_t n) { XXH3_128bits_update(state_, p, n); }
  void U8(u8 v) { Bytes(&v, 1); }
  void U64(u64 v) {
    u8 b[8];
    for (int i = 0; i < 8; ++i) b[i] = static_cast<u8>(v >> (8 * i));
    Bytes(b, 8);
  }

  std::string Hex() {
    XXH128_canonical_t c;
    XXH128_canonicalFromHash(&c, XXH3_128bits_digest(state_));
    return HexBytes(c.digest);
  }

 private:
  XXH3_state_t* state_;
};

}  // namespace

std::string Store::StateDigest() const {
  const engine::StoreImpl& s = *impl_;
  Hasher h;
  h.U64(s.memories.size());
  for (const auto& m : s.memories) {
    h.U64(m->size / engine::kWasmPageSize);
    // XXH3 runs at memory speed, so hashing untouched zero pages too costs
    // about what detecting them would.
    if (m->size != 0) h.Bytes(m->base, m->size);
  }
  h.U64(s.globals.size());
  for (const auto& g : s.globals) {
    h.U8(static_cast<u8>(g->type.type));
    h.U8(g->type.mut ? 1 : 0);
    h.U64(g->lo);
    h.U64(g->hi);
  }
  h.U64(s.tables.size());
  for (const auto& t : s.tables) {
    h.U8(static_cast<u8>(t->type.elem));
    h.U64(t->elems.size());
    for (RefBits r : t->elems) h.U64(r);
  }
  return h.Hex();
}

}  // namespace deja
