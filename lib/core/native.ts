/**
 * The typed contract of the native addon: one signature per entry point, written once here and mirrored by
 * native/binding/*.cc (argument order) and native/kernels/params.h (what each kernel call carries).
 *
 * The kernels take named argument objects (SpmmArgs mirrors sk::SpmmParams field for field); `kernelArgs` below
 * is the one place that turns them into the positional list the binding reads, so a wrong or missing field is a
 * compile error in lib/, and the positional order lives in one table. The addon itself keeps positional
 * arguments: reading ten named properties off an object in C++ costs more than the whole call on small matrices.
 */
import type { SparseError } from './errors';

// ---- operands, as native/kernels/params.h describes them ------------------------------------------------------

/** sk::CsrF32: a CSR matrix's shape and arrays (a CSRMatrix is one). */
export interface CsrOperand {
  readonly rows: number;
  readonly cols: number;
  readonly indptr: Int32Array;
  readonly indices: Int32Array;
  readonly values: Float32Array;
}

/** sk::BsrF32: CSR over block[0] x block[1] blocks (a BSRMatrix is one). */
export interface BsrOperand {
  readonly rows: number;
  readonly cols: number;
  readonly block: readonly [number, number];
  readonly indptr: Int32Array;
  readonly indices: Int32Array;
  readonly values: Float32Array;
}

/** sk::NmF32: n slots in every group of m columns (an NMMatrix is one). */
export interface NmOperand {
  readonly rows: number;
  readonly cols: number;
  readonly n: number;
  readonly m: number;
  readonly values: Float32Array;
  readonly positions: Uint8Array;
}

/** The dense side of a product: B (or C) is rows x n, row-major, its leading dimension n. */
interface Scaled {
  alpha: number;
  beta: number;
}

/** sk::SpmvParams: y = alpha A x + beta y. */
export interface SpmvArgs extends Scaled {
  a: CsrOperand;
  x: Float32Array;
  y: Float32Array;
}

/** sk::SpmvNmParams. */
export interface SpmvNmArgs extends Scaled {
  a: NmOperand;
  x: Float32Array;
  y: Float32Array;
}

/** sk::SpmmParams: C = alpha A op(B) + beta C; B is a.cols x n (transB: n x a.cols, holding Bᵀ), C a.rows x n. */
export interface SpmmArgs extends Scaled {
  a: CsrOperand;
  b: Float32Array;
  n: number;
  c: Float32Array;
  transB: boolean;
}

/** sk::SpmmBsrParams. */
export interface SpmmBsrArgs extends Scaled {
  a: BsrOperand;
  b: Float32Array;
  n: number;
  c: Float32Array;
  transB: boolean;
}

/** sk::SpmmNmParams (n is the width of B and C, not the N of N:M). */
export interface SpmmNmArgs extends Scaled {
  a: NmOperand;
  b: Float32Array;
  n: number;
  c: Float32Array;
  transB: boolean;
}

/** sk::SpmmtParams: C = alpha Aᵀ B + beta C; B is a.rows x n, C a.cols x n. */
export interface SpmmtArgs extends Scaled {
  a: CsrOperand;
  b: Float32Array;
  n: number;
  c: Float32Array;
}

/**
 * sk::SpmmtPlanParams: Aᵀ's structure, the permutation into A's values, and optionally the plan's value cache (Aᵀ's
 * values as last gathered, the copy of A's values they were gathered from, and [filled, how this call used it]).
 */
export interface SpmmtPlanArgs extends SpmmtArgs {
  plan: { indptr: Int32Array; indices: Int32Array; perm: Int32Array; cache?: PlanCacheArrays };
}

/** A transpose plan's value cache as the native layer reads and writes it (see native/core/ops.h). */
export interface PlanCacheArrays {
  values: Float32Array;
  snapshot: Float32Array;
  /** [0]: 1 when values holds a gather of snapshot; [1], set by each call: 1 used as it was, 0 refilled, 2 not read. */
  state: Int32Array;
}

/** sk::SddmmParams: out[k] = alpha dot(X[i,:], Y[j,:]) + beta out[k] at every stored (i, j) of a. */
export interface SddmmArgs extends Scaled {
  a: CsrOperand;
  x: Float32Array;
  y: Float32Array;
  /** Columns of X and Y. */
  k: number;
  out: Float32Array;
}

/** sk::GemmParams: C (m x n) = alpha op(A) B + beta C; A is m x k, or k x m with transA. */
export interface GemmArgs extends Scaled {
  a: Float32Array;
  m: number;
  k: number;
  transA: boolean;
  b: Float32Array;
  n: number;
  c: Float32Array;
}

/** Every kernel entry point and its arguments; each has a sync form and an `...Async` form. */
export interface KernelArgs {
  spmv: SpmvArgs;
  spmvNm: SpmvNmArgs;
  spmm: SpmmArgs;
  spmmBsr: SpmmBsrArgs;
  spmmNm: SpmmNmArgs;
  spmmT: SpmmtArgs;
  spmmTPlan: SpmmtPlanArgs;
  sddmm: SddmmArgs;
  gemm: GemmArgs;
}
export type KernelName = keyof KernelArgs;

// ---- the positional lists the binding reads (native/binding/kernels.cc) -----------------------------------------

type CsrList = [rows: number, cols: number, indptr: Int32Array, indices: Int32Array, values: Float32Array];
type NmList = [rows: number, cols: number, n: number, m: number, values: Float32Array, positions: Uint8Array];
type ProductTail = [b: Float32Array, n: number, c: Float32Array, alpha: number, beta: number];

interface KernelLists {
  spmv: [...CsrList, x: Float32Array, y: Float32Array, alpha: number, beta: number];
  spmvNm: [...NmList, x: Float32Array, y: Float32Array, alpha: number, beta: number];
  spmm: [...CsrList, ...ProductTail, transB?: boolean];
  spmmBsr: [rows: number, cols: number, r: number, c: number, indptr: Int32Array, indices: Int32Array, values: Float32Array, ...ProductTail, transB?: boolean];
  spmmNm: [...NmList, ...ProductTail, transB?: boolean];
  spmmT: [...CsrList, ...ProductTail];
  spmmTPlan: [...CsrList, tIndptr: Int32Array, tIndices: Int32Array, perm: Int32Array, ...ProductTail, cacheValues?: Float32Array, cacheSnapshot?: Float32Array, cacheState?: Int32Array];
  sddmm: [...CsrList, x: Float32Array, k: number, y: Float32Array, out: Float32Array, alpha: number, beta: number];
  gemm: [a: Float32Array, m: number, k: number, transA: boolean, b: Float32Array, n: number, c: Float32Array, alpha: number, beta: number];
}

/**
 * Named arguments to the binding's positional list, one line per entry point (written out, without spreading
 * helper tuples: this runs on every call, and a small SpMV costs about 0.9 us in all).
 */
export const kernelArgs: { [K in KernelName]: (p: KernelArgs[K]) => KernelLists[K] } = {
  spmv: ({ a, x, y, alpha, beta }) => [a.rows, a.cols, a.indptr, a.indices, a.values, x, y, alpha, beta],
  spmvNm: ({ a, x, y, alpha, beta }) => [a.rows, a.cols, a.n, a.m, a.values, a.positions, x, y, alpha, beta],
  spmm: ({ a, b, n, c, alpha, beta, transB }) => [a.rows, a.cols, a.indptr, a.indices, a.values, b, n, c, alpha, beta, transB],
  spmmBsr: ({ a, b, n, c, alpha, beta, transB }) => [a.rows, a.cols, a.block[0], a.block[1], a.indptr, a.indices, a.values, b, n, c, alpha, beta, transB],
  spmmNm: ({ a, b, n, c, alpha, beta, transB }) => [a.rows, a.cols, a.n, a.m, a.values, a.positions, b, n, c, alpha, beta, transB],
  spmmT: ({ a, b, n, c, alpha, beta }) => [a.rows, a.cols, a.indptr, a.indices, a.values, b, n, c, alpha, beta],
  spmmTPlan: ({ a, plan, b, n, c, alpha, beta }) => plan.cache === undefined
    ? [a.rows, a.cols, a.indptr, a.indices, a.values, plan.indptr, plan.indices, plan.perm, b, n, c, alpha, beta]
    : [a.rows, a.cols, a.indptr, a.indices, a.values, plan.indptr, plan.indices, plan.perm, b, n, c, alpha, beta, plan.cache.values, plan.cache.snapshot, plan.cache.state],
  sddmm: ({ a, x, k, y, out, alpha, beta }) => [a.rows, a.cols, a.indptr, a.indices, a.values, x, k, y, out, alpha, beta],
  gemm: ({ a, m, k, transA, b, n, c, alpha, beta }) => [a, m, k, transA, b, n, c, alpha, beta],
};

/**
 * The arrays each entry point writes, as paths into its named arguments, with the names error messages give them
 * (an async call that works on a snapshot copies these back; see ./hold.ts).
 */
export const kernelOutputs: { [K in KernelName]: Record<string, string> } = {
  spmv: { y: 'options.out' },
  spmvNm: { y: 'options.out' },
  spmm: { c: 'options.out.data' },
  spmmBsr: { c: 'options.out.data' },
  spmmNm: { c: 'options.out.data' },
  spmmT: { c: 'options.out.data' },
  spmmTPlan: { c: 'options.out.data' }, // the plan's cache travels as fresh arrays (spmm-t.ts): used in place
  sddmm: { out: 'options.out' },
  gemm: { c: 'options.out.data' },
};

type KernelEntries = { [K in KernelName]: (...args: KernelLists[K]) => void } & {
  [K in KernelName as `${K}Async`]: (...args: KernelLists[K]) => Promise<void>;
};

// ---- runtime ----------------------------------------------------------------------------------------------------

/** What info() reports of the CUDA backend (native/binding/runtime.cc). */
export interface CudaInfo {
  /** At least one usable device (or the CPU emulation). */
  available: boolean;
  /**
   * true under SPARSEKIT_CUDA_EMULATE=1: the CPU stands in for the GPU ("device" memory is host memory, every kernel
   * body runs over its whole launch grid on the CPU), so the CUDA API and its tests run without a GPU. Slow; for tests.
   */
  emulated?: boolean;
  /** Why not (the CUDA error text), when unavailable. */
  reason?: string;
  runtimeVersion: number;
  /** 0 without a driver. */
  driverVersion: number;
  /**
   * The cuSPARSE library loaded at run time for the `kernel: 'cusparse'` fallback (a file name such as
   * "libcusparse.so.12"), or null: none found, or no usable GPU (it is only looked for when a GPU is available).
   */
  cusparse: string | null;
  /** Likewise cuBLAS (used by the benchmark's dense baseline). */
  cublas: string | null;
  devices: { index: number; name: string; computeCapability: string; multiprocessors: number; totalBytes: number; freeBytes: number }[];
}

export interface RawInfo {
  isa: string;
  isas: string[];
  bestIsa: string;
  threads: number;
  kernels: Record<string, { kernel: string; isa: string }>;
  /** L2 cache per core as detected (the panel budget of native/core/pack.h). */
  l2CacheBytes: number;
  /** L1 data cache per core as detected (the block budget of L1 blocking, native/core/pack.h). */
  l1CacheBytes: number;
  cuda: CudaInfo | null;
}

/** How a product walks its dense B (native/core/pack.h): panels of `width` columns, copied aligned when `pack`. */
export interface PanelPlan {
  width: number;
  ld: number;
  pack: boolean;
}

/** Raw addon functions. Arguments are checked in lib/ first; the addon re-checks lengths, kinds and aliasing. */
export interface RawAddon extends KernelEntries {
  init(errorClass: typeof SparseError): void;
  info(): RawInfo;
  setThreads(n: number): void;
  /** Caps the threads of the kernel calls made until it is set back to 0 (lib/core/binding.ts callKernel). */
  setCallThreads(n: number): void;
  /** Keeps the pool's idle threads spinning between the kernel calls of a sequence (one predict); nests. Returns the holds now on. */
  poolHold(on: boolean): number;
  setIsa(name: string): void;
  /**
   * Forces B packing ('auto' | 'always' | 'never'), the panel width (0: chosen) and L1 blocking (0: chosen, -1:
   * never, > 0: always, blocks of that many bytes); tests and benchmarks.
   */
  setPackTuning(mode: string, panelWidth: number, blockBytes: number): void;
  /** The panel plan for a B of rows x n read `uses` times per task, aligned or not, at the active ISA. */
  panelPlan(rows: number, n: number, uses: number, aligned: boolean): PanelPlan;
  /** Rows of B per L1 block of an SpMM (0: not blocked) for a B of rows x n and an A of `entries` over aRows rows. */
  blockPlan(rows: number, n: number, entries: number, aRows: number, csr?: boolean, csrPays?: boolean): number;
  /** Bytes from the buffer's start to the next 64-byte boundary. */
  alignmentOffset(buffer: ArrayBuffer): number;
  // Conversions: outputs allocated by the caller; *Count fills an indptr the caller sizes the rest from.
  denseToCsrCount(data: Float32Array, rows: number, cols: number, threshold: number, indptr: Int32Array): void;
  denseToCsrFill(data: Float32Array, rows: number, cols: number, threshold: number, indptr: Int32Array,
    indices: Int32Array, values: Float32Array): void;
  csrTranspose(rows: number, cols: number, indptr: Int32Array, indices: Int32Array, values: Float32Array,
    tIndptr: Int32Array, tIndices: Int32Array, tValues: Float32Array | null, perm?: Int32Array): void;
  cooToCsr(rows: number, cols: number, rowIndices: Int32Array, colIndices: Int32Array, values: Float32Array,
    sumDuplicates: boolean, indptr: Int32Array, indices: Int32Array, outValues: Float32Array): number;
  csrToBsrCount(rows: number, cols: number, indptr: Int32Array, indices: Int32Array, values: Float32Array,
    r: number, c: number, bsrIndptr: Int32Array): void;
  csrToBsrFill(rows: number, cols: number, indptr: Int32Array, indices: Int32Array, values: Float32Array,
    r: number, c: number, bsrIndptr: Int32Array, bsrIndices: Int32Array, bsrValues: Float32Array): void;
  bsrToCsrCount(rows: number, cols: number, r: number, c: number, indptr: Int32Array, indices: Int32Array,
    values: Float32Array, outIndptr: Int32Array): void;
  bsrToCsrFill(rows: number, cols: number, r: number, c: number, indptr: Int32Array, indices: Int32Array,
    values: Float32Array, outIndptr: Int32Array, outIndices: Int32Array, outValues: Float32Array): void;
  csrToNm(rows: number, cols: number, indptr: Int32Array, indices: Int32Array, values: Float32Array, n: number,
    m: number, outValues: Float32Array, outPositions: Uint8Array): void;
  nmToCsrCount(rows: number, cols: number, n: number, m: number, values: Float32Array, positions: Uint8Array,
    outIndptr: Int32Array): void;
  nmToCsrFill(rows: number, cols: number, n: number, m: number, values: Float32Array, positions: Uint8Array,
    outIndptr: Int32Array, outIndices: Int32Array, outValues: Float32Array): void;
  // Pruning selection (native/core/select.h): bit sets are zeroed Uint32Arrays the caller allocates.
  selectGlobal(xs: Float32Array[], ys: (Float32Array | null)[], scales: number[], bits: Uint32Array[], keep: number,
    abs: boolean, nanPrune: boolean): void;
  selectSegments(x: Float32Array, y: Float32Array | null, rows: number, cols: number, byRow: boolean, keep: number,
    abs: boolean, nanPrune: boolean, bits: Uint32Array): void;
  selectNm(x: Float32Array, rows: number, cols: number, n: number, m: number, nanPrune: boolean, values: Float32Array,
    positions: Uint8Array): void;
  // Drop-and-grow at constant nnz (SET / RigL); scores is scratch. See native/core/regrow.h.
  regrowCsr(rows: number, cols: number, indptr: Int32Array, indices: Int32Array, values: Float32Array, k: number,
    scores: Float32Array, abs: boolean, outIndptr: Int32Array, outIndices: Int32Array, outValues: Float32Array,
    from: Int32Array): void;
  // Optimizer updates, in place on the parameter and its state (native/kernels/params.h SgdParams, AdamParams).
  sgdStep(w: Float32Array, g: Float32Array, buf: Float32Array | null, lr: number, momentum: number, weightDecay: number,
    nesterov: boolean): void;
  adamStep(w: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, lr: number, beta1: number, beta2: number,
    eps: number, weightDecay: number, c1: number, c2: number, decoupled: boolean): void;
  // Elementwise passes of the training layers (feature-major rows x cols).
  addRowBias(y: Float32Array, rows: number, cols: number, bias: Float32Array): void;
  rowSums(m: Float32Array, rows: number, cols: number, out: Float32Array): void;
  relu(x: Float32Array, out: Float32Array): void;
  reluBackward(x: Float32Array, dy: Float32Array, out: Float32Array): void;
  /** out (cols x rows) = aᵀ for a row-major rows x cols a; out and a disjoint. */
  transpose(a: Float32Array, rows: number, cols: number, out: Float32Array): void;
}

// ---- the CUDA build's entries (native/cuda/binding-cuda.cc); absent from a CPU-only addon ------------------------

/** A block of device memory owned by a JS object. */
export interface RawDeviceBuffer {
  readonly byteLength: number;
  readonly disposed: boolean;
  upload(a: ArrayBufferView): void;
  download(a: ArrayBufferView): void;
  dispose(): void;
}

type Buf = RawDeviceBuffer;
type Done = void | Promise<void>;

export interface CudaAddon {
  DeviceBuffer: new (bytes: number) => Buf;
  cudaMemoryInUse(): number;
  cudaSpmm(kernel: number, rows: number, cols: number, nnz: number, indptr: Buf, indices: Buf, values: Buf, valuesLength: number,
    order: Buf | null, perm: Buf | null, b: Buf, n: number, c: Buf, alpha: number, beta: number, async: boolean): Done;
  cudaSpmmNm(rows: number, cols: number, n: number, m: number, values: Buf, positions: Buf, b: Buf, width: number, c: Buf,
    alpha: number, beta: number, async: boolean): Done;
  cudaSpmv(rows: number, cols: number, nnz: number, indptr: Buf, indices: Buf, values: Buf, x: Buf, y: Buf, alpha: number,
    beta: number, async: boolean): Done;
  cudaSddmm(rows: number, cols: number, nnz: number, indptr: Buf, indices: Buf, x: Buf, y: Buf, k: number, out: Buf,
    alpha: number, beta: number, async: boolean): Done;
  cudaAddRowBias(y: Buf, rows: number, cols: number, bias: Buf): void;
  cudaRowSums(m: Buf, rows: number, cols: number, out: Buf): void;
  cudaSgd(w: Buf, g: Buf, buf: Buf | null, n: number, lr: number, momentum: number, weightDecay: number, nesterov: boolean): void;
  cudaAdam(w: Buf, g: Buf, m: Buf, v: Buf, n: number, lr: number, beta1: number, beta2: number, eps: number,
    weightDecay: number, c1: number, c2: number, decoupled: boolean): void;
}
