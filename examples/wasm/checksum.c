// checksum: reads every regular file under /inputs (recursively, in byte order of names) in 1 MiB
// reads and writes /outputs/checksum.json with, per file, its size and the sum of its bytes taken
// as little-endian 64-bit words (mod 2^64, the tail zero-padded): a job whose time is reading.
//
// Build: clang --target=wasm32-wasi -O2 -Wl,--strip-all -o checksum.wasm checksum.c  (or ./build.sh)
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define CHUNK (1 << 20)

static FILE *out;
static int first = 1;
static unsigned char *buffer;

static int by_name(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static void sum_file(const char *path) {
  FILE *in = fopen(path, "rb");
  if (!in) { fprintf(stderr, "cannot open %s\n", path); exit(2); }
  setvbuf(in, NULL, _IONBF, 0);
  uint64_t sum = 0, size = 0;
  size_t n;
  while ((n = fread(buffer, 1, CHUNK, in)) > 0) {
    size_t whole = n & ~(size_t)7;
    for (size_t i = 0; i < whole; i += 8) {
      uint64_t word;
      memcpy(&word, buffer + i, 8);
      sum += word;
    }
    if (whole < n) {
      uint64_t word = 0;
      memcpy(&word, buffer + whole, n - whole);
      sum += word;
    }
    size += n;
    if (n < CHUNK) break;
  }
  fclose(in);
  fprintf(out, "%s\n  \"%s\": { \"bytes\": %llu, \"sum64\": \"%016llx\" }", first ? "" : ",", path,
          (unsigned long long)size, (unsigned long long)sum);
  first = 0;
}

static void walk(const char *dir) {
  DIR *d = opendir(dir);
  if (!d) { fprintf(stderr, "cannot list %s\n", dir); exit(2); }
  char **names = NULL;
  size_t count = 0;
  struct dirent *e;
  while ((e = readdir(d))) {
    if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
    names = realloc(names, (count + 1) * sizeof *names);
    names[count++] = strdup(e->d_name);
  }
  closedir(d);
  qsort(names, count, sizeof *names, by_name);
  for (size_t i = 0; i < count; i++) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, names[i]);
    struct stat st;
    if (stat(path, &st) == 0) {
      if (S_ISDIR(st.st_mode)) walk(path);
      else if (S_ISREG(st.st_mode)) sum_file(path);
    }
    free(names[i]);
  }
  free(names);
}

int main(void) {
  buffer = malloc(CHUNK);
  out = fopen("/outputs/checksum.json", "w");
  if (!buffer || !out) { fprintf(stderr, "cannot write /outputs/checksum.json\n"); return 2; }
  fputc('{', out);
  walk("/inputs");
  fputs("\n}\n", out);
  return fclose(out) == 0 ? 0 : 2;
}
