/**
 * The optional CUDA backend (an addon built with `npm run build:cuda`). Data lives on the device explicitly:
 * `toDevice()` uploads once, kernels take device operands, `toHost()` downloads, and `dispose()` frees device memory
 * at once (a finalizer frees it otherwise). Nothing is copied behind the caller's back inside a call.
 * Each operation has a synchronous form (returns when the result is in `out`) and an async form, whose work runs on
 * a worker thread with its own CUDA stream: the event loop stays free, and concurrent calls can run side by side on
 * the GPU.
 * While an async call is pending, its buffers cannot be disposed or uploaded into (ERR_ARGUMENT) and are kept from
 * the finalizer; read its output once it has resolved.
 * In a build without CUDA every entry point throws ERR_UNSUPPORTED; with CUDA but no usable GPU, ERR_CUDA with the
 * CUDA error text.
 */
import { addon } from './binding';
import { CSRMatrix } from './csr';
import { DenseMatrix } from './dense';
import { NMMatrix } from './nm';
import { transposePlan } from './ops';
import { SparseLinear } from './train';
import * as v from './validate';

/** @internal A block of device memory owned by a JS object. */
export interface RawDeviceBuffer {
  readonly byteLength: number;
  readonly disposed: boolean;
  upload(a: ArrayBufferView): void;
  download(a: ArrayBufferView): void;
  dispose(): void;
}

type B = RawDeviceBuffer;
type Result = void | Promise<void>;

interface CudaAddon {
  DeviceBuffer: new (bytes: number) => B;
  cudaMemoryInUse(): number;
  cudaSpmm(kernel: number, rows: number, cols: number, nnz: number, indptr: B, indices: B, values: B, valuesLength: number, order: B | null,
    perm: B | null, b: B, n: number, c: B, alpha: number, beta: number, async: boolean): Result;
  cudaSpmmNm(rows: number, cols: number, n: number, m: number, values: B, positions: B, b: B, width: number, c: B, alpha: number, beta: number,
    async: boolean): Result;
  cudaSpmv(rows: number, cols: number, nnz: number, indptr: B, indices: B, values: B, x: B, y: B, alpha: number, beta: number, async: boolean): Result;
  cudaSddmm(rows: number, cols: number, nnz: number, indptr: B, indices: B, x: B, y: B, k: number, out: B, alpha: number, beta: number, async: boolean): Result;
  cudaAddRowBias(y: B, rows: number, cols: number, bias: B): void;
  cudaRowSums(m: B, rows: number, cols: number, out: B): void;
  cudaSgd(w: B, g: B, buf: B | null, n: number, lr: number, momentum: number, weightDecay: number, nesterov: boolean): void;
  cudaAdam(w: B, g: B, m: B, v: B, n: number, lr: number, beta1: number, beta2: number, eps: number, weightDecay: number, c1: number, c2: number,
    decoupled: boolean): void;
}

function cuda(): CudaAddon {
  const a = addon as unknown as Partial<CudaAddon>;
  if (typeof a.DeviceBuffer !== 'function') {
    v.fail('ERR_UNSUPPORTED', 'This sparsekit addon was built without the CUDA backend (build one with `npm run build:cuda`)');
  }
  return a as CudaAddon;
}

function upload(data: Int32Array | Float32Array | Uint8Array): B {
  const b = new (cuda().DeviceBuffer)(data.byteLength);
  try {
    b.upload(data);
  } catch (e) {
    b.dispose();
    throw e;
  }
  return b;
}

/**
 * Bytes of device memory held by this process's live device objects (DeviceMatrix, DeviceCSRMatrix, optimizer
 * state, ...): what dispose() or, once they are unreachable, the finalizers give back.
 */
export function deviceMemoryInUse(): number {
  return cuda().cudaMemoryInUse();
}

/** Rows ordered longest first (stable): the order SpMM hands rows to thread blocks, for load balance. */
function longestFirst(indptr: Int32Array): Int32Array {
  const rows = indptr.length - 1;
  let longest = 0;
  for (let i = 0; i < rows; i++) longest = Math.max(longest, indptr[i + 1] - indptr[i]);
  const start = new Int32Array(longest + 2); // by length, longest first: bucket longest - len
  for (let i = 0; i < rows; i++) start[longest - (indptr[i + 1] - indptr[i]) + 1]++;
  for (let b = 1; b < start.length; b++) start[b] += start[b - 1];
  const order = new Int32Array(rows);
  for (let i = 0; i < rows; i++) order[start[longest - (indptr[i + 1] - indptr[i])]++] = i;
  return order;
}

/** A row-major rows x cols float32 matrix in device memory. */
export class DeviceMatrix {
  /** @internal */
  constructor(readonly rows: number, readonly cols: number, /** @internal */ readonly buffer: B) {}

  /** Uploads a DenseMatrix (one copy, now). */
  static fromHost(m: DenseMatrix): DeviceMatrix {
    const { data, rows, cols } = v.dense('m', m);
    return new DeviceMatrix(rows, cols, upload(data));
  }

  /** Uninitialised device memory for rows x cols floats. */
  static empty(rows: number, cols: number): DeviceMatrix {
    const size = v.denseSize('matrix', rows, cols);
    return new DeviceMatrix(rows, cols, new (cuda().DeviceBuffer)(size * 4));
  }

  /** rows x cols zeros on the device. */
  static zeros(rows: number, cols: number): DeviceMatrix {
    const size = v.denseSize('matrix', rows, cols);
    return new DeviceMatrix(rows, cols, upload(new Float32Array(size)));
  }

  /** Downloads into a new DenseMatrix (one copy, now), or into `out` (same shape). */
  toHost(out?: DenseMatrix): DenseMatrix {
    const m = out === undefined ? { data: new Float32Array(this.rows * this.cols), rows: this.rows, cols: this.cols } : v.dense('out', out, this.rows, this.cols);
    this.buffer.download(m.data);
    return m;
  }

  /** Replaces the contents with a host matrix of the same shape (one copy, now). */
  upload(m: DenseMatrix): void {
    this.buffer.upload(v.dense('m', m, this.rows, this.cols).data);
  }

  get disposed(): boolean {
    return this.buffer.disposed;
  }

  /** Frees the device memory now; later use is ERR_ARGUMENT. */
  dispose(): void {
    if (!this.buffer.disposed) this.buffer.dispose();
  }
}

export interface ToDeviceOptions {
  /**
   * Also upload Aᵀ's structure (and a permutation into A's values) for spmmTDevice, O(nnz) more device memory.
   * Default true.
   */
  transpose?: boolean;
}

interface DeviceStructure {
  indptr: B;
  indices: B;
  order: B;
}

/**
 * A CSR matrix whose indptr, indices and values live in device memory, with the row order its SpMM uses and, unless
 * uploaded with `{ transpose: false }`, Aᵀ's structure for the transposed product. The structure is fixed; the
 * values may change on the device (a training step) and are read by every later call.
 */
export class DeviceCSRMatrix {
  private constructor(
    readonly rows: number,
    readonly cols: number,
    readonly nnz: number,
    /** @internal */ readonly structure: DeviceStructure,
    /** @internal */ readonly values: B,
    /** @internal */ readonly transposed: (DeviceStructure & { perm: B }) | null,
  ) {}

  static fromHost(A: CSRMatrix, opts?: ToDeviceOptions): DeviceCSRMatrix {
    v.instanceOf('A', A, CSRMatrix);
    const o = v.options<ToDeviceOptions>('options', opts, ['transpose']);
    const withTranspose = o.transpose === undefined ? true : v.boolean('options.transpose', o.transpose);
    const made: B[] = [];
    const up = (a: Int32Array | Float32Array): B => {
      const b = upload(a);
      made.push(b);
      return b;
    };
    try {
      const structure = { indptr: up(A.indptr), indices: up(A.indices), order: up(longestFirst(A.indptr)) };
      const values = up(A.values);
      let transposed = null;
      if (withTranspose) {
        const plan = transposePlan(A);
        transposed = { indptr: up(plan.indptr), indices: up(plan.indices), order: up(longestFirst(plan.indptr)), perm: up(plan.perm) };
      }
      return new DeviceCSRMatrix(A.rows, A.cols, A.nnz, structure, values, transposed);
    } catch (e) {
      for (const b of made) b.dispose();
      throw e;
    }
  }

  /** Downloads into a new CSRMatrix (one copy of each array, now). */
  toHost(): CSRMatrix {
    const indptr = new Int32Array(this.rows + 1), indices = new Int32Array(this.nnz), values = new Float32Array(this.nnz);
    this.structure.indptr.download(indptr);
    this.structure.indices.download(indices);
    this.values.download(values);
    return CSRMatrix.fromArrays(this.rows, this.cols, indptr, indices, values);
  }

  /** Downloads the values only (nnz entries, in A's entry order) into `out` or a new Float32Array. */
  valuesToHost(out?: Float32Array): Float32Array {
    const o = out === undefined ? new Float32Array(this.nnz) : v.float32Array('out', out, this.nnz);
    this.values.download(o);
    return o;
  }

  /** Replaces the values (nnz entries, in A's entry order) from the host. */
  uploadValues(values: Float32Array): void {
    this.values.upload(v.float32Array('values', values, this.nnz));
  }

  /** The values as an nnz x 1 DeviceMatrix sharing this matrix's memory (e.g. an optimizer parameter). */
  valuesMatrix(): DeviceMatrix {
    return new DeviceMatrix(this.nnz, 1, this.values);
  }

  get disposed(): boolean {
    return this.values.disposed;
  }

  dispose(): void {
    const t = this.transposed;
    for (const b of [this.structure.indptr, this.structure.indices, this.structure.order, this.values, t?.indptr, t?.indices, t?.order, t?.perm]) {
      if (b && !b.disposed) b.dispose();
    }
  }
}

/** An N:M matrix (2:4 and the like) whose values and positions live in device memory. */
export class DeviceNMMatrix {
  private constructor(
    readonly rows: number,
    readonly cols: number,
    readonly n: number,
    readonly m: number,
    /** @internal */ readonly values: B,
    /** @internal */ readonly positions: B,
  ) {}

  static fromHost(A: NMMatrix): DeviceNMMatrix {
    v.instanceOf('A', A, NMMatrix);
    const values = upload(A.values);
    try {
      return new DeviceNMMatrix(A.rows, A.cols, A.n, A.m, values, upload(A.positions));
    } catch (e) {
      values.dispose();
      throw e;
    }
  }

  toHost(): NMMatrix {
    const size = this.rows * Math.ceil(this.cols / this.m) * this.n;
    const values = new Float32Array(size), positions = new Uint8Array(size);
    this.values.download(values);
    this.positions.download(positions);
    return NMMatrix.fromArrays(this.rows, this.cols, { n: this.n, m: this.m }, values, positions);
  }

  get disposed(): boolean {
    return this.values.disposed;
  }

  dispose(): void {
    for (const b of [this.values, this.positions]) if (!b.disposed) b.dispose();
  }
}

/** Uploads a CSRMatrix, an NMMatrix or a DenseMatrix to the current CUDA device. */
export function toDevice(m: CSRMatrix, opts?: ToDeviceOptions): DeviceCSRMatrix;
export function toDevice(m: NMMatrix): DeviceNMMatrix;
export function toDevice(m: DenseMatrix): DeviceMatrix;
export function toDevice(m: CSRMatrix | NMMatrix | DenseMatrix, opts?: ToDeviceOptions): DeviceCSRMatrix | DeviceNMMatrix | DeviceMatrix {
  if (m instanceof CSRMatrix) return DeviceCSRMatrix.fromHost(m, opts);
  if (m instanceof NMMatrix) return DeviceNMMatrix.fromHost(m);
  return DeviceMatrix.fromHost(m);
}

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
  run(async: boolean): Result;
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

function outMatrix(o: DeviceKernelOptions, rows: number, cols: number, inputs: DeviceMatrix[]): DeviceMatrix {
  if (o.out === undefined) return DeviceMatrix.empty(rows, cols);
  const out = v.instanceOf('options.out', o.out, DeviceMatrix);
  if (out.rows !== rows || out.cols !== cols) v.fail('ERR_SHAPE', `Expected a ${rows}x${cols} options.out but received ${out.rows}x${out.cols}`);
  if (inputs.some((m) => m.buffer === out.buffer)) v.fail('ERR_ARGUMENT', 'options.out must not share memory with an input');
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
  const { alpha, beta } = scalars(o);
  const out = outMatrix(o, A.rows, B.cols, [B]);
  return {
    result: out,
    run: (async) => cuda().cudaSpmmNm(A.rows, A.cols, A.n, A.m, A.values, A.positions, B.buffer, B.cols, out.buffer, alpha, beta, async),
  };
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
  let s: DeviceStructure & { perm?: B } = A.structure;
  if (transposed) {
    if (!A.transposed) v.fail('ERR_ARGUMENT', 'A was uploaded with { transpose: false }; spmmTDevice needs its transposed structure');
    s = A.transposed;
  }
  const { alpha, beta } = scalars(o);
  const out = outMatrix(o, outer, B.cols, [B]);
  return {
    result: out,
    run: (async) =>
      cuda().cudaSpmm(kernel === 'cusparse' ? 1 : 0, outer, inner, A.nnz, s.indptr, s.indices, A.values, A.nnz, kernel === 'cusparse' ? null : s.order,
        s.perm ?? null, B.buffer, B.cols, out.buffer, alpha, beta, async),
  };
}

/**
 * C = alpha * A B + beta * C on the GPU for a CSR or N:M A, every operand on the device (A's structure is
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
  const { alpha, beta } = scalars(o);
  const out = outMatrix(o, A.rows, 1, [x]);
  const s = A.structure;
  return { result: out, run: (async) => cuda().cudaSpmv(A.rows, A.cols, A.nnz, s.indptr, s.indices, A.values, x.buffer, out.buffer, alpha, beta, async) };
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
  const { alpha, beta } = scalars(o);
  const out = outMatrix(o, pattern.nnz, 1, [X, Y]);
  const s = pattern.structure;
  return {
    result: out,
    run: (async) => cuda().cudaSddmm(pattern.rows, pattern.cols, pattern.nnz, s.indptr, s.indices, X.buffer, Y.buffer, X.cols, out.buffer, alpha, beta, async),
  };
}

/**
 * Sampled dense-dense product on the GPU: for every stored (i, j) of `pattern`, alpha * dot(X[i, :], Y[j, :]) +
 * beta * out. Returns the values as an nnz x 1 DeviceMatrix in the pattern's entry order (`options.out`, or new).
 */
export function sddmmDevice(pattern: DeviceCSRMatrix, X: DeviceMatrix, Y: DeviceMatrix, opts?: DeviceKernelOptions): DeviceMatrix {
  return runSync(sddmmCall(pattern, X, Y, opts));
}

export function sddmmDeviceAsync(pattern: DeviceCSRMatrix, X: DeviceMatrix, Y: DeviceMatrix, opts?: DeviceKernelOptions): Promise<DeviceMatrix> {
  return runAsync(sddmmCall(pattern, X, Y, opts));
}

/** A trainable tensor on the device for SGD / Adam: its value and gradient, equal-sized DeviceMatrix objects. */
export interface DeviceParam {
  value: DeviceMatrix;
  grad: DeviceMatrix;
}

/** @internal One optimizer update of a device parameter (optim.ts keeps the state; these run it). */
export function deviceSgdStep(p: DeviceParam, buf: DeviceMatrix | null, lr: number, momentum: number, weightDecay: number, nesterov: boolean): void {
  cuda().cudaSgd(p.value.buffer, p.grad.buffer, buf ? buf.buffer : null, p.value.rows * p.value.cols, lr, momentum, weightDecay, nesterov);
}

/** @internal */
export function deviceAdamStep(p: DeviceParam, m: DeviceMatrix, s: DeviceMatrix, lr: number, b1: number, b2: number, eps: number, wd: number, c1: number,
  c2: number, decoupled: boolean): void {
  cuda().cudaAdam(p.value.buffer, p.grad.buffer, m.buffer, s.buffer, p.value.rows * p.value.cols, lr, b1, b2, eps, wd, c1, c2, decoupled);
}

/** @internal */
export function checkDeviceParam(name: string, p: DeviceParam): number {
  v.instanceOf(`${name}.value`, p.value, DeviceMatrix);
  v.instanceOf(`${name}.grad`, p.grad, DeviceMatrix);
  const n = p.value.rows * p.value.cols;
  if (p.grad.rows * p.grad.cols !== n) v.fail('ERR_SHAPE', `Expected ${name}.grad to hold ${n} values but it holds ${p.grad.rows * p.grad.cols}`);
  return n;
}

/**
 * A SparseLinear layer on the GPU: Y = W X + b over feature-major batches (X is inFeatures x batch), with the same
 * passes as on the CPU, each one kernel on device data: forward SpMM (+ bias), weight gradient SDDMM at the stored
 * weights, bias gradient row sums, input gradient transposed SpMM. Made from a host layer with fromHost(); the
 * trained values go back with copyToHost(). Train it with SGD / Adam on params(), as on the CPU.
 */
export class DeviceSparseLinear {
  readonly inFeatures: number;
  readonly outFeatures: number;
  readonly weight: DeviceCSRMatrix;
  readonly weightGrad: DeviceMatrix;
  readonly bias: DeviceMatrix | null;
  readonly biasGrad: DeviceMatrix | null;
  private input: DeviceMatrix | null = null;
  private readonly paramList: DeviceParam[];

  private constructor(layer: SparseLinear) {
    this.inFeatures = layer.inFeatures;
    this.outFeatures = layer.outFeatures;
    const made: { dispose(): void }[] = [];
    try {
      this.weight = DeviceCSRMatrix.fromHost(layer.weight);
      made.push(this.weight);
      this.weightGrad = DeviceMatrix.zeros(layer.weight.nnz, 1);
      made.push(this.weightGrad);
      this.bias = layer.bias ? DeviceMatrix.fromHost({ data: layer.bias, rows: layer.outFeatures, cols: 1 }) : null;
      if (this.bias) made.push(this.bias);
      this.biasGrad = layer.bias ? DeviceMatrix.zeros(layer.outFeatures, 1) : null;
    } catch (e) {
      for (const m of made) m.dispose();
      throw e;
    }
    this.paramList = [{ value: this.weight.valuesMatrix(), grad: this.weightGrad }];
    if (this.bias && this.biasGrad) this.paramList.push({ value: this.bias, grad: this.biasGrad });
  }

  /** Uploads a host layer's pattern, weights and bias (one copy each, now). */
  static fromHost(layer: SparseLinear): DeviceSparseLinear {
    return new DeviceSparseLinear(v.instanceOf('layer', layer, SparseLinear));
  }

  /** The stored weights' values (and the bias), with their gradients: the same objects every call. */
  params(): DeviceParam[] {
    return this.paramList;
  }

  /** Y = W X + b for X of inFeatures x batch on the device. Keeps X (not copied) for backward(). */
  forward(x: DeviceMatrix, opts?: { out?: DeviceMatrix }): DeviceMatrix {
    v.instanceOf('x', x, DeviceMatrix);
    if (x.rows !== this.inFeatures) v.fail('ERR_SHAPE', `Expected x.rows to be ${this.inFeatures} but received ${x.rows}`);
    const o = v.options<{ out?: DeviceMatrix }>('options', opts, ['out']);
    const y = spmmDevice(this.weight, x, { out: o.out });
    if (this.bias) cuda().cudaAddRowBias(y.buffer, y.rows, y.cols, this.bias.buffer);
    this.input = x;
    return y;
  }

  /**
   * Given dY (outFeatures x batch) for the last forward(): fills weightGrad and biasGrad, and returns dX
   * (inFeatures x batch), or null with { inputGradient: false }.
   */
  backward(dy: DeviceMatrix, opts?: { out?: DeviceMatrix; inputGradient?: boolean }): DeviceMatrix | null {
    const x = this.input;
    if (!x) v.fail('ERR_ARGUMENT', 'backward() needs a forward() first');
    v.instanceOf('dy', dy, DeviceMatrix);
    if (dy.rows !== this.outFeatures || dy.cols !== x.cols) v.fail('ERR_SHAPE', `Expected a ${this.outFeatures}x${x.cols} dy but received ${dy.rows}x${dy.cols}`);
    const o = v.options<{ out?: DeviceMatrix; inputGradient?: boolean }>('options', opts, ['out', 'inputGradient']);
    const wantInput = o.inputGradient === undefined ? true : v.boolean('options.inputGradient', o.inputGradient);
    sddmmDevice(this.weight, dy, x, { out: this.weightGrad });
    if (this.biasGrad) cuda().cudaRowSums(dy.buffer, dy.rows, dy.cols, this.biasGrad.buffer);
    return wantInput ? spmmTDevice(this.weight, dy, { out: o.out }) : null;
  }

  /** Writes the trained weights and bias into a host layer with the same pattern (e.g. the one it came from). */
  copyToHost(layer: SparseLinear): void {
    v.instanceOf('layer', layer, SparseLinear);
    if (layer.inFeatures !== this.inFeatures || layer.outFeatures !== this.outFeatures || layer.weight.nnz !== this.weight.nnz || !layer.bias !== !this.bias) {
      v.fail('ERR_SHAPE', 'The host layer does not have this layer\'s shape, pattern size and bias');
    }
    this.weight.valuesToHost(layer.weight.values);
    if (this.bias && layer.bias) this.bias.toHost({ data: layer.bias, rows: this.outFeatures, cols: 1 });
  }

  dispose(): void {
    for (const m of [this.weight, this.weightGrad, this.bias, this.biasGrad]) m?.dispose();
  }
}
