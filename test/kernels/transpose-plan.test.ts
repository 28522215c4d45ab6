// The transpose plan's value cache (lib/kernels/transpose-plan.ts, spmmt_plan_csr_f32 in native/core/ops.cc): on
// every ISA, a plan that keeps Aᵀ's values between calls gives the same bits as one that gathers them every call
// (the same kernel on the same values), through its first fill, hits (compared first, and compared by the tasks
// while they multiply when beta is 0), changed values (one entry, or only the sign of a zero), rests while values
// change at every call, errors that leave it half written, and concurrent calls; and the float64 reference.
import { afterAll, describe, expect, test } from 'vitest';
import { CSRMatrix, info, setAsyncLimit, setIsa, setThreads, spmmT, spmmTAsync, TransposePlan, transposePlan } from '../../lib/index';
import { PlanCacheArrays } from '../../lib/core/native';
import { expectClose, expectSameBits, expectSparseError, offsetView, randomDense, randomVector, referenceSpmm, transposeDense, nativeKernelsOnly } from '../helpers';

const ISAS = info().isas;
nativeKernelsOnly();
afterAll(() => setAsyncLimit(2));

/** The plan's cache as the native layer left it (null before its first use). */
function cacheOf(plan: TransposePlan): PlanCacheArrays | null {
  return (plan as unknown as { cache: PlanCacheArrays | null }).cache;
}

/** How the last call used the plan's cache: 'hit' (as it was), 'refill', or 'none' (not read, or not taken). */
function lastUse(plan: TransposePlan): 'hit' | 'refill' | 'none' {
  const c = cacheOf(plan);
  if (c === null || c.state[1] === 2) return 'none';
  return c.state[1] === 1 ? 'hit' : 'refill';
}

/** Counts the calls that take the plan's cache (a wrapper around acquireCache). */
function countUses(plan: TransposePlan): { uses: number } {
  const count = { uses: 0 };
  const acquire = plan.acquireCache.bind(plan);
  plan.acquireCache = () => {
    const c = acquire();
    if (c !== undefined) count.uses++;
    return c;
  };
  return count;
}

describe.each(ISAS)('isa %s', (isa) => {
  test.each([1, 2])('a cached plan gives the bits of a gathering one through fills, hits and changes (threads %i)', (threads) => {
    setIsa(isa);
    setThreads(threads);
    const d = randomDense(300, 200, 0.2, 41, 7);
    const A = CSRMatrix.fromDense(d);
    for (const n of [1, 7, 32, 65]) {
      for (const [alpha, beta] of [[1, 0], [1.5, 0.5]]) {
        for (const offset of [0, 1, 2, 3]) {
          const what = `${isa} t${threads} n${n} beta ${beta} offset ${offset}`;
          const cached = transposePlan(A), gathering = transposePlan(A, { cacheValues: false });
          const B = { data: randomVector(300 * n, n + offset), rows: 300, cols: n };
          if (offset) B.data = offsetView(B.data, offset);
          const c0 = randomVector(200 * n, 5);
          const run = (plan: TransposePlan) => {
            const out = { data: offset ? offsetView(c0, offset) : c0.slice(), rows: 200, cols: n };
            return spmmT(A, B, { alpha, beta, plan, out }).data;
          };
          const saved = A.values.slice();
          const k = (n * 37 + offset) % A.nnz;
          const steps: [string, () => void, 'hit' | 'refill'][] = [
            ['first call', () => {}, 'refill'],
            ['same values', () => {}, 'hit'],
            ['one value changed', () => { A.values[k] = A.values[k] * 3 + 1; }, 'refill'],
            ['unchanged again', () => {}, 'hit'],
            // Equal as numbers, not as bits: the compare is bitwise, so the cache follows.
            ['a zero', () => { A.values[k] = 0; }, 'refill'],
            ['its sign', () => { A.values[k] = -0; }, 'refill'],
          ];
          let previous: Float32Array | null = null;
          for (const [step, change, use] of steps) {
            change();
            const got = run(cached);
            expect(lastUse(cached), `${what} ${step}: the cache`).toBe(use);
            expectSameBits(got, run(gathering), `${what} ${step}`);
            if (step === 'one value changed' && previous) expect(got.some((x, i) => x !== previous![i]), `${what}: the change shows`).toBe(true);
            previous = got;
          }
          expectClose(run(cached), referenceSpmm(transposeDense(A.toDense()), B, alpha, beta, c0), `${what} reference`);
          A.values.set(saved);
        }
      }
    }
  });
});

test('values changed at every call: the cache rests, the results stay right, and it is used again once they settle', () => {
  setThreads(2);
  const A = CSRMatrix.random(120, 90, { density: 0.2, seed: 3 });
  const plan = transposePlan(A), gathering = transposePlan(A, { cacheValues: false });
  const count = countUses(plan);
  const B = { data: randomVector(120 * 16, 2), rows: 120, cols: 16 };
  for (let step = 0; step < 200; step++) {
    A.values[step % A.nnz] += 0.25; // an optimizer step
    expectSameBits(spmmT(A, B, { plan }).data, spmmT(A, B, { plan: gathering }).data, `training step ${step}`);
  }
  // Two calls, rest 4, two tries, rest 16, two, rest 64, two, rest 256: 8 of 200.
  expect(count.uses).toBe(8);
  // Settled values (evaluation): within the longest rest and two tries, every call hits.
  let firstHit = -1;
  for (let call = 0; call < 270; call++) {
    expectSameBits(spmmT(A, B, { plan }).data, spmmT(A, B, { plan: gathering }).data, `settled call ${call}`);
    if (firstHit < 0 && lastUse(plan) === 'hit') firstHit = call;
  }
  expect(firstHit).toBeGreaterThanOrEqual(0);
  expect(firstHit).toBeLessThan(260);
  const before = count.uses;
  spmmT(A, B, { plan });
  expect(count.uses).toBe(before + 1);
  expect(lastUse(plan)).toBe('hit');
});

test('a call that fails leaves no half-written cache behind', async () => {
  setThreads(2);
  const A = CSRMatrix.random(200, 150, { density: 0.2, seed: 8 });
  for (const n of [1, 24]) {
    const plan = transposePlan(A), gathering = transposePlan(A, { cacheValues: false });
    const B = { data: randomVector(200 * n, 4), rows: 200, cols: n };
    spmmT(A, B, { plan });
    spmmT(A, B, { plan });
    expect(lastUse(plan)).toBe('hit');
    A.values[5] = 42; // changed values, so the next call refills...
    const saved = plan.indptr[40];
    plan.indptr[40] = plan.indptr[60] + 3; // ...and fails part way: a plan written after it was made
    expect(() => spmmT(A, B, { plan }), `n${n}`).toThrow(/spmmT: .*(not a valid CSR|transpose plan does not match)/);
    await expect(spmmTAsync(A, B, { plan }), `n${n} async`).rejects.toThrow(/spmmT: .*(not a valid CSR|transpose plan does not match)/);
    plan.indptr[40] = saved;
    expect(cacheOf(plan)!.state[0], 'the cache is marked empty').toBe(0);
    expectSameBits(spmmT(A, B, { plan }).data, spmmT(A, B, { plan: gathering }).data, `n${n} after the failures`);
    expect(lastUse(plan)).toBe('refill');
    // The first and last indptr entries too (no task would notice entries left out of every row).
    for (const at of [0, plan.indptr.length - 1]) {
      for (const p of [plan, gathering]) {
        const was = p.indptr[at];
        p.indptr[at] = at === 0 ? 1 : was - 1;
        expect(() => spmmT(A, B, { plan: p }), `n${n} indptr[${at}] cache ${p.cacheValues}`).toThrow(/transpose plan does not match/);
        p.indptr[at] = was;
      }
    }
    expectSameBits(spmmT(A, B, { plan }).data, spmmT(A, B, { plan: gathering }).data, `n${n} restored`);
  }
});

test('concurrent calls through one plan: one holds the cache, the others gather, all right', async () => {
  setThreads(2);
  setAsyncLimit(2);
  const W = CSRMatrix.random(300, 200, { density: 0.2, seed: 5 });
  const G = CSRMatrix.fromArrays(300, 200, W.indptr, W.indices, W.values.map((x) => -2 * x + 1));
  const plan = transposePlan(W);
  const count = countUses(plan);
  const B = { data: randomVector(300 * 40, 6), rows: 300, cols: 40 };
  const refW = referenceSpmm(transposeDense(W.toDense()), B, 1, 0), refG = referenceSpmm(transposeDense(G.toDense()), B, 1, 0);
  for (let round = 0; round < 10; round++) {
    const pending = spmmTAsync(W, B, { plan }); // holds the cache until it settles
    const g = spmmT(G, B, { plan }); // gathers
    const g2 = await spmmTAsync(G, B, { plan });
    expectClose((await pending).data, refW, `W round ${round}`);
    expectClose(g.data, refG, `G round ${round}`);
    expectClose(g2.data, refG, `G async round ${round}`);
  }
  expect(count.uses).toBeGreaterThan(0);
  expect((plan as unknown as { busy: boolean }).busy, 'released').toBe(false);
  // Released, the cache serves the next call again (W's values, which it holds or refills).
  const before = count.uses;
  expectClose(spmmT(W, B, { plan }).data, refW, 'W after the concurrent rounds');
  expect(count.uses).toBe(before + 1);
});

test('options are checked; no cache for an empty matrix, none when asked', () => {
  const A = CSRMatrix.random(20, 10, { density: 0.3, seed: 1 });
  expectSparseError(() => transposePlan(A, { cacheValues: 1 as never }), 'ERR_ARGUMENT', /options.cacheValues/);
  expectSparseError(() => transposePlan(A, { cache: true } as never), 'ERR_UNSUPPORTED', /Unknown option 'cache'/);
  expect(transposePlan(A).cacheValues).toBe(true);
  const off = transposePlan(A, { cacheValues: false });
  const B = { data: randomVector(20 * 4, 1), rows: 20, cols: 4 };
  spmmT(A, B, { plan: off });
  expect(cacheOf(off)).toBe(null);
  const empty = CSRMatrix.fromDense({ data: new Float32Array(20 * 10), rows: 20, cols: 10 });
  const p = transposePlan(empty);
  expect(Array.from(spmmT(empty, B, { plan: p }).data).every((x) => x === 0)).toBe(true);
  expect(cacheOf(p)).toBe(null);
  // alpha 0 reads no values: the cache is left as it was.
  const plan = transposePlan(A);
  spmmT(A, B, { plan });
  spmmT(A, B, { plan, alpha: 0 });
  expect(cacheOf(plan)!.state[1]).toBe(2);
  expect(cacheOf(plan)!.state[0]).toBe(1);
});
