import { describe, expect, test } from 'vitest';
import { CSRMatrix, DeviceMatrix, info, spmmDevice, toDevice } from '../lib/index';
import { expectClose, expectSparseError, randomVector, referenceSpmm } from './helpers';

const cuda = info().cuda;

describe('the CUDA backend', () => {
  test.runIf(cuda === null)('a build without CUDA refuses device work with ERR_UNSUPPORTED, naming the build to use', () => {
    expectSparseError(() => toDevice(CSRMatrix.random(3, 3, { density: 0.5 })), 'ERR_UNSUPPORTED', /npm run build:cuda/);
    expectSparseError(() => DeviceMatrix.empty(2, 2), 'ERR_UNSUPPORTED', /without the CUDA backend/);
  });

  test.runIf(cuda !== null && !cuda.available)('a CUDA build without a usable GPU loads, and device work is ERR_CUDA with the CUDA error text', () => {
    expectSparseError(() => toDevice(CSRMatrix.random(3, 3, { density: 0.5 })), 'ERR_CUDA', /^cudaMalloc: cuda\w+: /);
    expectSparseError(() => toDevice({ data: new Float32Array(4), rows: 2, cols: 2 }), 'ERR_CUDA', /cudaMalloc/);
  });

  // Runs only on a machine with an NVIDIA GPU and a CUDA build.
  test.runIf(cuda !== null && cuda.available)('device SpMM matches the CPU over awkward shapes; round trips; corrupt indices; dispose', () => {
    for (const [rows, cols, n, density] of [[1, 1, 1, 1], [7, 33, 31, 0.3], [37, 4, 33, 1], [300, 17, 257, 0.1], [13, 1, 64, 0]] as const) {
      const A = CSRMatrix.random(rows, cols, { density, seed: rows });
      const B = { data: randomVector(cols * n, n), rows: cols, cols: n };
      const C0 = randomVector(rows * n, 3);
      const dA = toDevice(A), dB = toDevice(B), dC = toDevice({ data: C0.slice(), rows, cols: n });
      expect(Array.from(dA.toHost().indices)).toEqual(Array.from(A.indices));
      spmmDevice(dA, dB, { alpha: 0.5, beta: 2, out: dC });
      expectClose(dC.toHost().data, referenceSpmm(A.toDense(), B, 0.5, 2, C0), `${rows}x${cols} n=${n}`);
      expectClose(spmmDevice(dA, dB).toHost().data, referenceSpmm(A.toDense(), B, 1, 0), 'default out');
      dA.dispose();
      expectSparseError(() => spmmDevice(dA, dB), 'ERR_ARGUMENT', /disposed/);
      dB.dispose();
      dC.dispose();
    }
    const bad = CSRMatrix.random(20, 10, { density: 0.5, seed: 1 });
    bad.indices[3] = 99;
    expectSparseError(() => spmmDevice(toDevice(bad), toDevice({ data: new Float32Array(40), rows: 10, cols: 4 })), 'ERR_FORMAT', /not a valid CSR/);
  });
});
