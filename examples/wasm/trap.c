// trap: executes `unreachable` (a WebAssembly trap) after printing a line.
// Build: clang --target=wasm32-wasi -O2 -Wl,--strip-all -o trap.wasm trap.c  (or ./build.sh)
#include <stdio.h>

int main(void) {
  puts("about to trap");
  fflush(stdout);
  __builtin_trap();
}
