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
