/**
 * Data on a device, explicitly: `toDevice()` uploads once, kernels take device operands, `toHost()` downloads, and
 * `dispose()` frees device memory at once (a finalizer frees it otherwise). Nothing is copied behind the caller's
 * back inside a call. Every tensor knows its backend (lib/device/backend.ts); toDevice() uses the default one.
 */
import * as v from '../core/validate';
import { CSRMatrix, DenseMatrix, isFormat, NMMatrix } from '../formats';
import { transposePlan } from '../kernels';
import { DeviceBackend, deviceBackend, DeviceBuffer, DeviceCsrStructure } from './backend';

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

/** Uploads each array in turn; on a failure, frees what was already uploaded. */
function uploadAll<T extends Record<string, ArrayBufferView>>(backend: DeviceBackend, arrays: T): { [K in keyof T]: DeviceBuffer } {
  const made: Partial<Record<keyof T, DeviceBuffer>> = {};
  try {
    for (const key of Object.keys(arrays) as (keyof T)[]) made[key] = backend.upload(arrays[key]);
  } catch (e) {
    for (const b of Object.values(made) as DeviceBuffer[]) b.dispose();
    throw e;
  }
  return made as { [K in keyof T]: DeviceBuffer };
}

function disposeAll(buffers: (DeviceBuffer | undefined)[]): void {
  for (const b of buffers) if (b && !b.disposed) b.dispose();
}

/** A row-major rows x cols float32 matrix in device memory. */
export class DeviceMatrix {
  /** @internal */
  constructor(readonly rows: number, readonly cols: number, /** @internal */ readonly buffer: DeviceBuffer, readonly backend: DeviceBackend = deviceBackend()) {}

  /** Uploads a DenseMatrix (one copy, now). */
  static fromHost(m: DenseMatrix, backend: DeviceBackend = deviceBackend()): DeviceMatrix {
    const { data, rows, cols } = v.dense('m', m);
    return new DeviceMatrix(rows, cols, backend.upload(data), backend);
  }

  /** Uninitialised device memory for rows x cols floats. */
  static empty(rows: number, cols: number, backend: DeviceBackend = deviceBackend()): DeviceMatrix {
    const size = v.denseSize('matrix', rows, cols);
    return new DeviceMatrix(rows, cols, backend.alloc(size * 4), backend);
  }

  /** rows x cols zeros on the device. */
  static zeros(rows: number, cols: number, backend: DeviceBackend = deviceBackend()): DeviceMatrix {
    const size = v.denseSize('matrix', rows, cols);
    return new DeviceMatrix(rows, cols, backend.upload(new Float32Array(size)), backend);
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
    /** @internal */ readonly structure: DeviceCsrStructure,
    /** @internal */ readonly values: DeviceBuffer,
    /** @internal */ readonly transposed: Required<DeviceCsrStructure> | null,
    readonly backend: DeviceBackend,
  ) {}

  static fromHost(A: CSRMatrix, opts?: ToDeviceOptions, backend: DeviceBackend = deviceBackend()): DeviceCSRMatrix {
    v.instanceOf('A', A, CSRMatrix);
    const o = v.options<ToDeviceOptions>('options', opts, ['transpose']);
    const withTranspose = o.transpose === undefined ? true : v.boolean('options.transpose', o.transpose);
    const main = uploadAll(backend, { indptr: A.indptr, indices: A.indices, order: longestFirst(A.indptr), values: A.values });
    let transposed = null;
    if (withTranspose) {
      try {
        const plan = transposePlan(A);
        transposed = uploadAll(backend, { indptr: plan.indptr, indices: plan.indices, order: longestFirst(plan.indptr), perm: plan.perm });
      } catch (e) {
        disposeAll(Object.values(main));
        throw e;
      }
    }
    const { values, ...structure } = main;
    return new DeviceCSRMatrix(A.rows, A.cols, A.nnz, structure, values, transposed, backend);
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
    return new DeviceMatrix(this.nnz, 1, this.values, this.backend);
  }

  get disposed(): boolean {
    return this.values.disposed;
  }

  dispose(): void {
    const s = this.structure, t = this.transposed;
    disposeAll([s.indptr, s.indices, s.order, this.values, t?.indptr, t?.indices, t?.order, t?.perm]);
  }
}

/** An N:M matrix (2:4 and the like) whose values and positions live in device memory. */
export class DeviceNMMatrix {
  private constructor(
    readonly rows: number,
    readonly cols: number,
    readonly n: number,
    readonly m: number,
    /** @internal */ readonly values: DeviceBuffer,
    /** @internal */ readonly positions: DeviceBuffer,
    readonly backend: DeviceBackend,
  ) {}

  static fromHost(A: NMMatrix, backend: DeviceBackend = deviceBackend()): DeviceNMMatrix {
    v.instanceOf('A', A, NMMatrix);
    const { values, positions } = uploadAll(backend, { values: A.values, positions: A.positions });
    return new DeviceNMMatrix(A.rows, A.cols, A.n, A.m, values, positions, backend);
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
    disposeAll([this.values, this.positions]);
  }
}

/** Uploads a CSRMatrix, an NMMatrix or a DenseMatrix to the default device. */
export function toDevice(m: CSRMatrix, opts?: ToDeviceOptions): DeviceCSRMatrix;
export function toDevice(m: NMMatrix): DeviceNMMatrix;
export function toDevice(m: DenseMatrix): DeviceMatrix;
export function toDevice(m: CSRMatrix | NMMatrix | DenseMatrix, opts?: ToDeviceOptions): DeviceCSRMatrix | DeviceNMMatrix | DeviceMatrix {
  if (isFormat(m, 'csr')) return DeviceCSRMatrix.fromHost(m as CSRMatrix, opts);
  if (isFormat(m, 'nm')) return DeviceNMMatrix.fromHost(m as NMMatrix);
  return DeviceMatrix.fromHost(m as DenseMatrix);
}

/**
 * Bytes of device memory held by this process's live device objects (DeviceMatrix, DeviceCSRMatrix, optimizer
 * state, ...): what dispose() or, once they are unreachable, the finalizers give back.
 */
export function deviceMemoryInUse(): number {
  return deviceBackend().memoryInUse();
}
