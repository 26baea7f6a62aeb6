// Guest paths for the path_* functions: reading path strings out of guest
// memory and resolving them beneath a directory descriptor, so that no path a
// guest names can reach anything outside the preopen it starts from.
//
// Choices where the spec leaves room (wasmtime's unless said otherwise):
// - A path leaving its directory (absolute, "..", a symlink out, a magic
//   link) fails with EPERM (kEscapeErrno), as cap-std's escape error does in
//   wasmtime; magic links fail with ELOOP (openat2 RESOLVE_NO_MAGICLINKS).
// - Beneath a read-only preopen every mutation is EROFS (wasmtime: EPERM), as
//   on a read-only mount: mkdir, unlink, rmdir, rename, link, symlink, utimes,
//   and path_open with creat, trunc or write rights. Read-only opens work and
//   carry no modifying rights.
// - fd_prestat_dir_name: ENOTDIR for an open non-preopen, ENAMETOOLONG for a
//   short buffer. path_readlink truncates to the buffer. path_link with
//   symlink_follow is EINVAL. fd_readdir cookies are entry numbers with "."
//   and ".." first. NUL in a path is EINVAL, non-UTF-8 EILSEQ, more than
//   kMaxPathLen bytes ENAMETOOLONG, "" ENOENT.
// - A trailing slash requires a directory; errors follow Linux's for the same
//   call (unlink "d/" EISDIR, "f/" ENOTDIR, symlink "n/" ENOENT ...).
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "base/types.h"
#include "wasi/ctx.h"
#include "wasi/errno.h"
#include "wasi/guest_memory.h"
#include "wasi/system.h"

namespace deja::wasi {

// Longest guest path accepted: Linux's PATH_MAX less its NUL. Checked before
// copying, so a guest cannot make the host copy gigabytes of "path".
inline constexpr u32 kMaxPathLen = 4095;
// Most symlinks followed while resolving one final component (Linux's limit).
inline constexpr int kMaxSymlinkFollows = 40;
// What a guest sees when a path would leave its directory (an absolute path,
// "..", a symlink pointing out): EPERM, as wasmtime reports cap-std's escape
// errors. openat2 itself says EXDEV.
inline constexpr Errno kEscapeErrno = Errno::kPerm;

// lookupflags and oflags of wasi_snapshot_preview1.
inline constexpr u32 kLookupSymlinkFollow = 1;
inline constexpr u16 kOflagCreat = 1, kOflagDirectory = 2, kOflagExcl = 4, kOflagTrunc = 8;

// Copies the guest path [ptr, ptr+len) into `out`. Errors: kFault (out of
// bounds), kNametoolong (longer than kMaxPathLen), kInval (a NUL byte inside),
// kIlseq (not UTF-8, as wasmtime), kNoent (empty).
Errno ReadGuestPath(const GuestMemory& mem, u32 ptr, u32 len, std::string* out);

// System::OpenBeneath with escapes reported as kEscapeErrno.
Errno OpenBeneath(System& sys, int dirfd, const std::string& path, int flags, mode_t mode,
                  int* out_fd);

// A host descriptor closed through System when it goes out of scope, unless
// it is borrowed (the start directory itself).
class HostFd {
 public:
  HostFd() = default;
  HostFd(System* sys, int fd, bool owned) : sys_(sys), fd_(fd), owned_(owned) {}
  ~HostFd() { Reset(); }
  HostFd(HostFd&& other) noexcept { *this = std::move(other); }
  HostFd& operator=(HostFd&& other) noexcept;
  HostFd(const HostFd&) = delete;
  HostFd& operator=(const HostFd&) = delete;

  int get() const { return fd_; }
  // Gives up ownership and returns the descriptor.
  int Release() {
    owned_ = false;
    return fd_;
  }

 private:
  void Reset();
  System* sys_ = nullptr;
  int fd_ = -1;
  bool owned_ = false;
};

// The directory holding a path's final component, opened (O_PATH) beneath the
// start directory, and that component.
struct ParentAndName {
  HostFd dir;
  // One component, never empty, never containing '/'. It is "." when the path
  // ended in "." or "..": then `dir` is that directory itself, so no *at call
  // ever acts on a ".." that could lie above the start directory.
  std::string name;
  bool trailing_slash = false;  // the path ended in '/': it must name a directory
};

// Resolves `path` beneath `dirfd` up to its final component. With `follow`,
// a final component that is a symlink is replaced by its target (resolved
// beneath `dirfd` again; an absolute target is an escape) until it is not a
// symlink; kLoop after kMaxSymlinkFollows. The caller acts on out->name with
// *at calls that do not follow symlinks, so a symlink swapped in afterwards is
// acted on itself, never followed out of the sandbox.
Errno ResolveParent(System& sys, int dirfd, std::string_view path, bool follow, ParentAndName* out);

// Looks up the directory descriptor a path call starts from. Errors: kBadf
// (not open), kNotdir (not a directory), kRofs (`mutates` beneath a read-only
// preopen), kNotcapable (a right in `needed` is missing).
Errno GetDir(WasiCtx& ctx, u32 fd, u64 needed, bool mutates, FdEntry** out);

// The i-th argument slot as an i32 parameter.
inline u32 ArgU32(std::span<const u64> args, size_t i) { return static_cast<u32>(args[i]); }

// Handlers of the directory calls (dir_funcs.cc), registered in PathFuncs().
Errno FdPrestatGet(WasiCtx& ctx, GuestMemory& mem, std::span<const u64> args);
Errno FdPrestatDirName(WasiCtx& ctx, GuestMemory& mem, std::span<const u64> args);
Errno FdReaddir(WasiCtx& ctx, GuestMemory& mem, std::span<const u64> args);

}  // namespace deja::wasi
