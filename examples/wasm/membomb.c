// membomb: allocates and touches 1 MiB blocks forever; aborts (a trap) when malloc fails, as an
// xmalloc-style program would. The executor must stop it at resources.memoryMb.
// Build: clang --target=wasm32-wasi -O2 -Wl,--strip-all -o membomb.wasm membomb.c  (or ./build.sh)
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

// The blocks are published through a volatile pointer so the compiler cannot drop them.
char *volatile last_block;

int main(void) {
  for (unsigned long mib = 0;; mib++) {
    char *block = malloc(1 << 20);
    if (!block) {
      fprintf(stderr, "membomb: malloc failed after %lu MiB\n", mib);
      abort();
    }
    memset(block, 0xA5, 1 << 20);
    last_block = block;
  }
}
