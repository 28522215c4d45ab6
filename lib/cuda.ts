/**
 * The optional CUDA backend (an addon built with `npm run build:cuda`). Data lives on the device explicitly:
 * `toDevice()` uploads once, kernels take device operands, `toHost()` downloads, and `dispose()` frees device memory
 * at once (a finalizer frees it otherwise). Nothing is copied behind the caller's back inside a call.
 * In a build without CUDA every entry point throws ERR_UNSUPPORTED; with CUDA but no usable GPU, ERR_CUDA with the
 * CUDA error text.
 */
import { addon } from './binding';
import { CSRMatrix } from './csr';
import { DenseMatrix } from './dense';
import * as v from './validate';

interface RawDeviceBuffer {
  readonly byteLength: number;
  readonly disposed: boolean;
  upload(a: ArrayBufferView): void;
  download(a: ArrayBufferView): void;
  dispose(): void;
}

interface CudaAddon {
  DeviceBuffer: new (bytes: number) => RawDeviceBuffer;
  cudaSpmm(rows: number, cols: number, nnz: number, indptr: RawDeviceBuffer, indices: RawDeviceBuffer, values: RawDeviceBuffer,
    b: RawDeviceBuffer, n: number, c: RawDeviceBuffer, alpha: number, beta: number): void;
}

function cuda(): CudaAddon {
  const a = addon as unknown as Partial<CudaAddon>;
  if (typeof a.DeviceBuffer !== 'function') {
    v.fail('ERR_UNSUPPORTED', 'This sparsekit addon was built without the CUDA backend (build one with `npm run build:cuda`)');
  }
  return a as CudaAddon;
}

function upload(data: Int32Array | Float32Array): RawDeviceBuffer {
  const b = new (cuda().DeviceBuffer)(data.byteLength);
  b.upload(data);
  return b;
}

/** A row-major rows x cols float32 matrix in device memory. */
export class DeviceMatrix {
  private constructor(readonly rows: number, readonly cols: number, readonly buffer: RawDeviceBuffer) {}

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

  /** Downloads into a new DenseMatrix (one copy, now). */
  toHost(): DenseMatrix {
    const data = new Float32Array(this.rows * this.cols);
    this.buffer.download(data);
    return { data, rows: this.rows, cols: this.cols };
  }

  /** Frees the device memory now; later use is ERR_ARGUMENT. */
  dispose(): void {
    if (!this.buffer.disposed) this.buffer.dispose();
  }
}

/** A CSR matrix whose indptr, indices and values live in device memory. */
export class DeviceCSRMatrix {
  private constructor(
    readonly rows: number,
    readonly cols: number,
    readonly nnz: number,
    readonly indptr: RawDeviceBuffer,
    readonly indices: RawDeviceBuffer,
    readonly values: RawDeviceBuffer,
  ) {}

  static fromHost(A: CSRMatrix): DeviceCSRMatrix {
    v.instanceOf('A', A, CSRMatrix);
    return new DeviceCSRMatrix(A.rows, A.cols, A.nnz, upload(A.indptr), upload(A.indices), upload(A.values));
  }

  toHost(): CSRMatrix {
    const indptr = new Int32Array(this.rows + 1), indices = new Int32Array(this.nnz), values = new Float32Array(this.nnz);
    this.indptr.download(indptr);
    this.indices.download(indices);
    this.values.download(values);
    return CSRMatrix.fromArrays(this.rows, this.cols, indptr, indices, values);
  }

  dispose(): void {
    for (const b of [this.indptr, this.indices, this.values]) if (!b.disposed) b.dispose();
  }
}

/** Uploads a CSRMatrix or a DenseMatrix to the current CUDA device. */
export function toDevice(m: CSRMatrix): DeviceCSRMatrix;
export function toDevice(m: DenseMatrix): DeviceMatrix;
export function toDevice(m: CSRMatrix | DenseMatrix): DeviceCSRMatrix | DeviceMatrix {
  return m instanceof CSRMatrix ? DeviceCSRMatrix.fromHost(m) : DeviceMatrix.fromHost(m);
}

/**
 * C = alpha * A B + beta * C on the GPU, every operand on the device (A's structure is bounds-checked there: a
 * corrupt index is ERR_FORMAT). Synchronous: returns when the result is in `out` (a new DeviceMatrix by default).
 */
export function spmmDevice(A: DeviceCSRMatrix, B: DeviceMatrix, opts?: { alpha?: number; beta?: number; out?: DeviceMatrix }): DeviceMatrix {
  v.instanceOf('A', A, DeviceCSRMatrix);
  v.instanceOf('B', B, DeviceMatrix);
  const o = v.options<{ alpha?: number; beta?: number; out?: DeviceMatrix }>('options', opts, ['alpha', 'beta', 'out']);
  if (B.rows !== A.cols) v.fail('ERR_SHAPE', `Expected B.rows to be ${A.cols} but received ${B.rows}`);
  const alpha = o.alpha === undefined ? 1 : v.finite('options.alpha', o.alpha);
  const beta = o.beta === undefined ? 0 : v.finite('options.beta', o.beta);
  const out = o.out === undefined ? DeviceMatrix.empty(A.rows, B.cols) : v.instanceOf('options.out', o.out, DeviceMatrix);
  if (out.rows !== A.rows || out.cols !== B.cols) v.fail('ERR_SHAPE', `Expected an ${A.rows}x${B.cols} options.out but received ${out.rows}x${out.cols}`);
  cuda().cudaSpmm(A.rows, A.cols, A.nnz, A.indptr, A.indices, A.values, B.buffer, B.cols, out.buffer, alpha, beta);
  return out;
}
