// Sorting 100,000 integers with a quicksort that compares through a function
// pointer (an indirect call per comparison), cycling through three orders so
// the comparator is never a compile-time constant.
#define KERNEL_NAME "sort"
#define KERNEL_DEFAULT_N 7

#include "kernel.h"  // first: it sets _POSIX_C_SOURCE

#include <stdint.h>

typedef int (*Compare)(uint32_t, uint32_t);

static int ascending(uint32_t x, uint32_t y) { return x < y ? -1 : x > y; }
static int descending(uint32_t x, uint32_t y) { return x > y ? -1 : x < y; }
static int low_half_first(uint32_t x, uint32_t y) {
  uint32_t lx = x & 0xFFFF, ly = y & 0xFFFF;
  if (lx != ly) return lx < ly ? -1 : 1;
  return ascending(x, y);
}

static void insertion_sort(uint32_t* v, int len, Compare cmp) {
  for (int i = 1; i < len; i++) {
    uint32_t x = v[i];
    int j = i - 1;
    while (j >= 0 && cmp(v[j], x) > 0) {
      v[j + 1] = v[j];
      j--;
    }
    v[j + 1] = x;
  }
}

static void swap(uint32_t* v, int i, int j) {
  uint32_t t = v[i];
  v[i] = v[j];
  v[j] = t;
}

static void quick_sort(uint32_t* v, int len, Compare cmp) {
  while (len > 16) {
    int mid = len / 2;
    if (cmp(v[mid], v[0]) < 0) swap(v, mid, 0);
    if (cmp(v[len - 1], v[0]) < 0) swap(v, len - 1, 0);
    if (cmp(v[len - 1], v[mid]) < 0) swap(v, len - 1, mid);
    uint32_t pivot = v[mid];
    int i = 0, j = len - 1;
    for (;;) {
      while (cmp(v[i], pivot) < 0) i++;
      while (cmp(pivot, v[j]) < 0) j--;
      if (i >= j) break;
      swap(v, i, j);
      i++;
      j--;
    }
    // Recurse into the smaller part, loop on the larger.
    int left = j + 1;
    if (left < len - left) {
      quick_sort(v, left, cmp);
      v += left;
      len -= left;
    } else {
      quick_sort(v + left, len - left, cmp);
      len = left;
    }
  }
  insertion_sort(v, len, cmp);
}

enum { kCount = 100000 };
static uint32_t data[kCount];

static uint64_t kernel(int n) {
  static const Compare orders[] = {ascending, descending, low_half_first};
  uint64_t state = 2024;
  uint64_t sum = 0;
  for (int round = 0; round < n; round++) {
    // A smoke run (N=1) sorts a tenth of the array.
    int len = n == 1 ? kCount / 10 : kCount;
    for (int i = 0; i < len; i++) data[i] = (uint32_t)rng_next(&state);
    Compare cmp = orders[(round + (int)(sum & 1)) % 3];
    quick_sort(data, len, cmp);
    for (int i = 1; i < len; i++) {
      if (cmp(data[i - 1], data[i]) > 0) return 0;  // not sorted: a wrong checksum
    }
    for (int i = 0; i < len; i += 97) sum = mix64(sum, data[i]);
  }
  return sum;
}

