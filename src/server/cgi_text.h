// Small text helpers shared by the CGI mapping and its response parser
// (internal to src/server).
#pragma once

#include <string>
#include <string_view>

#include "deja/status.h"

namespace deja::server {

// RFC 9110 token (header names, methods): one or more tchar.
bool IsToken(std::string_view s);
bool EqualsIgnoreCase(std::string_view a, std::string_view b);
std::string Lower(std::string_view s);
// Without leading and trailing spaces and tabs.
std::string_view TrimOws(std::string_view s);
// %XX decoded; fails on a bad escape or a decoded NUL, naming the offset.
Result<std::string> CgiPercentDecode(std::string_view s);
// `s` for a message: non-printable bytes as \xNN, cut at 64 bytes.
std::string Printable(std::string_view s);

}  // namespace deja::server
