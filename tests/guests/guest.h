// Helpers shared by the WASI guest programs: a failed CHECK prints where and
// why on stderr and exits with status 70, so the host test sees exactly which
// expectation broke inside the guest.
#pragma once

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECK(cond)                                                             \
  do {                                                                          \
    if (!(cond)) {                                                              \
      fprintf(stderr, "%s:%d: CHECK failed: %s (errno %d: %s)\n", __FILE__,     \
              __LINE__, #cond, errno, strerror(errno));                         \
      exit(70);                                                                 \
    }                                                                           \
  } while (0)

// Checks that `expr` fails with errno `err`.
#define CHECK_ERRNO(expr, err)                                                  \
  do {                                                                          \
    errno = 0;                                                                  \
    if ((expr) != -1 || errno != (err)) {                                       \
      fprintf(stderr, "%s:%d: expected %s to fail with %s, got errno %d (%s)\n", \
              __FILE__, __LINE__, #expr, #err, errno, strerror(errno));         \
      exit(70);                                                                 \
    }                                                                           \
  } while (0)
