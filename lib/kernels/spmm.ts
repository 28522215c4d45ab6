import * as v from '../core/validate';
import { BSRMatrix, CSRMatrix, DenseMatrix, formatOf, NMMatrix } from '../formats';
import { AnyKernelCall, call, denseOut, disjointFromOperand, freshIf, KERNEL_OPTIONS, KernelOptions, runAsync, runSync, scalars, threadsOption, transposableB } from './call';

/** A matrix spmm accepts. */
export type SparseOperand = CSRMatrix | BSRMatrix | NMMatrix;

/**
 * The SpMM entry point of each format (the one dispatch table of this family; a new format adds a line). Each takes
 * { a: the matrix, b, n, c, alpha, beta } with `a` of its format.
 */
const byFormat: Record<string, 'spmm' | 'spmmBsr' | 'spmmNm'> = { csr: 'spmm', bsr: 'spmmBsr', nm: 'spmmNm' };

export interface SpmmOptions extends KernelOptions<DenseMatrix> {
  /**
   * B is given transposed: `B` holds Bᵀ (n x A.cols, row-major, e.g. a batch-major batch of activations) and the
   * product is C = alpha A Bᵀ + beta C. The transpose happens inside the packing of B's column panels (per thread,
   * in bounded scratch), never as a copy of the whole of B. Default false.
   */
  transB?: boolean;
}

const SPMM_OPTIONS = [...KERNEL_OPTIONS, 'transB'] as const;

function spmmCall(A: SparseOperand, B: DenseMatrix, opts?: SpmmOptions): AnyKernelCall<DenseMatrix> {
  const kernel = byFormat[formatOf(A)?.tag ?? ''];
  if (!kernel) v.fail('ERR_ARGUMENT', `Expected a CSRMatrix, BSRMatrix or NMMatrix for A but received ${v.describe(A)}`);
  v.dense('B', B);
  const o = v.options<SpmmOptions>('options', opts, SPMM_OPTIONS);
  const { transB, n } = transposableB(o, B, A.cols, 'A.cols');
  const { alpha, beta } = scalars(o);
  const out = denseOut('spmm', o.out, A.rows, n);
  disjointFromOperand('options.out.data', out.data, A, 'B.data', B.data);
  const args = { a: A, b: B.data, n, c: out.data, alpha, beta, transB } as never;
  return call(kernel, args, out, freshIf(o.out, out.data), threadsOption(o)) as AnyKernelCall<DenseMatrix>;
}

/**
 * C = alpha * A B + beta * C, A sparse (CSR, BSR or N:M; rows x k), B dense (k x n; with transB, n x k holding Bᵀ).
 * Returns `out` or a new matrix.
 */
export function spmm(A: SparseOperand, B: DenseMatrix, opts?: SpmmOptions): DenseMatrix {
  return runSync(spmmCall(A, B, opts));
}

/** spmm on the native thread pool; the event loop stays free. Keep the inputs unmodified until it resolves. */
export async function spmmAsync(A: SparseOperand, B: DenseMatrix, opts?: SpmmOptions): Promise<DenseMatrix> {
  return runAsync(spmmCall(A, B, opts));
}
