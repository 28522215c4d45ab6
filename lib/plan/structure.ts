/**
 * What the planner knows of a weight before timing anything: density, row-length spread, the fill of each block
 * shape, which N:M patterns it fits. One O(nnz) pass (block counts natively), no value copied. The signature is a
 * coarse summary of it, so weights of one kind (a layer after each RigL update, every head of a model) share a plan.
 */
import { addon } from '../core/binding';
import type { CSRMatrix } from '../formats';

/** Block shapes the planner considers for BSR, and the N:M patterns for N:M. */
export const BLOCK_SHAPES: readonly [number, number][] = [[4, 4], [8, 1], [16, 1], [2, 2]];
export const NM_PATTERNS: readonly [number, number][] = [[2, 4], [1, 4], [4, 8], [2, 8]];

/** A BSR block shape is a candidate when at least this share of its stored values are the weight's non-zeros. */
export const MIN_BLOCK_FILL = 0.4;

export interface Structure {
  rows: number;
  cols: number;
  nnz: number;
  density: number;
  /** Coefficient of variation of the row lengths (0: every row as long). */
  rowSpread: number;
  /** Per block shape 'RxC': stored blocks and fill (nnz / (blocks * R * C)). */
  blocks: Record<string, { blocks: number; fill: number }>;
  /** The N:M patterns ('N:M') every row fits. */
  nm: string[];
}

export function analyse(A: CSRMatrix): Structure {
  const { rows, cols, nnz, indptr, indices, values } = A;
  let sum = 0, sq = 0;
  for (let i = 0; i < rows; i++) {
    const len = indptr[i + 1] - indptr[i];
    sum += len;
    sq += len * len;
  }
  const mean = rows ? sum / rows : 0;
  const rowSpread = mean > 0 ? Math.sqrt(Math.max(0, sq / rows - mean * mean)) / mean : 0;
  const blocks: Structure['blocks'] = {};
  for (const [r, c] of BLOCK_SHAPES) {
    const ptr = new Int32Array(Math.ceil(rows / r) + 1);
    addon.csrToBsrCount(rows, cols, indptr, indices, values, r, c, ptr);
    const count = ptr[ptr.length - 1];
    blocks[`${r}x${c}`] = { blocks: count, fill: count ? nnz / (count * r * c) : 0 };
  }
  const nm = NM_PATTERNS.filter(([n, m]) => fitsNm(A, n, m)).map(([n, m]) => `${n}:${m}`);
  return { rows, cols, nnz, density: rows * cols ? nnz / (rows * cols) : 0, rowSpread, blocks, nm };
}

/** Whether every row holds at most n entries in each group of m columns. */
function fitsNm(A: CSRMatrix, n: number, m: number): boolean {
  const { rows, indptr, indices } = A;
  for (let i = 0; i < rows; i++) {
    let group = -1, count = 0;
    for (let k = indptr[i]; k < indptr[i + 1]; k++) {
      const g = Math.floor(indices[k] / m);
      if (g !== group) {
        group = g;
        count = 0;
      }
      if (++count > n) return false;
    }
  }
  return true;
}

/**
 * The structure part of a plan's cache key: density to 1%, row spread to 0.25, the block shapes with an acceptable
 * fill (to 0.1), the N:M patterns that fit.
 */
export function signature(s: Structure): string {
  const blocks = Object.entries(s.blocks)
    .filter(([, b]) => b.fill >= MIN_BLOCK_FILL)
    .map(([shape, b]) => `${shape}@${Math.round(b.fill * 10) / 10}`);
  return [`d${Math.round(s.density * 100)}`, `cv${Math.round(s.rowSpread * 4) / 4}`, `b[${blocks.join(',')}]`, `nm[${s.nm.join(',')}]`].join('|');
}

/** Widths of one class share a plan: 1, 2, 3-4, 5-8, ..., powers of two. */
export function widthClass(width: number): number {
  return width <= 1 ? 0 : Math.ceil(Math.log2(width));
}
