#include "cli/run_options.h"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace deja::cli {
namespace {

constexpr uint64_t kPageSize = 65536;
constexpr uint64_t kMaxPages = 65536;  // 4 GiB of 32-bit address space
constexpr uint64_t kMaxSize = uint64_t{1} << 48;

Status NotASize(std::string_view text) {
  return Status::InvalidArgument("\"" + std::string(text) +
                                 "\" is not a size (e.g. 65536, 64MiB, 1GiB)");
}

// The multiplier of a unit suffix, compared without regard to case; 0 if unknown.
uint64_t UnitScale(std::string_view unit) {
  std::string lower(unit);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  struct Unit {
    std::string_view name;
    uint64_t scale;
  };
  constexpr Unit kUnits[] = {
      {"", 1},
      {"b", 1},
      {"k", 1 << 10},
      {"kib", 1 << 10},
      {"kb", 1000},
      {"m", 1 << 20},
      {"mib", 1 << 20},
      {"mb", 1000 * 1000},
      {"g", 1 << 30},
      {"gib", 1 << 30},
      {"gb", 1000 * 1000 * 1000},
  };
  for (const Unit& u : kUnits) {
    if (lower == u.name) return u.scale;
  }
  return 0;
}

}  // namespace

Result<uint64_t> ParseCount(std::string_view text, uint64_t max) {
  std::string range = "a whole number from 0 to " + std::to_string(max);
  bool digits = !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
    return c >= '0' && c <= '9';
  });
  if (!digits) return Status::InvalidArgument("\"" + std::string(text) + "\" is not " + range);
  uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value > max) {
    return Status::InvalidArgument("\"" + std::string(text) + "\" is too large: " + range);
  }
  return value;
}

Result<uint64_t> ParseSize(std::string_view text) {
  uint64_t amount = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), amount);
  if (ec != std::errc() || end == text.data()) return NotASize(text);
  uint64_t scale = UnitScale(text.substr(static_cast<size_t>(end - text.data())));
  if (scale == 0 || amount > kMaxSize / scale) return NotASize(text);
  return amount * scale;
}

Result<uint64_t> MaxMemoryPages(std::string_view text) {
  Result<uint64_t> bytes = ParseSize(text);
  if (!bytes.ok()) return bytes.status();
  if (*bytes > kMaxPages * kPageSize) {
    return Status::InvalidArgument("\"" + std::string(text) +
                                   "\" is above 4GiB, the most a 32-bit memory can use");
  }
  return *bytes / kPageSize;
}

Result<WasiPreopen> ParseDirSpec(std::string_view text, bool read_only) {
  WasiPreopen preopen;
  preopen.read_only = read_only;
  size_t sep = text.find("::");
  preopen.host_path = std::string(text.substr(0, sep));
  preopen.guest_path =
      sep == std::string_view::npos ? preopen.host_path : std::string(text.substr(sep + 2));
  if (preopen.host_path.empty() || preopen.guest_path.empty()) {
    return Status::InvalidArgument("\"" + std::string(text) +
                                   "\" is not HOST_DIR or HOST_DIR::GUEST_DIR");
  }
  return preopen;
}

Result<std::vector<std::string>> BuildGuestEnv(const EnvFlags& flags,
                                               const std::vector<std::string>& host) {
  std::vector<std::string> env;
  // Replaces the entry for the same name, keeping first-seen order.
  auto set = [&env](const std::string& entry) {
    std::string_view name = std::string_view(entry).substr(0, entry.find('=') + 1);
    auto same = [name](const std::string& e) { return e.starts_with(name); };
    auto it = std::find_if(env.begin(), env.end(), same);
    if (it == env.end()) {
      env.push_back(entry);
    } else {
      *it = entry;
    }
  };
  if (flags.inherit) {
    for (const std::string& entry : host) {
      if (entry.find('=') != std::string::npos) set(entry);
    }
  }
  for (const std::string& setting : flags.settings) {
    size_t eq = setting.find('=');
    if (eq == 0 || setting.empty()) {
      return Status::InvalidArgument("\"" + setting + "\" is not NAME=VALUE or NAME");
    }
    if (eq != std::string::npos) {
      set(setting);
      continue;
    }
    auto from_host = std::find_if(host.begin(), host.end(), [&setting](const std::string& e) {
      return e.size() > setting.size() && e.starts_with(setting) && e[setting.size()] == '=';
    });
    if (from_host != host.end()) set(*from_host);
  }
  return env;
}

}  // namespace deja::cli
