/* The durable guest API of deja: signals, children and messages for a
 * WebAssembly guest run as a durable instance (`deja start`, `deja worker`).
 * C99 or C++, for wasm32-wasi (clang --target=wasm32-wasi); header only.
 *
 * Every function returns 0 or a WASI errno value (the <errno.h> constants of
 * wasi-libc: EAGAIN, ENOBUFS, ...). The blocking ones (deja_signal_wait,
 * deja_await, deja_recv) never block inside the host: when what they wait
 * for is not there they park the instance (it is snapshotted, its memory
 * released) and the worker resumes it when it is; the call then returns as
 * if it had waited. Run with plain `deja run` (no durable instance) every
 * function returns ENOSYS.
 *
 * Every call is a host call like WASI's: recorded, replayed, shown by
 * `deja trace`. Requests that create or take something (a child, a message,
 * a signal) carry an idempotency key derived from the instance id and the
 * request's number, so a resumed or replayed guest never creates a second
 * child, sends a message twice or loses a signal. Reference and guarantees:
 * docs/DURABLE.md, "Guest API".
 */
#ifndef DEJA_GUEST_DURABLE_H
#define DEJA_GUEST_DURABLE_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#ifdef __cplusplus
extern "C" {
#endif

#define DEJA_IMPORT_(name) __attribute__((import_module("deja"), import_name(name)))

/* The raw imports (module "deja"). Strings are (pointer, length); *_len out
 * parameters are 32-bit. Prefer the wrappers below. */
DEJA_IMPORT_("signal_take")
int32_t deja_raw_signal_take(const char* name, size_t name_len, void* buf, size_t cap,
                             uint32_t* len);
DEJA_IMPORT_("wait_signal") int32_t deja_raw_wait_signal(const char* name, size_t name_len);
DEJA_IMPORT_("spawn")
int32_t deja_raw_spawn(const char* module, size_t module_len, const char* argv, size_t argv_len,
                       const void* input, size_t input_len, uint64_t* child);
DEJA_IMPORT_("child_status") int32_t deja_raw_child_status(uint64_t child, int32_t* status);
DEJA_IMPORT_("child_output")
int32_t deja_raw_child_output(uint64_t child, uint64_t offset, void* buf, size_t cap,
                              uint32_t* len);
DEJA_IMPORT_("wait_children")
int32_t deja_raw_wait_children(const uint64_t* children, size_t n, uint32_t all);
DEJA_IMPORT_("send")
int32_t deja_raw_send(const char* instance, size_t instance_len, const void* payload,
                      size_t payload_len);
DEJA_IMPORT_("recv") int32_t deja_raw_recv(void* buf, size_t cap, uint32_t* len);
DEJA_IMPORT_("wait_message") int32_t deja_raw_wait_message(void);

#undef DEJA_IMPORT_

/* A child instance, as deja_spawn returns it (the request's number). */
typedef uint64_t deja_child_t;

enum { DEJA_ANY = 0, DEJA_ALL = 1 };

/* WASI errno values these functions return (the same numbers as wasi-libc's
 * errno constants). */
enum {
  DEJA_E2BIG = 1, DEJA_EAGAIN = 6, DEJA_EBADF = 8, DEJA_EFAULT = 21, DEJA_EINVAL = 28,
  DEJA_EIO = 29, DEJA_ENAMETOOLONG = 37, DEJA_ENOBUFS = 42, DEJA_ENOENT = 44, DEJA_ENOMEM = 48,
  DEJA_ENOSYS = 52,
};

/* Takes the oldest signal `name` sent to this instance (`deja signal ID NAME
 * PAYLOAD`) without waiting: its payload goes to buf (*len bytes). EAGAIN:
 * none queued. ENOBUFS: it does not fit cap; *len is its length and it stays
 * queued. */
static inline int deja_signal_poll(const char* name, void* buf, size_t cap, size_t* len) {
  uint32_t n = 0;
  int e = deja_raw_signal_take(name, strlen(name), buf, cap, &n);
  if (e == 0 || e == DEJA_ENOBUFS) *len = n;
  return e;
}

/* As deja_signal_poll, but waits (parked) until a signal `name` arrives.
 * Signals sent before the wait are kept, in the order they were sent. */
static inline int deja_signal_wait(const char* name, void* buf, size_t cap, size_t* len) {
  for (;;) {
    int e = deja_signal_poll(name, buf, cap, len);
    if (e != DEJA_EAGAIN) return e;
    e = deja_raw_wait_signal(name, strlen(name));
    if (e != 0) return e;
  }
}

/* Starts a child instance of `module` (a module's content hash, or a name
 * registered with the store) with arguments argv[0..argc) and `input` as
 * its stdin. Returns at once; *child names it for deja_await and
 * deja_child_output. ENOENT: no such module. */
static inline int deja_spawn(const char* module, const char* const* argv, size_t argc,
                             const void* input, size_t input_len, deja_child_t* child) {
  size_t total = 0;
  for (size_t i = 0; i < argc; ++i) total += strlen(argv[i]) + 1;
  char* joined = (char*)malloc(total ? total : 1);
  if (joined == NULL) return DEJA_ENOMEM;
  size_t at = 0;
  for (size_t i = 0; i < argc; ++i) {
    size_t n = strlen(argv[i]) + 1;
    memcpy(joined + at, argv[i], n);
    at += n;
  }
  int e = deja_raw_spawn(module, strlen(module), joined, total, input, input_len, child);
  free(joined);
  return e;
}

/* Waits (parked) until one (DEJA_ANY) or all (DEJA_ALL) of children[0..n)
 * have ended. DEJA_ANY: *which is the lowest index of an ended child and
 * *status its exit status (drop it from the array before awaiting the rest).
 * DEJA_ALL: *which is the index of the first child whose status is not 0
 * (n if none) and *status that status (0 if none). EBADF: a handle this
 * instance did not spawn. */
static inline int deja_await(const deja_child_t* children, size_t n, int mode, size_t* which,
                             int32_t* status) {
  if (n == 0 || (mode != DEJA_ANY && mode != DEJA_ALL)) return DEJA_EINVAL;
  for (;;) {
    size_t ended = 0, first_failed = n;
    int32_t failed_status = 0;
    for (size_t i = 0; i < n; ++i) {
      int32_t s = 0;
      int e = deja_raw_child_status(children[i], &s);
      if (e == DEJA_EAGAIN) continue;
      if (e != 0) return e;
      if (mode == DEJA_ANY) {
        *which = i;
        *status = s;
        return 0;
      }
      ++ended;
      if (s != 0 && first_failed == n) {
        first_failed = i;
        failed_status = s;
      }
    }
    if (ended == n) {
      *which = first_failed;
      *status = failed_status;
      return 0;
    }
    int e = deja_raw_wait_children(children, n, mode == DEJA_ALL ? 1u : 0u);
    if (e != 0) return e;
  }
}

/* Up to cap bytes of an ended child's stdout from byte `offset` (*len may be
 * less at its end, 0 past it). EAGAIN: it has not ended. */
static inline int deja_child_output(deja_child_t child, uint64_t offset, void* buf, size_t cap,
                                    size_t* len) {
  uint32_t n = 0;
  int e = deja_raw_child_output(child, offset, buf, cap, &n);
  if (e == 0) *len = n;
  return e;
}

/* Sends a message to instance `instance` (its id), delivered once. Returns
 * at once. ENOENT: no such instance. */
static inline int deja_send(const char* instance, const void* payload, size_t len) {
  return deja_raw_send(instance, strlen(instance), payload, len);
}

/* The oldest message sent to this instance, without waiting (EAGAIN: none;
 * ENOBUFS as deja_signal_poll). */
static inline int deja_recv_poll(void* buf, size_t cap, size_t* len) {
  uint32_t n = 0;
  int e = deja_raw_recv(buf, cap, &n);
  if (e == 0 || e == DEJA_ENOBUFS) *len = n;
  return e;
}

/* As deja_recv_poll, but waits (parked) until a message arrives. */
static inline int deja_recv(void* buf, size_t cap, size_t* len) {
  for (;;) {
    int e = deja_recv_poll(buf, cap, len);
    if (e != DEJA_EAGAIN) return e;
    e = deja_raw_wait_message();
    if (e != 0) return e;
  }
}

#ifdef __cplusplus
}
#endif

#endif /* DEJA_GUEST_DURABLE_H */
