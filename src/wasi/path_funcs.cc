// The path_* functions of wasi_snapshot_preview1. Every path is resolved
// beneath the directory descriptor it is given (path.h): whole-path
// operations through System::OpenBeneath, final-component operations with *at
// calls on a parent opened beneath it, never following a symlink out.
#include <fcntl.h>

#include <array>

#include "wasi/path.h"
#include "wasi/registry.h"
#include "wasi/rights.h"

namespace deja::wasi {
namespace {

using namespace rights;  // NOLINT: the rights bits read best unqualified here

// Rights whose request means "open for writing": asking for them beneath a
// read-only preopen is EROFS, as write access on a read-only mount is.
constexpr u64 kWriteRights = kFdWrite | kFdAllocate | kFdFilestatSetSize;

// Looks up a directory and resolves `path` (guest memory) beneath it.
Errno Resolve(WasiCtx& ctx, GuestMemory& mem, u32 fd, u64 needed, bool mutates, u32 path_ptr,
              u32 path_len, bool follow, ParentAndName* out) {
  FdEntry* dir = nullptr;
  if (Errno e = GetDir(ctx, fd, needed, mutates, &dir); e != Errno::kSuccess) return e;
  std::string path;
  if (Errno e = ReadGuestPath(mem, path_ptr, path_len, &path); e != Errno::kSuccess) return e;
  // A trailing slash makes POSIX resolve a final symlink for lookups.
  return ResolveParent(*ctx.sys, dir->host_fd, path, follow, out);
}

// Stats the final component itself (never following it).
Errno StatName(WasiCtx& ctx, const ParentAndName& p, struct stat* st) {
  return ctx.sys->FstatAt(p.dir.get(), p.name, st, AT_SYMLINK_NOFOLLOW);
}

// "name/" must be a directory. Returns kSuccess if it is, else `not_dir`
// (or the lookup's own error, e.g. kNoent).
Errno RequireDir(WasiCtx& ctx, const ParentAndName& p, Errno not_dir) {
  struct stat st;
  if (Errno e = StatName(ctx, p, &st); e != Errno::kSuccess) return e;
  return S_ISDIR(st.st_mode) ? Errno::kSuccess : not_dir;
}

Errno PathCreateDirectory(WasiCtx& ctx, GuestMemory& mem, std::span<const u64> a) {
  ParentAndName p;
  Errno e = Resolve(ctx, mem, ArgU32(a, 0), kPathCreateDirectory, true, ArgU32(a, 1), ArgU32(a, 2),
                    false, &p);
  if (e != Errno::kSuccess) return e;
  return ctx.sys->MkdirAt(p.dir.get(), p.name, 0777);
}

Errno PathFilestatGet(WasiCtx& ctx, GuestMemory& mem, std::span<const u64> a) {
  FdEntry* dir = nullptr;
  if (Errno e = GetDir(ctx, ArgU32(a, 0), kPathFilestatGet, false, &dir); e != Errno::kSuccess) {
    return e;
  }
  std::string path;
  if (Errno e = ReadGuestPath(mem, ArgU32(a, 2), ArgU32(a, 3), &path); e != Errno::kSuccess) {
    return e;
  }
  const u32 out = ArgU32(a, 4);
  if (!mem.InBounds(out, 64)) return Errno::kFault;
  // O_PATH|O_NOFOLLOW opens a final symlink itself: fstat then sees the link.
  int flags = O_PATH | O_CLOEXEC | ((ArgU32(a, 1) & kLookupSymlinkFollow) ? 0 : O_NOFOLLOW);
  int fd = -1;
  if (Errno e = OpenBeneath(*ctx.sys, dir->host_fd, path, flags, 0, &fd); e != Errno::kSuccess) {
    return e;
  }
  HostFd holder(ctx.sys.get(), fd, true);
  struct stat st;
  if (Errno e = ctx.sys->Fstat(fd, &st); e != Errno::kSuccess) return e;
  return StoreFilestat(mem, out, st, FileTypeFromMode(st.st_mode));
}

Errno PathFilestatSetTimes(WasiCtx& ctx, GuestMemory& mem, std::span<const u64> a) {
  timespec times[2];
  if (Errno e = TimesFromFstflags(a[4], a[5], static_cast<u16>(a[6]), times);
      e != Errno::kSuccess) {
    return e;
  }
  const u32 path_ptr = ArgU32(a, 2), path_len = ArgU32(a, 3);
  u8 last = 0;
  const bool trailing = path_len > 0 && mem.Load(path_ptr + path_len - 1, &last) && last == '/';
  const bool follow = (ArgU32(a, 1) & kLookupSymlinkFollow) || trailing;
  ParentAndName p;
  Errno e =
      Resolve(ctx, mem, ArgU32(a, 0), kPathFilestatSetTimes, true, path_ptr, path_len, follow, &p);
  if (e != Errno::kSuccess) return e;
  if (p.trailing_slash) {
    if (Errno d = RequireDir(ctx, p, Errno::kNotdir); d != Errno::kSuccess) return d;
  }
  return ctx.sys->UtimensAt(p.dir.get(), p.name, times, AT_SYMLINK_NOFOLLOW);
}

Errno PathLink(WasiCtx& ctx, GuestMemory& mem, std::span<const u64> a) {
  // As wasmtime: linking through a symlink is refused rather than resolved,
  // so a hard link can only ever be made to the link itself.
  if (ArgU32(a, 1) & kLookupSymlinkFollow) return Errno::kInval;
  ParentAndName from, to;
  Errno e = Resolve(ctx, mem, ArgU32(a, 0), kPathLinkSource, true, ArgU32(a, 2), ArgU32(a, 3),
                    false, &from);
  if (e != Errno::kSuccess) return e;
  e = Resolve(ctx, mem, ArgU32(a, 4), kPathLinkTarget, true, ArgU32(a, 5), ArgU32(a, 6), false,
              &to);
  if (e != Errno::kSuccess) return e;
  if (from.trailing_slash) {  // "dir/" cannot be hard-linked, "file/" is not a directory
    e = RequireDir(ctx, from, Errno::kNotdir);
    return e == Errno::kSuccess ? Errno::kPerm : e;
  }
  if (to.trailing_slash) {
    struct stat st;
    return StatName(ctx, to, &st) == Errno::kSuccess ? Errno::kExist : Errno::kNoent;
  }
  return ctx.sys->LinkAt(from.dir.get(), from.name, to.dir.get(), to.name, 0);
}

Errno PathReadlink(WasiCtx& ctx, GuestMemory& mem, std::span<const u64> a) {
  ParentAndName p;
  Errno e =
      Resolve(ctx, mem, ArgU32(a, 0), kPathReadlink, false, ArgU32(a, 1), ArgU32(a, 2), false, &p);
  if (e != Errno::kSuccess) return e;
  const u32 buf = ArgU32(a, 3), buf_len = ArgU32(a, 4), out = ArgU32(a, 5);
  if (!mem.InBounds(buf, buf_len) || !mem.InBounds(out, 4)) return Errno::kFault;
  if (p.trailing_slash) {  // "link/" names the link's target, never a link
    e = RequireDir(ctx, p, Errno::kNotdir);
    return e == Errno::kSuccess ? Errno::kInval : e;
  }
  std::string target;
  if (e = ctx.sys->ReadlinkAt(p.dir.get(), p.name, &target); e != Errno::kSuccess) return e;
  // As wasmtime: a short buffer gets the target truncated, not ERANGE.
  const u32 n = target.size() < buf_len ? static_cast<u32>(target.size()) : buf_len;
  mem.Write(buf, std::span(reinterpret_cast<const u8*>(target.data()), n));
  mem.Store<u32>(out, n);
  return Errno::kSuccess;
}

Errno PathRemoveDirectory(WasiCtx& ctx, GuestMemory& mem, std::span<const u64> a) {
  ParentAndName p;
  Errno e = Resolve(ctx, mem, ArgU32(a, 0), kPathRemoveDirectory, true, ArgU32(a, 1), ArgU32(a, 2),
                    false, &p);
  if (e != Errno::kSuccess) return e;
  return ctx.sys->UnlinkAt(p.dir.get(), p.name, AT_REMOVEDIR);
}

Errno PathRename(WasiCtx& ctx, GuestMemory& mem, std::span<const u64> a) {
  ParentAndName from, to;
  Errno e = Resolve(ctx, mem, ArgU32(a, 0), kPathRenameSource, true, ArgU32(a, 1), ArgU32(a, 2),
                    false, &from);
  if (e != Errno::kSuccess) return e;
  e = Resolve(ctx, mem, ArgU32(a, 3), kPathRenameTarget, true, ArgU32(a, 4), ArgU32(a, 5), false,
              &to);
  if (e != Errno::kSuccess) return e;
  if (from.trailing_slash || to.trailing_slash) {
    if (e = RequireDir(ctx, from, Errno::kNotdir); e != Errno::kSuccess) return e;
  }
  return ctx.sys->RenameAt(from.dir.get(), from.name, to.dir.get(), to.name);
}

Errno PathSymlink(WasiCtx& ctx, GuestMemory& mem, std::span<const u64> a) {
  // A relative target is stored as given: deja resolves every later lookup
  // beneath the preopen again. An absolute one is refused (EPERM, as
  // wasmtime): it would plant a link to the host's root inside the preopen
  // for host tools, which resolve it against the real root, to follow.
  std::string target;
  if (Errno e = ReadGuestPath(mem, ArgU32(a, 0), ArgU32(a, 1), &target); e != Errno::kSuccess) {
    return e;
  }
  if (!target.empty() && target[0] == '/') return Errno::kPerm;
  ParentAndName p;
  Errno e =
      Resolve(ctx, mem, ArgU32(a, 2), kPathSymlink, true, ArgU32(a, 3), ArgU32(a, 4), false, &p);
  if (e != Errno::kSuccess) return e;
  if (p.trailing_slash) {
    struct stat st;
    return StatName(ctx, p, &st) == Errno::kSuccess ? Errno::kExist : Errno::kNoent;
  }
  return ctx.sys->SymlinkAt(target, p.dir.get(), p.name);
}

Errno PathUnlinkFile(WasiCtx& ctx, GuestMemory& mem, std::span<const u64> a) {
  ParentAndName p;
  Errno e =
      Resolve(ctx, mem, ArgU32(a, 0), kPathUnlinkFile, true, ArgU32(a, 1), ArgU32(a, 2), false, &p);
  if (e != Errno::kSuccess) return e;
  if (p.trailing_slash) {  // "x/" is never unlinked: a directory or not one
    e = RequireDir(ctx, p, Errno::kNotdir);
    return e == Errno::kSuccess ? Errno::kIsdir : e;
  }
  return ctx.sys->UnlinkAt(p.dir.get(), p.name, 0);
}

// open(2) flags for a path_open request; kInval for contradictory oflags.
int OpenFlags(u16 oflags, u16 fdflags, bool follow, bool read, bool write) {
  int flags = O_CLOEXEC | O_NOCTTY;
  flags |= write ? (read ? O_RDWR : O_WRONLY) : O_RDONLY;
  if (oflags & kOflagCreat) flags |= O_CREAT;
  if (oflags & kOflagDirectory) flags |= O_DIRECTORY;
  if (oflags & kOflagExcl) flags |= O_EXCL;
  if (oflags & kOflagTrunc) flags |= O_TRUNC;
  if (!follow) flags |= O_NOFOLLOW;
  if (fdflags & kFdflagAppend) flags |= O_APPEND;
  if (fdflags & kFdflagDsync) flags |= O_DSYNC;
  if (fdflags & kFdflagNonblock) flags |= O_NONBLOCK;
  if (fdflags & kFdflagRsync) flags |= O_RSYNC;
  if (fdflags & kFdflagSync) flags |= O_SYNC;
  return flags;
}

// Joins a directory's host path and a relative guest path (informational:
// it says how a snapshot could reopen the file).
std::string JoinHostPath(const std::string& dir, const std::string& path) {
  if (dir.empty()) return {};
  return dir.back() == '/' ? dir + path : dir + "/" + path;
}

Errno PathOpen(WasiCtx& ctx, GuestMemory& mem, std::span<const u64> a) {
  const u16 oflags = static_cast<u16>(a[4]), fdflags = static_cast<u16>(a[7]);
  const u64 want_base = a[5], want_inheriting = a[6];
  const u32 out = ArgU32(a, 8);
  const bool creat = oflags & kOflagCreat, trunc = oflags & kOflagTrunc;
  const u64 needed = kPathOpen | (creat ? kPathCreateFile : 0) | (trunc ? kPathFilestatSetSize : 0);
  FdEntry* dir = nullptr;
  Errno e = GetDir(ctx, ArgU32(a, 0), needed, creat || trunc || (want_base & kWriteRights), &dir);
  if (e != Errno::kSuccess) return e;
  std::string path;
  if (e = ReadGuestPath(mem, ArgU32(a, 2), ArgU32(a, 3), &path); e != Errno::kSuccess) return e;
  if (!mem.InBounds(out, 4)) return Errno::kFault;
  if (creat && (oflags & kOflagDirectory)) return Errno::kInval;

  // Rights are what was asked for, within what the directory hands down.
  const u64 allowed = want_base & dir->rights_inheriting;
  const bool read = allowed & (kFdRead | kFdReaddir), write = allowed & kWriteRights;
  const bool follow = ArgU32(a, 1) & kLookupSymlinkFollow;
  const int flags = OpenFlags(oflags, fdflags, follow, read, write);
  int fd = -1;
  // openat2 insists on mode 0 without O_CREAT.
  e = OpenBeneath(*ctx.sys, dir->host_fd, path, flags, creat ? 0666 : 0, &fd);
  if (e == Errno::kAcces && !read && !write) {
    // Neither read nor write was asked for (a descriptor for fstat or for
    // path calls): an unreadable file still opens, as a path-only descriptor.
    e = OpenBeneath(*ctx.sys, dir->host_fd, path,
                    O_PATH | (flags & (O_NOFOLLOW | O_DIRECTORY | O_CLOEXEC)), 0, &fd);
  }
  if (e != Errno::kSuccess) return e;
  HostFd holder(ctx.sys.get(), fd, true);
  struct stat st;
  if (e = ctx.sys->Fstat(fd, &st); e != Errno::kSuccess) return e;

  FdEntry entry;
  entry.host_fd = fd;
  entry.type = FileTypeFromMode(st.st_mode);
  entry.rights_base = allowed & BaseRights(entry.type, dir->read_only);
  entry.rights_inheriting =
      want_inheriting & dir->rights_inheriting & InheritingRights(entry.type, dir->read_only);
  entry.fdflags =
      fdflags & (kFdflagAppend | kFdflagDsync | kFdflagNonblock | kFdflagRsync | kFdflagSync);
  entry.read_only = dir->read_only;
  entry.guest_path = path;
  entry.host_path = JoinHostPath(dir->host_path, path);
  // Beneath a non-preopen directory the path composes with that directory's
  // own, so a snapshot can reopen the file from the preopen alone.
  entry.base_preopen = dir->preopen ? dir->guest_path : dir->base_preopen;
  entry.base_path = dir->preopen ? path : dir->base_path + "/" + path;
  u32 new_fd = 0;
  if (e = ctx.fds.Insert(std::move(entry), &new_fd); e != Errno::kSuccess) return e;
  (void)holder.Release();  // the table owns it now
  mem.Store<u32>(out, new_fd);
  return Errno::kSuccess;
}

}  // namespace

std::span<const FuncDef> PathFuncs() {
  static constexpr std::array<FuncDef, 13> kFuncs = {{
      {"fd_prestat_get", FdPrestatGet},
      {"fd_prestat_dir_name", FdPrestatDirName},
      {"fd_readdir", FdReaddir},
      {"path_create_directory", PathCreateDirectory},
      {"path_filestat_get", PathFilestatGet},
      {"path_filestat_set_times", PathFilestatSetTimes},
      {"path_link", PathLink},
      {"path_open", PathOpen},
      {"path_readlink", PathReadlink},
      {"path_remove_directory", PathRemoveDirectory},
      {"path_rename", PathRename},
      {"path_symlink", PathSymlink},
      {"path_unlink_file", PathUnlinkFile},
  }};
  return kFuncs;
}

}  // namespace deja::wasi
