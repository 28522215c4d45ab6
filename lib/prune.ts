/**
 * Pruning: which weights to keep. Selection runs in native code (a radix-histogram top-k, multi-threaded, linear
 * time); results are Masks or sparse matrices, never a changed input.
 *
 * Counting rule (every method): of n candidates, round(sparsity * n) are pruned (half rounds up) and the rest
 * kept. Ties at the threshold keep the lower flat index (row-major; for global pruning, earlier tensors first).
 * NaN scores are refused with ERR_RANGE unless { nan: 'prune' }, which ranks them below every number.
 */
import { addon } from './binding';
import { BSRMatrix } from './bsr';
import { CSRMatrix } from './csr';
import { DenseMatrix } from './dense';
import { Mask } from './mask';
import { NMMatrix } from './nm';
import { Rng } from './random';
import * as v from './validate';

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

// ---- schedules -------------------------------------------------------------------------------------------------

/** A sparsity schedule: the target sparsity at a training step, and whether to prune at that step. */
export interface Schedule {
  (step: number): number;
  shouldPrune(step: number): boolean;
}

function step(name: string, x: unknown): number {
  return v.integer(name, x, 0, Number.MAX_SAFE_INTEGER);
}

function makeSchedule(at: (s: number) => number, begin: number, end: number, frequency: number): Schedule {
  const f = ((s: number) => at(step('step', s))) as Schedule;
  f.shouldPrune = (s: number) => {
    step('step', s);
    return s >= begin && s <= end && (s - begin) % frequency === 0;
  };
  return f;
}

export interface ConstantSparsityOptions {
  sparsity: number;
  beginStep?: number;
  /** Last step to prune at (default: never stops). */
  endStep?: number;
  frequency?: number;
}

/** Sparsity `sparsity` from beginStep on (0 before); prune every `frequency` steps between beginStep and endStep. */
export function constantSparsity(opts: ConstantSparsityOptions): Schedule {
  const o = v.options<ConstantSparsityOptions>('options', opts, ['sparsity', 'beginStep', 'endStep', 'frequency']);
  const sparsity = v.fraction('options.sparsity', o.sparsity);
  const begin = o.beginStep === undefined ? 0 : step('options.beginStep', o.beginStep);
  const end = o.endStep === undefined ? Number.MAX_SAFE_INTEGER : step('options.endStep', o.endStep);
  const frequency = o.frequency === undefined ? 1 : v.integer('options.frequency', o.frequency, 1, Number.MAX_SAFE_INTEGER);
  if (end < begin) v.fail('ERR_RANGE', `Expected options.endStep >= options.beginStep (${begin}) but received ${end}`);
  return makeSchedule((s) => (s < begin ? 0 : sparsity), begin, end, frequency);
}

export interface PolynomialDecayOptions {
  initialSparsity: number;
  finalSparsity: number;
  beginStep: number;
  endStep: number;
  /** Exponent; 3 (cubic) as in Zhu & Gupta 2017. */
  power?: number;
  /** Prune every `frequency` steps; the sparsity only changes on those steps. Default 1. */
  frequency?: number;
}

/**
 * Gradual magnitude pruning (Zhu & Gupta 2017): s(t) = s_f + (s_i - s_f) * (1 - (t - t0) / (t1 - t0))^power, with
 * t rounded down to the last pruning step (t0 + k * frequency). s_i before t0, s_f from t1 on.
 */
export function polynomialDecay(opts: PolynomialDecayOptions): Schedule {
  const o = v.options<PolynomialDecayOptions>('options', opts, ['initialSparsity', 'finalSparsity', 'beginStep', 'endStep', 'power', 'frequency']);
  const si = v.fraction('options.initialSparsity', o.initialSparsity);
  const sf = v.fraction('options.finalSparsity', o.finalSparsity);
  const begin = step('options.beginStep', o.beginStep);
  const end = step('options.endStep', o.endStep);
  if (end <= begin) v.fail('ERR_RANGE', `Expected options.endStep > options.beginStep (${begin}) but received ${end}`);
  const power = o.power === undefined ? 3 : v.finite('options.power', o.power);
  if (power <= 0) v.fail('ERR_RANGE', `Expected a positive number for options.power but received ${power}`);
  const frequency = o.frequency === undefined ? 1 : v.integer('options.frequency', o.frequency, 1, Number.MAX_SAFE_INTEGER);
  return makeSchedule((s) => {
    if (s <= begin) return si;
    if (s >= end) return sf;
    const t = begin + Math.floor((s - begin) / frequency) * frequency;
    return sf + (si - sf) * Math.pow(1 - (t - begin) / (end - begin), power);
  }, begin, end, frequency);
}

/** Prune once, at `step`, to `sparsity` (0 before, `sparsity` from then on). */
export function oneShot(opts: { sparsity: number; step?: number }): Schedule {
  const o = v.options<{ sparsity: number; step?: number }>('options', opts, ['sparsity', 'step']);
  const at = o.step === undefined ? 0 : step('options.step', o.step);
  return constantSparsity({ sparsity: o.sparsity as number, beginStep: at, endStep: at });
}

/**
 * Iterative magnitude pruning with weight rewinding (lottery tickets, Frankle & Carbin 2019; Frankle et al. 2020):
 * the sparsity after each of `rounds` rounds when every round prunes the same fraction of the weights still alive,
 * ending at finalSparsity: s_k = 1 - (1 - finalSparsity)^(k / rounds). The procedure, in code:
 *
 *   const w0 = snapshot of the weights at the rewind step
 *   for (const s of iterativeSparsities({ finalSparsity: 0.9, rounds: 5 })) {
 *     train(model)                                    // to convergence, or a fixed budget
 *     const mask = magnitudePrune(W, { sparsity: s }) // over the current weights (or globalMagnitudePrune)
 *     rewind(model, w0, mask)                         // weights back to w0, then keep only the mask
 *   }
 */
export function iterativeSparsities(opts: { finalSparsity: number; rounds: number }): number[] {
  const o = v.options<{ finalSparsity: number; rounds: number }>('options', opts, ['finalSparsity', 'rounds']);
  const sf = v.fraction('options.finalSparsity', o.finalSparsity);
  const rounds = v.integer('options.rounds', o.rounds, 1, 1000);
  return Array.from({ length: rounds }, (_, k) => (k + 1 === rounds ? sf : 1 - Math.pow(1 - sf, (k + 1) / rounds)));
}

// ---- layer budgets ---------------------------------------------------------------------------------------------

function shapes(name: string, x: unknown): number[][] {
  if (!Array.isArray(x) || x.length === 0) v.fail('ERR_ARGUMENT', `Expected a non-empty array of shapes for ${name} but received ${v.describe(x)}`);
  return x.map((s, i) => {
    if (!Array.isArray(s) || s.length < 1) v.fail('ERR_ARGUMENT', `Expected an array of dimensions for ${name}[${i}] but received ${v.describe(s)}`);
    return s.map((d, k) => v.integer(`${name}[${i}][${k}]`, d, 1, v.INT32_MAX));
  });
}

const sizeOf = (s: number[]) => s.reduce((a, b) => a * b, 1);

/** The same density 1 - sparsity for every layer (layers listed in `dense` stay dense and the rest share the remainder). */
export function uniformDensities(layerShapes: number[][], sparsity: number, opts?: { dense?: number[] }): number[] {
  const sh = shapes('layerShapes', layerShapes);
  const s = v.fraction('sparsity', sparsity);
  const o = v.options<{ dense?: number[] }>('options', opts, ['dense']);
  const dense = new Set((o.dense ?? []).map((i, k) => v.integer(`options.dense[${k}]`, i, 0, sh.length - 1)));
  const total = sh.reduce((a, x) => a + sizeOf(x), 0);
  const denseSize = sh.reduce((a, x, i) => a + (dense.has(i) ? sizeOf(x) : 0), 0);
  const rest = total - denseSize;
  const density = rest === 0 ? 1 : ((1 - s) * total - denseSize) / rest;
  if (density < 0 || density > 1 + 1e-12) v.fail('ERR_RANGE', `sparsity ${s} cannot be met with layers ${[...dense].join(', ')} kept dense`);
  return sh.map((_, i) => (dense.has(i) ? 1 : Math.min(1, density)));
}

/**
 * Erdős–Rényi-Kernel densities (Evci et al. 2020, RigL): density_l proportional to sum(dims_l) / prod(dims_l)
 * (to the power `power`, default 1), scaled so the kept parameters total (1 - sparsity) of all; a layer that would
 * exceed density 1 is made dense and the others are rescaled, repeatedly, as in the RigL implementation.
 */
export function erkDensities(layerShapes: number[][], sparsity: number, opts?: { power?: number }): number[] {
  const sh = shapes('layerShapes', layerShapes);
  const s = v.fraction('sparsity', sparsity);
  const o = v.options<{ power?: number }>('options', opts, ['power']);
  const power = o.power === undefined ? 1 : v.finite('options.power', o.power);
  const sizes = sh.map(sizeOf);
  const raw = sh.map((x) => Math.pow(x.reduce((a, b) => a + b, 0) / sizeOf(x), power));
  const total = sizes.reduce((a, b) => a + b, 0);
  const dense = new Set<number>();
  for (;;) {
    let divisor = 0, rhs = (1 - s) * total;
    for (let i = 0; i < sh.length; i++) {
      if (dense.has(i)) rhs -= sizes[i];
      else divisor += raw[i] * sizes[i];
    }
    const eps = divisor === 0 ? 0 : rhs / divisor;
    let grew = false;
    for (let i = 0; i < sh.length; i++) {
      if (!dense.has(i) && eps * raw[i] > 1) {
        dense.add(i);
        grew = true;
      }
    }
    if (!grew) return sh.map((_, i) => (dense.has(i) ? 1 : Math.max(0, eps * raw[i])));
  }
}

// ---- report ----------------------------------------------------------------------------------------------------

export interface PruneReport {
  layers: { name: string; size: number; kept: number; sparsity: number }[];
  total: { size: number; kept: number; sparsity: number };
}

/** Per-tensor and global kept counts and sparsity of Masks, sparse matrices or dense matrices (non-zeros). */
export function pruneReport(tensors: Record<string, Mask | CSRMatrix | BSRMatrix | NMMatrix | DenseMatrix>): PruneReport {
  if (tensors === null || typeof tensors !== 'object') v.fail('ERR_ARGUMENT', `Expected an object of named tensors but received ${v.describe(tensors)}`);
  const layers = Object.entries(tensors).map(([name, t]) => {
    let kept: number;
    if (t instanceof Mask) kept = t.count();
    else if (t instanceof CSRMatrix) kept = t.nnz;
    else if (t instanceof BSRMatrix || t instanceof NMMatrix) kept = t.toCSR().nnz;
    else {
      v.dense(name, t);
      kept = 0;
      for (const x of (t as DenseMatrix).data) if (x !== 0) kept++;
    }
    const size = t.rows * t.cols;
    return { name, size, kept, sparsity: size ? 1 - kept / size : 0 };
  });
  const size = layers.reduce((a, l) => a + l.size, 0), kept = layers.reduce((a, l) => a + l.kept, 0);
  return { layers, total: { size, kept, sparsity: size ? 1 - kept / size : 0 } };
}
