#!/usr/bin/env bash
# Consumer test: packs sparsekit (npm pack runs prepack, which builds the prebuilds that are missing), checks the
# tarball holds every prebuild (linux-x64, linux-arm64, win32-x64) and lints it (publint: no warnings or
# suggestions; arethetypeswrong: no problem under node10, node16 CJS and ESM, bundler), then installs it into fresh
# temporary projects with no access to this source tree and (a) import()s and require()s it, (b) type-checks a
# strict TypeScript file against the package's own types, both as CommonJS (.d.ts) and as an ES module (.d.mts),
# (c) runs an SpMM checked against a dense product. Four installs:
#   1. with the prebuilt binary and no compiler, make or python on PATH (the prebuild must be used);
#   2. from a tarball without prebuilds/, so npm install must build from source with node-gyp;
#   3. with the prebuild but SPARSEKIT_ISA=scalar, the path a CPU without AVX2 takes;
#   4. with the prebuild present but a source build forced, as the README says to.
# Needs the cross compilers of every prebuild (scripts/prebuild.js names them) and dist/ (npm run build:ts).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
here="$root/scripts/consumer"
work="$(mktemp -d /tmp/sparsekit-consumer.XXXXXX)"
trap 'rm -rf "$work"' EXIT
arch="$(node -p 'process.platform + "-" + process.arch')"

echo "== packing"
(cd "$root" && npm pack --silent --pack-destination "$work" >/dev/null)
tarball="$(ls "$work"/sparsekit-*.tgz)"
listing="$(tar -tzf "$tarball")"
for must in package/dist/main.js package/dist/index.js package/dist/index.mjs package/dist/index.d.ts package/dist/index.d.mts package/binding.gyp \
            package/native/sources.gypi package/prebuilds/linux-x64/sparsekit.napi.glibc.node \
            package/prebuilds/linux-arm64/sparsekit.napi.glibc.node package/prebuilds/win32-x64/sparsekit.napi.node \
            package/README.md package/LICENSE; do
  grep -q "^$must" <<<"$listing" || { echo "consumer-test: $must missing from the tarball" >&2; exit 1; }
done
if grep -E '^package/(test|bench|lib|demo|scripts|native/test|native/fuzz)/|\.(js|ts)\.map$|^package/build' <<<"$listing"; then
  echo "consumer-test: the tarball holds files a consumer does not need (above)" >&2; exit 1
fi
echo "tarball: $(wc -l <<<"$listing") files, $(du -k "$tarball" | cut -f1) KiB"
# Each prebuild is a binary for its platform: ELF x86-64 (machine 0x3e), ELF aarch64 (0xb7), PE32+ x86-64 (0x8664).
mkdir -p "$work/unpacked" && tar -xzf "$tarball" -C "$work/unpacked" package/prebuilds
node -e '
  const fs = require("fs"), dir = process.argv[1] + "/package/prebuilds/";
  const elf = (f, m) => { const b = fs.readFileSync(dir + f); return b.readUInt32BE(0) === 0x7f454c46 && b.readUInt16LE(18) === m; };
  const pe = (f) => { const b = fs.readFileSync(dir + f); const at = b.readUInt32LE(0x3c); return b.readUInt16BE(0) === 0x4d5a && b.readUInt16LE(at + 4) === 0x8664; };
  const bad = [["linux-x64/sparsekit.napi.glibc.node", elf, 0x3e], ["linux-arm64/sparsekit.napi.glibc.node", elf, 0xb7], ["win32-x64/sparsekit.napi.node", pe]]
    .filter(([f, check, m]) => !check(f, m)).map(([f]) => f);
  if (bad.length) { console.error("consumer-test: not a binary for its platform: " + bad.join(", ")); process.exit(1); }
  console.log("prebuilds: linux-x64 (ELF x86-64), linux-arm64 (ELF aarch64), win32-x64 (PE32+ x86-64)");' "$work/unpacked"

echo "== package metadata: publint and arethetypeswrong on the tarball"
(cd "$root" && node node_modules/publint/src/cli.js run "$tarball" --strict --level suggestion | tee "$work/publint.log")
grep -q 'All good' "$work/publint.log" || { echo "consumer-test: publint has something to say (above)" >&2; exit 1; }
(cd "$root" && node node_modules/@arethetypeswrong/cli/dist/index.js "$tarball" --profile strict --format ascii)

# The toolchain for the consumer's TypeScript check, installed once (from npm's cache when it has them).
tsc_dir="$work/tsc"
mkdir -p "$tsc_dir" && (cd "$tsc_dir" && npm init -y >/dev/null && npm install --silent --prefer-offline --no-audit --no-fund \
  "typescript@$(node -p "require('$root/node_modules/typescript/package.json').version")" \
  "@types/node@$(node -p "require('$root/node_modules/@types/node/package.json').version")" >/dev/null)

new_project() {  # dir
  mkdir -p "$1" && cp "$here"/use.cjs "$here"/use.mjs "$here"/check.ts "$1"/ && cp "$here"/check.ts "$1"/check-esm.mts
  (cd "$1" && npm init -y >/dev/null && npm pkg set type=commonjs >/dev/null)
}

use_it() {  # dir: import, require, strict type check
  (cd "$1" && node use.cjs && node use.mjs)
  # @types/node from the toolchain folder (the package's own dependencies may bring another copy or none).
  (cd "$1" &&
    node "$tsc_dir/node_modules/typescript/bin/tsc" --strict --noEmit --skipLibCheck false --module nodenext --moduleResolution nodenext \
      --target es2022 --typeRoots "$tsc_dir/node_modules/@types" --types node check.ts check-esm.mts)
  echo "typescript: strict check ok (CommonJS .d.ts and ES module .d.mts)"
}

echo "== 1. prebuild, no compiler on PATH"
bin="$work/bin"
mkdir -p "$bin" && ln -s "$(command -v node)" "$bin/node" && ln -s "$(command -v npm)" "$bin/npm"
for tool in sh bash env cat mkdir rm cp ln ls dirname basename sed grep uname; do ln -sf "$(command -v $tool)" "$bin/$tool"; done
new_project "$work/p1"
(cd "$work/p1" && PATH="$bin" bash -c 'for c in g++ gcc c++ cc make python3 node-gyp; do if command -v $c >/dev/null; then echo "$c is on PATH" >&2; exit 1; fi; done' &&
  PATH="$bin" npm install --silent --prefer-offline --no-audit --no-fund "$tarball" --foreground-scripts >/dev/null)
[ ! -e "$work/p1/node_modules/sparsekit/build" ] || { echo "consumer-test: the prebuild was not used (a build/ appeared)" >&2; exit 1; }
(cd "$work/p1" && PATH="$bin" node -e "const p = require('sparsekit').info().addon; if (!/prebuilds/.test(p)) throw new Error('loaded ' + p); console.log('loaded ' + p)")
PATH="$bin:$PATH" use_it "$work/p1"
# The `sparsekit` command from the installed package's bin link.
(cd "$work/p1" && PATH="$bin" ./node_modules/.bin/sparsekit info --json >"$work/info.json" &&
  node -e "const i = require('$work/info.json'); if (!/prebuilds/.test(i.addon) || !i.kernels['f32-spmm-csr']) throw new Error('sparsekit info: ' + JSON.stringify(i)); console.log('sparsekit info: ok (' + i.isa + ')')")

echo "== 2. no prebuild: built from source by npm install"
mkdir -p "$work/repack" && tar -xzf "$tarball" -C "$work/repack" && rm -rf "$work/repack/package/prebuilds"
tar -czf "$work/repack/sparsekit-source.tgz" -C "$work/repack" package
new_project "$work/p2"
(cd "$work/p2" && npm install --silent --prefer-offline --no-audit --no-fund "$(ls "$work"/repack/sparsekit-*.tgz)" >/dev/null)
[ -f "$work/p2/node_modules/sparsekit/build/Release/sparsekit.node" ] || { echo "consumer-test: no source build happened" >&2; exit 1; }
(cd "$work/p2" && node -e "const p = require('sparsekit').info().addon; if (!/build.Release/.test(p)) throw new Error('loaded ' + p); console.log('loaded ' + p)")
use_it "$work/p2"

echo "== 3. the scalar path (what a CPU without AVX2 runs)"
(cd "$work/p1" && SPARSEKIT_ISA=scalar node use.cjs)
echo "== 4. prebuild present, source build forced (npm_config_build_from_source=true)"
new_project "$work/p4"
(cd "$work/p4" && npm_config_build_from_source=true npm install --silent --prefer-offline --no-audit --no-fund "$tarball" >/dev/null)
(cd "$work/p4" && node -e "const p = require('sparsekit').info().addon; if (!/build.Release/.test(p)) throw new Error('loaded ' + p); console.log('loaded ' + p)" && node use.cjs)
echo "consumer-test: ok"
