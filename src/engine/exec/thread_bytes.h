// Little-endian helpers and the shared constants of the thread state
// formats: the current, portable one (thread_save.cc) and the old,
// layout-bound one still read for states with frames (thread_load_v3.cc).
#pragma once

#include <cstring>
#include <span>
#include <string>
#include <vector>

#include "base/types.h"
#include "deja/status.h"

namespace deja::engine {

struct ThreadState;

inline constexpr u32 kThreadMagic = 0x48544a44;  // "DJTH"

template <typename T>
void Put(std::vector<u8>* out, T v) {
  u8 bytes[sizeof(T)];
  std::memcpy(bytes, &v, sizeof(T));
  out->insert(out->end(), bytes, bytes + sizeof(T));
}

template <typename T>
bool Take(std::span<const u8>* in, T* v) {
  if (in->size() < sizeof(T)) return false;
  std::memcpy(v, in->data(), sizeof(T));
  *in = in->subspan(sizeof(T));
  return true;
}

inline Status Corrupt(const std::string& what) {
  return Status::Corruption("thread state: " + what);
}

// Reads the rest of a version 1..3 state (after magic and version) into
// `st`, which is fresh. Frames (pcs into this build's code) are accepted
// only when the recorded code layout is this build's.
Status RestoreLegacyState(u32 version, std::span<const u8>* in, ThreadState* st);

// The checks every version shares once frames and fuel are read.
Status CheckFuelAndSuspend(const ThreadState& st);

}  // namespace deja::engine
