#!/usr/bin/env node
// @ts-check
// npm run build:prebuilds: the N-API prebuilds the package ships, into prebuilds/<platform>-<arch>/, where the
// loader (lib/core/binding.ts) finds them when there is no local build:
//   linux-x64    natively, with prebuildify + node-gyp
//   linux-arm64  cross-compiled with Debian's g++-aarch64-linux-gnu, with prebuildify + node-gyp
//   win32-x64    cross-compiled with Debian's mingw-w64 (posix threads) by scripts/build-win32.sh
// A target whose cross compiler is missing is skipped with a message; --require-all makes that an error (CI).
// --missing builds only the prebuilds that are absent or older than the native sources: `npm pack` runs it
// (prepack), so a tarball packed from a clean clone holds every prebuild this machine can build.
// Offline: node-gyp gets this Node's own headers (nodedir) instead of downloading them, and the build runs in a
// temporary copy of the sources so the local build/ is left alone. N-API binaries run on every Node version that
// has N-API 8 (Node >= 12.22), so the target version only names the headers used.
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { execFileSync, spawnSync } = require('node:child_process');
const { parseArgs } = require('node:util');

const root = path.resolve(__dirname, '..');
// Usage: prebuild.js [linux-x64] [linux-arm64] [win32-x64] [--require-all] [--missing]: the targets (default all).
const { values, positionals: only } = parseArgs({
  options: { 'require-all': { type: 'boolean', default: false }, missing: { type: 'boolean', default: false } },
  allowPositionals: true,
});
const requireAll = values['require-all'] === true;

function nodedir() {
  if (process.env.npm_config_nodedir) return process.env.npm_config_nodedir;
  const dir = path.resolve(path.dirname(process.execPath), '..');
  if (fs.existsSync(path.join(dir, 'include', 'node', 'node_api.h'))) return dir;
  throw new Error(`No Node headers next to ${process.execPath}; set npm_config_nodedir to a directory with include/node`);
}

function nodeGyp() {
  if (process.env.npm_config_node_gyp) return process.env.npm_config_node_gyp;
  // npm's bundled node-gyp, next to this Node.
  const bundled = path.resolve(path.dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
  if (fs.existsSync(bundled)) return bundled;
  throw new Error('node-gyp not found: run this through npm (npm run prebuild) or set npm_config_node_gyp');
}

/** @param {string} cmd */
function has(cmd) {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

// The sources prebuildify needs, copied to a scratch directory with node_modules linked in.
function scratchCopy() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sparsekit-prebuild-'));
  for (const entry of ['binding.gyp', 'package.json', 'native']) fs.cpSync(path.join(root, entry), path.join(dir, entry), { recursive: true });
  fs.symlinkSync(path.join(root, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
  return dir;
}

/** @typedef {{name: string, file: string, tools: string[], install: string, env?: Record<string, string>}} Target */
/** @type {Target[]} */
const all = [
  { name: 'linux-x64', file: 'sparsekit.napi.glibc.node', tools: [], install: '', env: {} },
  {
    name: 'linux-arm64',
    file: 'sparsekit.napi.glibc.node',
    tools: ['aarch64-linux-gnu-g++', 'aarch64-linux-gnu-strip'],
    install: 'g++-aarch64-linux-gnu binutils-aarch64-linux-gnu',
    env: { CC: 'aarch64-linux-gnu-gcc', CXX: 'aarch64-linux-gnu-g++', LINK: 'aarch64-linux-gnu-g++', AR: 'aarch64-linux-gnu-ar', PREBUILD_STRIP_BIN: 'aarch64-linux-gnu-strip' },
  },
  { name: 'win32-x64', file: 'sparsekit.napi.node', tools: ['x86_64-w64-mingw32-g++-posix', 'x86_64-w64-mingw32-dlltool'], install: 'g++-mingw-w64-x86-64-posix' },
];
for (const o of only) if (!all.some((t) => t.name === o)) throw new Error(`prebuild: unknown target '${o}' (${all.map((t) => t.name).join(', ')})`);
const targets = all.filter((t) => only.length === 0 || only.includes(t.name));

/** The newest modification time of the sources a prebuild is made from. */
function sourcesTime() {
  let newest = 0;
  const walk = (/** @type {string} */ p) => {
    const st = fs.statSync(p);
    if (st.isDirectory()) for (const e of fs.readdirSync(p)) walk(path.join(p, e));
    else newest = Math.max(newest, st.mtimeMs);
  };
  for (const p of ['native', 'binding.gyp', 'scripts/build-win32.sh']) walk(path.join(root, p));
  return newest;
}

if (process.platform !== 'linux' || os.arch() !== 'x64') {
  console.error(`prebuild: this script builds linux-x64 and cross-compiles the others from an x64 Linux host (this is ${process.platform}-${os.arch()})`);
  process.exit(1);
}

const prebuildify = require.resolve('prebuildify/bin.js');
const newestSource = values.missing ? sourcesTime() : 0;
for (const t of targets) {
  const out = path.join(root, 'prebuilds', t.name);
  const file = path.join(out, t.file);
  if (values.missing && fs.existsSync(file) && fs.statSync(file).mtimeMs >= newestSource) {
    console.log(`prebuild: ${path.relative(root, file)} is up to date`);
    continue;
  }
  const missing = t.tools.filter((tool) => !has(tool));
  if (missing.length) {
    const msg = `prebuild: skipping ${t.name}: ${missing.join(', ')} not found (apt-get install ${t.install})`;
    if (requireAll) throw new Error(msg);
    console.error(msg);
    continue;
  }
  if (t.name === 'win32-x64') {
    execFileSync('bash', [path.join(root, 'scripts', 'build-win32.sh'), file], { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
    continue;
  }
  const arch = t.name.split('-')[1];
  const dir = scratchCopy();
  try {
    const env = { ...process.env, ...t.env, npm_config_nodedir: nodedir(), PREBUILD_NODE_GYP: nodeGyp() };
    execFileSync(process.execPath, [prebuildify, '--napi', '--tag-libc', '--strip', '--arch', arch, '--target', process.versions.node, '--cwd', dir, '--out', root], {
      stdio: ['ignore', 'inherit', 'inherit'],
      env,
    });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  // prebuildify names an N-API build <name>.<libc>.node; the napi tag says so to the loader explicitly.
  fs.renameSync(path.join(out, 'sparsekit.glibc.node'), file);
  for (const f of fs.readdirSync(out)) console.log(`prebuild: ${path.relative(root, path.join(out, f))} (${fs.statSync(path.join(out, f)).size} bytes)`);
}
