/**
 * The one loader of the native addon (its typed contract is ./native.ts), and the typed way to call a kernel.
 *
 * Order: SPARSEKIT_ADDON (an explicit path, for testing another build such as the cmake-js or CUDA one), else the
 * candidates in node-gyp-build's order: build/Release, build/Debug (a local build), then every binary under
 * prebuilds/<platform>-<arch>/ whose tags (napi, libc, abi) match this runtime, most specific first. A candidate that
 * fails to load (a local build made for another architecture, in a checkout shared with an emulated Node; a binary
 * for another libc) does not end the search: the next one is tried, and when none loads the error lists every
 * attempt and why it failed. PREBUILDS_ONLY=1 skips the local build, as node-gyp-build does.
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

interface Tags {
  file: string;
}
/** node-gyp-build's tag and tuple matching (the same rules `npm install`'s node-gyp-build step uses). */
interface NodeGypBuild {
  parseTags(file: string): Tags | undefined;
  matchTags(runtime: string, abi: string | undefined): (t: Tags | undefined) => t is Tags;
  compareTags(runtime: string): (a: Tags, b: Tags) => number;
  parseTuple(name: string): { name: string } | undefined;
  matchTuple(platform: string, arch: string): (t: { name: string } | undefined) => t is { name: string };
  compareTuples(a: { name: string }, b: { name: string }): number;
}

function list(dir: string): string[] {
  try {
    return fs.readdirSync(dir);
  } catch {
    return [];
  }
}

/**
 * The binaries this process may load, best first, and a line for each place that held none. Exported for tests.
 * @internal
 */
export function addonCandidates(root: string, platform: string = process.platform, arch: string = process.arch): { files: string[]; empty: string[] } {
  const files: string[] = [];
  const empty: string[] = [];
  if (!process.env.PREBUILDS_ONLY) {
    for (const dir of ['build/Release', 'build/Debug']) {
      const file = path.join(root, dir, 'sparsekit.node');
      if (fs.existsSync(file)) files.push(file);
      else empty.push(`${file}: does not exist`);
    }
  }
  const ngb = require('node-gyp-build') as NodeGypBuild;
  const prebuilds = path.join(root, 'prebuilds');
  const tuples = list(prebuilds)
    .map((n) => ngb.parseTuple(n))
    .filter(ngb.matchTuple(platform, arch))
    .sort(ngb.compareTuples);
  if (tuples.length === 0) empty.push(`${path.join(prebuilds, `${platform}-${arch}`)}: does not exist`);
  for (const tuple of tuples) {
    const dir = path.join(prebuilds, tuple.name);
    const tags = list(dir)
      .map((f) => ngb.parseTags(f))
      .filter(ngb.matchTags('node', process.versions.modules))
      .sort(ngb.compareTags('node'));
    if (tags.length === 0) empty.push(`${dir}: no binary matching this Node/libc (${list(dir).join(', ') || 'empty'})`);
    for (const t of tags) files.push(path.join(dir, t.file));
  }
  return { files, empty };
}

function load(): { addon: RawAddon; path: string } {
  const explicit = process.env.SPARSEKIT_ADDON;
  if (explicit) {
    const file = path.resolve(explicit);
    try {
      return { addon: require(file) as RawAddon, path: file };
    } catch (e) {
      throw new SparseError('ERR_NATIVE', `SPARSEKIT_ADDON=${explicit} could not be loaded: ${reason(e)}`);
    }
  }
  const { files, empty } = addonCandidates(packageRoot);
  const tried: string[] = [];
  for (const file of files) {
    try {
      return { addon: require(file) as RawAddon, path: file };
    } catch (e) {
      tried.push(`${file}: found but failed to load: ${reason(e)}`);
    }
  }
  tried.push(...empty);
  throw new SparseError(
    'ERR_NATIVE',
    `sparsekit: no native addon could be loaded for ${process.platform}-${process.arch} (Node ${process.version}).\n` +
      `Tried:\n  - ${tried.join('\n  - ')}\n` +
      'To fix: run `npm rebuild sparsekit` (needs python3, make and a C++17 compiler) to build from source ' +
      '(where npm skipped its install script, approve it first: `npm install-scripts approve sparsekit`), ' +
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
