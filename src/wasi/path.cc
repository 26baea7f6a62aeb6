#include "wasi/path.h"

#include <cstring>

#include "wasi/rights.h"

namespace deja::wasi {
namespace {

// Strict UTF-8 (no overlongs, no surrogates, nothing past U+10FFFF), the
// check Rust's str makes in wasmtime.
bool IsUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const u8 c = static_cast<u8>(s[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    int extra = 0;
    u32 cp = 0, min = 0;
    if ((c & 0xe0) == 0xc0) {
      extra = 1, cp = c & 0x1f, min = 0x80;
    } else if ((c & 0xf0) == 0xe0) {
      extra = 2, cp = c & 0x0f, min = 0x800;
    } else if ((c & 0xf8) == 0xf0) {
      extra = 3, cp = c & 0x07, min = 0x10000;
    } else {
      return false;
    }
    if (i + extra >= s.size()) return false;  // truncated sequence
    for (int k = 1; k <= extra; ++k) {
      const u8 cc = static_cast<u8>(s[i + k]);
      if ((cc & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
    i += extra + 1;
  }
  return true;
}

struct SplitPath {
  std::string parent;  // "." or a prefix ending in '/'
  std::string name;
  bool trailing_slash = false;
};

// Splits `path` before its final component. A path ending in "." or ".."
// becomes (the whole path, ".") so the caller opens that directory itself.
Errno Split(std::string_view path, SplitPath* out) {
  if (path.empty()) return Errno::kNoent;
  size_t end = path.size();
  while (end > 0 && path[end - 1] == '/') --end;
  if (end == 0) return kEscapeErrno;  // "/" or "//...": the root is outside
  out->trailing_slash = end != path.size();
  std::string_view trimmed = path.substr(0, end);
  const size_t slash = trimmed.rfind('/');
  std::string_view name = slash == std::string_view::npos ? trimmed : trimmed.substr(slash + 1);
  if (name == "." || name == "..") {
    out->parent = std::string(trimmed) + "/";
    out->name = ".";
    return Errno::kSuccess;
  }
  out->parent = slash == std::string_view::npos ? "." : std::string(trimmed.substr(0, slash + 1));
  out->name = std::string(name);
  return Errno::kSuccess;
}

}  // namespace

Errno ReadGuestPath(const GuestMemory& mem, u32 ptr, u32 len, std::string* out) {
  if (!mem.InBounds(ptr, len)) return Errno::kFault;
  if (len > kMaxPathLen) return Errno::kNametoolong;
  if (!mem.ReadString(ptr, len, out)) return Errno::kFault;
  if (out->find('\0') != std::string::npos) return Errno::kInval;
  if (!IsUtf8(*out)) return Errno::kIlseq;
  if (out->empty()) return Errno::kNoent;
  return Errno::kSuccess;
}

Errno OpenBeneath(System& sys, int dirfd, const std::string& path, int flags, mode_t mode,
                  int* out_fd) {
  Errno e = sys.OpenBeneath(dirfd, path, flags, mode, out_fd);
  // PosixSystem reports openat2's EXDEV as kNotcapable; the kernel itself
  // never says ENOTCAPABLE, so both mean "this path escapes".
  return e == Errno::kXdev || e == Errno::kNotcapable ? kEscapeErrno : e;
}

HostFd& HostFd::operator=(HostFd&& other) noexcept {
  if (this != &other) {
    Reset();
    sys_ = other.sys_;
    fd_ = other.fd_;
    owned_ = other.owned_;
    other.fd_ = -1;
    other.owned_ = false;
  }
  return *this;
}

void HostFd::Reset() {
  if (owned_ && fd_ >= 0) (void)sys_->Close(fd_);
  fd_ = -1;
  owned_ = false;
}

Errno ResolveParent(System& sys, int dirfd, std::string_view path, bool follow,
                    ParentAndName* out) {
  std::string current(path);
  for (int hops = 0;; ++hops) {
    SplitPath split;
    if (Errno e = Split(current, &split); e != Errno::kSuccess) return e;
    HostFd parent(&sys, dirfd, false);
    if (split.parent != ".") {
      int fd = -1;
      Errno e = OpenBeneath(sys, dirfd, split.parent, O_PATH | O_DIRECTORY | O_CLOEXEC, 0, &fd);
      if (e != Errno::kSuccess) return e;
      parent = HostFd(&sys, fd, true);
    }
    if (follow && split.name != ".") {
      struct stat st;
      if (sys.FstatAt(parent.get(), split.name, &st, AT_SYMLINK_NOFOLLOW) == Errno::kSuccess &&
          S_ISLNK(st.st_mode)) {
        if (hops == kMaxSymlinkFollows) return Errno::kLoop;
        std::string target;
        if (Errno e = sys.ReadlinkAt(parent.get(), split.name, &target); e != Errno::kSuccess) {
          return e;
        }
        if (target.empty()) return Errno::kNoent;
        if (target[0] == '/') return kEscapeErrno;
        current = (split.parent == "." ? std::string() : split.parent) + target +
                  (split.trailing_slash ? "/" : "");
        continue;
      }
    }
    out->dir = std::move(parent);
    out->name = std::move(split.name);
    out->trailing_slash = split.trailing_slash;
    return Errno::kSuccess;
  }
}

Errno GetDir(WasiCtx& ctx, u32 fd, u64 needed, bool mutates, FdEntry** out) {
  FdEntry* e = nullptr;
  if (Errno err = GetFd(ctx.fds, fd, 0, &e); err != Errno::kSuccess) return err;
  if (e->type != FileType::kDirectory) return Errno::kNotdir;
  if (mutates && e->read_only) return Errno::kRofs;
  if ((e->rights_base & needed) != needed) return Errno::kNotcapable;
  *out = e;
  return Errno::kSuccess;
}

}  // namespace deja::wasi
