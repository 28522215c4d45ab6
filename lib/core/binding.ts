/**
 * The one loader of the native addon (its typed contract is ./native.ts), and the typed way to call a kernel.
 *
 * Order: SPARSEKIT_ADDON (an explicit path, for testing another build such as the cmake-js or CUDA one), then
 * node-gyp-build, which looks in prebuilds/<platform>-<arch>/ for a binary whose tags match this runtime and then
 * in build/Release and build/Debug. When nothing loads, the error lists every place tried and why it failed.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { SparseError } from './errors';
import { KernelArgs, kernelArgs, KernelName, RawAddon } from './native';

/** The package root: this file is lib/core/ when run from source (tests), dist/core/ when installed. */
export const packageRoot = path.resolve(__dirname, '..', '..');

function reason(e: unknown): string {
  return e instanceof Error ? e.message.split('\n')[0] : String(e);
}

function load(): { addon: RawAddon; path: string } {
  const tried: string[] = [];
  const explicit = process.env.SPARSEKIT_ADDON;
  if (explicit) {
    const file = path.resolve(explicit);
    try {
      return { addon: require(file) as RawAddon, path: file };
    } catch (e) {
      throw new SparseError('ERR_NATIVE', `SPARSEKIT_ADDON=${explicit} could not be loaded: ${reason(e)}`);
    }
  }
  // node-gyp-build is CommonJS; resolve() returns the best matching binary or throws listing what it looked for.
  const nodeGypBuild = require('node-gyp-build') as { resolve(dir: string): string };
  try {
    const file = nodeGypBuild.resolve(packageRoot);
    try {
      return { addon: require(file) as RawAddon, path: file };
    } catch (e) {
      tried.push(`${file}: found but failed to load: ${reason(e)}`);
    }
  } catch (e) {
    const prebuilds = path.join(packageRoot, 'prebuilds', `${process.platform}-${process.arch}`);
    tried.push(`${prebuilds}: ${fs.existsSync(prebuilds) ? 'no binary matching this Node/libc' : 'does not exist'}`);
    for (const dir of ['build/Release', 'build/Debug']) {
      const p = path.join(packageRoot, dir, 'sparsekit.node');
      tried.push(`${p}: ${fs.existsSync(p) ? 'exists but was not chosen' : 'does not exist'}`);
    }
    tried.push(`node-gyp-build: ${reason(e)}`);
  }
  throw new SparseError(
    'ERR_NATIVE',
    `sparsekit: no native addon could be loaded for ${process.platform}-${process.arch} (Node ${process.version}).\n` +
      `Tried:\n  - ${tried.join('\n  - ')}\n` +
      'To fix: run `npm rebuild sparsekit` (needs python3, make and a C++17 compiler) to build from source, ' +
      'or install on a platform with a prebuilt binary (README, "Platforms"); SPARSEKIT_ADDON=/path/to/sparsekit.node ' +
      'loads a specific build.',
  );
}

const loaded = load();
loaded.addon.init(SparseError);

export const addon: RawAddon = loaded.addon;
/** Absolute path of the binary that was loaded. */
export const addonPath: string = loaded.path;

type Entry = (...a: unknown[]) => unknown;
const KERNELS = Object.keys(kernelArgs) as KernelName[];
/** Each kernel's sync and async entry, looked up once (a property read by a computed name costs on a 1 us call). */
const syncEntry = Object.fromEntries(KERNELS.map((k) => [k, addon[k] as Entry])) as Record<KernelName, Entry>;
const asyncEntry = Object.fromEntries(KERNELS.map((k) => [k, addon[`${k}Async`] as Entry])) as Record<KernelName, Entry>;

/** Calls a native entry with the thread cap set to `threads` (0: none), and resets it right after. */
function enter(fn: Entry, list: unknown[], threads: number): unknown {
  if (threads === 0) return fn(...list);
  addon.setCallThreads(threads);
  try {
    return fn(...list);
  } finally {
    addon.setCallThreads(0);
  }
}

/** Runs one kernel entry point synchronously, from its named arguments, on at most `threads` threads (0: all). */
export function callKernel<K extends KernelName>(name: K, args: KernelArgs[K], threads = 0): void {
  enter(syncEntry[name], kernelArgs[name](args), threads);
}

/** Runs one kernel entry point on the native thread pool; resolves when it is done. */
export function callKernelAsync<K extends KernelName>(name: K, args: KernelArgs[K], threads = 0): Promise<void> {
  return enter(asyncEntry[name], kernelArgs[name](args), threads) as Promise<void>;
}
