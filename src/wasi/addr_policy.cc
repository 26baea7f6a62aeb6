#include "wasi/addr_policy.h"

#include <algorithm>
#include <cctype>

namespace deja::wasi {
namespace {

// Bounds on what a guest can make the policy remember or look up.
constexpr size_t kMaxRememberedNames = 1024;
constexpr size_t kMaxNameLength = 255;

char Lower(char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); }

std::string ToLower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), Lower);
  return out;
}

// "Example.COM." and "example.com" are the same name.
std::string CanonicalName(std::string_view name) {
  std::string out = ToLower(name);
  while (!out.empty() && out.back() == '.') out.pop_back();
  return out;
}

}  // namespace

bool GlobMatch(std::string_view pattern, std::string_view text) {
  // Greedy matching with one backtrack point (the last '*'): linear in
  // practice, O(n*m) at worst, and both sides are short and bounded.
  size_t p = 0, t = 0, star = std::string_view::npos, resume = 0;
  while (t < text.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      resume = t;
    } else if (p < pattern.size() && Lower(pattern[p]) == Lower(text[t])) {
      ++p;
      ++t;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      t = ++resume;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

Result<AddrPolicy::Pattern> AddrPolicy::ParsePattern(const std::string& text) {
  Pattern p;
  p.text = text;
  std::string host, port;
  if (!SplitHostPort(text, &host, &port)) {
    return Status::InvalidArgument("address pattern '" + text +
                                   "': expected HOST:PORT (IPv6 in brackets)");
  }
  u16 port_value = 0;
  if (port.find('*') == std::string::npos && !ParsePort(port, &port_value)) {
    return Status::InvalidArgument("address pattern '" + text + "': bad port '" + port + "'");
  }
  p.host = CanonicalName(host);
  p.port = port;
  if (p.host == "*") {
    p.kind = HostKind::kAny;
  } else if (p.host.find('*') != std::string::npos) {
    bool ip_like = p.host.find(':') != std::string::npos ||
                   p.host.find_first_not_of("0123456789.*") == std::string::npos;
    p.kind = ip_like ? HostKind::kIpGlob : HostKind::kNameGlob;
  } else if (ParseNumericHost(p.host, 0, &p.numeric)) {
    p.kind = HostKind::kNumeric;
    p.numeric = Unmapped(p.numeric);
  } else {
    p.kind = HostKind::kName;
  }
  return p;
}

Result<AddrPolicy> AddrPolicy::Create(const std::vector<std::string>& allow_connect,
                                      const std::vector<std::string>& listen) {
  AddrPolicy policy;
  for (const std::string& text : allow_connect) {
    DEJA_ASSIGN_OR_RETURN(Pattern p, ParsePattern(text));
    policy.connect_.push_back(std::move(p));
  }
  for (const std::string& text : listen) {
    DEJA_ASSIGN_OR_RETURN(Pattern p, ParsePattern(text));
    policy.listen_.push_back(std::move(p));
  }
  return policy;
}

bool AddrPolicy::Matches(Pattern& p, const SockAddr& a, System& sys) {
  if (!GlobMatch(p.port, std::to_string(a.port()))) return false;
  switch (p.kind) {
    case HostKind::kAny:
      return true;
    case HostKind::kNumeric:
      return p.numeric.SameIp(a);
    case HostKind::kIpGlob:
      return GlobMatch(p.host, FormatIp(a));
    case HostKind::kName:
    case HostKind::kNameGlob:
      break;
  }
  auto names = names_.find(FormatIp(a));
  if (names != names_.end()) {
    for (const std::string& name : names->second) {
      if (GlobMatch(p.host, name)) return true;
    }
  }
  if (p.kind == HostKind::kNameGlob) return false;
  if (!p.resolved) {
    // Resolved once, through the System (so a replay sees the same answer).
    std::vector<sockaddr_storage> found;
    if (sys.GetAddrInfo(p.host, "", AF_UNSPEC, SOCK_STREAM, &found) == Errno::kSuccess) {
      for (const sockaddr_storage& ss : found) {
        SockAddr addr;
        if (FromHostSockAddr(ss, sizeof ss, &addr)) p.addrs.push_back(Unmapped(addr));
      }
    }
    p.resolved = true;
  }
  return std::any_of(p.addrs.begin(), p.addrs.end(),
                     [&a](const SockAddr& r) { return r.SameIp(a); });
}

bool AddrPolicy::Allows(std::vector<Pattern>& patterns, const SockAddr& a, System& sys) {
  SockAddr plain = Unmapped(a);
  for (Pattern& p : patterns) {
    if (Matches(p, plain, sys)) return true;
  }
  return false;
}

bool AddrPolicy::AllowsConnect(const SockAddr& dest, System& sys) {
  return Allows(connect_, dest, sys);
}

bool AddrPolicy::AllowsBind(const SockAddr& local, System& sys) {
  return Allows(listen_, local, sys);
}

bool AddrPolicy::AllowsLookup(std::string_view name) const {
  std::string canonical = CanonicalName(name);
  if (canonical.empty() || canonical.size() > kMaxNameLength) return false;
  auto named = [&canonical](const Pattern& p) {
    return (p.kind == HostKind::kAny || p.kind == HostKind::kName ||
            p.kind == HostKind::kNameGlob) &&
           GlobMatch(p.host, canonical);
  };
  return std::any_of(connect_.begin(), connect_.end(), named) ||
         std::any_of(listen_.begin(), listen_.end(), named);
}

void AddrPolicy::NoteResolved(std::string_view name, const std::vector<SockAddr>& addrs) {
  std::string canonical = CanonicalName(name);
  for (const SockAddr& a : addrs) {
    // A guest looping over lookups must not grow this without bound; losing
    // the memory only makes later checks stricter.
    if (name_count_ >= kMaxRememberedNames) {
      names_.clear();
      name_count_ = 0;
    }
    std::vector<std::string>& names = names_[FormatIp(Unmapped(a))];
    if (std::find(names.begin(), names.end(), canonical) == names.end()) {
      names.push_back(canonical);
      ++name_count_;
    }
  }
}

}  // namespace deja::wasi
