// The chaos test's workflow (scripts/durable-chaos). Two modes:
//   flow K STEPS WORK FILE COLLECTOR: STEPS times: busy work, one line to
//     stdout and one appended to FILE (a preopened file), more work, a
//     durable sleep of 2 s, a child (chaos_child.wasm, by name) spawned and
//     awaited, its status and output printed, then a wait for signal "go"
//     whose payload is printed; at the end one message "wf K done" goes to
//     instance COLLECTOR (FILE or COLLECTOR "": no append, no message; the
//     worker's unit tests use it so). Everything printed depends only on
//     the arguments, signal payloads and child outputs, so an interrupted
//     run must print what an uninterrupted one does.
//   collect N: receives N messages and prints them sorted (senders finish
//     in any order; the sorted list does not depend on it).
// Work happens on both sides of each append so that random kills land while
// the guest runs, not only while it is parked.
#include <deja/guest/durable.h>
#include <unistd.h>

#include "guest.h"

static unsigned long long sink;

static void Work(unsigned n) {
  for (unsigned j = 0; j < n; ++j) sink = sink * 6364136223846793005ULL + j;
}

static int Flow(int k, int steps, unsigned work, const char* file, const char* collector) {
  for (int i = 1; i <= steps; ++i) {
    Work(work);
    printf("wf %d step %d\n", k, i);
    fflush(stdout);
    if (file[0] != '\0') {
      FILE* f = fopen(file, "a");
      CHECK(f != NULL);
      fprintf(f, "wf %d step %d\n", k, i);
      CHECK(fclose(f) == 0);
    }
    Work(work);
    sleep(2);

    char arg_k[16], arg_i[16], input[32];
    snprintf(arg_k, sizeof arg_k, "%d", k);
    snprintf(arg_i, sizeof arg_i, "%d", i);
    snprintf(input, sizeof input, "input %d.%d", k, i);
    const char* argv[] = {arg_k, arg_i};
    deja_child_t child = 0;
    CHECK(deja_spawn("chaos_child.wasm", argv, 2, input, strlen(input), &child) == 0);
    size_t which = 0;
    int32_t status = -1;
    CHECK(deja_await(&child, 1, DEJA_ALL, &which, &status) == 0);
    char out[256];
    size_t len = 0;
    CHECK(deja_child_output(child, 0, out, sizeof out - 1, &len) == 0);
    out[len] = '\0';
    printf("wf %d child %d status %d: %s", k, i, (int)status, out);

    char payload[128];
    CHECK(deja_signal_wait("go", payload, sizeof payload - 1, &len) == 0);
    payload[len] = '\0';
    printf("wf %d signal %d: %s\n", k, i, payload);
    fflush(stdout);
  }
  if (collector[0] == '\0') return 0;
  char msg[32];
  snprintf(msg, sizeof msg, "wf %d done", k);
  CHECK(deja_send(collector, msg, strlen(msg)) == 0);
  printf("wf %d sent\n", k);
  return 0;
}

static int Compare(const void* a, const void* b) { return strcmp(a, b); }

static int Collect(int n) {
  static char msgs[256][64];
  CHECK(n > 0 && n <= 256);
  for (int i = 0; i < n; ++i) {
    size_t len = 0;
    CHECK(deja_recv(msgs[i], sizeof msgs[i] - 1, &len) == 0);
    msgs[i][len] = '\0';
  }
  size_t len = 0;
  char extra[64];
  CHECK(deja_recv_poll(extra, sizeof extra, &len) == EAGAIN);
  qsort(msgs, (size_t)n, sizeof msgs[0], Compare);
  for (int i = 0; i < n; ++i) printf("%s\n", msgs[i]);
  return 0;
}

int main(int argc, char** argv) {
  if (argc == 3 && strcmp(argv[1], "collect") == 0) return Collect(atoi(argv[2]));
  CHECK(argc == 7 && strcmp(argv[1], "flow") == 0);
  int code = Flow(atoi(argv[2]), atoi(argv[3]), (unsigned)strtoul(argv[4], NULL, 10), argv[5],
                  argv[6]);
  fprintf(stderr, "sink %llu\n", sink % 1000);
  return code;
}
