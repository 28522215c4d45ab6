import * as v from '../core/validate';
import { DenseMatrix } from '../formats';
import { call, denseOut, disjointFrom, freshIf, KERNEL_OPTIONS, KernelCall, KernelOptions, runAsync, runSync, scalars, threadsOption } from './call';

export interface GemmOptions extends KernelOptions<DenseMatrix> {
  /** Use Aᵀ (A is then k x m). Default false. */
  transA?: boolean;
}

function gemmCall(A: DenseMatrix, B: DenseMatrix, opts?: GemmOptions): KernelCall<'gemm', DenseMatrix> {
  v.dense('A', A);
  v.dense('B', B);
  const o = v.options<GemmOptions>('options', opts, [...KERNEL_OPTIONS, 'transA']);
  const transA = o.transA === undefined ? false : v.boolean('options.transA', o.transA);
  const m = transA ? A.cols : A.rows, k = transA ? A.rows : A.cols;
  if (B.rows !== k) v.fail('ERR_SHAPE', `Expected B.rows to equal ${transA ? 'A.rows' : 'A.cols'} (${k}) but received ${B.rows}`);
  const { alpha, beta } = scalars(o);
  const out = denseOut('gemm', o.out, m, B.cols);
  disjointFrom('options.out.data', out.data, [['A.data', A.data], ['B.data', B.data]]);
  return call('gemm', { a: A.data, m, k, transA, b: B.data, n: B.cols, c: out.data, alpha, beta }, out, freshIf(o.out, out.data), threadsOption(o));
}

/** Dense C = alpha * op(A) B + beta * C (row-major), register-tiled SIMD, threaded: the dense counterpart of spmm. */
export function gemm(A: DenseMatrix, B: DenseMatrix, opts?: GemmOptions): DenseMatrix {
  return runSync(gemmCall(A, B, opts));
}

export async function gemmAsync(A: DenseMatrix, B: DenseMatrix, opts?: GemmOptions): Promise<DenseMatrix> {
  return runAsync(gemmCall(A, B, opts));
}
