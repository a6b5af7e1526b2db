// random: writes 32 bytes from getentropy (WASI random_get) in hex, then rand() values, to
// /outputs/random.txt, followed by argv, the environment and a listing of /inputs in readdir order.
// Under the WASM executor the bytes depend only on the job ID, the listing is sorted, and the
// environment is exactly the spec's.
// Build: clang --target=wasm32-wasi -O2 -Wl,--strip-all -o random.wasm random.c  (or ./build.sh)
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

extern char **environ;

int main(int argc, char **argv) {
  FILE *out = fopen("/outputs/random.txt", "w");
  if (!out) return 1;
  unsigned char bytes[32];
  if (getentropy(bytes, sizeof bytes) != 0) return 2;
  fputs("entropy: ", out);
  for (size_t i = 0; i < sizeof bytes; i++) fprintf(out, "%02x", bytes[i]);
  fprintf(out, "\nrand: %d %d\n", rand(), rand());
  for (int i = 0; i < argc; i++) fprintf(out, "argv[%d]: %s\n", i, argv[i]);
  for (char **e = environ; *e; e++) fprintf(out, "env: %s\n", *e);
  DIR *d = opendir("/inputs");
  if (d) {
    struct dirent *e;
    while ((e = readdir(d))) fprintf(out, "readdir: %s\n", e->d_name);
    closedir(d);
  }
  fclose(out);
  return 0;
}
