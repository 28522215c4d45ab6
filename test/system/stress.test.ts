import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { describe, expect, test } from 'vitest';
import {
  BSRMatrix, CSRMatrix, DenseMatrix, gemm, gemmAsync, NMMatrix, sddmm, sddmmAsync, setThreads, spmm, spmmAsync, spmmT, spmmTAsync, spmv,
  spmvAsync,
} from '../../lib/index';
import { expectSameBits, randomVector } from '../helpers';

const dist = path.resolve(__dirname, '..', '..', 'dist', 'index.js');

/** One operation of each kind on small random operands: its async form and its sync form. */
function operation(k: number): { run: () => Promise<Float32Array>; reference: () => Float32Array } {
  const rows = 20 + (k % 37), cols = 16 + (k % 29), n = [1, 3, 8, 17, 33][k % 5];
  const A = CSRMatrix.random(rows, cols, { density: 0.05 + (k % 4) * 0.2, seed: k });
  const B: DenseMatrix = { data: randomVector(cols * n, k), rows: cols, cols: n };
  const Bt: DenseMatrix = { data: randomVector(rows * n, k + 1), rows, cols: n };
  switch (k % 7) {
    case 0: return { run: async () => (await spmmAsync(A, B)).data, reference: () => spmm(A, B).data };
    case 1: {
      const x = randomVector(cols, k);
      return { run: () => spmvAsync(A, x, { alpha: 2 }), reference: () => spmv(A, x, { alpha: 2 }) };
    }
    case 2: return { run: async () => (await sddmmAsync(A, Bt, B)).values, reference: () => sddmm(A, Bt, B).values };
    case 3: return { run: async () => (await spmmTAsync(A, Bt)).data, reference: () => spmmT(A, Bt).data };
    case 4: {
      const W = BSRMatrix.fromCSR(A, { block: [4, 1] });
      return { run: async () => (await spmmAsync(W, B)).data, reference: () => spmm(W, B).data };
    }
    case 5: {
      const W = NMMatrix.fromDense({ data: randomVector(rows * 16, k).map((v, i) => (i % 4 < 2 ? v : 0)), rows, cols: 16 }, { n: 2, m: 4 });
      const B16: DenseMatrix = { data: randomVector(16 * n, k), rows: 16, cols: n };
      return { run: async () => (await spmmAsync(W, B16)).data, reference: () => spmm(W, B16).data };
    }
    default: {
      const D: DenseMatrix = { data: randomVector(rows * cols, k + 2), rows, cols };
      return { run: async () => (await gemmAsync(D, B, { beta: 0 })).data, reference: () => gemm(D, B).data };
    }
  }
}

describe('stress', () => {
  test('1,000 concurrent async operations mixed across kernels, with setThreads changing while they run, match the sync path', async () => {
    const ops = Array.from({ length: 1000 }, (_, k) => operation(k));
    const pending = ops.map((op, k) => {
      if (k % 100 === 50) setThreads(1 + (Math.floor(k / 100) % 2)); // changes the split of work still to start
      return op.run();
    });
    const results = await Promise.all(pending);
    setThreads(2);
    results.forEach((r, k) => expectSameBits(r, ops[k].reference(), `operation ${k}`));
  }, 60_000);

  test('4 worker_threads use the addon at once, dropping and garbage-collecting their matrices while others compute', async () => {
    const code = `
      const { parentPort, workerData } = require('node:worker_threads');
      const sk = require(workerData.dist);
      require('node:v8').setFlagsFromString('--expose-gc');
      const collect = require('node:vm').runInNewContext('gc'); // workers take no --expose-gc in execArgv
      (async () => {
        let checksum = 0;
        for (let round = 0; round < 40; round++) {
          const A = sk.CSRMatrix.random(200, 150, { density: 0.1, seed: workerData.seed * 1000 + round });
          const B = sk.denseMatrix(150, 17);
          for (let i = 0; i < B.data.length; i++) B.data[i] = ((i * 7 + round) % 13) - 6;
          const [C, D] = await Promise.all([sk.spmmAsync(A, B), sk.spmmTAsync(A, sk.spmm(A, B))]);
          const want = sk.spmm(A, B);
          for (let i = 0; i < C.data.length; i++) if (!Object.is(C.data[i], want.data[i])) throw new Error('async differs in round ' + round);
          checksum += C.data[round % C.data.length] + D.data[round % D.data.length];
          // Drop everything of this round and collect, while the other workers' calls are in flight.
          if (round % 5 === 4) collect();
        }
        parentPort.postMessage(checksum);
      })().catch((e) => { throw e; });`;
    const run = (seed: number) =>
      new Promise<number>((resolve, reject) => {
        const w = new Worker(code, { eval: true, workerData: { dist, seed } });
        w.once('message', (m: number) => {
          resolve(m);
          void w.terminate();
        });
        w.once('error', reject);
      });
    const sums = await Promise.all([1, 2, 3, 4].map(run));
    expect(sums.every(Number.isFinite)).toBe(true);
    // The same work again, one worker at a time, gives the same checksums: nothing depended on the interleaving.
    for (const [k, seed] of [1, 2, 3, 4].entries()) expect(await run(seed)).toBe(sums[k]);
  }, 60_000);
});
