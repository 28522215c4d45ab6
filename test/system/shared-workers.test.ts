// One CSR weight on SharedArrayBuffers, served from 4 worker_threads and the main thread at once (README, "Serving
// from worker threads"): every result bit-identical to the single-threaded one.
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { expect, test } from 'vitest';
import { CSRMatrix, denseMatrix, fromShared, sddmm, sddmmAsync, setThreads, spmm, spmmAsync, spmv, spmvAsync, toShared } from '../../lib/index';
import { expectSameBits, expectSparseError, randomDense, randomVector } from '../helpers';

const dist = path.resolve(__dirname, '..', '..', 'dist', 'index.js');

test('toShared puts every array on a SharedArrayBuffer; fromShared rebuilds the class from a structured clone, O(1) checks', () => {
  const W = CSRMatrix.fromDense(randomDense(30, 20, 0.3, 1));
  const S = toShared(W);
  expect(S).toBeInstanceOf(CSRMatrix);
  for (const a of [S.indptr, S.indices, S.values]) expect(a.buffer).toBeInstanceOf(SharedArrayBuffer);
  expect(toShared(S)).not.toBe(W);
  expect(toShared(S).values).toBe(S.values); // already shared: not copied again
  const clone = structuredClone(S); // what postMessage delivers: a plain object, the same shared memory
  expect(clone).not.toBeInstanceOf(CSRMatrix);
  const R = fromShared(clone) as CSRMatrix;
  expect(R).toBeInstanceOf(CSRMatrix);
  R.values[0] = 42; // same memory as S
  expect(S.values[0]).toBe(42);
  const D = toShared(randomDense(4, 3, 1, 2));
  expect(D.data.buffer).toBeInstanceOf(SharedArrayBuffer);
  expect(fromShared(structuredClone(D))).toEqual(D);
  expectSparseError(() => fromShared({ ...clone, indptr: new Int32Array(3) }), 'ERR_SHAPE', /x\.indptr/);
  expectSparseError(() => fromShared({ ...clone, format: 'nope' }), 'ERR_UNSUPPORTED', /nope/);
  const broken = { ...structuredClone(S), indices: Int32Array.from(S.indices, () => 99) };
  expectSparseError(() => fromShared(broken, { validate: true }), 'ERR_RANGE', /out of range/);
  // Without full validation a corrupt structure is still never read out of bounds: the kernels refuse it.
  expectSparseError(() => spmm(fromShared(broken) as CSRMatrix, denseMatrix(20, 2)), 'ERR_FORMAT', /./);
});

test('a shared CSR weight serves spmm / spmv / sddmm from 4 worker_threads and the main thread at once, bit-identical to 1 thread', async () => {
  const W = toShared(CSRMatrix.fromDense(randomDense(300, 200, 0.1, 3)));
  const B = toShared(randomDense(200, 24, 1, 4));
  const x = toShared({ data: randomVector(200, 5), rows: 200, cols: 1 }).data;
  const X = toShared(randomDense(300, 16, 1, 6)), Y = toShared(randomDense(200, 16, 1, 7));
  setThreads(1);
  const ref = { spmm: spmm(W, B).data, spmv: spmv(W, x), sddmm: sddmm(W, X, Y).values };
  setThreads(2);
  const code = `
    const { parentPort, workerData } = require('node:worker_threads');
    const sk = require(workerData.dist);
    const { W: w, B, x, X, Y, rounds } = workerData;
    const W = sk.fromShared(w), same = (a, b) => a.length === b.length && a.every((v, i) => Object.is(v, b[i]));
    (async () => {
      let first = null, mismatches = 0;
      for (let r = 0; r < rounds; r++) {
        const got = r % 2
          ? { spmm: (await sk.spmmAsync(W, B)).data, spmv: await sk.spmvAsync(W, x), sddmm: (await sk.sddmmAsync(W, X, Y)).values }
          : { spmm: sk.spmm(W, B).data, spmv: sk.spmv(W, x), sddmm: sk.sddmm(W, X, Y).values };
        if (first === null) first = got;
        else for (const k of Object.keys(got)) if (!same(got[k], first[k])) mismatches++;
      }
      parentPort.postMessage({ first, mismatches, shared: W.values.buffer instanceof SharedArrayBuffer });
    })().catch((e) => parentPort.postMessage({ error: String(e && e.stack || e) }));
  `;
  const rounds = 40;
  const workers = Array.from({ length: 4 }, () => new Worker(code, { eval: true, workerData: { dist, W, B, x, X, Y, rounds } }));
  const done = workers.map((w) => new Promise<{ first: typeof ref; mismatches: number; shared: boolean; error?: string }>((resolve, reject) => {
    w.once('message', resolve);
    w.once('error', reject);
  }));
  for (let r = 0; r < rounds; r++) { // the main thread computes at the same time
    expectSameBits((await spmmAsync(W, B)).data, ref.spmm, 'main spmmAsync');
    expectSameBits(await spmvAsync(W, x), ref.spmv, 'main spmvAsync');
    expectSameBits((await sddmmAsync(W, X, Y)).values, ref.sddmm, 'main sddmmAsync');
  }
  const results = await Promise.all(done);
  await Promise.all(workers.map((w) => w.terminate()));
  for (const [i, r] of results.entries()) {
    expect(r.error, `worker ${i}`).toBeUndefined();
    expect(r.shared, `worker ${i} uses the shared memory in place`).toBe(true);
    expect(r.mismatches, `worker ${i}`).toBe(0);
    expectSameBits(r.first.spmm, ref.spmm, `worker ${i} spmm`);
    expectSameBits(r.first.spmv, ref.spmv, `worker ${i} spmv`);
    expectSameBits(r.first.sddmm, ref.sddmm, `worker ${i} sddmm`);
  }
}, 60_000);
