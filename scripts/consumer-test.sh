#!/usr/bin/env bash
# Consumer test: packs sparsekit and installs the tarball into fresh temporary projects with no access to this
# source tree, then (a) import()s and require()s it, (b) type-checks a strict TypeScript file against the package's
# own .d.ts, (c) runs an SpMM checked against a dense product. Four installs:
#   1. with the prebuilt binary and no compiler, make or python on PATH (the prebuild must be used);
#   2. from a tarball without prebuilds/, so npm install must build from source with node-gyp;
#   3. with the prebuild but SPARSEKIT_ISA=scalar, the path a CPU without AVX2 takes;
#   4. with the prebuild present but a source build forced, as the README says to.
# Needs prebuilds/linux-x64 (npm run prebuild) and dist/ (npm run build:ts).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
here="$root/scripts/consumer"
work="$(mktemp -d /tmp/sparsekit-consumer.XXXXXX)"
trap 'rm -rf "$work"' EXIT
arch="$(node -p 'process.platform + "-" + process.arch')"
[ -d "$root/prebuilds/$arch" ] || { echo "consumer-test: no prebuilds/$arch; run npm run prebuild first" >&2; exit 1; }

echo "== packing"
(cd "$root" && npm pack --silent --pack-destination "$work" >/dev/null)
tarball="$(ls "$work"/sparsekit-*.tgz)"
listing="$(tar -tzf "$tarball")"
for must in package/dist/index.js package/dist/index.mjs package/dist/index.d.ts package/binding.gyp package/native/sources.gypi \
            "package/prebuilds/$arch/" package/README.md package/LICENSE; do
  grep -q "^$must" <<<"$listing" || { echo "consumer-test: $must missing from the tarball" >&2; exit 1; }
done
if grep -E '^package/(test|bench|lib|demo|scripts|native/test|native/fuzz)/|\.(js|ts)\.map$|^package/build' <<<"$listing"; then
  echo "consumer-test: the tarball holds files a consumer does not need (above)" >&2; exit 1
fi
echo "tarball: $(wc -l <<<"$listing") files, $(du -k "$tarball" | cut -f1) KiB"

# The toolchain for the consumer's TypeScript check, installed once (from npm's cache when it has them).
tsc_dir="$work/tsc"
mkdir -p "$tsc_dir" && (cd "$tsc_dir" && npm init -y >/dev/null && npm install --silent --prefer-offline --no-audit --no-fund \
  "typescript@$(node -p "require('$root/node_modules/typescript/package.json').version")" \
  "@types/node@$(node -p "require('$root/node_modules/@types/node/package.json').version")" >/dev/null)

new_project() {  # dir
  mkdir -p "$1" && cp "$here"/use.cjs "$here"/use.mjs "$here"/check.ts "$1"/
  (cd "$1" && npm init -y >/dev/null && npm pkg set type=commonjs >/dev/null)
}

use_it() {  # dir: import, require, strict type check
  (cd "$1" && node use.cjs && node use.mjs)
  (cd "$1" && ln -sfn "$tsc_dir/node_modules/@types" node_modules/@types &&
    node "$tsc_dir/node_modules/typescript/bin/tsc" --strict --noEmit --skipLibCheck false --module nodenext --moduleResolution nodenext \
      --target es2022 --types node check.ts)
  echo "typescript: strict check ok"
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
