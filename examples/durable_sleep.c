// A plain C program that charges a customer three times, sleeping between
// the charges. Nothing in it knows about durability: under `deja start` and
// `deja worker`, each sleep() longer than the worker's threshold snapshots
// the program and frees its memory, and the worker wakes it when due, even
// after a restart or a kill -9 (docs/DURABLE.md). Build: clang-19
// --target=wasm32-wasi -O2 durable_sleep.c -o durable_sleep.wasm
//
//   id=$(deja start durable_sleep.wasm 2)   # 2 seconds between charges
//   deja worker --until-idle
//   deja logs $id
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char** argv) {
  unsigned pause = argc > 1 ? (unsigned)atoi(argv[1]) : 30 * 24 * 3600;  // a month
  for (int month = 1; month <= 3; ++month) {
    time_t now = time(NULL);
    printf("charge %d of 3: $9.99 at %s", month, ctime(&now));
    fflush(stdout);
    if (month < 3) sleep(pause);
  }
  printf("subscription paid in full\n");
  return 0;
}
