/**
 * Pruning: which weights to keep. Selection runs in native code (a radix-histogram top-k, multi-threaded, linear
 * time); results are Masks or sparse matrices, never a changed input.
 *
 * Counting rule (every method): of n candidates, round(sparsity * n) are pruned (half rounds up) and the rest
 * kept. Ties at the threshold keep the lower flat index (row-major; for global pruning, earlier tensors first).
 * NaN scores are refused with ERR_RANGE unless { nan: 'prune' }, which ranks them below every number.
 */
import { addon } from '../core/binding';
import { Rng } from '../core/random';
import * as v from '../core/validate';
import { BSRMatrix, DenseMatrix, Mask, NMMatrix } from '../formats';

export type PruneScope = 'tensor' | 'row' | 'column';

export interface PruneOptions {
  /** Fraction of entries to prune, in [0, 1]. */
  sparsity: number;
  /** One threshold per tensor (default), per row, or per column. */
  scope?: PruneScope;
  /** 'error' (default): NaN scores are refused; 'prune': NaN scores are pruned first. */
  nan?: 'error' | 'prune';
}

/** Entries kept out of n at this sparsity: n - round(sparsity * n). */
export function keptCount(n: number, sparsity: number): number {
  v.integer('n', n, 0, Number.MAX_SAFE_INTEGER);
  return n - Math.round(v.fraction('sparsity', sparsity) * n);
}

/** Whether NaN scores are pruned (true) or refused (false). */
function nanPolicy(name: string, x: unknown): boolean {
  return v.oneOf(name, x, ['error', 'prune'], 'error') === 'prune';
}

/** Keeps the entries with the largest scores (|x * y| when abs, else x * y) of a rows x cols tensor. */
function selectMask(x: DenseMatrix, y: DenseMatrix | null, opts: PruneOptions | undefined, abs: boolean): Mask {
  const o = v.options<PruneOptions>('options', opts, ['sparsity', 'scope', 'nan']);
  const sparsity = v.fraction('options.sparsity', o.sparsity);
  const scope = v.oneOf<PruneScope>('options.scope', o.scope, ['tensor', 'row', 'column'], 'tensor');
  const nan = nanPolicy('options.nan', o.nan);
  const mask = Mask.empty(x.rows, x.cols);
  const yd = y ? y.data : null;
  if (scope === 'tensor') {
    addon.selectGlobal([x.data], [yd], [1], [mask.bits], keptCount(x.data.length, sparsity), abs, nan);
  } else {
    const length = scope === 'row' ? x.cols : x.rows;
    addon.selectSegments(x.data, yd, x.rows, x.cols, scope === 'row', keptCount(length, sparsity), abs, nan, mask.bits);
  }
  return mask;
}

/** Keeps the largest |w| (per tensor, row or column). Returns a Mask; W is not changed. */
export function magnitudePrune(W: DenseMatrix, opts: PruneOptions): Mask {
  return selectMask(v.dense('W', W) as DenseMatrix, null, opts, true);
}

/** First-order Taylor / SNIP-style: keeps the largest |w * g| (G: the gradient, same shape as W). */
export function taylorPrune(W: DenseMatrix, G: DenseMatrix, opts: PruneOptions): Mask {
  v.dense('W', W);
  v.dense('G', G, W.rows, W.cols);
  return selectMask(W, G, opts, true);
}

/** Keeps the largest scores, sign included (movement pruning: scores accumulated as -w * grad over training). */
export function scorePrune(scores: DenseMatrix, opts: PruneOptions): Mask {
  return selectMask(v.dense('scores', scores) as DenseMatrix, null, opts, false);
}

export interface GlobalPruneOptions {
  sparsity: number;
  /** Scale each tensor's |w| before the common threshold: 'none' (default), by its 'l2' norm, or by its 'max' |w|. */
  normalize?: 'none' | 'l2' | 'max';
  nan?: 'error' | 'prune';
}

/** One threshold across several tensors: round(sparsity * total) of all their entries are pruned. One Mask each. */
export function globalMagnitudePrune(Ws: DenseMatrix[], opts: GlobalPruneOptions): Mask[] {
  if (!Array.isArray(Ws)) v.fail('ERR_ARGUMENT', `Expected an array of DenseMatrix for Ws but received ${v.describe(Ws)}`);
  Ws.forEach((W, i) => v.dense(`Ws[${i}]`, W));
  const o = v.options<GlobalPruneOptions>('options', opts, ['sparsity', 'normalize', 'nan']);
  const sparsity = v.fraction('options.sparsity', o.sparsity);
  const nan = nanPolicy('options.nan', o.nan);
  const normalize = v.oneOf('options.normalize', o.normalize, ['none', 'l2', 'max'], 'none');
  const scales = Ws.map((W) => {
    if (normalize === 'none') return 1;
    let acc = 0;
    for (const x of W.data) acc = normalize === 'l2' ? acc + x * x : Math.max(acc, Math.abs(x));
    const norm = normalize === 'l2' ? Math.sqrt(acc) : acc;
    return norm > 0 && Number.isFinite(norm) ? 1 / norm : 1;
  });
  const masks = Ws.map((W) => Mask.empty(W.rows, W.cols));
  const total = Ws.reduce((a, W) => a + W.data.length, 0);
  addon.selectGlobal(Ws.map((W) => W.data), Ws.map(() => null), scales, masks.map((m) => m.bits), keptCount(total, sparsity), true, nan);
  return masks;
}

export interface RandomPruneOptions {
  sparsity: number;
  /** Seed (uint32); the same seed gives the same mask. Default 0. */
  seed?: number;
}

/** Keeps a uniformly random set of exactly n - round(sparsity * n) entries (Floyd's sampling, O(kept) time). */
export function randomPrune(W: DenseMatrix | { rows: number; cols: number }, opts: RandomPruneOptions): Mask {
  if (W === null || typeof W !== 'object') v.fail('ERR_ARGUMENT', `Expected a DenseMatrix or {rows, cols} for W but received ${v.describe(W)}`);
  const rows = v.dimension('W.rows', W.rows), cols = v.dimension('W.cols', W.cols);
  const o = v.options<RandomPruneOptions>('options', opts, ['sparsity', 'seed']);
  const n = v.denseSize('W', rows, cols);
  const keep = keptCount(n, v.fraction('options.sparsity', o.sparsity));
  const rng = new Rng(o.seed ?? 0);
  // Sample the smaller of the kept and pruned sets, then complement if needed.
  const pick = Math.min(keep, n - keep);
  const mask = Mask.empty(rows, cols);
  const bits = mask.bits;
  for (let j = n - pick; j < n; j++) {
    const t = rng.nextInt(j + 1);
    const e = (bits[t >>> 5] >>> (t & 31)) & 1 ? j : t;
    bits[e >>> 5] |= 1 << (e & 31);
  }
  return pick === keep ? mask : mask.not();
}

export interface NMPruneOptions {
  n: number;
  m: number;
  nan?: 'error' | 'prune';
}

/** Keeps the n largest |w| of every m consecutive columns of each row (ties: lower column). */
export function nmPrune(W: DenseMatrix, opts: NMPruneOptions): NMMatrix {
  v.dense('W', W);
  const o = v.options<NMPruneOptions>('options', opts, ['n', 'm', 'nan']);
  const [n, m] = v.nmShape('options', o.n, o.m);
  const slots = W.rows * Math.ceil(W.cols / m) * n;
  if (slots > v.INT32_MAX) v.fail('ERR_RANGE', `An ${n}:${m} matrix of ${W.rows}x${W.cols} would store ${slots} values, beyond int32 indexing`);
  const values = new Float32Array(slots), positions = new Uint8Array(slots);
  addon.selectNm(W.data, W.rows, W.cols, n, m, nanPolicy('options.nan', o.nan), values, positions);
  return NMMatrix.trusted(W.rows, W.cols, n, m, values, positions);
}

export interface BlockPruneOptions {
  block: [number, number];
  /** Fraction of blocks to prune (edge blocks of a shape that is not a multiple count as blocks). */
  sparsity: number;
  /** Block score: 'l2' (default) or 'l1' norm of its entries. */
  norm?: 'l1' | 'l2';
  nan?: 'error' | 'prune';
}

/** Keeps the blocks with the largest norms; returns them as a BSRMatrix (W is not changed). */
export function blockPrune(W: DenseMatrix, opts: BlockPruneOptions): BSRMatrix {
  const { data, rows, cols } = v.dense('W', W);
  const o = v.options<BlockPruneOptions>('options', opts, ['block', 'sparsity', 'norm', 'nan']);
  const [r, c] = v.blockShape('options.block', o.block);
  const sparsity = v.fraction('options.sparsity', o.sparsity);
  const norm = v.oneOf('options.norm', o.norm, ['l1', 'l2'], 'l2');
  const br = Math.ceil(rows / r), bc = Math.ceil(cols / c);
  const norms = new Float32Array(br * bc);
  for (let i = 0; i < rows; i++) {
    const bi = ((i / r) | 0) * bc;
    for (let j = 0; j < cols; j++) {
      const x = data[i * cols + j];
      norms[bi + ((j / c) | 0)] += norm === 'l2' ? x * x : Math.abs(x);
    }
  }
  const keep = Mask.empty(br, bc);
  addon.selectGlobal([norms], [null], [1], [keep.bits], keptCount(norms.length, sparsity), true, nanPolicy('options.nan', o.nan));
  const indptr = new Int32Array(br + 1);
  const cols_: number[] = [];
  for (let i = 0; i < br; i++) {
    for (let j = 0; j < bc; j++) if ((keep.bits[(i * bc + j) >>> 5] >>> ((i * bc + j) & 31)) & 1) cols_.push(j);
    indptr[i + 1] = cols_.length;
  }
  const indices = Int32Array.from(cols_);
  const values = new Float32Array(indices.length * r * c);
  for (let i = 0; i < br; i++) {
    for (let k = indptr[i]; k < indptr[i + 1]; k++) {
      for (let a = 0; a < r && i * r + a < rows; a++) {
        for (let b = 0; b < c && indices[k] * c + b < cols; b++) {
          const x = data[(i * r + a) * cols + indices[k] * c + b];
          values[(k * r + a) * c + b] = x === x ? x : 0;
        }
      }
    }
  }
  return BSRMatrix.fromArrays(rows, cols, [r, c], indptr, indices, values);
}
