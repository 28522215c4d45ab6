import * as v from '../core/validate';
import { alignedFloat32Array, CSRMatrix, formatOf, NMMatrix } from '../formats';
import { AnyKernelCall, call, disjointFromOperand, freshIf, KERNEL_OPTIONS, KernelOptions, runAsync, runSync, scalars, threadsOption } from './call';

/** The SpMV entry point of each format that has one; each takes { a: the matrix, x, y, alpha, beta }. */
const byFormat: Record<string, 'spmv' | 'spmvNm'> = { csr: 'spmv', nm: 'spmvNm' };

function spmvCall(A: CSRMatrix | NMMatrix, x: Float32Array, opts?: KernelOptions<Float32Array>): AnyKernelCall<Float32Array> {
  const kernel = byFormat[formatOf(A)?.tag ?? ''];
  if (!kernel) v.fail('ERR_ARGUMENT', `Expected a CSRMatrix or NMMatrix for A but received ${v.describe(A)}`);
  v.float32Array('x', x, A.cols);
  const o = v.options<KernelOptions<Float32Array>>('options', opts, KERNEL_OPTIONS);
  const { alpha, beta } = scalars(o);
  const out = o.out === undefined ? alignedFloat32Array(A.rows) : v.float32Array('options.out', o.out, A.rows);
  disjointFromOperand('options.out', out, A, 'x', x);
  const args = { a: A, x, y: out, alpha, beta } as never;
  return call(kernel, args, out, freshIf(o.out, out), threadsOption(o)) as AnyKernelCall<Float32Array>;
}

/** y = alpha * A x + beta * y for a CSR or N:M matrix. Returns `out` (or a new Float32Array of A.rows). */
export function spmv(A: CSRMatrix | NMMatrix, x: Float32Array, opts?: KernelOptions<Float32Array>): Float32Array {
  return runSync(spmvCall(A, x, opts));
}

/** spmv on the native thread pool; the event loop stays free. Keep the inputs unmodified until it resolves. */
export async function spmvAsync(A: CSRMatrix | NMMatrix, x: Float32Array, opts?: KernelOptions<Float32Array>): Promise<Float32Array> {
  return runAsync(spmvCall(A, x, opts));
}
