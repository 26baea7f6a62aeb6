// Saving and restoring the WASI state of a suspended guest. Format and
// decisions: docs/snapshots.md, "WASI state".
#include "wasi/wasi_state.h"

#include <fcntl.h>

#include <string>
#include <utility>

#include "wasi/path.h"
#include "wasi/rights.h"
#include "wasi/state_codec.h"

namespace deja::wasi {
namespace {

constexpr u32 kMonotonicClock = 1;

// How a descriptor comes back. kClosed is what cannot move (sockets, guest-
// made listeners, anything of unknown origin): a placeholder with no rights
// and no host descriptor, so every call on it fails before reaching the host.
enum class Kind : u8 { kStdio = 0, kPreopen = 1, kPath = 2, kListener = 3, kClosed = 4 };
constexpr u8 kMaxKind = 4;

// Access a path descriptor was opened with (F_GETFL's O_ACCMODE, or O_PATH).
enum class Access : u8 { kRead = 0, kWrite = 1, kReadWrite = 2, kPathOnly = 3 };
constexpr u8 kMaxAccess = 3;

// The shortest descriptor record (a closed one with no rights): fd, kind,
// type, two rights, fdflags, read_only, one byte each.
constexpr u64 kMinFdRecord = 7;

constexpr u16 kKnownFdflags =
    kFdflagAppend | kFdflagDsync | kFdflagNonblock | kFdflagRsync | kFdflagSync;

// One saved descriptor, as decoded (everything validated but the paths,
// which only the kernel's RESOLVE_BENEATH can judge).
struct SavedFd {
  u32 fd = 0;
  Kind kind = Kind::kClosed;
  FileType type = FileType::kUnknown;
  u64 rights_base = 0, rights_inheriting = 0;
  u16 fdflags = 0;
  bool read_only = false;
  u32 stdio = 0;           // kStdio: which of the resuming run's 0-2
  std::string name;        // kPreopen, kPath: the preopen's guest name; kListener: address
  std::string path;        // kPath: beneath the preopen
  std::string guest_path;  // kPath: the path the guest opened it by
  Access access = Access::kRead;
  u64 offset = 0;  // kPath, regular files
};

Kind KindOf(const WasiCtx& ctx, const FdEntry& e, u32* stdio) {
  if (e.host_fd < 0) return Kind::kClosed;
  if (!e.owned) {
    // Matched by the descriptor Create set up, whatever its kind (host,
    // buffer or pipe): the resuming run's stream of that number takes over.
    for (u32 i = 0; i < 3; ++i) {
      if (ctx.stdio_host_fd[i] == e.host_fd) {
        *stdio = i;
        return Kind::kStdio;
      }
    }
    return Kind::kClosed;
  }
  if (e.preopen) return Kind::kPreopen;
  if (e.listener && !e.listen_address.empty()) return Kind::kListener;
  if (e.type == FileType::kSocketStream || e.type == FileType::kSocketDgram) return Kind::kClosed;
  if (!e.base_preopen.empty()) return Kind::kPath;
  return Kind::kClosed;
}

Status SavePathFd(WasiCtx& ctx, u32 fd, const FdEntry& e, StateWriter& w) {
  int flags = 0;
  if (Errno err = ctx.sys->GetFlags(e.host_fd, &flags); err != Errno::kSuccess) {
    return Status::IoError("guest fd " + std::to_string(fd) + ": flags: " + ErrnoName(err));
  }
  Access access = Access::kRead;
  if (flags & O_PATH) {
    access = Access::kPathOnly;
  } else if ((flags & O_ACCMODE) == O_WRONLY) {
    access = Access::kWrite;
  } else if ((flags & O_ACCMODE) == O_RDWR) {
    access = Access::kReadWrite;
  }
  u64 offset = 0;
  if (e.type == FileType::kRegularFile && access != Access::kPathOnly) {
    if (Errno err = ctx.sys->Seek(e.host_fd, 0, SEEK_CUR, &offset); err != Errno::kSuccess) {
      return Status::IoError("guest fd " + std::to_string(fd) + " (\"" + e.guest_path +
                             "\"): offset: " + ErrnoName(err));
    }
  }
  w.String(e.base_preopen);
  w.String(e.base_path);
  w.String(e.guest_path);
  w.Byte(static_cast<u8>(access));
  w.Varint(offset);
  return Status();
}

void WriteList(StateWriter& w, const std::vector<std::string>& list) {
  w.Varint(list.size());
  for (const std::string& s : list) w.String(s);
}

std::vector<std::string> ReadList(StateReader& r, const char* what) {
  std::vector<std::string> list(r.Count(kMaxStateListEntries, 1, what));
  for (std::string& s : list) s = r.String(kMaxStateString);
  return r.ok() ? list : std::vector<std::string>{};
}

// A valid path or name in a snapshot: what ReadGuestPath would accept.
bool ValidPath(const std::string& p) {
  return !p.empty() && p.size() <= kMaxPathLen && p.find('\0') == std::string::npos;
}

bool DecodeFd(StateReader& r, u64 fd_cap, SavedFd* s) {
  const u64 fd = r.Varint();
  const u8 kind = r.Byte(), type = r.Byte();
  s->rights_base = r.Varint();
  s->rights_inheriting = r.Varint();
  const u64 fdflags = r.Varint();
  const u8 read_only = r.Byte();
  if (!r.ok()) return false;
  if (fd >= fd_cap) return r.Fail("guest fd " + std::to_string(fd) + " exceeds max_fds"), false;
  if (kind > kMaxKind || type > static_cast<u8>(FileType::kSymbolicLink) || read_only > 1 ||
      (fdflags & ~u64{kKnownFdflags}) != 0 || (s->rights_base & ~rights::kAll) != 0 ||
      (s->rights_inheriting & ~rights::kAll) != 0) {
    return r.Fail("guest fd " + std::to_string(fd) + ": invalid descriptor record"), false;
  }
  s->fd = static_cast<u32>(fd);
  s->kind = static_cast<Kind>(kind);
  s->type = static_cast<FileType>(type);
  s->fdflags = static_cast<u16>(fdflags);
  s->read_only = read_only != 0;
  const std::string where = "guest fd " + std::to_string(fd);
  switch (s->kind) {
    case Kind::kStdio: {
      const u64 which = r.Varint();
      if (r.ok() && which > 2) r.Fail(where + ": stdio number " + std::to_string(which));
      s->stdio = static_cast<u32>(which);
      break;
    }
    case Kind::kPreopen:
    case Kind::kListener:
      s->name = r.String(kMaxPathLen);
      if (r.ok() && !ValidPath(s->name)) r.Fail(where + ": invalid name");
      break;
    case Kind::kPath: {
      s->name = r.String(kMaxPathLen);
      s->path = r.String(kMaxPathLen);
      s->guest_path = r.String(kMaxPathLen);
      const u8 access = r.Byte();
      s->offset = r.Varint();
      if (r.ok() && (!ValidPath(s->name) || !ValidPath(s->path) || access > kMaxAccess ||
                     s->offset > static_cast<u64>(INT64_MAX))) {
        r.Fail(where + ": invalid path record");
      }
      s->access = static_cast<Access>(access);
      break;
    }
    case Kind::kClosed:
      break;
  }
  return r.ok();
}

// What the fresh context was granted, taken out of its table so the saved
// descriptors can claim them by identity (not by number).
struct Grants {
  std::vector<std::pair<u32, FdEntry>> entries;
  std::vector<bool> claimed;

  // The first unclaimed entry `match` accepts, or nullptr. The caller
  // copies it: the grant keeps its descriptor until the restore commits.
  template <typename F>
  const FdEntry* Claim(F match) {
    for (size_t i = 0; i < entries.size(); ++i) {
      if (!claimed[i] && match(entries[i].first, entries[i].second)) {
        claimed[i] = true;
        return &entries[i].second;
      }
    }
    return nullptr;
  }
  // A granted preopen by guest name (claimed or not: files beneath it only
  // borrow its host descriptor).
  const FdEntry* Preopen(const std::string& name) const {
    for (const auto& [fd, e] : entries) {
      if (e.preopen && e.guest_path == name) return &e;
    }
    return nullptr;
  }
};

FdEntry ClosedPlaceholder(const SavedFd& s) {
  FdEntry e;
  e.host_fd = -1;
  e.type = s.type;
  return e;  // no rights: every call but fd_close and fd_fdstat_get is refused
}

const char* TypeName(FileType t) {
  switch (t) {
    case FileType::kDirectory:
      return "a directory";
    case FileType::kRegularFile:
      return "a regular file";
    case FileType::kSymbolicLink:
      return "a symbolic link";
    default:
      return "another kind of file";
  }
}

// Reopens a descriptor path_open made, beneath the granted preopen of the
// same guest name, through the same RESOLVE_BENEATH path as guest paths.
Status ReopenPath(WasiCtx& ctx, const Grants& grants, const SavedFd& s, FdEntry* out) {
  const std::string shown = s.name + (s.name.back() == '/' ? "" : "/") + s.path;
  const std::string where = "\"" + shown + "\" (guest fd " + std::to_string(s.fd) + ")";
  const FdEntry* dir = grants.Preopen(s.name);
  if (dir == nullptr) {
    return Status::NotFound("snapshot needs preopen \"" + s.name + "\" for " + where +
                            ": not granted");
  }
  // A preopen granted read-only now degrades a writable file to reading.
  const bool read_only = dir->read_only || s.read_only;
  int flags = O_CLOEXEC | O_NOCTTY;
  switch (s.access) {
    case Access::kPathOnly:
      flags |= O_PATH;
      break;
    case Access::kRead:
      flags |= O_RDONLY;
      break;
    case Access::kWrite:
      flags |= read_only ? O_RDONLY : O_WRONLY;
      break;
    case Access::kReadWrite:
      flags |= read_only ? O_RDONLY : O_RDWR;
      break;
  }
  if (s.type == FileType::kDirectory) flags |= O_DIRECTORY;
  if (s.type == FileType::kSymbolicLink) flags |= O_NOFOLLOW;  // an O_PATH on the link itself
  if (s.access != Access::kPathOnly) {
    if (s.fdflags & kFdflagAppend) flags |= O_APPEND;
    if (s.fdflags & kFdflagNonblock) flags |= O_NONBLOCK;
    if (s.fdflags & kFdflagDsync) flags |= O_DSYNC;
    if (s.fdflags & kFdflagSync) flags |= O_SYNC;
  }
  int fd = -1;
  // Never O_CREAT: a file that is gone is an error, not an empty new file.
  if (Errno e = OpenBeneath(*ctx.sys, dir->host_fd, s.path, flags, 0, &fd); e != Errno::kSuccess) {
    return Status::NotFound("snapshot needs file " + where + ": " + ErrnoName(e));
  }
  HostFd holder(ctx.sys.get(), fd, true);
  struct stat st;
  if (Errno e = ctx.sys->Fstat(fd, &st); e != Errno::kSuccess) {
    return Status::IoError("snapshot file " + where + ": " + ErrnoName(e));
  }
  const FileType type = FileTypeFromMode(st.st_mode);
  if (type != s.type) {
    return Status::InvalidArgument("snapshot file " + where + " is now " + TypeName(type) +
                                   ", was " + TypeName(s.type));
  }
  if (type == FileType::kRegularFile && s.access != Access::kPathOnly) {
    u64 pos = 0;
    if (Errno e = ctx.sys->Seek(fd, static_cast<i64>(s.offset), SEEK_SET, &pos);
        e != Errno::kSuccess) {
      return Status::IoError("snapshot file " + where + ": seek: " + ErrnoName(e));
    }
  }
  out->host_fd = holder.Release();
  out->type = type;
  out->rights_base = s.rights_base & dir->rights_inheriting & BaseRights(type, read_only);
  out->rights_inheriting =
      s.rights_inheriting & dir->rights_inheriting & InheritingRights(type, read_only);
  out->fdflags = s.fdflags;
  out->read_only = read_only;
  out->guest_path = s.guest_path;
  out->host_path = dir->host_path.empty() ? std::string() : dir->host_path + "/" + s.path;
  out->base_preopen = s.name;
  out->base_path = s.path;
  return Status();
}

// Builds the entry for one saved descriptor from the grants.
Status Rebuild(WasiCtx& ctx, Grants& grants, const SavedFd& s, FdEntry* out) {
  const std::string fd = "guest fd " + std::to_string(s.fd);
  switch (s.kind) {
    case Kind::kStdio: {
      const FdEntry* g =
          grants.Claim([&](u32 n, const FdEntry& e) { return !e.owned && n == s.stdio; });
      if (g == nullptr) {  // the resuming run gives no such stdio descriptor
        *out = ClosedPlaceholder(s);
        return Status();
      }
      *out = *g;
      out->rights_base &= s.rights_base;
      out->rights_inheriting &= s.rights_inheriting;
      return Status();
    }
    case Kind::kPreopen: {
      const FdEntry* g =
          grants.Claim([&](u32, const FdEntry& e) { return e.preopen && e.guest_path == s.name; });
      if (g == nullptr) {
        return Status::NotFound("snapshot needs preopen \"" + s.name + "\" (" + fd +
                                "): not granted");
      }
      *out = *g;
      out->rights_base &= s.rights_base;
      out->rights_inheriting &= s.rights_inheriting;
      out->read_only = g->read_only || s.read_only;
      if (out->read_only) {
        out->rights_base &= ~rights::kModifying;
        out->rights_inheriting &= ~rights::kModifying;
      }
      return Status();
    }
    case Kind::kListener: {
      const FdEntry* g = grants.Claim(
          [&](u32, const FdEntry& e) { return e.listener && e.listen_address == s.name; });
      if (g == nullptr) {
        *out = ClosedPlaceholder(s);
        return Status();
      }
      *out = *g;
      out->rights_base &= s.rights_base;
      out->rights_inheriting &= s.rights_inheriting;
      return Status();
    }
    case Kind::kPath:
      return ReopenPath(ctx, grants, s, out);
    case Kind::kClosed:
      *out = ClosedPlaceholder(s);
      return Status();
  }
  return Status::Internal(fd + ": unknown kind");
}

void CloseEntry(WasiCtx& ctx, const FdEntry& e) {
  if (e.owned && e.host_fd >= 0) (void)ctx.sys->Close(e.host_fd);
}

// "NAME=VALUE" entries of `overrides` replace those of `env` with the same
// NAME, or are added.
void MergeEnv(std::vector<std::string>* env, const std::vector<std::string>& overrides) {
  for (const std::string& o : overrides) {
    const std::string name = o.substr(0, o.find('='));
    std::erase_if(*env, [&](const std::string& e) { return e.substr(0, e.find('=')) == name; });
    env->push_back(o);
  }
}

}  // namespace

Result<std::vector<u8>> SaveWasiState(WasiCtx& ctx) {
  StateWriter w;
  w.Byte(kWasiStateVersion);
  WriteList(w, ctx.config.args);
  WriteList(w, ctx.config.env);
  u64 mono = 0;
  if (Errno e = GuestClockTime(ctx, kMonotonicClock, 0, &mono); e != Errno::kSuccess) {
    return Status::IoError(std::string("monotonic clock: ") + ErrnoName(e));
  }
  w.Varint(mono);
  u32 count = 0;
  for (u32 fd = 0; fd < ctx.fds.size(); ++fd) count += ctx.fds.Get(fd) != nullptr;
  w.Varint(count);
  for (u32 fd = 0; fd < ctx.fds.size(); ++fd) {
    const FdEntry* e = ctx.fds.Get(fd);
    if (e == nullptr) continue;
    u32 stdio = 0;
    const Kind kind = KindOf(ctx, *e, &stdio);
    w.Varint(fd);
    w.Byte(static_cast<u8>(kind));
    w.Byte(static_cast<u8>(e->type));
    w.Varint(e->rights_base);
    w.Varint(e->rights_inheriting);
    w.Varint(e->fdflags);
    w.Byte(e->read_only ? 1 : 0);
    switch (kind) {
      case Kind::kStdio:
        w.Varint(stdio);
        break;
      case Kind::kPreopen:
        w.String(e->guest_path);
        break;
      case Kind::kListener:
        w.String(e->listen_address);
        break;
      case Kind::kPath:
        DEJA_TRY(SavePathFd(ctx, fd, *e, w));
        break;
      case Kind::kClosed:
        break;
    }
  }
  return w.Take();
}

Status RestoreWasiState(WasiCtx& ctx, std::span<const u8> bytes) {
  auto bad = [](const StateReader& r) { return Status::Corruption("WASI state: " + r.error()); };
  StateReader r(bytes);
  const u8 version = r.Byte();
  if (r.ok() && version != kWasiStateVersion) {
    return Status::Unsupported("WASI state version " + std::to_string(version) +
                               " (this deja reads " + std::to_string(kWasiStateVersion) + ")");
  }
  std::vector<std::string> args = ReadList(r, "args");
  std::vector<std::string> env = ReadList(r, "env");
  const u64 mono = r.Varint();
  // 2^62 ns is 146 years of uptime; anything above would let the offset
  // clock wrap around (and so go back) within the guest's lifetime.
  if (r.ok() && mono > (u64{1} << 62)) r.Fail("implausible monotonic reading");
  // Fd numbers stay below max_fds + 3 (FdTable's invariant) in the resuming run.
  const u64 fd_cap = u64{ctx.fds.max()} + 3;
  const u64 count = r.Count(fd_cap, kMinFdRecord, "descriptor");
  if (!r.ok()) return bad(r);
  if (count > ctx.fds.max()) {
    return Status::ResourceExhausted("snapshot has " + std::to_string(count) +
                                     " descriptors; max_fds is " + std::to_string(ctx.fds.max()));
  }
  std::vector<SavedFd> saved(count);
  for (u64 i = 0; i < count; ++i) {
    if (!DecodeFd(r, fd_cap, &saved[i])) return bad(r);
    if (i > 0 && saved[i].fd <= saved[i - 1].fd) {
      r.Fail("descriptors out of order");
      return bad(r);
    }
  }
  if (r.remaining() != 0) {
    r.Fail("trailing bytes");
    return bad(r);
  }

  // Everything decoded: take the grants out of the table and rebuild.
  // Rebuilt entries copy the grants they claim, so on an error the grants go
  // back untouched and only the files reopened here are closed.
  Grants grants;
  for (u32 fd = 0; fd < ctx.fds.size(); ++fd) {
    FdEntry e;
    if (ctx.fds.Take(fd, &e) == Errno::kSuccess) grants.entries.emplace_back(fd, std::move(e));
  }
  grants.claimed.assign(grants.entries.size(), false);
  std::vector<FdEntry> rebuilt(count);
  for (u64 i = 0; i < count; ++i) {
    Status status = Rebuild(ctx, grants, saved[i], &rebuilt[i]);
    if (!status.ok()) {
      for (u64 k = 0; k < i; ++k) {
        if (saved[k].kind == Kind::kPath) CloseEntry(ctx, rebuilt[k]);
      }
      for (auto& [fd, e] : grants.entries) (void)ctx.fds.InsertAt(fd, std::move(e));
      return status;
    }
  }
  // What the resuming run granted but the guest does not hold is closed: its
  // libc learned its preopens at start and would never look at them.
  for (size_t i = 0; i < grants.entries.size(); ++i) {
    if (!grants.claimed[i]) CloseEntry(ctx, grants.entries[i].second);
  }
  for (u64 i = 0; i < count; ++i) {
    // Cannot fail: numbers were checked against the cap and are distinct.
    (void)ctx.fds.InsertAt(saved[i].fd, std::move(rebuilt[i]));
  }
  ctx.config.args = std::move(args);
  MergeEnv(&env, ctx.config.env);
  ctx.config.env = std::move(env);
  // Monotonic time never goes back: if this host's clock reads less than the
  // guest last saw, the guest's clock continues from that reading.
  u64 now = 0;
  ctx.monotonic_offset = 0;
  if (ctx.sys->ClockTimeGet(kMonotonicClock, 0, &now) == Errno::kSuccess && now < mono) {
    ctx.monotonic_offset = mono - now;
  }
  return Status();
}

}  // namespace deja::wasi
