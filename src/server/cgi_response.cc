// The guest's stdout -> an HTTP response (RFC 3875 section 6), parsed as it
// streams. Lines end in LF or CRLF; each header line is checked as soon as
// it is complete, so a guest that writes no headers at all is named at its
// first line, not after 64 KiB.
#include <charconv>
#include <string>

#include "server/cgi.h"
#include "server/cgi_text.h"

namespace deja::server {
namespace {

// Framing is the server's: these never pass from the guest to the client.
bool HopByHop(std::string_view lower) {
  return lower == "connection" || lower == "keep-alive" || lower == "transfer-encoding" ||
         lower == "te" || lower == "trailer" || lower == "upgrade" || lower == "proxy-connection";
}

std::string SizeText(size_t bytes) {
  if (bytes % 1024 == 0) return std::to_string(bytes / 1024) + " KiB";
  return std::to_string(bytes) + " bytes";
}

}  // namespace

CgiResponseParser::CgiResponseParser(CgiParseLimits limits) : limits_(limits) {}

Status CgiResponseParser::Fail(std::string message) {
  state_ = State::kFailed;
  error_ = Status::Malformed(std::move(message));
  return error_;
}

Result<std::string_view> CgiResponseParser::Feed(std::string_view chunk) {
  if (state_ == State::kFailed) return error_;
  if (state_ == State::kBody) {
    body_bytes_ += chunk.size();
    if (response_.content_length && body_bytes_ > *response_.content_length) {
      return Fail("body longer than its Content-Length of " +
                  std::to_string(*response_.content_length) + " bytes");
    }
    return chunk;
  }
  // Headers: take at most what the header block may still hold; what is
  // beyond is body if the block ends within the cap, else the cap is hit.
  size_t room = limits_.max_header_bytes - buffer_.size();
  size_t take = std::min(room, chunk.size());
  size_t old_size = buffer_.size();
  buffer_.append(chunk.substr(0, take));
  for (;;) {
    size_t nl = buffer_.find('\n', line_start_);
    if (nl == std::string::npos) break;
    std::string_view line(buffer_.data() + line_start_, nl - line_start_);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    ++line_no_;
    line_start_ = nl + 1;
    if (line.empty()) {
      DEJA_TRY(EndHeaders());
      state_ = State::kBody;
      // The blank line's LF was not in an earlier chunk (it would have been
      // found then), so the body starts inside this chunk: hand out a view
      // of it, never a copy, however large the chunk.
      buffer_.clear();
      buffer_.shrink_to_fit();
      return Feed(chunk.substr(line_start_ - old_size));
    }
    DEJA_TRY(ParseLine(line));
  }
  if (buffer_.size() >= limits_.max_header_bytes) {
    return Fail("no blank line after headers within " + SizeText(limits_.max_header_bytes));
  }
  return std::string_view();
}

Status CgiResponseParser::ParseLine(std::string_view line) {
  std::string at = "line " + std::to_string(line_no_) + ": ";
  if (line.front() == ' ' || line.front() == '\t') {
    return Fail(at + "continuation line (obsolete header folding) is not allowed");
  }
  size_t colon = line.find(':');
  if (colon == std::string_view::npos) return Fail(at + "header without colon");
  std::string_view name = line.substr(0, colon);
  if (name.empty()) return Fail(at + "empty header name");
  if (!IsToken(name)) {
    return Fail(at + "header name '" + Printable(name) + "' has a character not allowed in a name");
  }
  std::string_view value = TrimOws(line.substr(colon + 1));
  for (char c : value) {
    unsigned char u = static_cast<unsigned char>(c);
    if ((u < 0x20 && c != '\t') || u == 0x7f) {
      return Fail(at + "header '" + std::string(name) + "' has a control character in its value (" +
                  Printable(std::string_view(&c, 1)) + ")");
    }
  }
  if (++header_count_ > limits_.max_header_count) {
    return Fail(at + "more than " + std::to_string(limits_.max_header_count) + " headers");
  }
  std::string lower = Lower(name);
  if (lower == "status") {
    if (seen_status_) return Fail(at + "second Status header");
    seen_status_ = true;
    bool digits = value.size() >= 3 && std::isdigit(static_cast<unsigned char>(value[0])) &&
                  std::isdigit(static_cast<unsigned char>(value[1])) &&
                  std::isdigit(static_cast<unsigned char>(value[2])) &&
                  (value.size() == 3 || value[3] == ' ' || value[3] == '\t');
    if (!digits) return Fail(at + "Status '" + Printable(value) + "' not a 3-digit code");
    int code = (value[0] - '0') * 100 + (value[1] - '0') * 10 + (value[2] - '0');
    if (code < 200 || code > 599) {
      return Fail(at + "Status " + std::string(value.substr(0, 3)) +
                  " is not a final response code (200-599)");
    }
    response_.status = code;
    response_.reason = std::string(TrimOws(value.substr(3)));
    return Status();
  }
  if (lower == "content-length") {
    uint64_t n = 0;
    auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
    if (value.empty() || ec != std::errc() || end != value.data() + value.size()) {
      return Fail(at + "Content-Length '" + Printable(value) + "' not a number");
    }
    if (response_.content_length && *response_.content_length != n) {
      return Fail(at + "second Content-Length with a different value");
    }
    response_.content_length = n;
    return Status();
  }
  if (HopByHop(lower)) return Status();
  if (lower == "content-type") {
    if (seen_type_) return Fail(at + "second Content-Type header");
    seen_type_ = true;
  } else if (lower == "location") {
    if (seen_location_) return Fail(at + "second Location header");
    if (value.empty()) return Fail(at + "empty Location");
    seen_location_ = true;
    response_.location = std::string(value);
  }
  response_.headers.push_back({std::string(name), std::string(value)});
  return Status();
}

Status CgiResponseParser::EndHeaders() {
  if (line_no_ == 1) return Fail("line 1: blank line before any header");
  if (!seen_status_ && !seen_type_ && !seen_location_) {
    return Fail("no Content-Type, Location or Status header before the blank line at line " +
                std::to_string(line_no_));
  }
  if (!seen_location_) {
    response_.kind = CgiResponseKind::kDocument;
    return Status();
  }
  const std::string& loc = response_.location;
  bool local = loc.front() == '/' && !loc.starts_with("//");
  size_t colon = loc.find(':');
  bool absolute = colon != std::string::npos && colon > 0 && IsToken(loc.substr(0, colon)) &&
                  loc.find('/') > colon;
  if (seen_status_) {
    // Location with an explicit Status (201 Created, 303 See Other, ...): a
    // document that carries a Location header, any reference allowed.
    response_.kind = response_.status / 100 == 3 ? CgiResponseKind::kClientRedirectWithDocument
                                                 : CgiResponseKind::kDocument;
    return Status();
  }
  if (local) {
    // RFC 3875 6.2.2: the server fetches this path itself; other fields
    // and any body are discarded.
    response_.kind = CgiResponseKind::kLocalRedirect;
    response_.headers.clear();
    return Status();
  }
  if (!absolute) {
    return Fail("Location '" + Printable(loc) +
                "' is neither an absolute URI nor a path starting with '/'");
  }
  response_.status = 302;
  response_.kind = seen_type_ ? CgiResponseKind::kClientRedirectWithDocument
                              : CgiResponseKind::kClientRedirect;
  return Status();
}

Status CgiResponseParser::Finish() {
  if (state_ == State::kFailed) return error_;
  if (state_ == State::kHeaders) {
    if (buffer_.empty()) return Fail("no output: the guest wrote nothing to stdout");
    if (line_start_ < buffer_.size()) {
      // A last line without its newline is still checked, so plain text
      // is named for what it is ("line 1: header without colon").
      std::string_view line(buffer_.data() + line_start_, buffer_.size() - line_start_);
      if (line.back() == '\r') line.remove_suffix(1);
      ++line_no_;
      line_start_ = buffer_.size();
      if (!line.empty()) DEJA_TRY(ParseLine(line));
    }
    return Fail("output ended after " + std::to_string(line_no_) +
                " line(s) with no blank line after the headers");
  }
  if (response_.content_length && body_bytes_ != *response_.content_length) {
    return Fail("body is " + std::to_string(body_bytes_) + " bytes but Content-Length says " +
                std::to_string(*response_.content_length));
  }
  return Status();
}

Result<CgiParsedOutput> ParseCgiOutput(std::string_view output, CgiParseLimits limits) {
  CgiResponseParser parser(limits);
  CgiParsedOutput out;
  Result<std::string_view> body = parser.Feed(output);
  if (!body.ok()) return body.take_status();
  out.body.assign(*body);
  DEJA_TRY(parser.Finish());
  out.response = parser.response();
  return out;
}

}  // namespace deja::server
