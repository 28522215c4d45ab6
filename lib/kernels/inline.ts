/**
 * Small SpMV in JavaScript. Crossing into the native layer costs about 0.5 us for spmv (one
 * napi_get_typedarray_info per array is most of it), more than the arithmetic of a matrix with a few hundred stored
 * entries; up to `inlineLimit` stored entries spmv (and spmvAsync, at the call, so both give the same bits) runs
 * this plain loop instead, after the same validation (lib/kernels/spmv.ts). Larger matrices go native.
 *
 * Same contract as the native kernels (native/kernels/f32-spmv-*): alpha and beta are rounded to float32 as the
 * binding does; with alpha = 0 neither A nor x is read; with beta = 0 the output is write-only. A structure entry out
 * of range (arrays modified after construction) is skipped and counted, and the call then throws ERR_FORMAT, as the
 * native kernels do. Arrays emptied since construction (a detached buffer) are ERR_SHAPE, as in the binding. Each
 * row's sum is formed in float64 (each product of two float32 is exact there) and rounded once.
 */
import * as v from '../core/validate';
import type { CSRMatrix, NMMatrix } from '../formats';

/**
 * Measured with bench/kernels.js (the "Sync spmv in JavaScript (inline) against the native call" table): inline was
 * 1.24-1.30x faster at 202 entries and even at 274.
 */
export const DEFAULT_INLINE_LIMIT = 256;
let inlineLimit = DEFAULT_INLINE_LIMIT;

/**
 * spmv and spmvAsync of a matrix with at most `entries` stored entries (slots for N:M) run in JavaScript, without
 * the native call; 0 sends every call to the native kernels. Process-wide; meant for tests and benchmarks, like setIsa.
 * Default 256.
 */
export function setInlineLimit(entries: number): void {
  inlineLimit = v.integer('entries', entries, 0, v.INT32_MAX);
}

/** The current limit (see setInlineLimit). */
export function getInlineLimit(): number {
  return inlineLimit;
}

function structureError(bad: number, format: string): never {
  return v.fail(
    'ERR_FORMAT',
    `spmv: A is not a valid ${format} matrix (${bad} structure entries out of range; was it modified after construction?); the output is incomplete`,
  );
}

function expectLength(name: string, got: number, want: number): void {
  if (got !== want) v.fail('ERR_SHAPE', `Expected length ${want} for ${name} but received ${got}`);
}

/** y = beta * y (0 when beta is 0): the alpha = 0 case, where A and x are not read. */
function scale(y: Float32Array, beta: number): void {
  for (let i = 0; i < y.length; i++) y[i] = beta === 0 ? 0 : beta * y[i];
}

/** True when an spmv of A runs inline. */
export function runsInline(A: CSRMatrix | NMMatrix): boolean {
  return A.values.length <= inlineLimit;
}

/** y = alpha A x + beta y for CSR A; x and y already validated (lengths, disjointness) by the caller. */
export function spmvCsrInline(A: CSRMatrix, x: Float32Array, y: Float32Array, alpha: number, beta: number): void {
  const { indptr, indices, values, rows } = A;
  expectLength('A.indptr', indptr.length, rows + 1);
  expectLength('A.values', values.length, indices.length);
  const a = Math.fround(alpha);
  const b = Math.fround(beta);
  if (a === 0) return scale(y, b);
  const cols = A.cols;
  const nnz = indices.length;
  let bad = 0;
  let begin = indptr[0];
  for (let i = 0; i < rows; i++) {
    const end = indptr[i + 1];
    let sum = 0;
    if (begin >= 0 && begin <= end && end <= nnz) {
      for (let k = begin; k < end; k++) {
        const col = indices[k] >>> 0; // a negative index becomes >= 2^31, out of range like one past cols
        if (col < cols) sum += values[k] * x[col];
        else bad++;
      }
    } else {
      bad++;
    }
    y[i] = b === 0 ? a * sum : a * sum + b * y[i];
    begin = end;
  }
  if (bad) structureError(bad, 'CSR');
}

/** y = alpha A x + beta y for N:M A; x and y already validated by the caller. */
export function spmvNmInline(A: NMMatrix, x: Float32Array, y: Float32Array, alpha: number, beta: number): void {
  const { values, positions, rows, cols, n, m } = A;
  const groups = Math.ceil(cols / m);
  const slots = groups * n;
  expectLength('A.values', values.length, rows * slots);
  expectLength('A.positions', positions.length, rows * slots);
  const a = Math.fround(alpha);
  const b = Math.fround(beta);
  if (a === 0) return scale(y, b);
  let bad = 0;
  for (let i = 0, base = 0; i < rows; i++, base += slots) {
    let sum = 0;
    for (let s = 0; s < slots; s++) {
      const value = values[base + s];
      if (value === 0) continue; // a spare slot: no entry, x unread (as the native kernels and toCSR)
      const p = positions[base + s];
      const col = ((s / n) | 0) * m + p;
      if (p < m && col < cols) sum += value * x[col];
      else bad++;
    }
    y[i] = b === 0 ? a * sum : a * sum + b * y[i];
  }
  if (bad) structureError(bad, 'N:M');
}
