import { afterAll, describe, expect, test } from 'vitest';
import {
  blockPrune, constantSparsity, DenseMatrix, erkDensities, globalMagnitudePrune, iterativeSparsities, keptCount, Mask,
  magnitudePrune, nmPrune, oneShot, polynomialDecay, pruneReport, randomPrune, Rng, scorePrune, setThreads,
  taylorPrune, uniformDensities,
} from '../../lib/index';
import { expectSparseError } from '../helpers';

afterAll(() => setThreads(2));

/** Values from a small set so that ties are frequent. */
function tiedDense(rows: number, cols: number, seed: number, levels = 7): DenseMatrix {
  const rng = new Rng(seed);
  return { data: Float32Array.from({ length: rows * cols }, () => rng.nextInt(2 * levels + 1) - levels), rows, cols };
}

/** Reference: indices of the `keep` best scores, best first, ties to the lower index (a plain sort). */
function referenceKeep(scores: number[], keep: number): Set<number> {
  const order = scores.map((s, i) => [s, i] as [number, number]).sort((a, b) => (b[0] !== a[0] ? b[0] - a[0] : a[1] - b[1]));
  return new Set(order.slice(0, keep).map((x) => x[1]));
}

function maskSet(m: Mask): Set<number> {
  const out = new Set<number>();
  for (let k = 0; k < m.rows * m.cols; k++) if ((m.bits[k >>> 5] >>> (k & 31)) & 1) out.add(k);
  return out;
}

function expectSameSet(a: Set<number>, b: Set<number>, what: string): void {
  expect(a.size, `${what}: size`).toBe(b.size);
  for (const k of b) if (!a.has(k)) throw new Error(`${what}: index ${k} should be kept`);
}

describe.each([1, 2])('selection, threads %i', (threads) => {
  test('magnitudePrune (tensor, row, column) matches a sort-based reference, ties included', () => {
    setThreads(threads);
    for (const [rows, cols] of [[1, 1], [5, 7], [64, 33], [300, 700]] as [number, number][]) {
      const W = tiedDense(rows, cols, rows + cols);
      const abs = Array.from(W.data, Math.abs);
      for (const sparsity of [0, 0.1, 0.5, 0.9, 0.97, 1]) {
        const t = magnitudePrune(W, { sparsity });
        expectSameSet(maskSet(t), referenceKeep(abs, keptCount(rows * cols, sparsity)), `tensor ${rows}x${cols} s${sparsity}`);
        const r = magnitudePrune(W, { sparsity, scope: 'row' });
        const c = magnitudePrune(W, { sparsity, scope: 'column' });
        const rowRef = new Set<number>(), colRef = new Set<number>();
        for (let i = 0; i < rows; i++) {
          for (const j of referenceKeep(abs.slice(i * cols, (i + 1) * cols), keptCount(cols, sparsity))) rowRef.add(i * cols + j);
        }
        for (let j = 0; j < cols; j++) {
          const col = Array.from({ length: rows }, (_, i) => abs[i * cols + j]);
          for (const i of referenceKeep(col, keptCount(rows, sparsity))) colRef.add(i * cols + j);
        }
        expectSameSet(maskSet(r), rowRef, `row ${rows}x${cols} s${sparsity}`);
        expectSameSet(maskSet(c), colRef, `column ${rows}x${cols} s${sparsity}`);
      }
    }
  });

  test('taylor, score and global selection match their references', () => {
    setThreads(threads);
    const W = tiedDense(120, 90, 1), G = tiedDense(120, 90, 2);
    expectSameSet(maskSet(taylorPrune(W, G, { sparsity: 0.8 })), referenceKeep(Array.from(W.data, (w, k) => Math.abs(w * G.data[k])), keptCount(W.data.length, 0.8)), 'taylor');
    expectSameSet(maskSet(scorePrune(W, { sparsity: 0.6 })), referenceKeep(Array.from(W.data), keptCount(W.data.length, 0.6)), 'score (signed)');
    const Ws = [tiedDense(50, 40, 3), tiedDense(7, 300, 4), tiedDense(1, 1, 5)];
    const all = Ws.flatMap((w) => Array.from(w.data, Math.abs));
    const masks = globalMagnitudePrune(Ws, { sparsity: 0.75 });
    const got = new Set<number>();
    let offset = 0;
    masks.forEach((m, i) => {
      for (const k of maskSet(m)) got.add(offset + k);
      offset += Ws[i].data.length;
    });
    expectSameSet(got, referenceKeep(all, keptCount(all.length, 0.75)), 'global');
    // Normalised: each tensor's scores divided by its max |w| before the common threshold.
    const maxes = Ws.map((w) => Math.max(...Array.from(w.data, Math.abs)));
    const normalised = Ws.flatMap((w, i) => Array.from(w.data, (x) => Math.fround(Math.abs(x) * Math.fround(1 / maxes[i]))));
    const gotN = new Set<number>();
    offset = 0;
    globalMagnitudePrune(Ws, { sparsity: 0.75, normalize: 'max' }).forEach((m, i) => {
      for (const k of maskSet(m)) gotN.add(offset + k);
      offset += Ws[i].data.length;
    });
    expectSameSet(gotN, referenceKeep(normalised, keptCount(all.length, 0.75)), 'global, max-normalised');
  });

  test('large tensors (several chunks, the candidate path) give exact counts and the right threshold', () => {
    setThreads(threads);
    const rng = new Rng(11);
    const W = { data: Float32Array.from({ length: 400_000 }, () => (rng.next() - 0.5) * (rng.next() < 0.01 ? 100 : 1)), rows: 500, cols: 800 };
    const m = magnitudePrune(W, { sparsity: 0.9 });
    expect(m.count()).toBe(40_000);
    const sorted = Array.from(W.data, Math.abs).sort((a, b) => b - a);
    const kept = maskSet(m);
    let minKept = Infinity, maxPruned = -Infinity;
    for (let k = 0; k < W.data.length; k++) {
      if (kept.has(k)) minKept = Math.min(minKept, Math.abs(W.data[k]));
      else maxPruned = Math.max(maxPruned, Math.abs(W.data[k]));
    }
    expect(minKept).toBe(sorted[39_999]);
    expect(maxPruned).toBeLessThanOrEqual(minKept);
  });
});

describe('selection fallback', () => {
  test('when the sampled bracket misses, the histogram select still gives the exact answer', () => {
    // The native sample reads element floor(q * n / 16384) for q < 16384 (select.cc, kSamples). Zeroing exactly
    // those elements makes the sample see only zeros, so far more than `keep` elements lie above its bracket and
    // the fast path must give up; the result must still match the sort-based reference.
    const n = 400_000;
    const rng = new Rng(21);
    const W = { data: Float32Array.from({ length: n }, () => rng.next() + 0.001), rows: 400, cols: 1000 };
    for (let q = 0; q < 16384; q++) W.data[Math.floor((q * n) / 16384)] = 0;
    for (const threads of [1, 2]) {
      setThreads(threads);
      const m = magnitudePrune(W, { sparsity: 0.9 });
      expectSameSet(maskSet(m), referenceKeep(Array.from(W.data), keptCount(n, 0.9)), `fallback, threads ${threads}`);
    }
  });
});

describe('pruning methods', () => {
  test('rounding: round(sparsity * n) pruned, half up', () => {
    expect(keptCount(5, 0.5)).toBe(2);
    expect(keptCount(10, 0.25)).toBe(7);
    expect(keptCount(3, 1 / 3)).toBe(2);
    expect(magnitudePrune(tiedDense(1, 5, 1), { sparsity: 0.5 }).count()).toBe(2);
  });

  test('NaN is refused unless pruned; Infinity ranks first; inputs are not changed', () => {
    const W = { data: Float32Array.of(1, NaN, -3, Infinity, 0.5, -0.25), rows: 2, cols: 3 };
    const copy = W.data.slice();
    expectSparseError(() => magnitudePrune(W, { sparsity: 0.5 }), 'ERR_RANGE', /1 NaN value\(s\); pass \{ nan: 'prune' \}/);
    expectSparseError(() => magnitudePrune(W, { sparsity: 0.5, scope: 'row' }), 'ERR_RANGE', /NaN/);
    expectSparseError(() => nmPrune(W, { n: 1, m: 3 }), 'ERR_RANGE', /NaN/);
    expect([...maskSet(magnitudePrune(W, { sparsity: 0.5, nan: 'prune' }))].sort()).toEqual([0, 2, 3]);
    expect([...maskSet(magnitudePrune(W, { sparsity: 5 / 6, nan: 'prune' }))]).toEqual([3]);
    expect(W.data).toEqual(copy);
    expectSparseError(() => magnitudePrune(W, { sparsity: 0.5, nan: 'keep' as never }), 'ERR_UNSUPPORTED', /'error' or 'prune'/);
    expectSparseError(() => magnitudePrune(W, { sparsity: 1.5 }), 'ERR_RANGE', /options.sparsity/);
    expectSparseError(() => magnitudePrune(W, { sparsity: 0.5, scope: 'block' as never }), 'ERR_UNSUPPORTED', /options.scope/);
    expectSparseError(() => taylorPrune(W, { data: new Float32Array(6), rows: 3, cols: 2 }, { sparsity: 0.5 }), 'ERR_SHAPE', /G.rows to be 2/);
  });

  test('randomPrune keeps exactly the count, reproducibly, spread over the tensor', () => {
    for (const s of [0, 0.3, 0.9, 1]) expect(randomPrune({ rows: 31, cols: 17 }, { sparsity: s, seed: 1 }).count()).toBe(keptCount(527, s));
    const a = randomPrune({ rows: 100, cols: 100 }, { sparsity: 0.9, seed: 5 });
    expect(randomPrune({ rows: 100, cols: 100 }, { sparsity: 0.9, seed: 5 }).bits).toEqual(a.bits);
    expect(randomPrune({ rows: 100, cols: 100 }, { sparsity: 0.9, seed: 6 }).bits).not.toEqual(a.bits);
    let firstHalf = 0;
    for (const k of maskSet(a)) if (k < 5000) firstHalf++;
    expect(Math.abs(firstHalf - 500)).toBeLessThan(100); // ~ binomial spread, a failure here is far beyond 4 sigma
  });

  test('nmPrune keeps the n largest |w| of every group (ties: lower column), cols not a multiple of m', () => {
    for (const [n, m] of [[2, 4], [1, 4], [2, 8], [4, 8], [3, 5]]) {
      const W = tiedDense(9, 13, n * 10 + m, 3);
      const A = nmPrune(W, { n, m });
      const d = A.toDense().data;
      for (let i = 0; i < 9; i++) {
        for (let g = 0; g * m < 13; g++) {
          const cols = Array.from({ length: Math.min(m, 13 - g * m) }, (_, q) => g * m + q);
          const keep = referenceKeep(cols.map((j) => Math.abs(W.data[i * 13 + j])), n);
          for (const [q, j] of cols.entries()) expect(d[i * 13 + j], `${n}:${m} row ${i} col ${j}`).toBe(keep.has(q) ? W.data[i * 13 + j] : 0);
        }
      }
    }
    expectSparseError(() => nmPrune(tiedDense(2, 4, 1), { n: 5, m: 4 }), 'ERR_RANGE', /options.n/);
  });

  test('blockPrune keeps exactly the blocks with the largest norms', () => {
    const W = tiedDense(10, 14, 3); // 4x4 blocks: 3 x 4 blocks, edge blocks partial
    for (const norm of ['l1', 'l2'] as const) {
      const B = blockPrune(W, { block: [4, 4], sparsity: 0.5, norm });
      expect(B.blocks).toBe(6);
      const norms: number[] = [];
      for (let bi = 0; bi < 3; bi++) for (let bj = 0; bj < 4; bj++) {
        let s = 0;
        for (let i = bi * 4; i < Math.min(10, bi * 4 + 4); i++) for (let j = bj * 4; j < Math.min(14, bj * 4 + 4); j++) {
          const x = W.data[i * 14 + j];
          s += norm === 'l2' ? x * x : Math.abs(x);
        }
        norms.push(s);
      }
      const keep = referenceKeep(norms, 6);
      const d = B.toDense().data;
      for (let i = 0; i < 10; i++) for (let j = 0; j < 14; j++) {
        expect(d[i * 14 + j]).toBe(keep.has(((i / 4) | 0) * 4 + ((j / 4) | 0)) ? W.data[i * 14 + j] : 0);
      }
    }
  });
});

describe('schedules and budgets', () => {
  test('polynomialDecay at the documented points', () => {
    const s = polynomialDecay({ initialSparsity: 0.1, finalSparsity: 0.9, beginStep: 100, endStep: 1100, frequency: 100 });
    expect(s(0)).toBe(0.1); // before
    expect(s(100)).toBe(0.1); // begin
    expect(s(1100)).toBe(0.9); // end
    expect(s(5000)).toBe(0.9); // after
    expect(s(600)).toBeCloseTo(0.9 - 0.8 * 0.5 ** 3, 12); // halfway, cubic
    expect(s(650)).toBe(s(600)); // held between pruning steps
    expect(s.shouldPrune(600)).toBe(true);
    expect(s.shouldPrune(650)).toBe(false);
    expect(s.shouldPrune(1200)).toBe(false);
    expect(polynomialDecay({ initialSparsity: 0, finalSparsity: 0.8, beginStep: 0, endStep: 10, power: 1 })(5)).toBeCloseTo(0.4, 12);
    expectSparseError(() => polynomialDecay({ initialSparsity: 0, finalSparsity: 0.8, beginStep: 10, endStep: 10 }), 'ERR_RANGE', /endStep/);
    expectSparseError(() => s(-1), 'ERR_RANGE', /step/);
  });

  test('constantSparsity, oneShot and iterative (lottery-ticket) sparsities', () => {
    const c = constantSparsity({ sparsity: 0.8, beginStep: 10, frequency: 5 });
    expect([c(9), c(10), c(1e6)]).toEqual([0, 0.8, 0.8]);
    expect([c.shouldPrune(10), c.shouldPrune(12), c.shouldPrune(15)]).toEqual([true, false, true]);
    const o = oneShot({ sparsity: 0.5, step: 3 });
    expect([o(2), o(3), o.shouldPrune(3), o.shouldPrune(4)]).toEqual([0, 0.5, true, false]);
    const r = iterativeSparsities({ finalSparsity: 0.9, rounds: 4 });
    expect(r[3]).toBe(0.9);
    const alive = [1, ...r.map((x) => 1 - x)];
    for (let k = 1; k < alive.length; k++) expect(alive[k] / alive[k - 1]).toBeCloseTo(Math.pow(0.1, 1 / 4), 12);
  });

  test('uniform and ERK densities keep exactly the target total; ERK makes small layers dense', () => {
    const shapes = [[784, 300], [300, 100], [100, 10]];
    const sizes = shapes.map(([a, b]) => a * b);
    const total = sizes.reduce((a, b) => a + b, 0);
    for (const s of [0.5, 0.8, 0.9, 0.99]) {
      for (const d of [uniformDensities(shapes, s), erkDensities(shapes, s), uniformDensities(shapes, s, { dense: [2] })]) {
        expect(d.reduce((a, x, i) => a + x * sizes[i], 0)).toBeCloseTo((1 - s) * total, 6);
        for (const x of d) expect(x).toBeLessThanOrEqual(1);
      }
    }
    const erk = erkDensities(shapes, 0.9);
    expect(erk[2]).toBe(1); // 100x10 would exceed density 1: kept dense, the rest rescaled
    expect(erk[0]).toBeLessThan(erk[1]);
    // ERK proportions between non-dense layers: (sum of dims) / (product of dims).
    expect(erk[0] / erk[1]).toBeCloseTo((1084 / 235200) / (400 / 30000), 10);
    expectSparseError(() => uniformDensities(shapes, 0.99, { dense: [0] }), 'ERR_RANGE', /cannot be met/);
  });

  test('pruneReport sums per-tensor kept counts', () => {
    const W = tiedDense(10, 10, 1);
    const m = magnitudePrune(W, { sparsity: 0.7 });
    const r = pruneReport({ a: m, b: nmPrune(tiedDense(4, 8, 2, 100), { n: 2, m: 4 }) });
    expect(r.layers[0]).toEqual({ name: 'a', size: 100, kept: 30, sparsity: 0.7 });
    expect(r.layers[1].kept).toBe(16);
    expect(r.total).toEqual({ size: 132, kept: 46, sparsity: 1 - 46 / 132 });
  });
});
