// Where the registry lives and how runs are named.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>

#include "registry/registry.h"

namespace deja::registry {

std::string Registry::DefaultHome() {
  if (const char* home = std::getenv("DEJA_HOME"); home != nullptr && *home != '\0') return home;
  if (const char* data = std::getenv("XDG_DATA_HOME"); data != nullptr && *data != '\0') {
    return std::string(data) + "/deja";
  }
  const char* home = std::getenv("HOME");
  return std::string(home != nullptr && *home != '\0' ? home : ".") + "/.local/share/deja";
}

std::string Registry::NewRunId() const {
  // 16 bits of seconds (so ids made close in time share no prefix pattern
  // that matters, yet sort roughly by time within ~18 h) and 32 random bits.
  auto secs = std::chrono::duration_cast<std::chrono::seconds>(
                  std::chrono::system_clock::now().time_since_epoch())
                  .count();
  // All 32 low bits random (shifting rd() left by 16 used to leave only 16
  // of them, so 1,000 ids in one second collided a few times): a process
  // that starts thousands of runs a second still rarely draws one twice,
  // and BeginRun refuses the rare duplicate (the caller draws again).
  std::random_device rd;
  u64 random = u64{rd()} ^ (static_cast<u64>(getpid()) * 0x9e3779b9u);
  u64 value = ((static_cast<u64>(secs) & 0xffff) << 32) | (random & 0xffffffff);
  char buf[13];
  std::snprintf(buf, sizeof buf, "%012llx", static_cast<unsigned long long>(value));
  return buf;
}

std::string Registry::LogPath(const std::string& id) const { return home_ + "/runs/" + id + ".log"; }

}  // namespace deja::registry
