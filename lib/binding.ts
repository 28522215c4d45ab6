/**
 * The one loader of the native addon, and the typed interface of what it exports.
 *
 * Order: SPARSEKIT_ADDON (an explicit path, for testing another build such as the cmake-js or CUDA one), then
 * node-gyp-build, which looks in prebuilds/<platform>-<arch>/ for a binary whose tags match this runtime and then
 * in build/Release and build/Debug. When nothing loads, the error lists every place tried and why it failed.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { SparseError } from './errors';

/** Raw addon functions. Arguments are checked in lib/ first; the addon re-checks lengths and kinds. */
export interface RawAddon {
  init(errorClass: typeof SparseError): void;
  info(): {
    isa: string;
    isas: string[];
    bestIsa: string;
    threads: number;
    kernels: Record<string, { kernel: string; isa: string }>;
    cuda: import('./runtime').CudaInfo | null;
  };
  setThreads(n: number): void;
  setIsa(name: string): void;
  /** Bytes from the buffer's start to the next 64-byte boundary. */
  alignmentOffset(buffer: ArrayBuffer): number;
  // Conversions: outputs allocated by the caller; *Count fills an indptr the caller sizes the rest from.
  denseToCsrCount(data: Float32Array, rows: number, cols: number, threshold: number, indptr: Int32Array): void;
  denseToCsrFill(data: Float32Array, rows: number, cols: number, threshold: number, indptr: Int32Array,
    indices: Int32Array, values: Float32Array): void;
  csrTranspose(rows: number, cols: number, indptr: Int32Array, indices: Int32Array, values: Float32Array,
    tIndptr: Int32Array, tIndices: Int32Array, tValues: Float32Array, perm?: Int32Array): void;
  cooToCsr(rows: number, cols: number, rowIndices: Int32Array, colIndices: Int32Array, values: Float32Array,
    sumDuplicates: boolean, indptr: Int32Array, indices: Int32Array, outValues: Float32Array): number;
  csrToBsrCount(rows: number, cols: number, indptr: Int32Array, indices: Int32Array, values: Float32Array,
    r: number, c: number, bsrIndptr: Int32Array): void;
  csrToBsrFill(rows: number, cols: number, indptr: Int32Array, indices: Int32Array, values: Float32Array,
    r: number, c: number, bsrIndptr: Int32Array, bsrIndices: Int32Array, bsrValues: Float32Array): void;
  bsrToCsrCount(rows: number, cols: number, r: number, c: number, indptr: Int32Array, indices: Int32Array,
    values: Float32Array, outIndptr: Int32Array): void;
  bsrToCsrFill(rows: number, cols: number, r: number, c: number, indptr: Int32Array, indices: Int32Array,
    values: Float32Array, outIndptr: Int32Array, outIndices: Int32Array, outValues: Float32Array): void;
  csrToNm(rows: number, cols: number, indptr: Int32Array, indices: Int32Array, values: Float32Array, n: number,
    m: number, outValues: Float32Array, outPositions: Uint8Array): void;
  nmToCsrCount(rows: number, cols: number, n: number, m: number, values: Float32Array, positions: Uint8Array,
    outIndptr: Int32Array): void;
  nmToCsrFill(rows: number, cols: number, n: number, m: number, values: Float32Array, positions: Uint8Array,
    outIndptr: Int32Array, outIndices: Int32Array, outValues: Float32Array): void;
  // Pruning selection (native/core/select.h): bit sets are zeroed Uint32Arrays the caller allocates.
  selectGlobal(xs: Float32Array[], ys: (Float32Array | null)[], scales: number[], bits: Uint32Array[], keep: number,
    abs: boolean, nanPrune: boolean): void;
  selectSegments(x: Float32Array, y: Float32Array | null, rows: number, cols: number, byRow: boolean, keep: number,
    abs: boolean, nanPrune: boolean, bits: Uint32Array): void;
  selectNm(x: Float32Array, rows: number, cols: number, n: number, m: number, nanPrune: boolean, values: Float32Array,
    positions: Uint8Array): void;
  // Drop-and-grow at constant nnz (SET / RigL); scores is scratch. See native/core/regrow.h.
  regrowCsr(rows: number, cols: number, indptr: Int32Array, indices: Int32Array, values: Float32Array, k: number,
    scores: Float32Array, abs: boolean, outIndptr: Int32Array, outIndices: Int32Array, outValues: Float32Array,
    from: Int32Array): void;
  // Optimizer updates, in place on the parameter and its state.
  sgdStep(w: Float32Array, g: Float32Array, buf: Float32Array | null, lr: number, momentum: number, weightDecay: number,
    nesterov: boolean): void;
  adamStep(w: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, lr: number, beta1: number, beta2: number,
    eps: number, weightDecay: number, c1: number, c2: number, decoupled: boolean): void;
  // Elementwise passes of the training layers (feature-major rows x cols).
  addRowBias(y: Float32Array, rows: number, cols: number, bias: Float32Array): void;
  rowSums(m: Float32Array, rows: number, cols: number, out: Float32Array): void;
  relu(x: Float32Array, out: Float32Array): void;
  reluBackward(x: Float32Array, dy: Float32Array, out: Float32Array): void;
  // Kernels: each has a sync form and an ...Async form (same arguments, returns a Promise). Argument lists are
  // built and checked in lib/ops.ts; the addon re-checks lengths, kinds and aliasing.
  spmv(...args: unknown[]): void;
  spmvAsync(...args: unknown[]): Promise<void>;
  spmm(...args: unknown[]): void;
  spmmAsync(...args: unknown[]): Promise<void>;
  sddmm(...args: unknown[]): void;
  sddmmAsync(...args: unknown[]): Promise<void>;
  spmmT(...args: unknown[]): void;
  spmmTAsync(...args: unknown[]): Promise<void>;
  spmmTPlan(...args: unknown[]): void;
  spmmTPlanAsync(...args: unknown[]): Promise<void>;
  spmmBsr(...args: unknown[]): void;
  spmmBsrAsync(...args: unknown[]): Promise<void>;
  spmmNm(...args: unknown[]): void;
  spmmNmAsync(...args: unknown[]): Promise<void>;
  spmvNm(...args: unknown[]): void;
  spmvNmAsync(...args: unknown[]): Promise<void>;
  gemm(...args: unknown[]): void;
  gemmAsync(...args: unknown[]): Promise<void>;
}

/** The package root: lib/ when run from source (tests), dist/ when installed; both sit one level below it. */
export const packageRoot = path.resolve(__dirname, '..');

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
