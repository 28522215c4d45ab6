/**
 * Sparse kernels: sync variants for small work, ...Async variants that run on the native thread pool off the event
 * loop and resolve when done. Semantics follow BLAS: y = alpha*A*x + beta*y; with beta = 0 the output is write-only
 * (NaN in it does not propagate); with alpha = 0, A and x are not read.
 */
import { addon } from './binding';
import { CSRMatrix } from './csr';
import { alignedFloat32Array, DenseMatrix } from './dense';
import * as v from './validate';

export interface KernelOptions<Out> {
  /** Where to write the result (also the `y`/`C` read when beta != 0). Must not share memory with an input. */
  out?: Out;
  /** Default 1. */
  alpha?: number;
  /** Default 0. */
  beta?: number;
}

const KERNEL_OPTIONS = ['out', 'alpha', 'beta'] as const;

function scalars(o: { alpha?: number; beta?: number }): [number, number] {
  const alpha = o.alpha === undefined ? 1 : v.finite('options.alpha', o.alpha);
  const beta = o.beta === undefined ? 0 : v.finite('options.beta', o.beta);
  return [alpha, beta];
}

function checkCsrOperand(A: CSRMatrix): CSRMatrix {
  return v.instanceOf('A', A, CSRMatrix);
}

function spmvArgs(A: CSRMatrix, x: Float32Array, opts?: KernelOptions<Float32Array>) {
  checkCsrOperand(A);
  v.float32Array('x', x, A.cols);
  const o = v.options<KernelOptions<Float32Array>>('options', opts, KERNEL_OPTIONS);
  const [alpha, beta] = scalars(o);
  const out = o.out === undefined ? alignedFloat32Array(A.rows) : v.float32Array('options.out', o.out, A.rows);
  v.disjoint('options.out', out, 'x', x);
  v.disjoint('options.out', out, 'A.values', A.values);
  v.disjoint('options.out', out, 'A.indices', A.indices);
  v.disjoint('options.out', out, 'A.indptr', A.indptr);
  return [A.rows, A.cols, A.indptr, A.indices, A.values, x, out, alpha, beta] as const;
}

function spmmArgs(A: CSRMatrix, B: DenseMatrix, opts?: KernelOptions<DenseMatrix>) {
  checkCsrOperand(A);
  v.dense('B', B);
  if (B.rows !== A.cols) v.fail('ERR_SHAPE', `Expected B.rows to equal A.cols (${A.cols}) but received ${B.rows}`);
  const o = v.options<KernelOptions<DenseMatrix>>('options', opts, KERNEL_OPTIONS);
  const [alpha, beta] = scalars(o);
  let out: DenseMatrix;
  if (o.out === undefined) {
    out = { data: alignedFloat32Array(v.denseSize('spmm output', A.rows, B.cols)), rows: A.rows, cols: B.cols };
  } else {
    out = v.dense('options.out', o.out, A.rows, B.cols);
  }
  v.disjoint('options.out.data', out.data, 'B.data', B.data);
  v.disjoint('options.out.data', out.data, 'A.values', A.values);
  v.disjoint('options.out.data', out.data, 'A.indices', A.indices);
  v.disjoint('options.out.data', out.data, 'A.indptr', A.indptr);
  return { out, args: [A.rows, A.cols, A.indptr, A.indices, A.values, B.data, B.cols, out.data, alpha, beta] as const };
}

/** y = alpha * A x + beta * y. Returns `out` (or a new Float32Array of A.rows). */
export function spmv(A: CSRMatrix, x: Float32Array, opts?: KernelOptions<Float32Array>): Float32Array {
  const args = spmvArgs(A, x, opts);
  addon.spmv(...args);
  return args[6];
}

/** spmv on the native thread pool; the event loop stays free. Keep the inputs unmodified until it resolves. */
export async function spmvAsync(A: CSRMatrix, x: Float32Array, opts?: KernelOptions<Float32Array>): Promise<Float32Array> {
  const args = spmvArgs(A, x, opts);
  await addon.spmvAsync(...args);
  return args[6];
}

/** C = alpha * A B + beta * C, A sparse (rows x k), B dense (k x n). Returns `out` (or a new DenseMatrix). */
export function spmm(A: CSRMatrix, B: DenseMatrix, opts?: KernelOptions<DenseMatrix>): DenseMatrix {
  const { out, args } = spmmArgs(A, B, opts);
  addon.spmm(...args);
  return out;
}

/** spmm on the native thread pool; the event loop stays free. Keep the inputs unmodified until it resolves. */
export async function spmmAsync(A: CSRMatrix, B: DenseMatrix, opts?: KernelOptions<DenseMatrix>): Promise<DenseMatrix> {
  const { out, args } = spmmArgs(A, B, opts);
  await addon.spmmAsync(...args);
  return out;
}
