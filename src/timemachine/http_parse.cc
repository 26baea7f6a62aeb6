// The HTTP/1.x stream parser. Framing follows RFC 9112 section 6: no body
// for 1xx/204/304 and HEAD responses, chunked when Transfer-Encoding ends in
// chunked, else Content-Length, else (responses only) until the stream
// closes. Lines end in LF with an optional CR.
#include "timemachine/http_parse.h"

#include <algorithm>
#include <cctype>

namespace deja::tm::internal {
namespace {

// Longest start, header or chunk-size line accepted: real ones are far
// shorter, and a binary stream fails fast instead of filling memory.
constexpr size_t kMaxLine = 16 * 1024;
constexpr size_t kMaxHeaders = 256;

bool IsTchar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 ||
         std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool IsToken(std::string_view s) { return !s.empty() && std::all_of(s.begin(), s.end(), IsTchar); }

bool EqualsNoCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool IsVersion(std::string_view v) {
  return v.size() == 8 && v.substr(0, 7) == "HTTP/1." && (v[7] == '0' || v[7] == '1');
}

bool ParseDecimal(std::string_view s, u64* out) {
  if (s.empty() || s.size() > 18) return false;
  u64 v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<u64>(c - '0');
  }
  *out = v;
  return true;
}

bool ParseHex(std::string_view s, u64* out) {
  if (s.empty() || s.size() > 15) return false;
  u64 v = 0;
  for (char c : s) {
    int d = std::isxdigit(static_cast<unsigned char>(c)) == 0 ? -1
            : c <= '9'                                        ? c - '0'
                                                              : (std::tolower(c) - 'a' + 10);
    if (d < 0) return false;
    v = v * 16 + static_cast<u64>(d);
  }
  *out = v;
  return true;
}

}  // namespace

std::string_view HttpMessage::Header(std::string_view name) const {
  for (const auto& [n, v] : headers) {
    if (EqualsNoCase(n, name)) return v;
  }
  return {};
}

void HttpStreamParser::Feed(std::span<const u8> bytes, u64 t_start, u64 t_end) {
  if (bytes.empty()) return;
  bytes_seen_ += bytes.size();
  t_start_ = t_start;
  t_end_ = t_end;
  last_t_ = t_end;
  while (!bytes.empty() && !failed_) {
    switch (state_) {
      case State::kStart:
        // Empty lines between messages are allowed (RFC 9112 2.2).
        if (line_.empty() && (bytes[0] == '\r' || bytes[0] == '\n')) {
          bytes = bytes.subspan(1);
          continue;
        }
        if (!in_message_) {
          in_message_ = true;
          cur_ = HttpMessage();
          cur_.request = requests_;
          cur_.start_ns = t_start_;
        }
        [[fallthrough]];
      case State::kHeaders:
      case State::kChunkSize:
      case State::kChunkEnd:
      case State::kTrailers:
        if (TakeLine(bytes)) {
          std::string line = std::move(line_);
          line_.clear();
          if (!line.empty() && line.back() == '\r') line.pop_back();
          OnLine(line);
        }
        break;
      case State::kBody:
      case State::kChunkData: {
        u64 take = std::min<u64>(remaining_, bytes.size());
        cur_.body_bytes += take;
        remaining_ -= take;
        bytes = bytes.subspan(take);
        if (remaining_ == 0) {
          if (state_ == State::kBody) {
            Complete();
          } else {
            state_ = State::kChunkEnd;
          }
        }
        break;
      }
      case State::kUntilClose:
        cur_.body_bytes += bytes.size();
        bytes = {};
        break;
      case State::kUpgraded:
        bytes = {};  // another protocol now (101 Switching Protocols)
        break;
    }
  }
}

bool HttpStreamParser::TakeLine(std::span<const u8>& bytes) {
  for (size_t i = 0; i < bytes.size(); ++i) {
    u8 c = bytes[i];
    if (c == '\n') {
      bytes = bytes.subspan(i + 1);
      return true;
    }
    // Control bytes other than CR and tab never appear in HTTP's lines.
    if ((c < 0x20 && c != '\r' && c != '\t') || c == 0x7f || line_.size() >= kMaxLine) {
      failed_ = true;
      bytes = {};
      return false;
    }
    line_ += static_cast<char>(c);
  }
  bytes = {};
  return false;
}

void HttpStreamParser::OnLine(std::string_view line) {
  switch (state_) {
    case State::kStart:
      if (!StartLine(line)) failed_ = true;
      return;
    case State::kHeaders:
      if (line.empty()) {
        HeadersDone();
      } else if (!HeaderLine(line)) {
        failed_ = true;
      }
      return;
    case State::kChunkSize: {
      u64 size = 0;
      if (!ParseHex(Trim(line.substr(0, line.find(';'))), &size)) {
        failed_ = true;
      } else if (size == 0) {
        state_ = State::kTrailers;
      } else {
        remaining_ = size;
        state_ = State::kChunkData;
      }
      return;
    }
    case State::kChunkEnd:
      if (!line.empty()) failed_ = true;
      state_ = State::kChunkSize;
      return;
    case State::kTrailers:
      if (line.empty()) Complete();  // trailer fields are not shown
      return;
    default:
      return;
  }
}

bool HttpStreamParser::StartLine(std::string_view line) {
  state_ = State::kHeaders;
  if (requests_) {
    size_t sp1 = line.find(' ');
    size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
    if (sp2 == std::string_view::npos) return false;
    std::string_view method = line.substr(0, sp1);
    std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
    std::string_view version = line.substr(sp2 + 1);
    if (!IsToken(method) || target.empty() || !IsVersion(version)) return false;
    cur_.method = method;
    cur_.target = target;
    cur_.version = version;
    return true;
  }
  if (line.size() >= 12 && IsVersion(line.substr(0, 8)) && line[8] == ' ') {
    std::string_view code = line.substr(9, 3);
    u64 status = 0;
    if (!ParseDecimal(code, &status) || status < 100 || (line.size() > 12 && line[12] != ' ')) {
      return false;
    }
    cur_.version = line.substr(0, 8);
    cur_.status = static_cast<int>(status);
    cur_.reason = line.size() > 13 ? line.substr(13) : std::string_view();
    return true;
  }
  // A CGI response starts with its first header line.
  if (!allow_cgi_ || !HeaderLine(line)) return false;
  cur_.cgi = true;
  return true;
}

bool HttpStreamParser::HeaderLine(std::string_view line) {
  if (line[0] == ' ' || line[0] == '\t') {  // obsolete line folding
    if (cur_.headers.empty()) return false;
    cur_.headers.back().second += " ";
    cur_.headers.back().second += Trim(line);
    return true;
  }
  size_t colon = line.find(':');
  if (colon == std::string_view::npos || !IsToken(line.substr(0, colon))) return false;
  if (cur_.headers.size() >= kMaxHeaders) return false;
  cur_.headers.emplace_back(std::string(line.substr(0, colon)),
                            std::string(Trim(line.substr(colon + 1))));
  return true;
}

void HttpStreamParser::HeadersDone() {
  if (cur_.cgi) {
    std::string_view status = cur_.Header("Status");
    u64 code = 200;
    if (!status.empty() && ParseDecimal(status.substr(0, status.find(' ')), &code)) {
      size_t sp = status.find(' ');
      cur_.reason = sp == std::string_view::npos ? "" : Trim(status.substr(sp + 1));
    } else if (!cur_.Header("Location").empty() && status.empty()) {
      code = 302;
    }
    cur_.status = static_cast<int>(code);
  }
  bool interim = !requests_ && cur_.status >= 100 && cur_.status < 200;
  bool head = !requests_ && !interim && head_query_ && head_query_(finals_);
  bool no_body = interim || (!requests_ && (cur_.status == 204 || cur_.status == 304)) || head;
  std::string_view te = cur_.Header("Transfer-Encoding");
  std::string_view cl = cur_.Header("Content-Length");
  if (cur_.status == 101) {
    Complete();
    state_ = State::kUpgraded;
    return;
  }
  if (no_body) {
    Complete();
    return;
  }
  if (!te.empty()) {
    std::string_view last =
        Trim(te.substr(te.rfind(',') == std::string_view::npos ? 0 : te.rfind(',') + 1));
    if (EqualsNoCase(last, "chunked")) {
      cur_.chunked = true;
      state_ = State::kChunkSize;
      return;
    }
    if (requests_) {  // a request body must be delimited (RFC 9112 6.3)
      failed_ = true;
      return;
    }
    state_ = State::kUntilClose;
    return;
  }
  if (!cl.empty() && !cur_.cgi) {
    if (!ParseDecimal(cl, &remaining_)) {
      failed_ = true;
      return;
    }
    if (remaining_ == 0) {
      Complete();
    } else {
      state_ = State::kBody;
    }
    return;
  }
  if (requests_) {
    Complete();
    return;
  }
  state_ = State::kUntilClose;
}

void HttpStreamParser::Complete() {
  cur_.complete = true;
  cur_.end_ns = t_end_;
  if (!requests_ && !(cur_.status >= 100 && cur_.status < 200)) ++finals_;
  messages_.push_back(std::move(cur_));
  cur_ = HttpMessage();
  in_message_ = false;
  state_ = State::kStart;
}

void HttpStreamParser::Close() {
  if (closed_) return;
  closed_ = true;
  if (failed_ || !in_message_) return;
  if (state_ == State::kUntilClose) {
    t_end_ = last_t_;
    Complete();
    return;
  }
  // Cut short: kept when its start line parsed, so a reader sees it.
  if (state_ != State::kStart) {
    cur_.end_ns = last_t_;
    messages_.push_back(std::move(cur_));
    cur_ = HttpMessage();
  }
  in_message_ = false;
}

}  // namespace deja::tm::internal
