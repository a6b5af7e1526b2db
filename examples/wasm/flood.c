// flood: writes 1 MiB blocks to /outputs/flood.bin forever, ignoring write errors, while also
// flooding stdout. The executor must stop it at resources.maxOutputBytes.
// Build: clang --target=wasm32-wasi -O2 -Wl,--strip-all -o flood.wasm flood.c  (or ./build.sh)
#include <stdio.h>
#include <string.h>

static char block[1 << 20];

int main(void) {
  memset(block, 'x', sizeof block);
  FILE *f = fopen("/outputs/flood.bin", "wb");
  if (!f) {
    perror("/outputs/flood.bin");
    return 1;
  }
  for (;;) {
    fwrite(block, 1, sizeof block, f);
    fflush(f);
    fwrite(block, 1, 4096, stdout);
  }
}
