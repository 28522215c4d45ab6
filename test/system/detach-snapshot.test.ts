// The snapshot path of async calls (taken where marking cannot stop a detach, e.g. Node 22's
// ArrayBuffer.prototype.transfer), forced here so that every Node runs it.
import { expect, test } from 'vitest';
import { detachEveryArray } from './detach-cases';

test('snapshot path: every async op, every array detached mid-call, then GC: inputs do not matter, a detached output rejects', async () => {
  process.env.SPARSEKIT_ASYNC_MEMORY = 'snapshot';
  const sk = await import('../../lib/index');
  expect(sk.info().async.memory).toBe('snapshot');
  const runs = await detachEveryArray(sk, 'snapshot');
  expect(runs).toBeGreaterThan(60);
});

test('snapshot path: an empty output is not taken for a detached one', async () => {
  const sk = await import('../../lib/index');
  const A = sk.CSRMatrix.fromArrays(0, 5, new Int32Array(1), new Int32Array(0), new Float32Array(0));
  const C = await sk.spmmAsync(A, sk.denseMatrix(5, 3), { out: sk.denseMatrix(0, 3) });
  expect(C.data.length).toBe(0);
});
