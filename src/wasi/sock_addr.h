// Socket addresses as the guest and the host see them: the WasmEdge socket
// extension's encodings (a raw 4/16-byte address, or the 128-byte form tagged
// with a family), host sockaddrs, and "HOST:PORT" text (docs/wasi_sockets.md).
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <span>
#include <string>
#include <string_view>

#include "base/types.h"
#include "wasi/errno.h"
#include "wasi/guest_memory.h"

namespace deja::wasi {

// Address families and socket types of the WasmEdge extension.
inline constexpr u8 kWasiAfUnspec = 0, kWasiAfInet4 = 1, kWasiAfInet6 = 2;
inline constexpr u8 kWasiSockAny = 0, kWasiSockDgram = 1, kWasiSockStream = 2;
// Size of the tagged address form: u16 family (little-endian), then the address.
inline constexpr u32 kTaggedAddrLen = 128;

// An IPv4 or IPv6 host socket address.
struct SockAddr {
  sockaddr_storage storage{};
  socklen_t len = 0;

  int family() const { return storage.ss_family; }
  u16 port() const;
  const sockaddr* get() const { return reinterpret_cast<const sockaddr*>(&storage); }
  // The address bytes (4 or 16), network order.
  std::span<const u8> ip() const;
  bool SameIp(const SockAddr& other) const;
};

// An IPv4 (4 bytes) or IPv6 (16 bytes) address with `port`.
SockAddr MakeSockAddr(std::span<const u8> ip, u16 port);
// Copies a host sockaddr (AF_INET / AF_INET6 only; false otherwise).
bool FromHostSockAddr(const sockaddr_storage& ss, socklen_t len, SockAddr* out);
// An IPv4-mapped IPv6 address as the IPv4 address it reaches; others unchanged.
// Policy checks look at this form, so ::ffff:10.0.0.1 is judged as 10.0.0.1.
SockAddr Unmapped(const SockAddr& a);

// Decodes a guest address buffer: 4 bytes (IPv4), 16 (IPv6) or 128 (tagged).
// kInval for other sizes, unknown families, or port > 65535.
Errno DecodeGuestAddr(std::span<const u8> buf, u32 port, SockAddr* out);
// Reads the {u32 buf, u32 buf_len} address struct at `ptr` and decodes it.
Errno ReadGuestAddr(const GuestMemory& mem, u32 ptr, u32 port, SockAddr* out);
// Writes `addr` in the tagged form into the buffer the address struct at
// `ptr` describes (which must be kTaggedAddrLen bytes, else kInval), and its
// port as a u32 at `port_ptr`.
Errno WriteGuestAddr(GuestMemory& mem, u32 ptr, u32 port_ptr, const SockAddr& addr);

// "127.0.0.1" / "::1" (inet_ntop form) and "127.0.0.1:80" / "[::1]:80".
std::string FormatIp(const SockAddr& a);
std::string FormatSockAddr(const SockAddr& a);
// Parses a numeric host without brackets ("10.0.0.1", "::1").
bool ParseNumericHost(const std::string& host, u16 port, SockAddr* out);
// Splits "HOST:PORT" or "[V6]:PORT" (brackets removed from the host).
// False when there is no ':' separating a non-empty host and port.
bool SplitHostPort(std::string_view text, std::string* host, std::string* port);
// A decimal port 0..65535.
bool ParsePort(std::string_view text, u16* out);

}  // namespace deja::wasi
