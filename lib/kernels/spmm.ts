import * as v from '../core/validate';
import { BSRMatrix, CSRMatrix, DenseMatrix, formatOf, NMMatrix } from '../formats';
import { AnyKernelCall, call, denseOut, disjointFromOperand, freshIf, KERNEL_OPTIONS, KernelOptions, runAsync, runSync, scalars, threadsOption } from './call';

/** A matrix spmm accepts. */
export type SparseOperand = CSRMatrix | BSRMatrix | NMMatrix;

/**
 * The SpMM entry point of each format (the one dispatch table of this family; a new format adds a line). Each takes
 * { a: the matrix, b, n, c, alpha, beta } with `a` of its format.
 */
const byFormat: Record<string, 'spmm' | 'spmmBsr' | 'spmmNm'> = { csr: 'spmm', bsr: 'spmmBsr', nm: 'spmmNm' };

function spmmCall(A: SparseOperand, B: DenseMatrix, opts?: KernelOptions<DenseMatrix>): AnyKernelCall<DenseMatrix> {
  const kernel = byFormat[formatOf(A)?.tag ?? ''];
  if (!kernel) v.fail('ERR_ARGUMENT', `Expected a CSRMatrix, BSRMatrix or NMMatrix for A but received ${v.describe(A)}`);
  v.dense('B', B);
  if (B.rows !== A.cols) v.fail('ERR_SHAPE', `Expected B.rows to equal A.cols (${A.cols}) but received ${B.rows}`);
  const o = v.options<KernelOptions<DenseMatrix>>('options', opts, KERNEL_OPTIONS);
  const { alpha, beta } = scalars(o);
  const out = denseOut('spmm', o.out, A.rows, B.cols);
  disjointFromOperand('options.out.data', out.data, A, 'B.data', B.data);
  const args = { a: A, b: B.data, n: B.cols, c: out.data, alpha, beta } as never;
  return call(kernel, args, out, freshIf(o.out, out.data), threadsOption(o)) as AnyKernelCall<DenseMatrix>;
}

/** C = alpha * A B + beta * C, A sparse (CSR, BSR or N:M; rows x k), B dense (k x n). Returns `out` or a new matrix. */
export function spmm(A: SparseOperand, B: DenseMatrix, opts?: KernelOptions<DenseMatrix>): DenseMatrix {
  return runSync(spmmCall(A, B, opts));
}

/** spmm on the native thread pool; the event loop stays free. Keep the inputs unmodified until it resolves. */
export async function spmmAsync(A: SparseOperand, B: DenseMatrix, opts?: KernelOptions<DenseMatrix>): Promise<DenseMatrix> {
  return runAsync(spmmCall(A, B, opts));
}
