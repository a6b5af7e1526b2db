// loop: never ends (a busy loop with no syscalls). The executor must kill it at the timeout.
// Build: clang --target=wasm32-wasi -O2 -Wl,--strip-all -o loop.wasm loop.c  (or ./build.sh)
int main(void) {
  volatile unsigned long long spins = 0;
  for (;;) spins++;
}
