/**
 * Sparse kernels: sync variants for small work, ...Async variants that run on the native thread pool off the event
 * loop and resolve when done. Semantics follow BLAS: C = alpha*op(A)*B + beta*C; with beta = 0 the output is
 * write-only (NaN in it does not propagate); with alpha = 0, A and B are not read.
 */
import { addon, RawAddon } from './binding';
import { BSRMatrix } from './bsr';
import { CSRMatrix } from './csr';
import { alignedFloat32Array, DenseMatrix } from './dense';
import { NMMatrix } from './nm';
import * as v from './validate';

export interface KernelOptions<Out> {
  /** Where to write the result (also the `y`/`C` read when beta != 0). Must not share memory with an input. */
  out?: Out;
  /** Default 1. */
  alpha?: number;
  /** Default 0. */
  beta?: number;
}

export interface SpmmTOptions extends KernelOptions<DenseMatrix> {
  /**
   * A transposePlan(A) to reuse across calls while A's pattern stays the same (its values may change). Without
   * one, Aᵀ B is computed by scattering rows of B into C, with no transpose formed.
   */
  plan?: TransposePlan;
}

/** A matrix spmm accepts. */
export type SparseOperand = CSRMatrix | BSRMatrix | NMMatrix;

const KERNEL_OPTIONS = ['out', 'alpha', 'beta'] as const;
type RawName = 'spmv' | 'spmm' | 'sddmm' | 'spmmT' | 'spmmTPlan' | 'spmmBsr' | 'spmmNm' | 'spmvNm' | 'gemm';
/** A validated call: the raw addon function, its arguments, and what it returns. */
interface Call<R> {
  raw: RawName;
  args: unknown[];
  result: R;
}

function scalars(o: { alpha?: number; beta?: number }): [number, number] {
  const alpha = o.alpha === undefined ? 1 : v.finite('options.alpha', o.alpha);
  const beta = o.beta === undefined ? 0 : v.finite('options.beta', o.beta);
  return [alpha, beta];
}

/** The arrays of a sparse operand, named, for aliasing checks. */
function arraysOf(A: SparseOperand): [string, ArrayBufferView][] {
  if (A instanceof NMMatrix) return [['A.values', A.values], ['A.positions', A.positions]];
  return [['A.indptr', A.indptr], ['A.indices', A.indices], ['A.values', A.values]];
}

function disjointFrom(outName: string, out: ArrayBufferView, inputs: [string, ArrayBufferView][]): void {
  for (const [name, a] of inputs) v.disjoint(outName, out, name, a);
}

function denseOut(name: string, given: unknown, rows: number, cols: number): DenseMatrix {
  if (given === undefined) return { data: alignedFloat32Array(v.denseSize(`${name} output`, rows, cols)), rows, cols };
  return v.dense('options.out', given, rows, cols) as DenseMatrix;
}

function sparseOperand(A: unknown): SparseOperand {
  if (A instanceof CSRMatrix || A instanceof BSRMatrix || A instanceof NMMatrix) return A;
  return v.fail('ERR_ARGUMENT', `Expected a CSRMatrix, BSRMatrix or NMMatrix for A but received ${v.describe(A)}`);
}

function spmvCall(A: CSRMatrix | NMMatrix, x: Float32Array, opts?: KernelOptions<Float32Array>): Call<Float32Array> {
  if (!(A instanceof CSRMatrix || A instanceof NMMatrix)) {
    v.fail('ERR_ARGUMENT', `Expected a CSRMatrix or NMMatrix for A but received ${v.describe(A)}`);
  }
  v.float32Array('x', x, A.cols);
  const o = v.options<KernelOptions<Float32Array>>('options', opts, KERNEL_OPTIONS);
  const [alpha, beta] = scalars(o);
  const out = o.out === undefined ? alignedFloat32Array(A.rows) : v.float32Array('options.out', o.out, A.rows);
  disjointFrom('options.out', out, [['x', x], ...arraysOf(A)]);
  if (A instanceof NMMatrix) return { raw: 'spmvNm', args: [A.rows, A.cols, A.n, A.m, A.values, A.positions, x, out, alpha, beta], result: out };
  return { raw: 'spmv', args: [A.rows, A.cols, A.indptr, A.indices, A.values, x, out, alpha, beta], result: out };
}

function spmmCall(Ain: SparseOperand, B: DenseMatrix, opts?: KernelOptions<DenseMatrix>): Call<DenseMatrix> {
  const A = sparseOperand(Ain);
  v.dense('B', B);
  if (B.rows !== A.cols) v.fail('ERR_SHAPE', `Expected B.rows to equal A.cols (${A.cols}) but received ${B.rows}`);
  const o = v.options<KernelOptions<DenseMatrix>>('options', opts, KERNEL_OPTIONS);
  const [alpha, beta] = scalars(o);
  const out = denseOut('spmm', o.out, A.rows, B.cols);
  disjointFrom('options.out.data', out.data, [['B.data', B.data], ...arraysOf(A)]);
  const tail = [B.data, B.cols, out.data, alpha, beta];
  if (A instanceof BSRMatrix) return { raw: 'spmmBsr', args: [A.rows, A.cols, A.block[0], A.block[1], A.indptr, A.indices, A.values, ...tail], result: out };
  if (A instanceof NMMatrix) return { raw: 'spmmNm', args: [A.rows, A.cols, A.n, A.m, A.values, A.positions, ...tail], result: out };
  return { raw: 'spmm', args: [A.rows, A.cols, A.indptr, A.indices, A.values, ...tail], result: out };
}

function spmmTCall(A: CSRMatrix, B: DenseMatrix, opts?: SpmmTOptions): Call<DenseMatrix> {
  v.instanceOf('A', A, CSRMatrix);
  v.dense('B', B);
  if (B.rows !== A.rows) v.fail('ERR_SHAPE', `Expected B.rows to equal A.rows (${A.rows}) but received ${B.rows}`);
  const o = v.options<SpmmTOptions>('options', opts, [...KERNEL_OPTIONS, 'plan']);
  const [alpha, beta] = scalars(o);
  const out = denseOut('spmmT', o.out, A.cols, B.cols);
  disjointFrom('options.out.data', out.data, [['B.data', B.data], ...arraysOf(A)]);
  const head = [A.rows, A.cols, A.indptr, A.indices, A.values];
  const tail = [B.data, B.cols, out.data, alpha, beta];
  if (o.plan === undefined) return { raw: 'spmmT', args: [...head, ...tail], result: out };
  const plan = v.instanceOf('options.plan', o.plan, TransposePlan);
  if (!plan.matches(A)) v.fail('ERR_ARGUMENT', 'options.plan was made for another pattern than A (make a new transposePlan(A) after a mask update)');
  v.disjoint('options.out.data', out.data, 'options.plan.values', plan.values);
  return { raw: 'spmmTPlan', args: [...head, plan.indptr, plan.indices, plan.perm, plan.values, ...tail], result: out };
}

export interface SddmmOptions {
  /** Values array (pattern.nnz floats) to write into (and read when beta != 0); default a new one. */
  out?: Float32Array;
  alpha?: number;
  beta?: number;
}

function sddmmCall(pattern: CSRMatrix, X: DenseMatrix, Y: DenseMatrix, opts?: SddmmOptions): Call<CSRMatrix> {
  v.instanceOf('pattern', pattern, CSRMatrix);
  v.dense('X', X, pattern.rows);
  v.dense('Y', Y, pattern.cols);
  if (X.cols !== Y.cols) v.fail('ERR_SHAPE', `Expected Y.cols to equal X.cols (${X.cols}) but received ${Y.cols}`);
  const o = v.options<SddmmOptions>('options', opts, ['out', 'alpha', 'beta']);
  const [alpha, beta] = scalars(o);
  const out = o.out === undefined ? alignedFloat32Array(pattern.nnz) : v.float32Array('options.out', o.out, pattern.nnz);
  disjointFrom('options.out', out, [['X.data', X.data], ['Y.data', Y.data], ['pattern.indptr', pattern.indptr], ['pattern.indices', pattern.indices]]);
  const result = CSRMatrix.trusted(pattern.rows, pattern.cols, pattern.indptr, pattern.indices, out);
  return { raw: 'sddmm', args: [pattern.rows, pattern.cols, pattern.indptr, pattern.indices, pattern.values, X.data, X.cols, Y.data, out, alpha, beta], result };
}

function runSync<R>(call: Call<R>): R {
  (addon[call.raw] as (...a: unknown[]) => void)(...call.args);
  return call.result;
}

async function runAsync<R>(call: Call<R>): Promise<R> {
  await (addon[`${call.raw}Async` as keyof RawAddon] as (...a: unknown[]) => Promise<void>)(...call.args);
  return call.result;
}

/**
 * The transpose of A's pattern, kept to compute Aᵀ B quickly while the pattern stays the same: Aᵀ's structure, a
 * permutation from its entries to A's values, and a values buffer that each spmmT call gathers A's current values
 * into (so A's values may change between calls, as during training). O(nnz) memory.
 */
export class TransposePlan {
  readonly indptr: Int32Array;
  readonly indices: Int32Array;
  readonly perm: Int32Array;
  readonly values: Float32Array;
  private readonly source: { indptr: Int32Array; indices: Int32Array; rows: number; cols: number };

  constructor(A: CSRMatrix) {
    v.instanceOf('A', A, CSRMatrix);
    this.indptr = new Int32Array(A.cols + 1);
    this.indices = new Int32Array(A.nnz);
    this.perm = new Int32Array(A.nnz);
    this.values = new Float32Array(A.nnz);
    addon.csrTranspose(A.rows, A.cols, A.indptr, A.indices, A.values, this.indptr, this.indices, this.values, this.perm);
    this.source = { indptr: A.indptr, indices: A.indices, rows: A.rows, cols: A.cols };
  }

  /** Whether this plan was made for A's pattern (the same index arrays and shape). */
  matches(A: CSRMatrix): boolean {
    const s = this.source;
    return A.indptr === s.indptr && A.indices === s.indices && A.rows === s.rows && A.cols === s.cols;
  }
}

/** Plans Aᵀ B for a fixed pattern; see TransposePlan. */
export function transposePlan(A: CSRMatrix): TransposePlan {
  return new TransposePlan(A);
}

/** y = alpha * A x + beta * y for a CSR or N:M matrix. Returns `out` (or a new Float32Array of A.rows). */
export function spmv(A: CSRMatrix | NMMatrix, x: Float32Array, opts?: KernelOptions<Float32Array>): Float32Array {
  return runSync(spmvCall(A, x, opts));
}

/** spmv on the native thread pool; the event loop stays free. Keep the inputs unmodified until it resolves. */
export async function spmvAsync(A: CSRMatrix | NMMatrix, x: Float32Array, opts?: KernelOptions<Float32Array>): Promise<Float32Array> {
  return runAsync(spmvCall(A, x, opts));
}

/** C = alpha * A B + beta * C, A sparse (CSR, BSR or N:M; rows x k), B dense (k x n). Returns `out` or a new matrix. */
export function spmm(A: SparseOperand, B: DenseMatrix, opts?: KernelOptions<DenseMatrix>): DenseMatrix {
  return runSync(spmmCall(A, B, opts));
}

/** spmm on the native thread pool; the event loop stays free. Keep the inputs unmodified until it resolves. */
export async function spmmAsync(A: SparseOperand, B: DenseMatrix, opts?: KernelOptions<DenseMatrix>): Promise<DenseMatrix> {
  return runAsync(spmmCall(A, B, opts));
}

/** C = alpha * Aᵀ B + beta * C without forming Aᵀ (A rows x k CSR, B rows x n, C k x n): the backward pass w.r.t. inputs. */
export function spmmT(A: CSRMatrix, B: DenseMatrix, opts?: SpmmTOptions): DenseMatrix {
  return runSync(spmmTCall(A, B, opts));
}

export async function spmmTAsync(A: CSRMatrix, B: DenseMatrix, opts?: SpmmTOptions): Promise<DenseMatrix> {
  return runAsync(spmmTCall(A, B, opts));
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

export interface GemmOptions extends KernelOptions<DenseMatrix> {
  /** Use Aᵀ (A is then k x m). Default false. */
  transA?: boolean;
}

function gemmCall(A: DenseMatrix, B: DenseMatrix, opts?: GemmOptions): Call<DenseMatrix> {
  v.dense('A', A);
  v.dense('B', B);
  const o = v.options<GemmOptions>('options', opts, [...KERNEL_OPTIONS, 'transA']);
  const trans = o.transA === undefined ? false : v.boolean('options.transA', o.transA);
  const m = trans ? A.cols : A.rows, k = trans ? A.rows : A.cols;
  if (B.rows !== k) v.fail('ERR_SHAPE', `Expected B.rows to equal ${trans ? 'A.rows' : 'A.cols'} (${k}) but received ${B.rows}`);
  const [alpha, beta] = scalars(o);
  const out = denseOut('gemm', o.out, m, B.cols);
  disjointFrom('options.out.data', out.data, [['A.data', A.data], ['B.data', B.data]]);
  return { raw: 'gemm', args: [A.data, m, k, trans, B.data, B.cols, out.data, alpha, beta], result: out };
}

/** Dense C = alpha * op(A) B + beta * C (row-major), register-tiled SIMD, threaded: the dense counterpart of spmm. */
export function gemm(A: DenseMatrix, B: DenseMatrix, opts?: GemmOptions): DenseMatrix {
  return runSync(gemmCall(A, B, opts));
}

export async function gemmAsync(A: DenseMatrix, B: DenseMatrix, opts?: GemmOptions): Promise<DenseMatrix> {
  return runAsync(gemmCall(A, B, opts));
}
