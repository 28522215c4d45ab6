#!/usr/bin/env node
// @ts-check
// npm run prebuild: N-API prebuilds with prebuildify into prebuilds/<platform>-<arch>/, which node-gyp-build loads
// before any local build. Builds linux-x64 (glibc) natively and linux-arm64 cross-compiled with Debian's
// g++-aarch64-linux-gnu (skipped, with a message, when that compiler is missing; --require-arm64 makes it an error).
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
// Usage: prebuild.js [x64] [arm64] [--require-arm64]: the architectures to build (default both).
const { values, positionals: only } = parseArgs({ options: { 'require-arm64': { type: 'boolean', default: false } }, allowPositionals: true });
const requireArm64 = values['require-arm64'] === true;

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

const targets = [
  { arch: 'x64', env: {} },
  {
    arch: 'arm64',
    tools: ['aarch64-linux-gnu-g++', 'aarch64-linux-gnu-strip'],
    env: { CC: 'aarch64-linux-gnu-gcc', CXX: 'aarch64-linux-gnu-g++', LINK: 'aarch64-linux-gnu-g++', AR: 'aarch64-linux-gnu-ar', PREBUILD_STRIP_BIN: 'aarch64-linux-gnu-strip' },
  },
].filter((t) => only.length === 0 || only.includes(t.arch));

if (process.platform !== 'linux' || os.arch() !== 'x64') {
  console.error(`prebuild: this script builds linux-x64 and cross-compiles linux-arm64 from an x64 Linux host (this is ${process.platform}-${os.arch()})`);
  process.exit(1);
}

const prebuildify = require.resolve('prebuildify/bin.js');
for (const t of targets) {
  const missing = (t.tools || []).filter((tool) => !has(tool));
  if (missing.length) {
    const msg = `prebuild: skipping linux-${t.arch}: ${missing.join(', ')} not found (apt-get install g++-aarch64-linux-gnu binutils-aarch64-linux-gnu)`;
    if (requireArm64) throw new Error(msg);
    console.error(msg);
    continue;
  }
  const dir = scratchCopy();
  try {
    const env = { ...process.env, ...t.env, npm_config_nodedir: nodedir(), PREBUILD_NODE_GYP: nodeGyp() };
    execFileSync(process.execPath, [prebuildify, '--napi', '--tag-libc', '--strip', '--arch', t.arch, '--target', process.versions.node, '--cwd', dir, '--out', root], {
      stdio: ['ignore', 'inherit', 'inherit'],
      env,
    });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  // prebuildify names an N-API build <name>.<libc>.node; the napi tag says so to node-gyp-build explicitly.
  const out = path.join(root, 'prebuilds', `linux-${t.arch}`);
  fs.renameSync(path.join(out, 'sparsekit.glibc.node'), path.join(out, 'sparsekit.napi.glibc.node'));
  for (const f of fs.readdirSync(out)) console.log(`prebuild: ${path.relative(root, path.join(out, f))} (${fs.statSync(path.join(out, f)).size} bytes)`);
}
