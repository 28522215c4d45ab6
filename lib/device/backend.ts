/**
 * What a device must do for sparsekit, and the registry of devices. Device tensors (./tensors.ts), the device
 * kernels (./kernels.ts) and DeviceSparseLinear call only this interface; a backend (./cuda.ts) implements it over
 * its native entry points. Adding a device is one file implementing DeviceBackend plus one registerDeviceBackend
 * line in ./index.ts. Optimizers reach a device through the OptimizerBackend part (lib/optim), never through here.
 */
import type { RawDeviceBuffer } from '../core/native';
import * as v from '../core/validate';
import type { OptimizerBackend } from '../optim';
import type { DeviceMatrix } from './tensors';

/** A block of device memory owned by a JS object: dispose() frees it now, a finalizer otherwise. */
export type DeviceBuffer = RawDeviceBuffer;

interface Scaled {
  alpha: number;
  beta: number;
}

/** A CSR structure on the device, with the row order its SpMM hands rows out in, and for Aᵀ the value permutation. */
export interface DeviceCsrStructure {
  indptr: DeviceBuffer;
  indices: DeviceBuffer;
  order: DeviceBuffer;
  perm?: DeviceBuffer;
}

/** C (rows x n) = alpha A B + beta C with A's structure `s` over rows x cols and its values (nnz). */
export interface DeviceSpmmArgs extends Scaled {
  /** 'sparsekit': the backend's own kernel; 'cusparse': the vendor library (CUDA). */
  kernel: 'sparsekit' | 'cusparse';
  rows: number;
  cols: number;
  nnz: number;
  s: DeviceCsrStructure;
  values: DeviceBuffer;
  b: DeviceBuffer;
  n: number;
  c: DeviceBuffer;
}

export interface DeviceSpmmNmArgs extends Scaled {
  rows: number;
  cols: number;
  n: number;
  m: number;
  values: DeviceBuffer;
  positions: DeviceBuffer;
  b: DeviceBuffer;
  width: number;
  c: DeviceBuffer;
}

export interface DeviceSpmvArgs extends Scaled {
  rows: number;
  cols: number;
  nnz: number;
  s: DeviceCsrStructure;
  values: DeviceBuffer;
  x: DeviceBuffer;
  y: DeviceBuffer;
}

export interface DeviceSddmmArgs extends Scaled {
  rows: number;
  cols: number;
  nnz: number;
  s: DeviceCsrStructure;
  x: DeviceBuffer;
  y: DeviceBuffer;
  k: number;
  out: DeviceBuffer;
}

/** Sync (`async` false: returns when done) or async (a Promise that settles when done). */
type Run = void | Promise<void>;

export interface DeviceBackend extends OptimizerBackend<DeviceMatrix> {
  /** Its name in info() and error messages ('cuda'). */
  readonly name: string;
  /** Uninitialised device memory. */
  alloc(bytes: number): DeviceBuffer;
  /** New device memory holding a copy of `data` (one copy, now). */
  upload(data: ArrayBufferView): DeviceBuffer;
  /** Bytes held by live buffers of this backend. */
  memoryInUse(): number;
  spmm(a: DeviceSpmmArgs, async: boolean): Run;
  spmmNm(a: DeviceSpmmNmArgs, async: boolean): Run;
  spmv(a: DeviceSpmvArgs, async: boolean): Run;
  sddmm(a: DeviceSddmmArgs, async: boolean): Run;
  /** y (rows x cols) += bias per row. */
  addRowBias(y: DeviceBuffer, rows: number, cols: number, bias: DeviceBuffer): void;
  /** out[i] = sum of row i of m (rows x cols). */
  rowSums(m: DeviceBuffer, rows: number, cols: number, out: DeviceBuffer): void;
}

const backends = new Map<string, DeviceBackend>();

/** Adds a device backend; the first one registered is the default of toDevice(). */
export function registerDeviceBackend(b: DeviceBackend): void {
  if (backends.has(b.name)) v.fail('ERR_ARGUMENT', `A device backend named '${b.name}' is already registered`);
  backends.set(b.name, b);
}

/** The backend named `name`, or the default one. */
export function deviceBackend(name?: string): DeviceBackend {
  const b = name === undefined ? backends.values().next().value : backends.get(name);
  if (!b) return v.fail('ERR_UNSUPPORTED', `No device backend${name === undefined ? '' : ` named '${name}'`} is registered`);
  return b;
}
