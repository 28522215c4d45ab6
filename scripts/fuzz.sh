#!/usr/bin/env bash
# libFuzzer targets for the native code that reads structures it did not build (native/fuzz): clang with
# -fsanitize=fuzzer,address,undefined, linked with the core and every kernel (scalar, AVX2, AVX-512), so each input
# also runs the SIMD paths. Usage:
#   scripts/fuzz.sh [runs]     run every target for `runs` executions (default 1000000) over its corpus
# The corpora (native/fuzz/corpus/<target>) are small seeds kept in the repository; new inputs found in a run go to
# build-fuzz/corpus and are not committed. Needs Debian's clang and libclang-rt-14-dev.
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-1000000}"
out=build-fuzz
mkdir -p "$out"
cxx="$(command -v clang++ || command -v clang++-14)"
source scripts/native-sources.sh
flags=(-std=c++17 -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all)
objs=()
newest_header="$(find native -name '*.h' -newer "$out/.stamp" 2>/dev/null | head -1 || true)"
[ -f "$out/.stamp" ] && [ -z "$newest_header" ] || rm -f "$out"/*.o
touch "$out/.stamp"
build() {  # source, extra flags...
  local src="$1"; shift
  local obj="$out/$(echo "$src" | tr '/' '_').o"
  if [ ! -f "$obj" ] || [ "$src" -nt "$obj" ]; then "$cxx" "${flags[@]}" -fsanitize=fuzzer-no-link "$@" -c "$src" -o "$obj"; fi
  objs+=("$obj")
}
for f in $(sources core) $(sources scalar); do build "$f"; done
if [ "$(uname -m)" = x86_64 ]; then
  for f in $(sources avx2); do build "$f" $(cflags avx2); done
  for f in $(sources avx512); do build "$f" $(cflags avx512); done
fi
status=0
for target in fuzz-csr fuzz-formats; do
  "$cxx" "${flags[@]}" -fsanitize=fuzzer "native/fuzz/$target.cc" "${objs[@]}" -o "$out/$target" -lpthread
  mkdir -p "$out/corpus/$target"
  echo "== $target: $runs runs"
  "$out/$target" -runs="$runs" -max_len=512 -print_final_stats=1 "$out/corpus/$target" "native/fuzz/corpus/$target" 2>&1 |
    grep -E "^#[0-9]+\s+DONE|stat::number_of_executed_units|ERROR|SUMMARY|property violated" || status=1
done
exit "$status"
