import * as v from '../core/validate';
import { alignedFloat32Array, CSRMatrix, DenseMatrix } from '../formats';
import { call, disjointFrom, freshIf, KernelCall, runAsync, runSync, scalars, threadsOption } from './call';

export interface SddmmOptions {
  /** Values array (pattern.nnz floats) to write into (and read when beta != 0); default a new one. */
  out?: Float32Array;
  alpha?: number;
  beta?: number;
  /** Split this call over at most this many threads (default: all). */
  threads?: number;
}

function sddmmCall(pattern: CSRMatrix, X: DenseMatrix, Y: DenseMatrix, opts?: SddmmOptions): KernelCall<'sddmm', CSRMatrix> {
  v.instanceOf('pattern', pattern, CSRMatrix);
  v.dense('X', X, pattern.rows);
  v.dense('Y', Y, pattern.cols);
  if (X.cols !== Y.cols) v.fail('ERR_SHAPE', `Expected Y.cols to equal X.cols (${X.cols}) but received ${Y.cols}`);
  const o = v.options<SddmmOptions>('options', opts, ['out', 'alpha', 'beta', 'threads']);
  const { alpha, beta } = scalars(o);
  const out = o.out === undefined ? alignedFloat32Array(pattern.nnz) : v.float32Array('options.out', o.out, pattern.nnz);
  disjointFrom('options.out', out, [['X.data', X.data], ['Y.data', Y.data], ['pattern.indptr', pattern.indptr], ['pattern.indices', pattern.indices]]);
  const result = CSRMatrix.trusted(pattern.rows, pattern.cols, pattern.indptr, pattern.indices, out);
  return call('sddmm', { a: pattern, x: X.data, y: Y.data, k: X.cols, out, alpha, beta }, result, freshIf(o.out, out), threadsOption(o));
}

/**
 * Sampled dense-dense product: for every stored (i, j) of `pattern`, alpha * dot(X[i, :], Y[j, :]) + beta * out.
 * X is pattern.rows x k, Y is pattern.cols x k. Returns a CSRMatrix sharing pattern's indptr and indices, with the
 * new values (`options.out` if given, e.g. the weight-gradient buffer). The dense product is never formed.
 */
export function sddmm(pattern: CSRMatrix, X: DenseMatrix, Y: DenseMatrix, opts?: SddmmOptions): CSRMatrix {
  return runSync(sddmmCall(pattern, X, Y, opts));
}

export async function sddmmAsync(pattern: CSRMatrix, X: DenseMatrix, Y: DenseMatrix, opts?: SddmmOptions): Promise<CSRMatrix> {
  return runAsync(sddmmCall(pattern, X, Y, opts));
}
