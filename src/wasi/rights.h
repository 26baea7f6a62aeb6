// What each kind of guest descriptor may do (WASI rights) and how descriptors
// are described to the guest (filetype, filestat). Shared by every area so
// that all handlers check and report descriptors the same way.
#pragma once

#include <sys/stat.h>

#include "base/types.h"
#include "wasi/errno.h"
#include "wasi/fd_table.h"
#include "wasi/guest_memory.h"

namespace deja::wasi {

// WASI rights bits (wasi_snapshot_preview1 `rights`).
namespace rights {
inline constexpr u64 kFdDatasync = u64{1} << 0, kFdRead = u64{1} << 1, kFdSeek = u64{1} << 2,
                     kFdFdstatSetFlags = u64{1} << 3, kFdSync = u64{1} << 4,
                     kFdTell = u64{1} << 5, kFdWrite = u64{1} << 6, kFdAdvise = u64{1} << 7,
                     kFdAllocate = u64{1} << 8, kPathCreateDirectory = u64{1} << 9,
                     kPathCreateFile = u64{1} << 10, kPathLinkSource = u64{1} << 11,
                     kPathLinkTarget = u64{1} << 12, kPathOpen = u64{1} << 13,
                     kFdReaddir = u64{1} << 14, kPathReadlink = u64{1} << 15,
                     kPathRenameSource = u64{1} << 16, kPathRenameTarget = u64{1} << 17,
                     kPathFilestatGet = u64{1} << 18, kPathFilestatSetSize = u64{1} << 19,
                     kPathFilestatSetTimes = u64{1} << 20, kFdFilestatGet = u64{1} << 21,
                     kFdFilestatSetSize = u64{1} << 22, kFdFilestatSetTimes = u64{1} << 23,
                     kPathSymlink = u64{1} << 24, kPathRemoveDirectory = u64{1} << 25,
                     kPathUnlinkFile = u64{1} << 26, kPollFdReadwrite = u64{1} << 27,
                     kSockShutdown = u64{1} << 28, kSockAccept = u64{1} << 29;
inline constexpr u64 kAll = (u64{1} << 30) - 1;

// A regular file opened for reading and writing.
inline constexpr u64 kFile = kFdDatasync | kFdRead | kFdSeek | kFdFdstatSetFlags | kFdSync |
                             kFdTell | kFdWrite | kFdAdvise | kFdAllocate | kFdFilestatGet |
                             kFdFilestatSetSize | kFdFilestatSetTimes | kPollFdReadwrite;
// A directory: every path operation plus listing and its own metadata.
inline constexpr u64 kDirectory =
    kFdFdstatSetFlags | kFdSync | kFdDatasync | kPathCreateDirectory | kPathCreateFile |
    kPathLinkSource | kPathLinkTarget | kPathOpen | kFdReaddir | kPathReadlink |
    kPathRenameSource | kPathRenameTarget | kPathFilestatGet | kPathFilestatSetSize |
    kPathFilestatSetTimes | kFdFilestatGet | kFdFilestatSetTimes | kPathSymlink |
    kPathRemoveDirectory | kPathUnlinkFile;
// What a directory hands down to the files and directories opened beneath it.
inline constexpr u64 kDirectoryInheriting = kDirectory | kFile;
// Terminals, pipes and other streams: no seeking.
inline constexpr u64 kStream =
    kFdRead | kFdWrite | kFdFdstatSetFlags | kFdFilestatGet | kPollFdReadwrite;
inline constexpr u64 kSocket = kStream | kSockShutdown | kSockAccept;
// Rights that modify the file system; a read-only preopen never grants them.
inline constexpr u64 kModifying =
    kFdDatasync | kFdWrite | kFdAllocate | kPathCreateDirectory | kPathCreateFile |
    kPathLinkSource | kPathLinkTarget | kPathRenameSource | kPathRenameTarget |
    kPathFilestatSetSize | kPathFilestatSetTimes | kFdFilestatSetSize | kFdFilestatSetTimes |
    kPathSymlink | kPathRemoveDirectory | kPathUnlinkFile;
// The modifying rights that concern a file's contents, not the tree.
inline constexpr u64 kFileContentWrite = kFdDatasync | kFdWrite | kFdAllocate | kFdFilestatSetSize;
}  // namespace rights

// The WASI filetype of a stat mode (kUnknown for FIFOs; sockets report
// kSocketStream: the socket area refines datagram sockets itself).
FileType FileTypeFromMode(mode_t mode);

// Base and inheriting rights a fresh descriptor of `type` gets. `read_only`
// removes rights::kModifying from both.
u64 BaseRights(FileType type, bool read_only);
u64 InheritingRights(FileType type, bool read_only);

// Looks up `fd` and checks that it holds every right in `needed`.
// Errors: kBadf when not open, kNotcapable when a right is missing.
Errno GetFd(FdTable& table, u32 fd, u64 needed, FdEntry** out);

// Writes a 64-byte WASI filestat for `st` at `ptr` (kFault if out of bounds).
Errno StoreFilestat(GuestMemory& mem, u32 ptr, const struct stat& st, FileType type);

// Nanoseconds since the epoch of a timespec (0 for negative times).
u64 TimespecToNanos(const timespec& ts);

// WASI fstflags bits (fd_filestat_set_times, path_filestat_set_times).
inline constexpr u16 kFstflagAtim = 1, kFstflagAtimNow = 2, kFstflagMtim = 4,
                     kFstflagMtimNow = 8;

// The futimens/utimensat times for WASI (atim, mtim, fstflags): a given time,
// UTIME_NOW or UTIME_OMIT each. kInval for unknown bits or X together with X_NOW.
Errno TimesFromFstflags(u64 atim, u64 mtim, u16 fstflags, timespec out[2]);

}  // namespace deja::wasi
