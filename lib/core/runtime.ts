import * as fs from 'node:fs';
import * as path from 'node:path';
import { asyncQueueState, setAsyncQueueLimit } from './async-queue';
import { addon, addonPath, packageRoot } from './binding';
import { asyncMemoryPolicy } from './hold';
import type { CudaInfo } from './native';
import * as v from './validate';

export type { CudaInfo } from './native';

export type IsaName = 'scalar' | 'avx2' | 'avx512' | 'neon';

export interface Info {
  /** Package version. */
  version: string;
  /** The ISA kernels run on now. */
  isa: IsaName;
  /** Every ISA this CPU and OS support, from least to most capable. */
  isas: IsaName[];
  /** Threads work is split over. */
  threads: number;
  /** The kernel each family runs now, e.g. kernels['f32-spmm-csr'].kernel. */
  kernels: Record<string, { kernel: string; isa: IsaName }>;
  /**
   * The L2 cache per core the kernels block for, as detected (B of an SpMM is walked in column panels that fit in
   * it; README, "Performance").
   */
  l2CacheBytes: number;
  /**
   * The L1 data cache per core, as detected: when a panel of B is taller than fits in it and A is dense enough, SpMM
   * walks B in blocks of rows that do (README, "Performance").
   */
  l1CacheBytes: number;
  /** CUDA backend: null unless the addon was built with it (npm run build:cuda). */
  cuda: CudaInfo | null;
  /** Path of the loaded native binary. */
  addon: string;
  /**
   * The async kernels of this JavaScript thread: calls running in native code, calls waiting for a slot, the
   * limit (setAsyncLimit), and how their memory is kept valid ('mark' or 'snapshot': README, "Async calls").
   */
  async: { running: number; queued: number; limit: number; memory: 'mark' | 'snapshot' };
}

const version: string = JSON.parse(fs.readFileSync(path.join(packageRoot, 'package.json'), 'utf8')).version;

export function info(): Info {
  const raw = addon.info();
  return {
    version,
    isa: raw.isa as IsaName,
    isas: raw.isas as IsaName[],
    threads: raw.threads,
    kernels: raw.kernels as Info['kernels'],
    l2CacheBytes: raw.l2CacheBytes,
    l1CacheBytes: raw.l1CacheBytes,
    cuda: raw.cuda ?? null,
    addon: addonPath,
    async: { ...asyncQueueState(), memory: asyncMemoryPolicy },
  };
}

/**
 * How many async kernel calls of this JavaScript thread run in native code at once (default 2, at most 64); the
 * others wait in call order. Each running call holds one libuv worker thread and spreads over the whole thread pool.
 */
export function setAsyncLimit(n: number): void {
  setAsyncQueueLimit(v.integer('n', n, 1, 64));
}

/** Threads for later calls (default: the cores this process may use). Work already running keeps its split. */
export function setThreads(n: number): void {
  v.integer('threads', n, 1, 256);
  addon.setThreads(n);
}

/**
 * Forces the kernels of every family to one ISA ('scalar', 'avx2', 'avx512', 'neon', or 'auto' for the best one),
 * for the whole process. An ISA this CPU lacks is ERR_UNSUPPORTED. Meant for tests and benchmarks.
 */
export function setIsa(name: IsaName | 'auto'): void {
  if (typeof name !== 'string') v.fail('ERR_ARGUMENT', `Expected an ISA name for isa but received ${v.describe(name)}`);
  const known = ['scalar', 'avx2', 'avx512', 'neon', 'auto'];
  if (!known.includes(name)) v.fail('ERR_UNSUPPORTED', `Unknown ISA '${name}'; expected one of ${known.join(', ')}`);
  addon.setIsa(name);
}

export type PackMode = 'auto' | 'always' | 'never';

/**
 * Forces how SpMM-like products (CSR, BSR, N:M, spmmT with a plan) treat their dense B: 'auto' (default) copies B
 * into aligned scratch panels when it is misaligned or wider than a panel and the product reads it enough to pay,
 * 'always' packs every product that can be packed, 'never' uses B in place. `panelWidth` (floats, rounded up to whole
 * vectors; 0: chosen from the ISA and the L2 size) sets the panel width. `l1Block` sets L1 blocking of CSR and N:M
 * SpMM (B walked in blocks of rows that fit in L1, for each chunk of rows of A): 'auto' (default) blocks when a
 * panel of B does not fit in L1 and A has enough entries per row in a block (CSR only on CPUs without AVX-512,
 * where that measured faster: README "Alignment"); 'never' does not; a number of bytes (at least 64) always blocks,
 * in blocks that size (rows counted in whole vectors). Process-wide; meant for tests and benchmarks, like setIsa.
 */
export function setPacking(mode: PackMode, panelWidth = 0, l1Block: 'auto' | 'never' | number = 'auto'): void {
  const m = v.oneOf('mode', mode, ['auto', 'always', 'never'] as const, 'auto');
  const width = v.integer('panelWidth', panelWidth, 0, 1 << 20);
  const block = l1Block === 'auto' ? 0 : l1Block === 'never' ? -1 : typeof l1Block === 'number' ? v.integer('l1Block', l1Block, 64, 1 << 30) : v.fail('ERR_ARGUMENT', `Expected 'auto', 'never' or a number of bytes for l1Block but received ${v.describe(l1Block)}`);
  addon.setPackTuning(m, width, block);
}

// Environment overrides, applied once when the package loads.
function applyEnvironment(): void {
  const isa = process.env.SPARSEKIT_ISA;
  if (isa) {
    try {
      setIsa(isa as IsaName);
    } catch (e) {
      v.fail('ERR_UNSUPPORTED', `SPARSEKIT_ISA=${isa}: ${(e as Error).message}`);
    }
  }
  else if (process.arch === 'x64' && !addon.info().isas.includes('avx2')) {
    // The minimum CPU check: the binary needs only baseline x86-64, so this CPU works, on the portable kernels.
    process.emitWarning('this x86-64 CPU has no AVX2 (or the OS does not enable it): sparsekit runs its scalar kernels, correct but several times slower. SPARSEKIT_ISA=scalar silences this.', { code: 'SPARSEKIT_SCALAR' });
  }
  const threads = process.env.SPARSEKIT_THREADS;
  if (threads) {
    const n = Number(threads);
    try {
      setThreads(n);
    } catch (e) {
      v.fail('ERR_RANGE', `SPARSEKIT_THREADS=${threads}: ${(e as Error).message}`);
    }
  }
}
applyEnvironment();
