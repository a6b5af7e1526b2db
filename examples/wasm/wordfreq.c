// wordfreq: counts word frequencies over every file under /inputs (recursively, in byte order of
// names) and writes /outputs/wordfreq.json with the words sorted, so equal inputs give equal bytes.
// A word is a run of ASCII letters and digits, lowercased; every other byte separates words.
//
// Build (WASI):   clang --target=wasm32-wasi -O2 -Wl,--strip-all -o wordfreq.wasm wordfreq.c
// Build (native): clang -O2 -o wordfreq wordfreq.c  (then: ./wordfreq <inputDir> <outputFile>)
// Or run examples/wasm/build.sh, which rebuilds every module here.
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

typedef struct {
  char *word;
  uint32_t len;
  uint64_t count;
} Entry;

static Entry *table;
static size_t capacity = 1 << 16, used;
static uint64_t total_words, files;

static void *xmalloc(size_t n) {
  void *p = malloc(n);
  if (!p) {
    fprintf(stderr, "wordfreq: out of memory\n");
    exit(2);
  }
  return p;
}

static uint64_t hash(const char *s, size_t n) {
  uint64_t h = 1469598103934665603ULL;  // FNV-1a
  for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
  return h;
}

static void grow(void) {
  size_t old = capacity;
  Entry *prev = table;
  capacity *= 2;
  table = xmalloc(capacity * sizeof(Entry));
  memset(table, 0, capacity * sizeof(Entry));
  for (size_t i = 0; i < old; i++) {
    if (!prev[i].word) continue;
    size_t j = hash(prev[i].word, prev[i].len) & (capacity - 1);
    while (table[j].word) j = (j + 1) & (capacity - 1);
    table[j] = prev[i];
  }
  free(prev);
}

static void add(const char *w, size_t n) {
  if (2 * (used + 1) > capacity) grow();
  size_t j = hash(w, n) & (capacity - 1);
  while (table[j].word) {
    if (table[j].len == n && memcmp(table[j].word, w, n) == 0) {
      table[j].count++;
      total_words++;
      return;
    }
    j = (j + 1) & (capacity - 1);
  }
  table[j].word = xmalloc(n + 1);
  memcpy(table[j].word, w, n);
  table[j].word[n] = 0;
  table[j].len = (uint32_t)n;
  table[j].count = 1;
  used++;
  total_words++;
}

static char *word;
static size_t word_len, word_cap = 64;

static void count_file(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    perror(path);
    exit(1);
  }
  files++;
  static unsigned char buf[1 << 16];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, f)) > 0) {
    for (size_t i = 0; i < n; i++) {
      unsigned char c = buf[i];
      if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z')) {
        if (word_len == word_cap) {
          word_cap *= 2;
          char *bigger = xmalloc(word_cap);
          memcpy(bigger, word, word_len);
          free(word);
          word = bigger;
        }
        word[word_len++] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
      } else if (word_len) {
        add(word, word_len);
        word_len = 0;
      }
    }
  }
  if (word_len) add(word, word_len);
  word_len = 0;
  fclose(f);
}

static int by_name(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static void walk(const char *dir) {
  DIR *d = opendir(dir);
  if (!d) {
    perror(dir);
    exit(1);
  }
  char **names = NULL;
  size_t count = 0, cap = 0;
  struct dirent *e;
  while ((e = readdir(d))) {
    if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
    if (count == cap) {
      cap = cap ? cap * 2 : 16;
      char **bigger = xmalloc(cap * sizeof *names);
      if (count) memcpy(bigger, names, count * sizeof *names);
      free(names);
      names = bigger;
    }
    names[count++] = strdup(e->d_name);
  }
  closedir(d);
  qsort(names, count, sizeof *names, by_name);
  for (size_t i = 0; i < count; i++) {
    size_t len = strlen(dir) + strlen(names[i]) + 2;
    char *path = xmalloc(len);
    snprintf(path, len, "%s/%s", dir, names[i]);
    struct stat st;
    if (stat(path, &st) != 0) {
      perror(path);
      exit(1);
    }
    if (S_ISDIR(st.st_mode)) walk(path);
    else if (S_ISREG(st.st_mode)) count_file(path);
    free(path);
    free(names[i]);
  }
  free(names);
}

static int by_word(const void *a, const void *b) {
  const Entry *x = a, *y = b;
  return strcmp(x->word, y->word);
}

int main(int argc, char **argv) {
  const char *in = argc > 1 ? argv[1] : "/inputs";
  const char *out = argc > 2 ? argv[2] : "/outputs/wordfreq.json";
  table = xmalloc(capacity * sizeof(Entry));
  memset(table, 0, capacity * sizeof(Entry));
  word = xmalloc(word_cap);
  walk(in);

  Entry *sorted = xmalloc((used ? used : 1) * sizeof(Entry));
  size_t k = 0;
  for (size_t i = 0; i < capacity; i++)
    if (table[i].word) sorted[k++] = table[i];
  qsort(sorted, used, sizeof(Entry), by_word);

  FILE *f = fopen(out, "wb");
  if (!f) {
    perror(out);
    return 1;
  }
  fprintf(f, "{\"files\":%llu,\"totalWords\":%llu,\"uniqueWords\":%zu,\"words\":{", (unsigned long long)files,
          (unsigned long long)total_words, used);
  for (size_t i = 0; i < used; i++)
    fprintf(f, "%s\"%s\":%llu", i ? "," : "", sorted[i].word, (unsigned long long)sorted[i].count);
  fputs("}}\n", f);
  if (fclose(f) != 0) {
    perror(out);
    return 1;
  }
  printf("wordfreq: %llu words, %zu distinct, %llu files\n", (unsigned long long)total_words, used,
         (unsigned long long)files);
  return 0;
}
