#include "wasi/rights.h"

#include <array>
#include <cstring>

namespace deja::wasi {

FileType FileTypeFromMode(mode_t mode) {
  switch (mode & S_IFMT) {
    case S_IFREG: return FileType::kRegularFile;
    case S_IFDIR: return FileType::kDirectory;
    case S_IFCHR: return FileType::kCharacterDevice;
    case S_IFBLK: return FileType::kBlockDevice;
    case S_IFLNK: return FileType::kSymbolicLink;
    case S_IFSOCK: return FileType::kSocketStream;
    default: return FileType::kUnknown;
  }
}

u64 BaseRights(FileType type, bool read_only) {
  u64 r = 0;
  switch (type) {
    case FileType::kDirectory: r = rights::kDirectory; break;
    case FileType::kRegularFile:
    case FileType::kBlockDevice: r = rights::kFile; break;
    case FileType::kSocketStream:
    case FileType::kSocketDgram: r = rights::kSocket; break;
    default: r = rights::kStream; break;
  }
  return read_only ? r & ~rights::kModifying : r;
}

u64 InheritingRights(FileType type, bool read_only) {
  u64 r = type == FileType::kDirectory ? rights::kDirectoryInheriting : 0;
  // A read-only directory still hands down the rights to write a file's
  // contents: wasi-libc drops any right the directory does not hand down
  // before it calls path_open, so without them an open for writing would
  // quietly become a read-only descriptor instead of failing with EROFS.
  // path_open refuses such requests beneath a read-only preopen, and the
  // descriptors it does make never carry a modifying right (BaseRights).
  return read_only ? r & ~(rights::kModifying & ~rights::kFileContentWrite) : r;
}

Errno GetFd(FdTable& table, u32 fd, u64 needed, FdEntry** out) {
  FdEntry* e = table.Get(fd);
  if (e == nullptr) return Errno::kBadf;
  if ((e->rights_base & needed) != needed) return Errno::kNotcapable;
  *out = e;
  return Errno::kSuccess;
}

u64 TimespecToNanos(const timespec& ts) {
  if (ts.tv_sec < 0) return 0;
  return static_cast<u64>(ts.tv_sec) * 1'000'000'000u + static_cast<u64>(ts.tv_nsec);
}

namespace {
timespec OneTime(u64 nanos, bool set, bool now) {
  if (now) return {0, UTIME_NOW};
  if (!set) return {0, UTIME_OMIT};
  return {static_cast<time_t>(nanos / 1'000'000'000u), static_cast<long>(nanos % 1'000'000'000u)};
}
}  // namespace

Errno TimesFromFstflags(u64 atim, u64 mtim, u16 fstflags, timespec out[2]) {
  if ((fstflags & ~0xf) != 0) return Errno::kInval;
  bool atim_set = fstflags & kFstflagAtim, atim_now = fstflags & kFstflagAtimNow;
  bool mtim_set = fstflags & kFstflagMtim, mtim_now = fstflags & kFstflagMtimNow;
  if ((atim_set && atim_now) || (mtim_set && mtim_now)) return Errno::kInval;
  out[0] = OneTime(atim, atim_set, atim_now);
  out[1] = OneTime(mtim, mtim_set, mtim_now);
  return Errno::kSuccess;
}

Errno StoreFilestat(GuestMemory& mem, u32 ptr, const struct stat& st, FileType type) {
  // Layout (witx filestat): dev, ino, filetype (u8, padded), nlink, size,
  // atim, mtim, ctim: eight 8-byte fields.
  std::array<u8, 64> buf{};
  auto put = [&buf](size_t off, u64 v) { std::memcpy(buf.data() + off, &v, 8); };
  put(0, static_cast<u64>(st.st_dev));
  put(8, static_cast<u64>(st.st_ino));
  buf[16] = static_cast<u8>(type);
  put(24, static_cast<u64>(st.st_nlink));
  put(32, static_cast<u64>(st.st_size));
  put(40, TimespecToNanos(st.st_atim));
  put(48, TimespecToNanos(st.st_mtim));
  put(56, TimespecToNanos(st.st_ctim));
  return mem.Write(ptr, buf) ? Errno::kSuccess : Errno::kFault;
}

}  // namespace deja::wasi
