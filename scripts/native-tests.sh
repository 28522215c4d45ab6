#!/usr/bin/env bash
# Builds native/test/kernel-tests.cc with the core and kernel sources of native/sources.gypi (no Node, no N-API) and
# runs it: every kernel family at every ISA the CPU has against the scalar kernels.
#   scripts/native-tests.sh          this machine (x86-64: scalar, AVX2, AVX-512)
#   scripts/native-tests.sh arm64    cross-compiled with aarch64-linux-gnu-g++ and run under qemu-aarch64 (NEON)
# Extra compiler flags (sanitizers) can come in through CXXFLAGS.
set -euo pipefail
cd "$(dirname "$0")/.."
target="${1:-native}"
out="build-tests/$target"
mkdir -p "$out"
source scripts/native-sources.sh
cxx=(g++)
run=()
case "$target" in
  native) ;;
  arm64)
    cxx=(aarch64-linux-gnu-g++)
    run=(qemu-aarch64 -L /usr/aarch64-linux-gnu)
    ;;
  *) echo "usage: $0 [native|arm64]" >&2; exit 2 ;;
esac
objs=()
jobs_max="$(nproc)"
compile() {  # source, extra flags...: compiled in the background, nproc at a time
  local src="$1"; shift
  local obj="$out/$(echo "$src" | tr '/' '_').o"
  while [ "$(jobs -rp | wc -l)" -ge "$jobs_max" ]; do wait -n; done
  "${cxx[@]}" -std=c++17 -O2 -g -Wall -Wextra -Wno-unused-parameter ${CXXFLAGS:-} "$@" -c "$src" -o "$obj" &
  objs+=("$obj")
}
for f in $(sources core) $(sources scalar) native/test/kernel-tests.cc; do compile "$f"; done
if [ "$target" = native ] && [ "$(uname -m)" = x86_64 ]; then
  for f in $(sources avx2); do compile "$f" $(cflags avx2); done
  for f in $(sources avx512); do compile "$f" $(cflags avx512); done
elif [ "$target" = arm64 ] || [ "$(uname -m)" = aarch64 ]; then
  for f in $(sources neon); do compile "$f"; done
fi
for pid in $(jobs -rp); do wait "$pid"; done
"${cxx[@]}" ${CXXFLAGS:-} "${objs[@]}" -o "$out/kernel-tests" -lpthread
"${run[@]}" "$out/kernel-tests"
