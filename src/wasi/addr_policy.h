// The deny-by-default network policy of a WASI instance: which destinations a
// guest may connect or send to (WasiConfig::allow_connect), which local
// addresses it may bind (WasiConfig::listen) and which host names it may
// resolve. Rules and their reasons: docs/wasi_sockets.md.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "deja/status.h"
#include "wasi/sock_addr.h"
#include "wasi/system.h"

namespace deja::wasi {

// True when `text` matches `pattern`, where '*' matches any run of
// characters (also none). ASCII case-insensitive.
bool GlobMatch(std::string_view pattern, std::string_view text);

class AddrPolicy {
 public:
  // Parses "HOST:PORT" patterns ('*' wildcards; IPv6 in brackets).
  // Errors: kInvalidArgument naming the first malformed pattern.
  static Result<AddrPolicy> Create(const std::vector<std::string>& allow_connect,
                                   const std::vector<std::string>& listen);

  // Whether the guest may connect or send to `dest`. Judged on the numeric
  // address (IPv4-mapped IPv6 as IPv4): a numeric pattern must be that
  // address; a name pattern must resolve to it, or the guest must have
  // resolved a matching name to it through sock_getaddrinfo.
  bool AllowsConnect(const SockAddr& dest, System& sys);
  // Whether the guest may bind a socket to `local` (the same rules against
  // the listen patterns).
  bool AllowsBind(const SockAddr& local, System& sys);
  // Whether the guest may look `name` up: only names some pattern names
  // (or matches by wildcard). Numeric hosts need no permission.
  bool AllowsLookup(std::string_view name) const;
  // Remembers that a lookup of `name` (already allowed) produced `addrs`.
  void NoteResolved(std::string_view name, const std::vector<SockAddr>& addrs);

 private:
  // kAny is "*"; an IP glob ("10.0.*", "[fe80::*]") matches address text
  // only, a name glob ("*.example.com") names the guest resolved only.
  enum class HostKind { kAny, kNumeric, kIpGlob, kName, kNameGlob };
  struct Pattern {
    std::string text;  // as configured, for messages
    std::string host;  // lower case, without brackets
    std::string port;  // may contain '*'
    HostKind kind = HostKind::kName;
    SockAddr numeric;             // kNumeric
    bool resolved = false;        // kName: `addrs` is filled
    std::vector<SockAddr> addrs;  // kName: what the name resolved to
  };
  static Result<Pattern> ParsePattern(const std::string& text);
  bool Matches(Pattern& p, const SockAddr& a, System& sys);
  bool Allows(std::vector<Pattern>& patterns, const SockAddr& a, System& sys);

  std::vector<Pattern> connect_;
  std::vector<Pattern> listen_;
  // IP text -> names the guest resolved to it (bounded; see NoteResolved).
  std::map<std::string, std::vector<std::string>> names_;
  size_t name_count_ = 0;
};

// The socket area's per-instance state, hung off WasiCtx::net.
struct NetState {
  AddrPolicy policy;
};

}  // namespace deja::wasi
