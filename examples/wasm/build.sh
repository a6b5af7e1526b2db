#!/bin/sh
# Rebuilds every WASI job module in this folder from its C source (the .wasm files are committed,
# because CI has no clang). Needs Debian's clang, lld and wasi-libc:
#   apt-get install -y clang lld wasi-libc libclang-rt-14-dev-wasm32
# Each module: clang --target=wasm32-wasi -O2 -Wl,--strip-all -o <name>.wasm <name>.c
set -eu
cd "$(dirname "$0")"
for source in *.c; do
  name="${source%.c}"
  clang --target=wasm32-wasi -O2 -Wl,--strip-all -o "$name.wasm" "$source"
  echo "built $name.wasm ($(wc -c < "$name.wasm") bytes)"
done
