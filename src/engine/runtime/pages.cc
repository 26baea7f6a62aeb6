// Linux's /proc/self/pagemap has one 64-bit entry per system page of the
// address space: bit 63 "present in RAM", bit 62 "swapped out" (any
// non-present entry that still refers to data, migration included). A page of
// a private anonymous mapping with neither bit has never been written since
// it was mapped or dropped (MADV_DONTNEED), so it reads back as zeros. The
// file is opened for each call rather than once: a descriptor inherited
// across fork() would describe the parent's memory.
#include "engine/runtime/pages.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "engine/runtime/objects.h"

namespace deja::engine {
namespace {

constexpr u64 kPresent = u64{1} << 63;
constexpr u64 kSwapped = u64{1} << 62;
// Wasm pages whose entries are read at once (16 MiB of memory, 32 KiB of
// entries with 4 KiB system pages).
constexpr u64 kChunkPages = 256;

// n is a multiple of 64. OR-ing 64 bytes before each test lets the compiler
// vectorise the loop.
bool AllZero(const u8* p, size_t n) {
  for (size_t i = 0; i < n; i += 64) {
    u64 acc = 0;
    for (size_t k = 0; k < 64; k += 8) {
      u64 w;
      std::memcpy(&w, p + i + k, 8);
      acc |= w;
    }
    if (acc != 0) return false;
  }
  return true;
}

class PageMap {
 public:
  PageMap() {
    long ps = sysconf(_SC_PAGESIZE);
    if (ps < 64 || kWasmPageSize % static_cast<u64>(ps) != 0) return;
    page_size_ = static_cast<size_t>(ps);
    fd_ = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
    if (fd_ >= 0 && !Trustworthy()) {
      close(fd_);
      fd_ = -1;
    }
  }
  ~PageMap() {
    if (fd_ >= 0) close(fd_);
  }
  PageMap(const PageMap&) = delete;
  PageMap& operator=(const PageMap&) = delete;

  bool ok() const { return fd_ >= 0; }
  size_t page_size() const { return page_size_; }

  // The entries of the n system pages from `addr` (page-aligned).
  bool Read(const u8* addr, size_t n, u64* out) const {
    off_t offset = static_cast<off_t>(reinterpret_cast<uintptr_t>(addr) / page_size_ * 8);
    size_t want = n * 8, done = 0;
    auto* dst = reinterpret_cast<u8*>(out);
    while (done < want) {
      ssize_t got = pread(fd_, dst + done, want - done, offset + static_cast<off_t>(done));
      if (got <= 0) return false;
      done += static_cast<size_t>(got);
    }
    return true;
  }

 private:
  // Emulated kernels may offer the file without meaning: it must say that a
  // page just written is present and that one never touched is not.
  bool Trustworthy() const {
    void* p =
        mmap(nullptr, 2 * page_size_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) return false;
    *static_cast<volatile u8*>(p) = 1;
    u64 e[2];
    bool good = Read(static_cast<const u8*>(p), 2, e) && (e[0] & kPresent) != 0 &&
                (e[1] & (kPresent | kSwapped)) == 0;
    munmap(p, 2 * page_size_);
    return good;
  }

  int fd_ = -1;
  size_t page_size_ = 0;
};

}  // namespace

std::vector<u32> NonZeroPagesByScan(const u8* base, u64 pages) {
  std::vector<u32> out;
  for (u64 p = 0; p < pages; ++p) {
    if (!AllZero(base + p * kWasmPageSize, kWasmPageSize)) out.push_back(static_cast<u32>(p));
  }
  return out;
}

std::vector<u32> NonZeroPages(const u8* base, u64 pages) {
  PageMap map;
  if (!map.ok()) return NonZeroPagesByScan(base, pages);
  const size_t ps = map.page_size();
  const size_t per = kWasmPageSize / ps;
  std::vector<u64> entries(kChunkPages * per);
  std::vector<u32> out;
  for (u64 first = 0; first < pages; first += kChunkPages) {
    u64 n = std::min(kChunkPages, pages - first);
    const u8* chunk = base + first * kWasmPageSize;
    if (!map.Read(chunk, n * per, entries.data())) {
      for (u32 p : NonZeroPagesByScan(chunk, n)) out.push_back(static_cast<u32>(first + p));
      continue;
    }
    for (u64 i = 0; i < n; ++i) {
      const u8* page = chunk + i * kWasmPageSize;
      for (size_t k = 0; k < per; ++k) {
        if ((entries[i * per + k] & (kPresent | kSwapped)) != 0 && !AllZero(page + k * ps, ps)) {
          out.push_back(static_cast<u32>(first + i));
          break;
        }
      }
    }
  }
  return out;
}

void AdviseHugePages(void* p, size_t n) {
#ifdef MADV_HUGEPAGE
  constexpr uintptr_t kHuge = uintptr_t{2} << 20;
  uintptr_t lo = (reinterpret_cast<uintptr_t>(p) + kHuge - 1) & ~(kHuge - 1);
  uintptr_t hi = (reinterpret_cast<uintptr_t>(p) + n) & ~(kHuge - 1);
  if (hi > lo) madvise(reinterpret_cast<void*>(lo), hi - lo, MADV_HUGEPAGE);
#else
  (void)p;
  (void)n;
#endif
}

}  // namespace deja::engine
