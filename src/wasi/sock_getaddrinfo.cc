// sock_getaddrinfo of the WasmEdge socket extension: resolves a host and
// service for the guest, but only names the address policy mentions, and
// fills the addrinfo list the guest linked together in its own memory.
#include <sys/socket.h>

#include <array>
#include <cstring>
#include <string>
#include <vector>

#include "wasi/sock_common.h"
#include "wasi/sock_ext.h"

namespace deja::wasi {
namespace {

constexpr u32 kMaxNodeLen = 1024, kMaxServiceLen = 256;
constexpr size_t kMaxResults = 64;
// aiflags (u16) and protocol (u8) of the extension.
constexpr u16 kAiPassive = 1, kAiNumericHost = 4, kAiNumericServ = 8, kAiAllFlags = 0x7f;
constexpr u8 kProtoIp = 0, kProtoTcp = 1, kProtoUdp = 2;
// Guest struct layouts: addrinfo (28 bytes) and sockaddr (12 bytes).
constexpr u32 kAiFamilyOff = 2, kAiSocktypeOff = 3, kAiProtocolOff = 4, kAiAddrlenOff = 8,
              kAiAddrOff = 12, kAiCanonLenOff = 20, kAiNextOff = 24, kAddrinfoSize = 28;
constexpr u32 kSaDataLenOff = 4, kSaDataOff = 8, kSockaddrSize = 12;

struct Hints {
  u16 flags = 0;
  u8 family = kWasiAfUnspec;
  u8 socktype = kWasiSockAny;
  u8 protocol = kProtoIp;
};

struct Entry {
  SockAddr addr;
  u8 socktype;
};

// A guest string; the extension's callers append a NUL, which is dropped.
Errno ReadName(const GuestMemory& mem, u32 ptr, u32 len, u32 max, std::string* out) {
  if (len > max) return Errno::kNametoolong;
  if (!mem.ReadString(ptr, len, out)) return Errno::kFault;
  while (!out->empty() && out->back() == '\0') out->pop_back();
  if (out->find('\0') != std::string::npos) return Errno::kInval;
  return Errno::kSuccess;
}

Errno ReadHints(const GuestMemory& mem, u32 ptr, Hints* out) {
  if (!mem.Load(ptr, &out->flags) || !mem.Load(ptr + kAiFamilyOff, &out->family) ||
      !mem.Load(ptr + kAiSocktypeOff, &out->socktype) ||
      !mem.Load(ptr + kAiProtocolOff, &out->protocol)) {
    return Errno::kFault;
  }
  if ((out->flags & ~kAiAllFlags) != 0) return Errno::kInval;
  if (out->family > kWasiAfInet6) return Errno::kAfnosupport;
  if (out->socktype > kWasiSockStream || out->protocol > kProtoUdp) return Errno::kInval;
  return Errno::kSuccess;
}

bool IsNumeric(const std::string& text) {
  return !text.empty() && text.find_first_not_of("0123456789") == std::string::npos;
}

// The socket types each address is reported with, as glibc does (stream
// first), narrowed by the hinted type or protocol.
std::vector<u8> SockTypes(const Hints& h) {
  if (h.socktype == kWasiSockStream || h.protocol == kProtoTcp) return {kWasiSockStream};
  if (h.socktype == kWasiSockDgram || h.protocol == kProtoUdp) return {kWasiSockDgram};
  return {kWasiSockStream, kWasiSockDgram};
}

Errno Resolve(WasiCtx& ctx, const std::string& node, const std::string& service, const Hints& hints,
              std::vector<Entry>* out) {
  if (node.empty() && service.empty()) return Errno::kNoent;
  SockAddr numeric;
  bool node_numeric = !node.empty() && ParseNumericHost(node, 0, &numeric);
  if ((hints.flags & kAiNumericHost) != 0 && !node.empty() && !node_numeric) {
    return Errno::kNoent;
  }
  if ((hints.flags & kAiNumericServ) != 0 && !service.empty() && !IsNumeric(service)) {
    return Errno::kNoent;
  }
  if (!node.empty() && !node_numeric && !Net(ctx).policy.AllowsLookup(node)) {
    return Errno::kAcces;
  }
  int family = hints.family == kWasiAfInet4   ? AF_INET
               : hints.family == kWasiAfInet6 ? AF_INET6
                                              : AF_UNSPEC;
  std::vector<sockaddr_storage> found;
  if (Errno err = ctx.sys->GetAddrInfo(node, service, family, SOCK_STREAM, &found);
      err != Errno::kSuccess) {
    return err;
  }
  bool wildcard = node.empty() && (hints.flags & kAiPassive) != 0;
  std::vector<u8> types = SockTypes(hints);
  for (const sockaddr_storage& ss : found) {
    SockAddr addr;
    if (!FromHostSockAddr(ss, sizeof ss, &addr)) continue;
    if (wildcard) {  // the host returned loopback; a passive lookup wants "any"
      std::array<u8, 16> any{};
      addr = MakeSockAddr(std::span<const u8>(any.data(), addr.ip().size()), addr.port());
    }
    for (u8 type : types) {
      if (out->size() < kMaxResults) out->push_back({addr, type});
    }
  }
  return Errno::kSuccess;
}

// Fills one guest addrinfo node (and the sockaddr it points to) with `e`.
// kNobufs when the node's sa_data buffer is too small for the address.
Errno WriteEntry(GuestMemory& mem, u32 node, const Entry& e, u16 flags) {
  u32 sa = 0, sa_cap = 0, sa_data = 0;
  if (!mem.InBounds(node, kAddrinfoSize) || !mem.Load(node + kAiAddrOff, &sa) ||
      !mem.InBounds(sa, kSockaddrSize) || !mem.Load(sa + kSaDataLenOff, &sa_cap) ||
      !mem.Load(sa + kSaDataOff, &sa_data)) {
    return Errno::kFault;
  }
  // sa_data is the host sockaddr after its family: port, then the address
  // (IPv4: 14 bytes; IPv6: port, flowinfo, address, scope id = 26 bytes).
  bool v4 = e.addr.family() == AF_INET;
  u32 data_len = v4 ? 14 : 26;
  if (sa_cap < data_len) return Errno::kNobufs;
  const u8* host_bytes = reinterpret_cast<const u8*>(&e.addr.storage);
  if (!mem.Write(sa_data, std::span<const u8>(host_bytes + 2, data_len))) return Errno::kFault;
  mem.Store<u8>(sa, v4 ? kWasiAfInet4 : kWasiAfInet6);
  mem.Store<u32>(sa + kSaDataLenOff, data_len);
  u8 protocol = e.socktype == kWasiSockStream ? kProtoTcp : kProtoUdp;
  mem.Store<u16>(node, flags);
  mem.Store<u8>(node + kAiFamilyOff, v4 ? kWasiAfInet4 : kWasiAfInet6);
  mem.Store<u8>(node + kAiSocktypeOff, e.socktype);
  mem.Store<u32>(node + kAiProtocolOff, protocol);  // u8 plus its padding
  mem.Store<u32>(node + kAiAddrlenOff, static_cast<u32>(e.addr.len));
  mem.Store<u32>(node + kAiCanonLenOff, 0);  // canonical names are not reported
  return Errno::kSuccess;
}

}  // namespace

Errno SockGetAddrInfo(WasiCtx& ctx, GuestMemory& mem, std::span<const u64> args) {
  u32 node_ptr = Arg(args, 0), node_len = Arg(args, 1);
  u32 service_ptr = Arg(args, 2), service_len = Arg(args, 3);
  u32 hints_ptr = Arg(args, 4), res_ptr = Arg(args, 5), max_len = Arg(args, 6);
  u32 res_len_ptr = Arg(args, 7);
  std::string node, service;
  Hints hints;
  if (Errno err = ReadName(mem, node_ptr, node_len, kMaxNodeLen, &node); err != Errno::kSuccess) {
    return err;
  }
  if (Errno err = ReadName(mem, service_ptr, service_len, kMaxServiceLen, &service);
      err != Errno::kSuccess) {
    return err;
  }
  if (Errno err = ReadHints(mem, hints_ptr, &hints); err != Errno::kSuccess) return err;
  u32 first = 0;
  if (!mem.Load(res_ptr, &first) || !mem.InBounds(res_len_ptr, 4)) return Errno::kFault;
  std::vector<Entry> entries;
  if (Errno err = Resolve(ctx, node, service, hints, &entries); err != Errno::kSuccess) {
    return err;
  }
  SockAddr numeric;
  if (!node.empty() && !ParseNumericHost(node, 0, &numeric)) {
    std::vector<SockAddr> addrs;
    for (const Entry& e : entries) addrs.push_back(e.addr);
    Net(ctx).policy.NoteResolved(node, addrs);
  }
  // Walk the guest's list: one node per result, following ai_next.
  u32 written = 0, cursor = first;
  for (const Entry& e : entries) {
    if (written == max_len || cursor == 0) break;  // a null list holds nothing
    Errno err = WriteEntry(mem, cursor, e, hints.flags);
    if (err == Errno::kNobufs) continue;  // e.g. IPv6 into a 14-byte sa_data: skip it
    if (err != Errno::kSuccess) return err;
    ++written;
    if (written == max_len) break;
    if (!mem.Load(cursor + kAiNextOff, &cursor)) return Errno::kFault;
    if (cursor == 0) break;  // the guest linked fewer nodes than max_len
  }
  mem.Store<u32>(res_len_ptr, written);
  return Errno::kSuccess;
}

}  // namespace deja::wasi
