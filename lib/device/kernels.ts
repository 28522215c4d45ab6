/**
 * Kernels on device data: each has a synchronous form (returns when the result is in `out`) and an async form
 * (the work runs off the event loop). Operands must live on one backend; the work goes to that backend.
 */
import * as v from '../core/validate';
import { DeviceBackend, DeviceCsrStructure } from './backend';
import { DeviceCSRMatrix, DeviceMatrix, DeviceNMMatrix } from './tensors';

export interface DeviceKernelOptions {
  alpha?: number;
  beta?: number;
  /** Write here (a DeviceMatrix of the result's shape, not an input) instead of a new DeviceMatrix. */
  out?: DeviceMatrix;
}

export interface DeviceSpmmOptions extends DeviceKernelOptions {
  /**
   * 'sparsekit' (default): this library's kernel. 'cusparse': cuSPARSE's SpMM through the library found at run time
   * (ERR_UNSUPPORTED if none; the structure is checked on the device first).
   */
  kernel?: 'sparsekit' | 'cusparse';
}

/** One device call, validated, ready to run either way; returns its result. */
interface DeviceCall<T> {
  run(async: boolean): void | Promise<void>;
  result: T;
}

function runSync<T>(c: DeviceCall<T>): T {
  c.run(false);
  return c.result;
}

async function runAsync<T>(c: DeviceCall<T>): Promise<T> {
  await c.run(true);
  return c.result;
}

function scalars(o: DeviceKernelOptions): { alpha: number; beta: number } {
  return { alpha: o.alpha === undefined ? 1 : v.finite('options.alpha', o.alpha), beta: o.beta === undefined ? 0 : v.finite('options.beta', o.beta) };
}

/** The backend every operand lives on (ERR_ARGUMENT when they differ). */
function sameBackend(first: { backend: DeviceBackend }, named: [string, { backend: DeviceBackend }][]): DeviceBackend {
  for (const [name, x] of named) {
    if (x.backend !== first.backend) v.fail('ERR_ARGUMENT', `${name} lives on device backend '${x.backend.name}', the other operands on '${first.backend.name}'`);
  }
  return first.backend;
}

function outMatrix(o: DeviceKernelOptions, rows: number, cols: number, inputs: DeviceMatrix[], backend: DeviceBackend): DeviceMatrix {
  if (o.out === undefined) return DeviceMatrix.empty(rows, cols, backend);
  const out = v.instanceOf('options.out', o.out, DeviceMatrix);
  if (out.rows !== rows || out.cols !== cols) v.fail('ERR_SHAPE', `Expected a ${rows}x${cols} options.out but received ${out.rows}x${out.cols}`);
  if (inputs.some((m) => m.buffer === out.buffer)) v.fail('ERR_ARGUMENT', 'options.out must not share memory with an input');
  sameBackend(inputs[0], [['options.out', out]]);
  return out;
}

const kernelOptions = ['alpha', 'beta', 'out'] as const;

function spmmNmCall(A: DeviceNMMatrix, B: DeviceMatrix, opts: DeviceSpmmOptions | undefined): DeviceCall<DeviceMatrix> {
  v.instanceOf('B', B, DeviceMatrix);
  const o = v.options<DeviceSpmmOptions>('options', opts, [...kernelOptions, 'kernel']);
  if (v.oneOf('options.kernel', o.kernel, ['sparsekit', 'cusparse'], 'sparsekit') === 'cusparse') {
    v.fail('ERR_UNSUPPORTED', 'options.kernel "cusparse" takes a DeviceCSRMatrix, not an N:M matrix (cuSPARSELt is not used)');
  }
  if (B.rows !== A.cols) v.fail('ERR_SHAPE', `Expected B.rows to be ${A.cols} (A.cols) but received ${B.rows}`);
  const backend = sameBackend(A, [['B', B]]);
  const s = scalars(o);
  const out = outMatrix(o, A.rows, B.cols, [B], backend);
  const args = { rows: A.rows, cols: A.cols, n: A.n, m: A.m, values: A.values, positions: A.positions, b: B.buffer, width: B.cols, c: out.buffer, ...s };
  return { result: out, run: (async) => backend.spmmNm(args, async) };
}

function spmmCall(A: DeviceCSRMatrix | DeviceNMMatrix, B: DeviceMatrix, opts: DeviceSpmmOptions | undefined, transposed: boolean): DeviceCall<DeviceMatrix> {
  if (!transposed && A instanceof DeviceNMMatrix) return spmmNmCall(A, B, opts);
  return spmmCsrCall(v.instanceOf('A', A, DeviceCSRMatrix), B, opts, transposed);
}

function spmmCsrCall(A: DeviceCSRMatrix, B: DeviceMatrix, opts: DeviceSpmmOptions | undefined, transposed: boolean): DeviceCall<DeviceMatrix> {
  v.instanceOf('B', B, DeviceMatrix);
  const o = v.options<DeviceSpmmOptions>('options', opts, transposed ? [...kernelOptions] : [...kernelOptions, 'kernel']);
  const kernel = v.oneOf('options.kernel', o.kernel, ['sparsekit', 'cusparse'], 'sparsekit');
  const [inner, outer] = transposed ? [A.rows, A.cols] : [A.cols, A.rows];
  if (B.rows !== inner) v.fail('ERR_SHAPE', `Expected B.rows to be ${inner} (A.${transposed ? 'rows' : 'cols'}) but received ${B.rows}`);
  let s: DeviceCsrStructure = A.structure;
  if (transposed) {
    if (!A.transposed) v.fail('ERR_ARGUMENT', 'A was uploaded with { transpose: false }; spmmTDevice needs its transposed structure');
    s = A.transposed;
  }
  const backend = sameBackend(A, [['B', B]]);
  const out = outMatrix(o, outer, B.cols, [B], backend);
  const args = { kernel, rows: outer, cols: inner, nnz: A.nnz, s, values: A.values, b: B.buffer, n: B.cols, c: out.buffer, ...scalars(o) };
  return { result: out, run: (async) => backend.spmm(args, async) };
}

/**
 * C = alpha * A B + beta * C on the device for a CSR or N:M A, every operand on the device (A's structure is
 * bounds-checked there: a corrupt index is ERR_FORMAT). Returns `out` (a new DeviceMatrix by default) once the
 * result is in it.
 */
export function spmmDevice(A: DeviceCSRMatrix | DeviceNMMatrix, B: DeviceMatrix, opts?: DeviceSpmmOptions): DeviceMatrix {
  return runSync(spmmCall(A, B, opts, false));
}

export function spmmDeviceAsync(A: DeviceCSRMatrix | DeviceNMMatrix, B: DeviceMatrix, opts?: DeviceSpmmOptions): Promise<DeviceMatrix> {
  return runAsync(spmmCall(A, B, opts, false));
}

/** C = alpha * Aᵀ B + beta * C (B is A.rows x n) through A's uploaded transposed structure; deterministic. */
export function spmmTDevice(A: DeviceCSRMatrix, B: DeviceMatrix, opts?: DeviceKernelOptions): DeviceMatrix {
  return runSync(spmmCall(A, B, opts, true));
}

export function spmmTDeviceAsync(A: DeviceCSRMatrix, B: DeviceMatrix, opts?: DeviceKernelOptions): Promise<DeviceMatrix> {
  return runAsync(spmmCall(A, B, opts, true));
}

function spmvCall(A: DeviceCSRMatrix, x: DeviceMatrix, opts: DeviceKernelOptions | undefined): DeviceCall<DeviceMatrix> {
  v.instanceOf('A', A, DeviceCSRMatrix);
  v.instanceOf('x', x, DeviceMatrix);
  const o = v.options<DeviceKernelOptions>('options', opts, [...kernelOptions]);
  if (x.rows !== A.cols || x.cols !== 1) v.fail('ERR_SHAPE', `Expected an ${A.cols}x1 x but received ${x.rows}x${x.cols}`);
  const backend = sameBackend(A, [['x', x]]);
  const out = outMatrix(o, A.rows, 1, [x], backend);
  const args = { rows: A.rows, cols: A.cols, nnz: A.nnz, s: A.structure, values: A.values, x: x.buffer, y: out.buffer, ...scalars(o) };
  return { result: out, run: (async) => backend.spmv(args, async) };
}

/** y = alpha * A x + beta * y with x an A.cols x 1 and y an A.rows x 1 DeviceMatrix. */
export function spmvDevice(A: DeviceCSRMatrix, x: DeviceMatrix, opts?: DeviceKernelOptions): DeviceMatrix {
  return runSync(spmvCall(A, x, opts));
}

export function spmvDeviceAsync(A: DeviceCSRMatrix, x: DeviceMatrix, opts?: DeviceKernelOptions): Promise<DeviceMatrix> {
  return runAsync(spmvCall(A, x, opts));
}

function sddmmCall(pattern: DeviceCSRMatrix, X: DeviceMatrix, Y: DeviceMatrix, opts: DeviceKernelOptions | undefined): DeviceCall<DeviceMatrix> {
  v.instanceOf('pattern', pattern, DeviceCSRMatrix);
  v.instanceOf('X', X, DeviceMatrix);
  v.instanceOf('Y', Y, DeviceMatrix);
  const o = v.options<DeviceKernelOptions>('options', opts, [...kernelOptions]);
  if (X.rows !== pattern.rows) v.fail('ERR_SHAPE', `Expected X.rows to be ${pattern.rows} but received ${X.rows}`);
  if (Y.rows !== pattern.cols) v.fail('ERR_SHAPE', `Expected Y.rows to be ${pattern.cols} but received ${Y.rows}`);
  if (Y.cols !== X.cols) v.fail('ERR_SHAPE', `Expected Y.cols to be ${X.cols} (X.cols) but received ${Y.cols}`);
  const backend = sameBackend(pattern, [['X', X], ['Y', Y]]);
  const out = outMatrix(o, pattern.nnz, 1, [X, Y], backend);
  const args = { rows: pattern.rows, cols: pattern.cols, nnz: pattern.nnz, s: pattern.structure, x: X.buffer, y: Y.buffer, k: X.cols, out: out.buffer, ...scalars(o) };
  return { result: out, run: (async) => backend.sddmm(args, async) };
}

/**
 * Sampled dense-dense product on the device: for every stored (i, j) of `pattern`, alpha * dot(X[i, :], Y[j, :]) +
 * beta * out. Returns the values as an nnz x 1 DeviceMatrix in the pattern's entry order (`options.out`, or new).
 */
export function sddmmDevice(pattern: DeviceCSRMatrix, X: DeviceMatrix, Y: DeviceMatrix, opts?: DeviceKernelOptions): DeviceMatrix {
  return runSync(sddmmCall(pattern, X, Y, opts));
}

export function sddmmDeviceAsync(pattern: DeviceCSRMatrix, X: DeviceMatrix, Y: DeviceMatrix, opts?: DeviceKernelOptions): Promise<DeviceMatrix> {
  return runAsync(sddmmCall(pattern, X, Y, opts));
}
