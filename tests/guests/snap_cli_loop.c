// For the snapshot tests (tests/snapshot): rounds of a hash computation, one
// line of output per round, so a snapshot taken mid-loop shows in the output.
//   snap_cli_loop [ROUNDS [request [FILE]]]
// "request": calls the "deja" "snapshot" import after round 3 (a snapshot at
// a host call). FILE: opened before the loop, one line appended per round,
// and read back at the end (open files and offsets across a resume).
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

__attribute__((import_module("deja"), import_name("snapshot"))) int32_t deja_snapshot(void);

int main(int argc, char** argv) {
  int rounds = argc > 1 ? atoi(argv[1]) : 8;
  int request = argc > 2 && strcmp(argv[2], "request") == 0;
  FILE* f = argc > 3 ? fopen(argv[3], "w+") : NULL;
  if (argc > 3 && f == NULL) {
    perror(argv[3]);
    return 2;
  }
  uint64_t h = 1469598103934665603ull;
  for (int round = 0; round < rounds; ++round) {
    for (uint32_t i = 0; i < 200000; ++i) {
      h ^= (uint64_t)i * 2654435761u;
      h *= 1099511628211ull;
    }
    printf("round %d: %016llx\n", round, (unsigned long long)h);
    fflush(stdout);
    if (f != NULL) {
      fprintf(f, "line %d\n", round);
      fflush(f);
    }
    // The result (0 resumed, 58 snapshots off) is not printed: the output
    // must not depend on whether a snapshot was taken.
    if (request && round == 3) (void)deja_snapshot();
  }
  if (f != NULL) {
    char line[64];
    int n = 0;
    rewind(f);
    while (fgets(line, sizeof line, f) != NULL) ++n;
    printf("file has %d lines\n", n);
    fclose(f);
  }
  return 0;
}
