import { describe, expect, test } from 'vitest';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { CSRMatrix, setIsa, setThreads, spmm, spmmAsync, spmv, spmvAsync } from '../../lib/index';
import { expectSameBits, randomVector } from '../helpers';

const dist = path.resolve(__dirname, '..', '..', 'dist', 'index.js');

function runWorker(seed: number): Promise<Float32Array> {
  // The worker loads the built package (dist/, made by `npm test`'s pretest) on its own: a second Node environment.
  const code = `
    const { parentPort, workerData } = require('node:worker_threads');
    const sk = require(workerData.dist);
    const A = sk.CSRMatrix.random(300, 200, { density: 0.2, seed: workerData.seed });
    const B = sk.denseMatrix(200, 33, new Float32Array(200 * 33).map((_, i) => (i % 17) - 8));
    sk.spmmAsync(A, B).then((C) => parentPort.postMessage({ sync: sk.spmm(A, B).data, async: C.data }));`;
  return new Promise((resolve, reject) => {
    const w = new Worker(code, { eval: true, workerData: { dist, seed } });
    w.once('message', (m: { sync: Float32Array; async: Float32Array }) => {
      expectSameBits(m.async, m.sync, 'worker async vs sync');
      resolve(m.sync);
      void w.terminate();
    });
    w.once('error', reject);
  });
}

describe('async and worker_threads', () => {
  test('loads and runs inside worker_threads, several at once, same results as the main thread', async () => {
    const results = await Promise.all([1, 2, 3, 4].map(runWorker));
    for (const [k, seed] of [1, 2, 3, 4].entries()) {
      const A = CSRMatrix.random(300, 200, { density: 0.2, seed });
      const B = { data: new Float32Array(200 * 33).map((_, i) => (i % 17) - 8), rows: 200, cols: 33 };
      expectSameBits(results[k], spmm(A, B).data, `worker ${seed}`);
    }
  });

  test('a timer keeps firing while a large spmmAsync runs', async () => {
    setIsa('scalar'); // the slowest path, so the call lasts long enough to count timer ticks
    setThreads(1);
    const A = CSRMatrix.random(2000, 2000, { density: 0.1, seed: 3 });
    const B = { data: randomVector(2000 * 1024, 1), rows: 2000, cols: 1024 };
    let ticks = 0;
    const timer = setInterval(() => ticks++, 2);
    const t0 = performance.now();
    const C = await spmmAsync(A, B);
    const ms = performance.now() - t0;
    clearInterval(timer);
    expectSameBits(C.data, spmm(A, B).data, 'large spmmAsync'); // same ISA and threads as the async call
    setIsa('auto');
    setThreads(2);
    expect(ms).toBeGreaterThan(40);
    // A blocked loop would give 0 ticks; allow for timer coarseness on a loaded machine.
    expect(ticks).toBeGreaterThanOrEqual(Math.floor(ms / 2 / 4));
  });

  test('many concurrent async calls give the same results as sync calls', async () => {
    const cases = Array.from({ length: 64 }, (_, k) => {
      const A = CSRMatrix.random(100 + k, 80 + (k % 7), { density: 0.05 + (k % 5) * 0.1, seed: k });
      const n = [1, 3, 16, 33][k % 4];
      const B = { data: randomVector(A.cols * n, k), rows: A.cols, cols: n };
      const x = randomVector(A.cols, k + 100);
      return { A, B, x };
    });
    const asyncResults = await Promise.all(
      cases.flatMap(({ A, B, x }) => [spmmAsync(A, B, { alpha: 0.5 }).then((r) => r.data), spmvAsync(A, x)]),
    );
    const syncResults = cases.flatMap(({ A, B, x }) => [spmm(A, B, { alpha: 0.5 }).data, spmv(A, x)]);
    asyncResults.forEach((r, k) => expectSameBits(r, syncResults[k], `call ${k}`));
  });
});
