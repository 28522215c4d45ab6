// Async calls stay memory-safe when their arrays are detached mid-call (this Node's policy: lib/core/hold.ts).
import { expect, test } from 'vitest';
import * as sk from '../../lib/index';
import { detachEveryArray } from './detach-cases';

test(`every async op, every array detached mid-call three ways, then GC: the promise settles with the right result (${sk.info().async.memory})`, async () => {
  const runs = await detachEveryArray(sk, sk.info().async.memory);
  expect(runs).toBeGreaterThan(60);
});

test('a result the library allocated for an async call stays transferable', async () => {
  const A = sk.CSRMatrix.random(20, 10, { density: 0.5, seed: 1 });
  const C = await sk.spmmAsync(A, sk.denseMatrix(10, 3));
  const moved = structuredClone(C.data.buffer, { transfer: [C.data.buffer as ArrayBuffer] });
  expect(C.data.byteLength).toBe(0);
  expect(moved.byteLength).toBeGreaterThan(0);
});

test('SharedArrayBuffer operands are used in place and never marked', async () => {
  const A = sk.toShared(sk.CSRMatrix.random(20, 10, { density: 0.5, seed: 1 }));
  const B = sk.toShared(sk.denseMatrix(10, 3));
  const C = await sk.spmmAsync(A, B);
  expect(Array.from(C.data)).toEqual(Array.from(sk.spmm(A, B).data));
  expect(A.values.buffer).toBeInstanceOf(SharedArrayBuffer);
});
