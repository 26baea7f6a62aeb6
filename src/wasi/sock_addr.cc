#include "wasi/sock_addr.h"

#include <arpa/inet.h>

#include <array>
#include <cstring>

namespace deja::wasi {

u16 SockAddr::port() const {
  if (family() == AF_INET) {
    return ntohs(reinterpret_cast<const sockaddr_in*>(&storage)->sin_port);
  }
  return ntohs(reinterpret_cast<const sockaddr_in6*>(&storage)->sin6_port);
}

std::span<const u8> SockAddr::ip() const {
  if (family() == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(&storage);
    return {reinterpret_cast<const u8*>(&in->sin_addr), 4};
  }
  if (family() == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&storage);
    return {reinterpret_cast<const u8*>(&in6->sin6_addr), 16};
  }
  return {};
}

bool SockAddr::SameIp(const SockAddr& other) const {
  auto a = ip(), b = other.ip();
  return family() == other.family() && a.size() == b.size() &&
         std::memcmp(a.data(), b.data(), a.size()) == 0;
}

SockAddr MakeSockAddr(std::span<const u8> ip, u16 port) {
  SockAddr a;
  if (ip.size() == 4) {
    auto* in = reinterpret_cast<sockaddr_in*>(&a.storage);
    in->sin_family = AF_INET;
    in->sin_port = htons(port);
    std::memcpy(&in->sin_addr, ip.data(), 4);
    a.len = sizeof(sockaddr_in);
  } else if (ip.size() == 16) {
    auto* in6 = reinterpret_cast<sockaddr_in6*>(&a.storage);
    in6->sin6_family = AF_INET6;
    in6->sin6_port = htons(port);
    std::memcpy(&in6->sin6_addr, ip.data(), 16);
    a.len = sizeof(sockaddr_in6);
  }
  return a;
}

bool FromHostSockAddr(const sockaddr_storage& ss, socklen_t len, SockAddr* out) {
  if (ss.ss_family == AF_INET && len >= sizeof(sockaddr_in)) {
    out->len = sizeof(sockaddr_in);
  } else if (ss.ss_family == AF_INET6 && len >= sizeof(sockaddr_in6)) {
    out->len = sizeof(sockaddr_in6);
  } else {
    return false;
  }
  out->storage = ss;
  return true;
}

SockAddr Unmapped(const SockAddr& a) {
  if (a.family() != AF_INET6) return a;
  const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&a.storage);
  if (!IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr)) return a;
  return MakeSockAddr(a.ip().subspan(12, 4), a.port());
}

Errno DecodeGuestAddr(std::span<const u8> buf, u32 port, SockAddr* out) {
  if (port > 0xffff) return Errno::kInval;
  if (buf.size() == kTaggedAddrLen) {
    u16 family = static_cast<u16>(buf[0] | (buf[1] << 8));
    if (family == kWasiAfInet4) {
      buf = buf.subspan(2, 4);
    } else if (family == kWasiAfInet6) {
      buf = buf.subspan(2, 16);
    } else {
      return Errno::kInval;
    }
  }
  if (buf.size() != 4 && buf.size() != 16) return Errno::kInval;
  *out = MakeSockAddr(buf, static_cast<u16>(port));
  return Errno::kSuccess;
}

Errno ReadGuestAddr(const GuestMemory& mem, u32 ptr, u32 port, SockAddr* out) {
  u32 buf = 0, buf_len = 0;
  // The whole struct first, so ptr + 4 cannot wrap around.
  if (!mem.InBounds(ptr, 8) || !mem.Load(ptr, &buf) || !mem.Load(ptr + 4, &buf_len)) {
    return Errno::kFault;
  }
  // Only the three valid sizes are ever read, so a huge buf_len costs nothing.
  if (buf_len != 4 && buf_len != 16 && buf_len != kTaggedAddrLen) return Errno::kInval;
  std::span<const u8> bytes;
  if (!mem.View(buf, buf_len, &bytes)) return Errno::kFault;
  return DecodeGuestAddr(bytes, port, out);
}

Errno WriteGuestAddr(GuestMemory& mem, u32 ptr, u32 port_ptr, const SockAddr& addr) {
  u32 buf = 0, buf_len = 0;
  if (!mem.InBounds(ptr, 8) || !mem.Load(ptr, &buf) || !mem.Load(ptr + 4, &buf_len)) {
    return Errno::kFault;
  }
  if (!mem.InBounds(port_ptr, 4)) return Errno::kFault;
  if (buf_len != kTaggedAddrLen) return Errno::kInval;
  if (!mem.InBounds(buf, kTaggedAddrLen)) return Errno::kFault;
  std::array<u8, kTaggedAddrLen> tagged{};
  auto ip = addr.ip();
  tagged[0] = addr.family() == AF_INET ? kWasiAfInet4 : kWasiAfInet6;
  std::memcpy(tagged.data() + 2, ip.data(), ip.size());
  mem.Write(buf, tagged);
  mem.Store<u32>(port_ptr, addr.port());
  return Errno::kSuccess;
}

std::string FormatIp(const SockAddr& a) {
  char text[INET6_ADDRSTRLEN] = {};
  if (a.family() != AF_INET && a.family() != AF_INET6) return "?";
  inet_ntop(a.family(), a.ip().data(), text, sizeof text);
  return text;
}

std::string FormatSockAddr(const SockAddr& a) {
  std::string ip = FormatIp(a);
  if (a.family() == AF_INET6) ip = "[" + ip + "]";
  return ip + ":" + std::to_string(a.port());
}

bool ParseNumericHost(const std::string& host, u16 port, SockAddr* out) {
  std::array<u8, 16> bytes{};
  if (inet_pton(AF_INET, host.c_str(), bytes.data()) == 1) {
    *out = MakeSockAddr(std::span<const u8>(bytes.data(), 4), port);
    return true;
  }
  if (inet_pton(AF_INET6, host.c_str(), bytes.data()) == 1) {
    *out = MakeSockAddr(bytes, port);
    return true;
  }
  return false;
}

bool SplitHostPort(std::string_view text, std::string* host, std::string* port) {
  size_t colon;
  if (!text.empty() && text[0] == '[') {
    size_t close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return false;
    }
    *host = std::string(text.substr(1, close - 1));
    colon = close + 1;
  } else {
    colon = text.rfind(':');
    if (colon == std::string_view::npos) return false;
    *host = std::string(text.substr(0, colon));
    // An unbracketed IPv6 address would split at its last group: refuse it.
    if (host->find(':') != std::string::npos) return false;
  }
  *port = std::string(text.substr(colon + 1));
  return !host->empty() && !port->empty();
}

bool ParsePort(std::string_view text, u16* out) {
  if (text.empty() || text.size() > 5) return false;
  u32 v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<u32>(c - '0');
  }
  if (v > 0xffff) return false;
  *out = static_cast<u16>(v);
  return true;
}

}  // namespace deja::wasi
