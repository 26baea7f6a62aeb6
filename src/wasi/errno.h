// WASI preview 1 errno values (wasi_snapshot_preview1.witx) and the mapping
// from host errno.
#pragma once

#include "base/types.h"

namespace deja::wasi {

enum class Errno : u16 {
  kSuccess = 0, k2big = 1, kAcces = 2, kAddrinuse = 3, kAddrnotavail = 4, kAfnosupport = 5,
  kAgain = 6, kAlready = 7, kBadf = 8, kBadmsg = 9, kBusy = 10, kCanceled = 11, kChild = 12,
  kConnaborted = 13, kConnrefused = 14, kConnreset = 15, kDeadlk = 16, kDestaddrreq = 17,
  kDom = 18, kDquot = 19, kExist = 20, kFault = 21, kFbig = 22, kHostunreach = 23, kIdrm = 24,
  kIlseq = 25, kInprogress = 26, kIntr = 27, kInval = 28, kIo = 29, kIsconn = 30, kIsdir = 31,
  kLoop = 32, kMfile = 33, kMlink = 34, kMsgsize = 35, kMultihop = 36, kNametoolong = 37,
  kNetdown = 38, kNetreset = 39, kNetunreach = 40, kNfile = 41, kNobufs = 42, kNodev = 43,
  kNoent = 44, kNoexec = 45, kNolck = 46, kNolink = 47, kNomem = 48, kNomsg = 49,
  kNoprotoopt = 50, kNospc = 51, kNosys = 52, kNotconn = 53, kNotdir = 54, kNotempty = 55,
  kNotrecoverable = 56, kNotsock = 57, kNotsup = 58, kNotty = 59, kNxio = 60, kOverflow = 61,
  kOwnerdead = 62, kPerm = 63, kPipe = 64, kProto = 65, kProtonosupport = 66, kPrototype = 67,
  kRange = 68, kRofs = 69, kSpipe = 70, kSrch = 71, kStale = 72, kTimedout = 73, kTxtbsy = 74,
  kXdev = 75, kNotcapable = 76,
};

// Maps a host errno value to its WASI equivalent (kIo for unknown values).
Errno FromHostErrno(int host_errno);
const char* ErrnoName(Errno e);  // "EBADF", ...

}  // namespace deja::wasi
