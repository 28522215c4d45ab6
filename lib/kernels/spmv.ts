import * as v from '../core/validate';
// The format modules themselves, not the layer index: tsc writes every re-export of an index as a getter, and this
// path reads CSRMatrix on every call. An 8x8 sync spmv (bench/kernels.js' 8x8 case, timed in ten pairs of
// processes alternating the two builds, AMD EPYC Zen 1): 0.29-0.36 -> 0.23-0.32 us, medians 0.33 -> 0.29.
import { CSRMatrix } from '../formats/csr';
import { alignedFloat32Array } from '../formats/dense';
import { NMMatrix } from '../formats/nm';
import { AnyKernelCall, call, disjointFromOperand, freshIf, KERNEL_OPTIONS, KernelOptions, runAsync, runSync, scalars, threadsOption } from './call';
import { runsInline, spmvCsrInline, spmvNmInline } from './inline';

/**
 * The SpMV entry point of A's format (each takes { a: the matrix, x, y, alpha, beta }), or undefined for a format
 * without one. The same answer as formatOf(A)'s tag (a format object is an instance of its registered class), by
 * instanceof alone: the registry lookup cost 40 ns of a 0.4 us small spmv.
 */
function kernelOf(A: unknown): 'spmv' | 'spmvNm' | undefined {
  if (A instanceof CSRMatrix) return A.format === 'csr' ? 'spmv' : undefined;
  return A instanceof NMMatrix && A.format === 'nm' ? 'spmvNm' : undefined;
}

/**
 * Validates an spmv and, for a matrix under the inline limit (lib/kernels/inline.ts), multiplies it here and returns
 * the output; otherwise returns the native call. A small spmv is mostly this code (bench/kernels.js, the 8x8 table):
 * one function for both paths, the format by instanceof and the remembered aliasing check (disjointFromOperand)
 * took it from 0.41-0.53 us to 0.27-0.34 here.
 */
function start(A: CSRMatrix | NMMatrix, x: Float32Array, opts: KernelOptions<Float32Array> | undefined): Float32Array | AnyKernelCall<Float32Array> {
  const kernel = kernelOf(A);
  if (!kernel) v.fail('ERR_ARGUMENT', `Expected a CSRMatrix or NMMatrix for A but received ${v.describe(A)}`);
  v.float32Array('x', x, A.cols);
  const o = v.options<KernelOptions<Float32Array>>('options', opts, KERNEL_OPTIONS);
  const { alpha, beta } = scalars(o);
  const threads = threadsOption(o);
  const given = o.out;
  const inline = runsInline(A);
  // An inline call never reaches a kernel that reads with vector loads: a plain array is enough.
  const out = given !== undefined ? v.float32Array('options.out', given, A.rows) : inline ? new Float32Array(A.rows) : alignedFloat32Array(A.rows);
  if (given !== undefined) disjointFromOperand('options.out', out, A, 'x', x); // a new array shares memory with nothing
  if (inline) {
    if (kernel === 'spmv') spmvCsrInline(A as CSRMatrix, x, out, alpha, beta);
    else spmvNmInline(A as NMMatrix, x, out, alpha, beta);
    return out;
  }
  const args = { a: A, x, y: out, alpha, beta } as never;
  return call(kernel, args, out, freshIf(given, out), threads) as AnyKernelCall<Float32Array>;
}

/**
 * y = alpha * A x + beta * y for a CSR or N:M matrix. Returns `out` (or a new Float32Array of A.rows). A matrix with
 * at most getInlineLimit() stored entries is multiplied in JavaScript (lib/kernels/inline.ts): for it the native
 * call would cost more than the arithmetic.
 */
export function spmv(A: CSRMatrix | NMMatrix, x: Float32Array, opts?: KernelOptions<Float32Array>): Float32Array {
  const c = start(A, x, opts);
  return c instanceof Float32Array ? c : runSync(c);
}

/**
 * spmv on the native thread pool; the event loop stays free. Keep the inputs unmodified until it resolves. A matrix
 * under the inline limit is multiplied at the call, as spmv does (under a microsecond, less than handing the work to
 * a thread), so the two give the same bits; the promise then settles at once.
 */
export async function spmvAsync(A: CSRMatrix | NMMatrix, x: Float32Array, opts?: KernelOptions<Float32Array>): Promise<Float32Array> {
  const c = start(A, x, opts);
  return c instanceof Float32Array ? c : runAsync(c);
}
