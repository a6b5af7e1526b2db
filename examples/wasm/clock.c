// clock: writes what the job can learn about time and file metadata to /outputs/clock.txt: the
// wall clock, the monotonic clock, a sleep, and the times, inode and link count of an
// input and of a file it writes. Under the WASM executor every line is the same on every run.
// Expects a file /inputs/in.txt.
// Build: clang --target=wasm32-wasi -O2 -Wl,--strip-all -o clock.wasm clock.c  (or ./build.sh)
#include <stdio.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static void describe(FILE *out, const char *path) {
  struct stat st;
  if (stat(path, &st) != 0) {
    fprintf(out, "stat %s: failed\n", path);
    return;
  }
  fprintf(out, "stat %s: size=%lld mtime=%lld atime=%lld ctime=%lld ino=%llu nlink=%llu dev=%llu\n", path,
          (long long)st.st_size, (long long)st.st_mtim.tv_sec, (long long)st.st_atim.tv_sec,
          (long long)st.st_ctim.tv_sec, (unsigned long long)st.st_ino, (unsigned long long)st.st_nlink,
          (unsigned long long)st.st_dev);
}

int main(void) {
  FILE *out = fopen("/outputs/clock.txt", "w");
  if (!out) return 1;
  struct timespec real, mono;
  clock_gettime(CLOCK_REALTIME, &real);
  clock_gettime(CLOCK_MONOTONIC, &mono);
  fprintf(out, "time: %lld\n", (long long)time(NULL));
  fprintf(out, "realtime: %lld.%09ld\n", (long long)real.tv_sec, real.tv_nsec);
  fprintf(out, "monotonic: %lld.%09ld\n", (long long)mono.tv_sec, mono.tv_nsec);
  sleep(5);  // returns at once: time does not pass inside the executor
  fprintf(out, "after sleep(5): %lld\n", (long long)time(NULL));
  FILE *scratch = fopen("/outputs/scratch.txt", "w");
  if (scratch) {
    fputs("scratch\n", scratch);
    fclose(scratch);
  }
  describe(out, "/inputs/in.txt");
  describe(out, "/inputs");
  describe(out, "/outputs/scratch.txt");
  describe(out, "/outputs");
  fclose(out);
  return 0;
}
