/**
 * What the planner knows of a weight before timing anything: density, row-length spread, the fill of each block
 * shape, which N:M patterns it fits. A few O(nnz) passes over the indices, no value copied. The signature is a
 * coarse summary of it, so weights of one kind (a layer after each RigL update, every head of a model) share a plan.
 */
import type { CSRMatrix } from '../formats';

/** Block shapes the planner considers for BSR (powers of two), and the N:M patterns for N:M. */
export const BLOCK_SHAPES: readonly [number, number][] = [[4, 4], [8, 1], [16, 1]];
export const NM_PATTERNS: readonly [number, number][] = [[2, 4], [1, 4], [4, 8], [2, 8]];

/** A BSR block shape is a candidate when at least this share of its stored values are the weight's non-zeros. */
export const MIN_BLOCK_FILL = 0.4;

/** BSR and N:M are considered up to this density. */
export const MAX_STRUCTURED_DENSITY = 0.5;

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

const analysed = new WeakMap<CSRMatrix, Structure>();

/** The structure of A, computed once per CSRMatrix (a CSRMatrix's structure does not change: README, Formats). */
export function analyse(A: CSRMatrix): Structure {
  let s = analysed.get(A);
  if (!s) analysed.set(A, (s = analyseOnce(A)));
  return s;
}

function analyseOnce(A: CSRMatrix): Structure {
  const { rows, cols, nnz, indptr } = A;
  let sum = 0, sq = 0;
  for (let i = 0; i < rows; i++) {
    const len = indptr[i + 1] - indptr[i];
    sum += len;
    sq += len * len;
  }
  const mean = rows ? sum / rows : 0;
  const rowSpread = mean > 0 ? Math.sqrt(Math.max(0, sq / rows - mean * mean)) / mean : 0;
  const density = rows * cols ? nnz / (rows * cols) : 0;
  // Above half dense, BSR and N:M store about as many values as the dense GEMM reads, at lower speed per value:
  // they are not looked for (which also keeps planning a nearly dense weight cheap).
  const structured = density <= MAX_STRUCTURED_DENSITY;
  const blocks: Structure['blocks'] = {};
  const counts = structured ? blockCounts(A) : BLOCK_SHAPES.map(() => 0);
  BLOCK_SHAPES.forEach(([r, c], b) => {
    blocks[`${r}x${c}`] = { blocks: counts[b], fill: counts[b] ? nnz / (counts[b] * r * c) : 0 };
  });
  const nm = structured ? NM_PATTERNS.filter(([n, m]) => fitsNm(A, n, m)).map(([n, m]) => `${n}:${m}`) : [];
  return { rows, cols, nnz, density, rowSpread, blocks, nm };
}

/**
 * Blocks each BLOCK_SHAPES shape would store, in one pass over the entries: rows come in order, so a block column
 * is new to a block row when the last block row that touched it is another one.
 */
function blockCounts(A: CSRMatrix): number[] {
  const { rows, cols, indptr, indices } = A;
  const shapes = BLOCK_SHAPES.length;
  const colShift = BLOCK_SHAPES.map(([, c]) => Math.log2(c)), rowShift = BLOCK_SHAPES.map(([r]) => Math.log2(r)); // powers of two
  const last = BLOCK_SHAPES.map(([, c]) => new Int32Array(Math.ceil(cols / c) + 1).fill(-1));
  const counts = new Array<number>(shapes).fill(0);
  const blockRow = new Int32Array(shapes);
  for (let i = 0; i < rows; i++) {
    for (let b = 0; b < shapes; b++) blockRow[b] = i >> rowShift[b];
    for (let k = indptr[i], end = indptr[i + 1]; k < end; k++) {
      const j = indices[k];
      if (j < 0 || j >= cols) continue; // a corrupt index: the kernels refuse it later
      for (let b = 0; b < shapes; b++) {
        const bj = j >> colShift[b];
        if (last[b][bj] !== blockRow[b]) {
          last[b][bj] = blockRow[b];
          counts[b]++;
        }
      }
    }
  }
  return counts;
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
