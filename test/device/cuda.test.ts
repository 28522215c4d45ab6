import { describe, expect, test } from 'vitest';
import {
  Adam,
  CSRMatrix,
  nmPrune,
  spmm,
  DeviceMatrix,
  deviceMemoryInUse,
  DeviceSparseLinear,
  info,
  sddmm,
  sddmmDevice,
  sddmmDeviceAsync,
  SGD,
  SparseLinear,
  spmmDevice,
  spmmDeviceAsync,
  spmmT,
  spmmTDevice,
  spmmTDeviceAsync,
  spmv,
  spmvDevice,
  spmvDeviceAsync,
  toDevice,
} from '../../lib/index';
import { expectClose, expectRelClose, expectSparseError, randomVector, referenceSpmm } from '../helpers';

const cuda = info().cuda;
const gpu = cuda !== null && cuda.available;

describe('the CUDA backend', () => {
  test.runIf(cuda === null)('a build without CUDA refuses device work with ERR_UNSUPPORTED, naming the build to use', () => {
    expectSparseError(() => toDevice(CSRMatrix.random(3, 3, { density: 0.5 })), 'ERR_UNSUPPORTED', /npm run build:cuda/);
    expectSparseError(() => DeviceMatrix.empty(2, 2), 'ERR_UNSUPPORTED', /without the CUDA backend/);
    expectSparseError(() => DeviceMatrix.zeros(2, 2), 'ERR_UNSUPPORTED', /without the CUDA backend/);
  });

  test.runIf(cuda !== null && !cuda.available)('a CUDA build without a usable GPU loads, and device work is ERR_CUDA with the CUDA error text', () => {
    expect(cuda?.cusparse).toBeNull();
    expect(cuda?.devices).toEqual([]);
    expectSparseError(() => toDevice(CSRMatrix.random(3, 3, { density: 0.5 })), 'ERR_CUDA', /^cudaMalloc: cuda\w+: /);
    expectSparseError(() => toDevice({ data: new Float32Array(4), rows: 2, cols: 2 }), 'ERR_CUDA', /cudaMalloc/);
    expectSparseError(() => DeviceSparseLinear.fromHost(new SparseLinear(4, 3, { density: 0.5 })), 'ERR_CUDA', /cudaMalloc/);
  });

  test('device functions validate their arguments before touching the device', () => {
    expectSparseError(() => spmmDevice(null as never, null as never), 'ERR_ARGUMENT', /A/);
    expectSparseError(() => sddmmDevice({} as never, null as never, null as never), 'ERR_ARGUMENT', /pattern/);
    expectSparseError(() => DeviceSparseLinear.fromHost({} as never), 'ERR_ARGUMENT', /layer/);
    expectSparseError(() => new SGD({ lr: 0.1 }).step([{ value: {} as never, grad: new Float32Array(1) }]), 'ERR_DTYPE', /params\[0\]\.value/);
  });

  // Everything below runs only on a machine with an NVIDIA GPU and a CUDA build.
  test.runIf(gpu)('SpMM, transposed SpMM, SpMV and SDDMM match the CPU over awkward shapes, sync and async', async () => {
    for (const [rows, cols, n, density] of [[1, 1, 1, 1], [7, 33, 31, 0.3], [37, 4, 33, 1], [300, 17, 257, 0.1], [13, 1, 64, 0], [64, 64, 128, 0.5]] as const) {
      const A = CSRMatrix.random(rows, cols, { density, seed: rows });
      const B = { data: randomVector(cols * n, n), rows: cols, cols: n };
      const C0 = randomVector(rows * n, 3);
      const dA = toDevice(A), dB = toDevice(B), dC = toDevice({ data: C0.slice(), rows, cols: n });
      const what = `${rows}x${cols} n=${n}`;
      expect(Array.from(dA.toHost().indices)).toEqual(Array.from(A.indices));
      spmmDevice(dA, dB, { alpha: 0.5, beta: 2, out: dC });
      expectClose(dC.toHost().data, referenceSpmm(A.toDense(), B, 0.5, 2, C0), what);
      expectClose((await spmmDeviceAsync(dA, dB)).toHost().data, referenceSpmm(A.toDense(), B, 1, 0), `${what} async`);
      if (cuda?.cusparse) expectClose(spmmDevice(dA, dB, { kernel: 'cusparse' }).toHost().data, referenceSpmm(A.toDense(), B, 1, 0), `${what} cuSPARSE`);

      const BT = { data: randomVector(rows * n, 7), rows, cols: n };
      const dBT = toDevice(BT);
      expectRelClose(spmmTDevice(dA, dBT).toHost().data, spmmT(A, BT).data, 1e-4, `${what} spmmT`);
      expectRelClose((await spmmTDeviceAsync(dA, dBT, { alpha: 2 })).toHost().data, spmmT(A, BT, { alpha: 2 }).data, 1e-4, `${what} spmmT async`);

      const x = randomVector(cols, 5);
      expectRelClose(spmvDevice(dA, toDevice({ data: x, rows: cols, cols: 1 })).toHost().data, spmv(A, x), 1e-4, `${what} spmv`);
      expectRelClose((await spmvDeviceAsync(dA, toDevice({ data: x, rows: cols, cols: 1 }))).toHost().data, spmv(A, x), 1e-4, `${what} spmv async`);

      const X = { data: randomVector(rows * n, 11), rows, cols: n }, Y = { data: randomVector(cols * n, 13), rows: cols, cols: n };
      const want = sddmm(A, X, Y, { alpha: 0.5 }).values;
      expectRelClose(sddmmDevice(dA, toDevice(X), toDevice(Y), { alpha: 0.5 }).toHost().data, want, 1e-4, `${what} sddmm`);
      expectRelClose((await sddmmDeviceAsync(dA, toDevice(X), toDevice(Y), { alpha: 0.5 })).toHost().data, want, 1e-4, `${what} sddmm async`);

      dA.dispose();
      expectSparseError(() => spmmDevice(dA, dB), 'ERR_ARGUMENT', /disposed/);
      for (const m of [dB, dC, dBT]) m.dispose();
    }
  });

  test.runIf(gpu)('N:M SpMM (2:4, 1:4, 2:8, 3:5) matches the CPU, sync and async; a corrupt position is ERR_FORMAT', async () => {
    for (const [n, m, rows, cols, width] of [[2, 4, 1, 4, 1], [2, 4, 33, 64, 33], [1, 4, 7, 13, 257], [2, 8, 16, 40, 8], [3, 5, 9, 21, 64]] as const) {
      const A = nmPrune({ data: randomVector(rows * cols, rows + cols), rows, cols }, { n, m });
      const B = { data: randomVector(cols * width, 3), rows: cols, cols: width };
      const C0 = randomVector(rows * width, 4);
      const dA = toDevice(A), dB = toDevice(B), dC = toDevice({ data: C0.slice(), rows, cols: width });
      const what = `${n}:${m} ${rows}x${cols} width ${width}`;
      expect(Array.from(dA.toHost().positions)).toEqual(Array.from(A.positions));
      spmmDevice(dA, dB, { alpha: 0.5, beta: -1, out: dC });
      expectRelClose(dC.toHost().data, spmm(A, B, { alpha: 0.5, beta: -1, out: { data: C0.slice(), rows, cols: width } }).data, 1e-4, what);
      expectRelClose((await spmmDeviceAsync(dA, dB)).toHost().data, spmm(A, B).data, 1e-4, `${what} async`);
      expectSparseError(() => spmmDevice(dA, dB, { kernel: 'cusparse' }), 'ERR_UNSUPPORTED', /N:M/);
      for (const d of [dA, dB, dC]) d.dispose();
    }
    const A = nmPrune({ data: randomVector(8 * 16, 1), rows: 8, cols: 16 }, { n: 2, m: 4 });
    const values = A.values.slice(), positions = A.positions.slice();
    values[5] = 1;
    positions[5] = 9; // >= m
    const dA = toDevice(A);
    dA.values.upload(values);
    dA.positions.upload(positions);
    expectSparseError(() => spmmDevice(dA, toDevice({ data: new Float32Array(16 * 4), rows: 16, cols: 4 })), 'ERR_FORMAT', /not a valid N:M matrix/);
  });

  test.runIf(gpu)('device memory is given back by dispose() at once and by the finalizer once unreachable', async () => {
    require('node:v8').setFlagsFromString('--expose-gc');
    const collect = require('node:vm').runInNewContext('gc') as () => void;
    // Collect until the count stops moving (earlier tests left objects for the finalizers), so what follows is ours.
    const settle = async (): Promise<number> => {
      let last = -1;
      for (let i = 0; i < 50 && deviceMemoryInUse() !== last; i++) {
        last = deviceMemoryInUse();
        collect();
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      return deviceMemoryInUse();
    };
    const before = await settle();
    const A = toDevice(CSRMatrix.random(100, 80, { density: 0.1, seed: 1 }));
    const X = DeviceMatrix.zeros(80, 64);
    expect(deviceMemoryInUse() - before).toBe(80 * 64 * 4 + (101 + A.nnz + 100) * 4 + A.nnz * 4 + (81 + A.nnz + 80 + A.nnz) * 4);
    A.dispose();
    X.dispose();
    A.dispose(); // twice is harmless
    expect(deviceMemoryInUse()).toBe(before);
    (() => {
      for (let i = 0; i < 50; i++) DeviceMatrix.zeros(256, 256); // 256 KiB each, never disposed
    })();
    expect(deviceMemoryInUse()).toBe(before + 50 * 256 * 256 * 4);
    expect(await settle()).toBe(before);
  });

  test.runIf(gpu)('200 concurrent async device calls each give what the synchronous call gives', async () => {
    const A = toDevice(CSRMatrix.random(64, 48, { density: 0.2, seed: 9 }));
    const B = toDevice({ data: randomVector(48 * 16, 1), rows: 48, cols: 16 });
    const BT = toDevice({ data: randomVector(64 * 16, 2), rows: 64, cols: 16 });
    const want = { spmm: spmmDevice(A, B).toHost().data, spmmT: spmmTDevice(A, BT).toHost().data, sddmm: sddmmDevice(A, BT, B).toHost().data };
    const calls = Array.from({ length: 200 }, (_, i) => {
      const kind = (['spmm', 'spmmT', 'sddmm'] as const)[i % 3];
      const run = kind === 'spmm' ? spmmDeviceAsync(A, B) : kind === 'spmmT' ? spmmTDeviceAsync(A, BT) : sddmmDeviceAsync(A, BT, B);
      return run.then((out) => ({ kind, got: out.toHost().data, out }));
    });
    for (const { kind, got, out } of await Promise.all(calls)) {
      expect(Buffer.from(got.buffer).equals(Buffer.from(want[kind].buffer)), kind).toBe(true);
      out.dispose();
    }
    for (const m of [A, B, BT]) m.dispose();
  });

  test.runIf(gpu)('corrupt structure is ERR_FORMAT on every kernel; pending buffers cannot be disposed; out may not alias', async () => {
    const bad = CSRMatrix.random(20, 10, { density: 0.5, seed: 1 });
    bad.indices[3] = 99;
    const dBad = toDevice(bad, { transpose: false });
    const B = toDevice({ data: new Float32Array(40), rows: 10, cols: 4 });
    expectSparseError(() => spmmDevice(dBad, B), 'ERR_FORMAT', /not a valid CSR/);
    if (cuda?.cusparse) expectSparseError(() => spmmDevice(dBad, B, { kernel: 'cusparse' }), 'ERR_FORMAT', /not a valid CSR/);
    await expect(spmmDeviceAsync(dBad, B)).rejects.toMatchObject({ code: 'ERR_FORMAT' });
    expectSparseError(() => spmmTDevice(dBad, toDevice({ data: new Float32Array(80), rows: 20, cols: 4 })), 'ERR_ARGUMENT', /transpose: false/);

    const A = toDevice(CSRMatrix.random(500, 500, { density: 0.2, seed: 2 }));
    const X = toDevice({ data: randomVector(500 * 256, 1), rows: 500, cols: 256 });
    const pending = spmmDeviceAsync(A, X);
    expectSparseError(() => X.dispose(), 'ERR_ARGUMENT', /pending async/);
    expectSparseError(() => X.upload({ data: new Float32Array(500 * 256), rows: 500, cols: 256 }), 'ERR_ARGUMENT', /pending async/);
    await pending;
    X.dispose();
    const Y = toDevice({ data: randomVector(500 * 4, 1), rows: 500, cols: 4 });
    expectSparseError(() => spmmDevice(A, Y, { out: Y }), 'ERR_ARGUMENT', /share memory/);
  });

  test.runIf(gpu)('a SparseLinear training step on the GPU gives the CPU step (forward, gradients, Adam and SGD updates)', () => {
    const cpu = new SparseLinear(50, 30, { density: 0.2, seed: 3 });
    const dev = DeviceSparseLinear.fromHost(cpu);
    const batch = 17;
    const x = { data: randomVector(50 * batch, 21), rows: 50, cols: batch };
    const dy = { data: randomVector(30 * batch, 22), rows: 30, cols: batch };
    const dx = toDevice(x), ddy = toDevice(dy);
    const adam = new Adam({ lr: 0.01, weightDecay: 0.01 }), adamDev = new Adam({ lr: 0.01, weightDecay: 0.01 });
    const sgd = new SGD({ lr: 0.05, momentum: 0.9, nesterov: true }), sgdDev = new SGD({ lr: 0.05, momentum: 0.9, nesterov: true });
    for (let step = 0; step < 3; step++) {
      const y = cpu.forward(x), yDev = dev.forward(dx).toHost();
      expectRelClose(yDev.data, y.data, 1e-4, `step ${step} forward`);
      const g = cpu.backward(dy), gDev = dev.backward(ddy);
      expectRelClose(gDev!.toHost().data, g.data, 1e-4, `step ${step} input gradient`);
      expectRelClose(dev.weightGrad.toHost().data, cpu.weightGrad, 1e-4, `step ${step} weight gradient`);
      expectRelClose(dev.biasGrad!.toHost().data, cpu.biasGrad!, 1e-4, `step ${step} bias gradient`);
      if (step < 2) {
        adam.step(cpu.params());
        adamDev.step(dev.params());
      } else {
        sgd.step(cpu.params());
        sgdDev.step(dev.params());
      }
      const host = new SparseLinear(50, 30, { pattern: cpu.weight });
      dev.copyToHost(host);
      expectRelClose(host.weight.values, cpu.weight.values, 1e-4, `step ${step} weights`);
      expectRelClose(host.bias!, cpu.bias!, 1e-4, `step ${step} bias`);
    }
    dev.dispose();
  });
});
