#include "wasi/errno.h"

#include <cerrno>

namespace deja::wasi {
namespace {

struct HostPair {
  int host;
  Errno wasi;
};

// Host errno values with a WASI counterpart. EWOULDBLOCK and EOPNOTSUPP alias
// EAGAIN and ENOTSUP on Linux, so they need no entries of their own.
constexpr HostPair kHostErrnos[] = {
    {E2BIG, Errno::k2big}, {EACCES, Errno::kAcces}, {EADDRINUSE, Errno::kAddrinuse},
    {EADDRNOTAVAIL, Errno::kAddrnotavail}, {EAFNOSUPPORT, Errno::kAfnosupport},
    {EAGAIN, Errno::kAgain}, {EALREADY, Errno::kAlready}, {EBADF, Errno::kBadf},
    {EBADMSG, Errno::kBadmsg}, {EBUSY, Errno::kBusy}, {ECANCELED, Errno::kCanceled},
    {ECHILD, Errno::kChild}, {ECONNABORTED, Errno::kConnaborted},
    {ECONNREFUSED, Errno::kConnrefused}, {ECONNRESET, Errno::kConnreset},
    {EDEADLK, Errno::kDeadlk}, {EDESTADDRREQ, Errno::kDestaddrreq}, {EDOM, Errno::kDom},
    {EDQUOT, Errno::kDquot}, {EEXIST, Errno::kExist}, {EFAULT, Errno::kFault},
    {EFBIG, Errno::kFbig}, {EHOSTUNREACH, Errno::kHostunreach}, {EIDRM, Errno::kIdrm},
    {EILSEQ, Errno::kIlseq}, {EINPROGRESS, Errno::kInprogress}, {EINTR, Errno::kIntr},
    {EINVAL, Errno::kInval}, {EIO, Errno::kIo}, {EISCONN, Errno::kIsconn},
    {EISDIR, Errno::kIsdir}, {ELOOP, Errno::kLoop}, {EMFILE, Errno::kMfile},
    {EMLINK, Errno::kMlink}, {EMSGSIZE, Errno::kMsgsize}, {EMULTIHOP, Errno::kMultihop},
    {ENAMETOOLONG, Errno::kNametoolong}, {ENETDOWN, Errno::kNetdown},
    {ENETRESET, Errno::kNetreset}, {ENETUNREACH, Errno::kNetunreach},
    {ENFILE, Errno::kNfile}, {ENOBUFS, Errno::kNobufs}, {ENODEV, Errno::kNodev},
    {ENOENT, Errno::kNoent}, {ENOEXEC, Errno::kNoexec}, {ENOLCK, Errno::kNolck},
    {ENOLINK, Errno::kNolink}, {ENOMEM, Errno::kNomem}, {ENOMSG, Errno::kNomsg},
    {ENOPROTOOPT, Errno::kNoprotoopt}, {ENOSPC, Errno::kNospc}, {ENOSYS, Errno::kNosys},
    {ENOTCONN, Errno::kNotconn}, {ENOTDIR, Errno::kNotdir}, {ENOTEMPTY, Errno::kNotempty},
    {ENOTRECOVERABLE, Errno::kNotrecoverable}, {ENOTSOCK, Errno::kNotsock},
    {ENOTSUP, Errno::kNotsup}, {ENOTTY, Errno::kNotty}, {ENXIO, Errno::kNxio},
    {EOVERFLOW, Errno::kOverflow}, {EOWNERDEAD, Errno::kOwnerdead}, {EPERM, Errno::kPerm},
    {EPIPE, Errno::kPipe}, {EPROTO, Errno::kProto},
    {EPROTONOSUPPORT, Errno::kProtonosupport}, {EPROTOTYPE, Errno::kPrototype},
    {ERANGE, Errno::kRange}, {EROFS, Errno::kRofs}, {ESPIPE, Errno::kSpipe},
    {ESRCH, Errno::kSrch}, {ESTALE, Errno::kStale}, {ETIMEDOUT, Errno::kTimedout},
    {ETXTBSY, Errno::kTxtbsy}, {EXDEV, Errno::kXdev},
};

// Indexed by the WASI errno value.
constexpr const char* kNames[] = {
    "ESUCCESS", "E2BIG", "EACCES", "EADDRINUSE", "EADDRNOTAVAIL", "EAFNOSUPPORT", "EAGAIN",
    "EALREADY", "EBADF", "EBADMSG", "EBUSY", "ECANCELED", "ECHILD", "ECONNABORTED",
    "ECONNREFUSED", "ECONNRESET", "EDEADLK", "EDESTADDRREQ", "EDOM", "EDQUOT", "EEXIST",
    "EFAULT", "EFBIG", "EHOSTUNREACH", "EIDRM", "EILSEQ", "EINPROGRESS", "EINTR", "EINVAL",
    "EIO", "EISCONN", "EISDIR", "ELOOP", "EMFILE", "EMLINK", "EMSGSIZE", "EMULTIHOP",
    "ENAMETOOLONG", "ENETDOWN", "ENETRESET", "ENETUNREACH", "ENFILE", "ENOBUFS", "ENODEV",
    "ENOENT", "ENOEXEC", "ENOLCK", "ENOLINK", "ENOMEM", "ENOMSG", "ENOPROTOOPT", "ENOSPC",
    "ENOSYS", "ENOTCONN", "ENOTDIR", "ENOTEMPTY", "ENOTRECOVERABLE", "ENOTSOCK", "ENOTSUP",
    "ENOTTY", "ENXIO", "EOVERFLOW", "EOWNERDEAD", "EPERM", "EPIPE", "EPROTO",
    "EPROTONOSUPPORT", "EPROTOTYPE", "ERANGE", "EROFS", "ESPIPE", "ESRCH", "ESTALE",
    "ETIMEDOUT", "ETXTBSY", "EXDEV", "ENOTCAPABLE",
};
static_assert(sizeof(kNames) / sizeof(kNames[0]) == static_cast<int>(Errno::kNotcapable) + 1);

}  // namespace

Errno FromHostErrno(int host_errno) {
  if (host_errno == 0) return Errno::kSuccess;
  for (const HostPair& p : kHostErrnos) {
    if (p.host == host_errno) return p.wasi;
  }
  return Errno::kIo;
}

const char* ErrnoName(Errno e) {
  auto i = static_cast<size_t>(e);
  return i < sizeof(kNames) / sizeof(kNames[0]) ? kNames[i] : "E?";
}

}  // namespace deja::wasi
