// readseq: reads one file from start to end in reads of a fixed size and prints the byte count and
// a cheap checksum (the sum of its 64-bit words) to stdout, and to a report file when one is named
// (a result jobs can download). The job behind the WASM read benchmarks (scripts/bench-data/);
// built natively it is the baseline there too.
//
//   readseq <path> [read size in bytes (default 1048576)] [report file]
// Build: clang --target=wasm32-wasi -O2 -Wl,--strip-all -o readseq.wasm readseq.c  (or ./build.sh)
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: readseq <path> [read size] [report file]\n");
    return 2;
  }
  size_t chunk = argc > 2 ? strtoul(argv[2], NULL, 10) : 1048576;
  uint64_t *buf = malloc(chunk + 8);
  int fd = open(argv[1], O_RDONLY);
  if (fd < 0 || !buf) {
    perror(argv[1]);
    return 1;
  }
  uint64_t sum = 0;
  long long total = 0;
  for (;;) {
    ssize_t n = read(fd, buf, chunk);
    if (n < 0) {
      perror("read");
      return 1;
    }
    if (n == 0) break;
    memset((char *)buf + n, 0, 8 - (n & 7) == 8 ? 0 : 8 - (n & 7));
    for (ssize_t i = 0; i < (n + 7) / 8; i++) sum += buf[i];
    total += n;
  }
  close(fd);
  printf("%lld bytes sum=%016llx\n", total, (unsigned long long)sum);
  if (argc > 3) {
    FILE *report = fopen(argv[3], "w");
    if (!report || fprintf(report, "%lld bytes sum=%016llx\n", total, (unsigned long long)sum) < 0 || fclose(report) != 0) {
      perror(argv[3]);
      return 1;
    }
  }
  return 0;
}
