import * as v from '../core/validate';
import { alignedFloat32Array, CSRMatrix, formatOf, NMMatrix } from '../formats';
import { AnyKernelCall, call, disjointFromOperand, freshIf, KERNEL_OPTIONS, KernelOptions, runAsync, runSync, scalars, threadsOption } from './call';
import { runsInline, spmvCsrInline, spmvNmInline } from './inline';

/** The SpMV entry point of each format that has one; each takes { a: the matrix, x, y, alpha, beta }. */
const byFormat: Record<string, 'spmv' | 'spmvNm'> = { csr: 'spmv', nm: 'spmvNm' };

/** A validated spmv: which entry point, the output, the scalars and the thread cap. */
interface SpmvCall {
  kernel: 'spmv' | 'spmvNm';
  out: Float32Array;
  given: Float32Array | undefined;
  alpha: number;
  beta: number;
  threads: number;
}

function validate(A: CSRMatrix | NMMatrix, x: Float32Array, opts: KernelOptions<Float32Array> | undefined, inline: boolean): SpmvCall {
  const kernel = byFormat[formatOf(A)?.tag ?? ''];
  if (!kernel) v.fail('ERR_ARGUMENT', `Expected a CSRMatrix or NMMatrix for A but received ${v.describe(A)}`);
  v.float32Array('x', x, A.cols);
  const o = v.options<KernelOptions<Float32Array>>('options', opts, KERNEL_OPTIONS);
  const { alpha, beta } = scalars(o);
  const threads = threadsOption(o);
  // An inline call never reaches a kernel that reads with vector loads: a plain array is enough.
  const out = o.out !== undefined ? v.float32Array('options.out', o.out, A.rows) : inline ? new Float32Array(A.rows) : alignedFloat32Array(A.rows);
  if (o.out !== undefined) disjointFromOperand('options.out', out, A, 'x', x); // a new array shares memory with nothing
  return { kernel, out, given: o.out, alpha, beta, threads };
}

function native(A: CSRMatrix | NMMatrix, x: Float32Array, c: SpmvCall): AnyKernelCall<Float32Array> {
  const args = { a: A, x, y: c.out, alpha: c.alpha, beta: c.beta } as never;
  return call(c.kernel, args, c.out, freshIf(c.given, c.out), c.threads) as AnyKernelCall<Float32Array>;
}

/** Whether this call runs inline (lib/kernels/inline.ts); an invalid A is left to validate(). */
function inlineFor(A: CSRMatrix | NMMatrix): boolean {
  return A !== null && typeof A === 'object' && A.values instanceof Float32Array && runsInline(A);
}

function runInline(A: CSRMatrix | NMMatrix, x: Float32Array, c: SpmvCall): Float32Array {
  if (c.kernel === 'spmv') spmvCsrInline(A as CSRMatrix, x, c.out, c.alpha, c.beta);
  else spmvNmInline(A as NMMatrix, x, c.out, c.alpha, c.beta);
  return c.out;
}

/**
 * y = alpha * A x + beta * y for a CSR or N:M matrix. Returns `out` (or a new Float32Array of A.rows). A matrix with
 * at most getInlineLimit() stored entries is multiplied in JavaScript (lib/kernels/inline.ts): for it the native
 * call would cost more than the arithmetic.
 */
export function spmv(A: CSRMatrix | NMMatrix, x: Float32Array, opts?: KernelOptions<Float32Array>): Float32Array {
  const inline = inlineFor(A);
  const c = validate(A, x, opts, inline);
  return inline ? runInline(A, x, c) : runSync(native(A, x, c));
}

/**
 * spmv on the native thread pool; the event loop stays free. Keep the inputs unmodified until it resolves. A matrix
 * under the inline limit is multiplied at the call, as spmv does (under a microsecond, less than handing the work to
 * a thread), so the two give the same bits; the promise then settles at once.
 */
export async function spmvAsync(A: CSRMatrix | NMMatrix, x: Float32Array, opts?: KernelOptions<Float32Array>): Promise<Float32Array> {
  const inline = inlineFor(A);
  const c = validate(A, x, opts, inline);
  return inline ? runInline(A, x, c) : runAsync(native(A, x, c));
}
