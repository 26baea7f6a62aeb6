// `deja run --dir/--dir-ro`: "read PATH" prints a file, "write PATH TEXT"
// creates or replaces one, "update PATH TEXT" overwrites the start of an
// existing file in place (open for read and write). A refused access prints "error: <strerror>" and
// exits with status 1, as a program would report it.
#include <errno.h>
#include <stdio.h>
#include <string.h>

static int Fail(const char* what, const char* path) {
  printf("error: %s %s: %s\n", what, path, strerror(errno));
  return 1;
}

static int Read(const char* path) {
  FILE* f = fopen(path, "r");
  if (!f) return Fail("open", path);
  char buf[256];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, f)) > 0) fwrite(buf, 1, n, stdout);
  fclose(f);
  return 0;
}

static int Write(const char* path, const char* text) {
  FILE* f = fopen(path, "w");
  if (!f) return Fail("open", path);
  if (fputs(text, f) < 0) return Fail("write", path);
  if (fclose(f) != 0) return Fail("close", path);
  printf("wrote %s\n", path);
  return 0;
}

static int Update(const char* path, const char* text) {
  FILE* f = fopen(path, "r+");
  if (!f) return Fail("open", path);
  if (fputs(text, f) < 0) return Fail("write", path);
  if (fclose(f) != 0) return Fail("close", path);
  printf("updated %s\n", path);
  return 0;
}

int main(int argc, char** argv) {
  if (argc == 3 && strcmp(argv[1], "read") == 0) return Read(argv[2]);
  if (argc == 4 && strcmp(argv[1], "write") == 0) return Write(argv[2], argv[3]);
  if (argc == 4 && strcmp(argv[1], "update") == 0) return Update(argv[2], argv[3]);
  fprintf(stderr, "usage: run_files read PATH | write PATH TEXT\n");
  return 2;
}
