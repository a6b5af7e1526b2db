// stats: per-column statistics of every .csv file under /inputs (recursively, in byte order of
// names), written to /outputs/stats.json. The first row names the columns; cells are split on
// commas (double-quoted cells may hold commas and "" for a quote). For each column: cells, numeric
// cells (a whole cell that strtod reads as a finite number), and their min, max, sum and mean.
//
// Build: clang --target=wasm32-wasi -O2 -Wl,--strip-all -o stats.wasm stats.c  (or ./build.sh)
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

typedef struct {
  char *name;
  unsigned long long cells, numeric;
  double min, max, sum;
} Column;

static FILE *out;
static int first_file = 1;

static void json_string(const char *s) {
  fputc('"', out);
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    if (c == '"' || c == '\\') fprintf(out, "\\%c", c);
    else if (c < 0x20) fprintf(out, "\\u%04x", c);
    else fputc(c, out);
  }
  fputc('"', out);
}

// Reads one CSV field into buf; returns 0 at end of row, 1 if more fields follow, -1 at EOF.
static int field(FILE *f, char *buf, size_t cap) {
  size_t n = 0;
  int c = fgetc(f), quoted = 0;
  if (c == EOF) return -1;
  if (c == '"') {
    quoted = 1;
    c = fgetc(f);
  }
  for (;; c = fgetc(f)) {
    if (c == EOF) break;
    if (quoted) {
      if (c == '"') {
        int next = fgetc(f);
        if (next == '"') {
          if (n + 1 < cap) buf[n++] = '"';
          continue;
        }
        quoted = 0;
        c = next;
        if (c == EOF) break;
      } else {
        if (n + 1 < cap) buf[n++] = (char)c;
        continue;
      }
    }
    if (c == ',' || c == '\n') break;
    if (c != '\r' && n + 1 < cap) buf[n++] = (char)c;
  }
  buf[n] = 0;
  return c == ',' ? 1 : 0;
}

static void stats_file(const char *path, const char *name) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    perror(path);
    exit(1);
  }
  static char buf[4096];
  Column *cols = NULL;
  size_t ncols = 0;
  int r;
  do {
    r = field(f, buf, sizeof buf);
    if (r < 0) break;
    cols = realloc(cols, (ncols + 1) * sizeof *cols);
    cols[ncols++] = (Column){.name = strdup(buf), .min = INFINITY, .max = -INFINITY};
  } while (r == 1);
  unsigned long long rows = 0;
  for (;;) {
    size_t i = 0;
    r = field(f, buf, sizeof buf);
    if (r < 0) break;
    rows++;
    for (;;) {
      if (i < ncols && buf[0]) {
        Column *c = &cols[i];
        c->cells++;
        char *end;
        double v = strtod(buf, &end);
        if (*end == 0 && end != buf && isfinite(v)) {
          c->numeric++;
          c->sum += v;
          if (v < c->min) c->min = v;
          if (v > c->max) c->max = v;
        }
      }
      i++;
      if (r != 1) break;
      r = field(f, buf, sizeof buf);
    }
  }
  fclose(f);
  fprintf(out, "%s{\"file\":", first_file ? "" : ",");
  first_file = 0;
  json_string(name);
  fprintf(out, ",\"rows\":%llu,\"columns\":[", rows);
  for (size_t i = 0; i < ncols; i++) {
    Column *c = &cols[i];
    fprintf(out, "%s{\"name\":", i ? "," : "");
    json_string(c->name);
    fprintf(out, ",\"cells\":%llu,\"numeric\":%llu", c->cells, c->numeric);
    if (c->numeric)
      fprintf(out, ",\"min\":%.17g,\"max\":%.17g,\"sum\":%.17g,\"mean\":%.17g", c->min, c->max, c->sum,
              c->sum / (double)c->numeric);
    fputc('}', out);
    free(c->name);
  }
  fputs("]}", out);
  free(cols);
}

static int by_name(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static void walk(const char *dir, const char *rel) {
  DIR *d = opendir(dir);
  if (!d) {
    perror(dir);
    exit(1);
  }
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
    char path[4096], name[4096];
    snprintf(path, sizeof path, "%s/%s", dir, names[i]);
    snprintf(name, sizeof name, "%s%s%s", rel, *rel ? "/" : "", names[i]);
    struct stat st;
    if (stat(path, &st) == 0) {
      size_t len = strlen(names[i]);
      if (S_ISDIR(st.st_mode)) walk(path, name);
      else if (S_ISREG(st.st_mode) && len > 4 && !strcmp(names[i] + len - 4, ".csv")) stats_file(path, name);
    }
    free(names[i]);
  }
  free(names);
}

int main(int argc, char **argv) {
  const char *in = argc > 1 ? argv[1] : "/inputs";
  const char *path = argc > 2 ? argv[2] : "/outputs/stats.json";
  out = fopen(path, "wb");
  if (!out) {
    perror(path);
    return 1;
  }
  fputs("{\"files\":[", out);
  walk(in, "");
  fputs("]}\n", out);
  return fclose(out) == 0 ? 0 : 1;
}
