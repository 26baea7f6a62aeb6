// Page-level helpers for saving and restoring large memories.
#pragma once

#include <cstddef>
#include <vector>

#include "base/types.h"

namespace deja::engine {

// The indices (ascending) of the 64 KiB pages in [base, base + pages * 64 KiB)
// that hold a non-zero byte. `base` must be the start of a private anonymous
// mapping's page (as MemoryInst::base is). Where the kernel says a system page
// was never faulted in (nor swapped out), it is zero and is not read: a large
// memory the guest barely touched costs a few reads of /proc/self/pagemap
// instead of faulting in every page. Without a usable pagemap, every page is
// read.
std::vector<u32> NonZeroPages(const u8* base, u64 pages);

// The same without asking the kernel (every byte is read); for tests.
std::vector<u32> NonZeroPagesByScan(const u8* base, u64 pages);

// Asks the kernel to back the 2 MiB-aligned part of [p, p + n) with huge
// pages when it is first touched (a hint; ignored where unsupported). Filling
// a large fresh buffer then costs one page fault per 2 MiB instead of one per
// 4 KiB: on virtual machines a fault is expensive, and a snapshot's buffers
// are written once, whole.
void AdviseHugePages(void* p, size_t n);

}  // namespace deja::engine
