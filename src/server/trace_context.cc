#include "server/trace_context.h"

#include <strings.h>

namespace deja::server {
namespace {

bool LowerHex(std::string_view s) {
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

bool AllZero(std::string_view s) { return s.find_first_not_of('0') == std::string_view::npos; }

}  // namespace

bool ValidTraceparent(std::string_view v) {
  if (v.size() < 55 || v[2] != '-' || v[35] != '-' || v[52] != '-') return false;
  std::string_view version = v.substr(0, 2), trace_id = v.substr(3, 32), parent_id = v.substr(36, 16),
                   flags = v.substr(53, 2);
  if (!LowerHex(version) || !LowerHex(trace_id) || !LowerHex(parent_id) || !LowerHex(flags)) return false;
  if (version == "ff" || AllZero(trace_id) || AllZero(parent_id)) return false;
  if (version == "00") return v.size() == 55;
  return v.size() == 55 || v[55] == '-';
}

std::string_view AcceptedTraceparent(const HttpRequest& request) {
  std::string_view found;
  int count = 0;
  for (const auto& [name, value] : request.headers) {
    if (name.size() == 11 && strncasecmp(name.c_str(), "traceparent", 11) == 0) {
      found = value;
      ++count;
    }
  }
  return count == 1 && ValidTraceparent(found) ? found : std::string_view();
}

}  // namespace deja::server
