// The equivalent of WAGI's canonical example module, deislabs/env_wagi
// (Rust, src/main.rs), written here in C: CGI headers (Content-Type,
// Status: 200, a custom X- header), then the arguments, the environment,
// the request body from stdin, and the files the module may see. Where the
// original panics without a mounted volume, this one says so instead.
#include <dirent.h>
#include <stdio.h>

extern char** environ;

int main(int argc, char** argv) {
  printf("Content-Type: text/plain\n");
  printf("Status: 200\n");
  printf("X-Foo-Header: Bar\n");
  printf("\n");

  printf("### Arguments ###\n");
  for (int i = 0; i < argc; ++i) printf("arg: %s\n", argv[i]);

  printf("\n### Env Vars ###\n");
  for (char** e = environ; *e; ++e) {
    // NAME=VALUE printed as "NAME = VALUE".
    const char* eq = *e;
    while (*eq && *eq != '=') ++eq;
    printf("%.*s = %s\n", (int)(eq - *e), *e, *eq ? eq + 1 : "");
  }

  printf("\n### STDIN ###\n");
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, stdin)) > 0) fwrite(buf, 1, n, stdout);

  printf("\n### Files ###\n");
  DIR* d = opendir("/");
  if (!d) {
    printf("(no directory granted)\n");
    return 0;
  }
  struct dirent* ent;
  while ((ent = readdir(d)) != NULL) printf("%s\n", ent->d_name);
  closedir(d);
  return 0;
}
