// poll(2) and raw poll_oneoff: timeouts, absolute clocks, readiness of
// stdin, mixed subscriptions, and EINVAL for an empty subscription list.
#define _POSIX_C_SOURCE 200809L
#include <poll.h>
#include <time.h>
#include <wasi/api.h>

#include "guest.h"

static long long NowMono(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1000000000LL + t.tv_nsec;
}

static void ClockSub(__wasi_subscription_t* s, __wasi_userdata_t user, __wasi_clockid_t id,
                     __wasi_timestamp_t timeout, __wasi_subclockflags_t flags) {
  memset(s, 0, sizeof *s);
  s->userdata = user;
  s->u.tag = __WASI_EVENTTYPE_CLOCK;
  s->u.u.clock.id = id;
  s->u.u.clock.timeout = timeout;
  s->u.u.clock.flags = flags;
}

int main(void) {
  // A plain timeout with nothing to watch.
  long long start = NowMono();
  CHECK(poll(NULL, 0, 30) == 0);
  CHECK(NowMono() - start >= 30 * 1000000LL);

  // stdin is a file with data: readable at once.
  struct pollfd p = {0, POLLIN, 0};
  CHECK(poll(&p, 1, 10000) == 1 && (p.revents & POLLIN));

  __wasi_subscription_t subs[2];
  __wasi_event_t events[2];
  __wasi_size_t n = 99;
  CHECK(__wasi_poll_oneoff(subs, events, 0, &n) == __WASI_ERRNO_INVAL);

  // An absolute realtime deadline 20 ms ahead.
  __wasi_timestamp_t now = 0;
  CHECK(__wasi_clock_time_get(__WASI_CLOCKID_REALTIME, 1, &now) == 0);
  ClockSub(&subs[0], 77, __WASI_CLOCKID_REALTIME, now + 20 * 1000000,
           __WASI_SUBCLOCKFLAGS_SUBSCRIPTION_CLOCK_ABSTIME);
  start = NowMono();
  CHECK(__wasi_poll_oneoff(subs, events, 1, &n) == 0);
  CHECK(n == 1 && events[0].userdata == 77 && events[0].type == __WASI_EVENTTYPE_CLOCK);
  CHECK(events[0].error == 0);
  CHECK(NowMono() - start >= 15 * 1000000LL);

  // Mixed: stdin is ready long before the 10 s clock.
  memset(&subs[0], 0, sizeof subs[0]);
  subs[0].userdata = 5;
  subs[0].u.tag = __WASI_EVENTTYPE_FD_READ;
  subs[0].u.u.fd_read.file_descriptor = 0;
  ClockSub(&subs[1], 6, __WASI_CLOCKID_MONOTONIC, 10ull * 1000000000, 0);
  start = NowMono();
  CHECK(__wasi_poll_oneoff(subs, events, 2, &n) == 0);
  CHECK(n == 1 && events[0].userdata == 5 && events[0].type == __WASI_EVENTTYPE_FD_READ);
  CHECK(events[0].fd_readwrite.nbytes == 6);  // "ready\n" unread
  CHECK(NowMono() - start < 5000000000LL);
  printf("poll ok\n");
  return 0;
}
