/**
 * The CUDA backend: DeviceBackend over the CUDA build's native entries (native/cuda/binding-cuda.cc; typed in
 * lib/core/native.ts as CudaAddon). In a build without CUDA every entry point throws ERR_UNSUPPORTED; with CUDA but
 * no usable GPU, ERR_CUDA with the CUDA error text. Async calls run on a worker thread with their own CUDA stream,
 * so concurrent calls can run side by side on the GPU; while one is pending its buffers cannot be disposed or
 * uploaded into (ERR_ARGUMENT) and are kept from the finalizer.
 */
import { addon } from '../core/binding';
import type { CudaAddon } from '../core/native';
import * as v from '../core/validate';
import type { BackendParam } from '../optim';
import { DeviceBackend, DeviceBuffer } from './backend';
import { DeviceMatrix } from './tensors';

function cuda(): CudaAddon {
  const a = addon as unknown as Partial<CudaAddon>;
  if (typeof a.DeviceBuffer !== 'function') {
    v.fail('ERR_UNSUPPORTED', 'This sparsekit addon was built without the CUDA backend (build one with `npm run build:cuda`)');
  }
  return a as CudaAddon;
}

function size(p: BackendParam<DeviceMatrix>): number {
  return p.value.rows * p.value.cols;
}

export const cudaBackend: DeviceBackend = {
  name: 'cuda',

  alloc: (bytes) => new (cuda().DeviceBuffer)(bytes),

  upload(data): DeviceBuffer {
    const b = new (cuda().DeviceBuffer)(data.byteLength);
    try {
      b.upload(data);
    } catch (e) {
      b.dispose();
      throw e;
    }
    return b;
  },

  memoryInUse: () => cuda().cudaMemoryInUse(),

  spmm: (a, async) =>
    cuda().cudaSpmm(a.kernel === 'cusparse' ? 1 : 0, a.rows, a.cols, a.nnz, a.s.indptr, a.s.indices, a.values, a.nnz,
      a.kernel === 'cusparse' ? null : a.s.order, a.s.perm ?? null, a.b, a.n, a.c, a.alpha, a.beta, async),

  spmmNm: (a, async) => cuda().cudaSpmmNm(a.rows, a.cols, a.n, a.m, a.values, a.positions, a.b, a.width, a.c, a.alpha, a.beta, async),

  spmv: (a, async) => cuda().cudaSpmv(a.rows, a.cols, a.nnz, a.s.indptr, a.s.indices, a.values, a.x, a.y, a.alpha, a.beta, async),

  sddmm: (a, async) => cuda().cudaSddmm(a.rows, a.cols, a.nnz, a.s.indptr, a.s.indices, a.x, a.y, a.k, a.out, a.alpha, a.beta, async),

  addRowBias: (y, rows, cols, bias) => cuda().cudaAddRowBias(y, rows, cols, bias),

  rowSums: (m, rows, cols, out) => cuda().cudaRowSums(m, rows, cols, out),

  checkParam(name, p) {
    v.instanceOf(`${name}.value`, p.value, DeviceMatrix);
    v.instanceOf(`${name}.grad`, p.grad, DeviceMatrix);
    const n = size(p);
    if (p.grad.rows * p.grad.cols !== n) v.fail('ERR_SHAPE', `Expected ${name}.grad to hold ${n} values but it holds ${p.grad.rows * p.grad.cols}`);
    return n;
  },

  zerosLike: (t) => DeviceMatrix.zeros(t.rows, t.cols, t.backend),

  sgdStep: (p, buf, h) => cuda().cudaSgd(p.value.buffer, p.grad.buffer, buf ? buf.buffer : null, size(p), h.lr, h.momentum, h.weightDecay, h.nesterov),

  adamStep: (p, m, s, h) =>
    cuda().cudaAdam(p.value.buffer, p.grad.buffer, m.buffer, s.buffer, size(p), h.lr, h.beta1, h.beta2, h.eps, h.weightDecay, h.c1, h.c2, h.decoupled),
};
