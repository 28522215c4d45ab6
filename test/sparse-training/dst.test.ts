import { describe, expect, test } from 'vitest';
import { Adam, CSRMatrix, RigL, SET, SparseLinear } from '../../lib/index';
import { addon } from '../../lib/core/binding';
import { expectSameBits, expectSparseError, randomVector } from '../helpers';

function positions(W: CSRMatrix): Map<number, number> {
  const m = new Map<number, number>();
  for (let i = 0; i < W.rows; i++) for (let q = W.indptr[i]; q < W.indptr[i + 1]; q++) m.set(i * W.cols + W.indices[q], q);
  return m;
}

describe('SET and RigL', () => {
  test('schedule: cosine-annealed drop fraction, updates every N steps before endStep', () => {
    const r = new RigL({ dropFraction: 0.3, updateEvery: 10, endStep: 100 });
    expect(r.dropFractionAt(0)).toBeCloseTo(0.3, 12);
    expect(r.dropFractionAt(50)).toBeCloseTo(0.15, 12);
    expect(r.dropFractionAt(100)).toBe(0);
    expect([r.shouldUpdate(0), r.shouldUpdate(10), r.shouldUpdate(15), r.shouldUpdate(100)]).toEqual([false, true, false, false]);
    expect(new SET({ anneal: 'constant', endStep: 10 }).dropFractionAt(5)).toBe(0.3);
    expectSparseError(() => new SET({ endStep: 10, anneal: 'linear' as never }), 'ERR_UNSUPPORTED', /options.anneal/);
  });

  test.each(['SET', 'RigL'])('%s keeps nnz exactly, a valid sorted pattern, zero regrown weights and reset state over many updates', (kind) => {
    const layer = new SparseLinear(40, 30, { density: 0.2, seed: 1 });
    const opt = new Adam({ lr: 0.01 });
    const updater = kind === 'SET' ? new SET({ dropFraction: 0.3, endStep: 1000, seed: 3 }) : new RigL({ dropFraction: 0.3, endStep: 1000 });
    const nnz = layer.weight.nnz;
    const x = { data: randomVector(40 * 16, 1), rows: 40, cols: 16 };
    for (let step = 1; step <= 12; step++) {
      const y = layer.forward(x);
      const dy = { data: randomVector(y.data.length, step), rows: 30, cols: 16 };
      layer.backward(dy);
      opt.step(layer.params());
      const before = layer.weight;
      const oldPos = positions(before);
      const oldM = opt.state(layer.params()[0]).m!.slice();
      const { dropped, grown } = updater.update(layer, 100, { x, dy, optimizer: opt });
      const after = layer.weight;
      expect(dropped).toBe(grown);
      expect(dropped).toBe(Math.round(updater.dropFractionAt(100) * nnz));
      expect(after.nnz).toBe(nnz);
      expect(() => CSRMatrix.fromArrays(after.rows, after.cols, after.indptr, after.indices, after.values)).not.toThrow();
      const m = opt.state(layer.params()[0]).m!;
      expect(layer.params()[0].value).toBe(after.values);
      // Every entry is either carried over (value and optimizer state unchanged) or regrown (both zero). A weight
      // dropped at this update may be regrown, and then starts again from zero.
      let regrown = 0;
      for (const [pos, q] of positions(after)) {
        const old = oldPos.get(pos);
        const carried = old !== undefined && after.values[q] === before.values[old] && m[q] === oldM[old];
        if (!carried) {
          expect(after.values[q]).toBe(0);
          expect(m[q]).toBe(0);
          regrown++;
        }
      }
      expect(regrown).toBeLessThanOrEqual(dropped);
    }
  });

  test('SET is reproducible from its seed', () => {
    const run = () => {
      const layer = new SparseLinear(20, 10, { density: 0.3, seed: 5 });
      const set = new SET({ endStep: 100, seed: 9 });
      set.update(layer, 10);
      set.update(layer, 20);
      return layer.weight.indices;
    };
    expect(run()).toEqual(run());
  });

  test('RigL grows where the dense gradient is largest', () => {
    // One output, 6 inputs; weights on inputs 0-2. The gradient dy xᵀ is largest at inputs 4 and 5.
    const pattern = CSRMatrix.fromArrays(1, 6, Int32Array.of(0, 3), Int32Array.of(0, 1, 2), Float32Array.of(0.01, 5, 3));
    const layer = new SparseLinear(6, 1, { pattern, bias: false });
    layer.weight.values.set([0.01, 5, 3]);
    const x = { data: Float32Array.of(1, 1, 1, 0.1, 8, 9), rows: 6, cols: 1 };
    const dy = { data: Float32Array.of(1), rows: 1, cols: 1 };
    const rigl = new RigL({ dropFraction: 1 / 3, anneal: 'constant', endStep: 10 });
    expect(rigl.update(layer, 1, { x, dy })).toEqual({ dropped: 1, grown: 1 });
    expect(Array.from(layer.weight.indices)).toEqual([1, 2, 5]); // |w| = 0.01 dropped, input 5 (|g| = 9) grown
    expect(Array.from(layer.weight.values)).toEqual([5, 3, 0]);
    expectSparseError(() => rigl.update(layer, 1), 'ERR_ARGUMENT', /after backward\(\), or pass \{ x, dy \}/);
  });

  test('RigL defaults to the input and output gradient the layer kept from its last forward and backward', () => {
    const make = () => new SparseLinear(12, 7, { density: 0.25, seed: 4 });
    const a = make(), b = make();
    const x = { data: randomVector(12 * 5, 1), rows: 12, cols: 5 }, dy = { data: randomVector(7 * 5, 2), rows: 7, cols: 5 };
    a.forward(x);
    a.backward(dy);
    new RigL({ dropFraction: 0.5, anneal: 'constant', endStep: 10 }).update(a, 1);
    new RigL({ dropFraction: 0.5, anneal: 'constant', endStep: 10 }).update(b, 1, { x, dy });
    expect(Array.from(a.weight.indices)).toEqual(Array.from(b.weight.indices));
    expectSameBits(a.weight.values, b.weight.values);
  });
});

/**
 * Scalar reference of one drop-and-grow: keep the nnz - k largest |w| (ties: lower entry index), then grow the k
 * largest scores (by |score| when abs) among the positions not kept (ties: lower position).
 */
function referenceRegrow(W: CSRMatrix, k: number, scores: Float32Array, abs: boolean): { indices: number[]; values: number[]; indptr: number[] } {
  const entries: { pos: number; v: number; q: number }[] = [];
  for (let i = 0; i < W.rows; i++) for (let q = W.indptr[i]; q < W.indptr[i + 1]; q++) entries.push({ pos: i * W.cols + W.indices[q], v: W.values[q], q });
  const kept = [...entries].sort((a, b) => Math.abs(b.v) - Math.abs(a.v) || a.q - b.q).slice(0, entries.length - k);
  const keptAt = new Map(kept.map((e) => [e.pos, e.v]));
  const free = [];
  for (let pos = 0; pos < W.rows * W.cols; pos++) if (!keptAt.has(pos)) free.push(pos);
  const score = (pos: number) => (abs ? Math.abs(scores[pos]) : scores[pos]);
  const grown = new Set(free.sort((a, b) => score(b) - score(a) || a - b).slice(0, k));
  const indptr = [0], indices: number[] = [], values: number[] = [];
  for (let i = 0; i < W.rows; i++) {
    for (let j = 0; j < W.cols; j++) {
      const pos = i * W.cols + j;
      if (keptAt.has(pos) || grown.has(pos)) {
        indices.push(j);
        values.push(keptAt.get(pos) ?? 0);
      }
    }
    indptr.push(indices.length);
  }
  return { indices, values, indptr };
}

describe('the native drop-and-grow step', () => {
  test.each([[1, 1, 1], [1, 17, 0.5], [9, 1, 0.4], [13, 37, 0.2], [40, 33, 0.9]])('matches the scalar reference on %ix%i at density %f', (rows, cols, density) => {
    for (const abs of [false, true]) {
      for (const frac of [0, 0.3, 1]) {
        const W = CSRMatrix.random(rows, cols, { density, seed: rows * cols });
        W.values.set(randomVector(W.nnz, 3).map((x) => Math.round(x * 4) / 4)); // ties on purpose
        const scores = randomVector(rows * cols, 5).map((x) => Math.round(x * 8) / 8);
        const k = Math.round(frac * W.nnz);
        const want = referenceRegrow(W, k, scores, abs);
        const indptr = new Int32Array(rows + 1), indices = new Int32Array(W.nnz), values = new Float32Array(W.nnz), from = new Int32Array(W.nnz);
        addon.regrowCsr(rows, cols, W.indptr, W.indices, W.values, k, scores.slice(), abs, indptr, indices, values, from);
        expect(Array.from(indptr)).toEqual(want.indptr);
        expect(Array.from(indices)).toEqual(want.indices);
        expect(Array.from(values)).toEqual(want.values);
        for (let e = 0; e < W.nnz; e++) if (from[e] >= 0) expect(W.values[from[e]]).toBe(values[e]);
      }
    }
  });

  test('the native layer re-checks the weight structure and refuses NaN scores, writing nothing to the layer', () => {
    const out = (): [Int32Array, Int32Array, Float32Array, Int32Array] => [new Int32Array(3), new Int32Array(3), new Float32Array(3), new Int32Array(3)];
    const scores = new Float32Array(8);
    expectSparseError(() => addon.regrowCsr(2, 4, Int32Array.of(0, 2, 3), Int32Array.of(1, 9, 0), new Float32Array(3), 1, scores, true, ...out()), 'ERR_RANGE', /indices\[1\] = 9 is out of range/);
    expectSparseError(() => addon.regrowCsr(2, 4, Int32Array.of(0, 2, 3), Int32Array.of(2, 1, 0), new Float32Array(3), 1, scores, true, ...out()), 'ERR_FORMAT', /not strictly increasing/);
    expectSparseError(() => addon.regrowCsr(2, 4, Int32Array.of(0, 5, 3), Int32Array.of(0, 1, 0), new Float32Array(3), 1, scores, true, ...out()), 'ERR_FORMAT', /indptr\[1\] = 5/);
    expectSparseError(() => addon.regrowCsr(2, 4, Int32Array.of(0, 2, 3), Int32Array.of(0, 1, 0), new Float32Array(3), 4, scores, true, ...out()), 'ERR_RANGE', /k must be/);
    const o = out();
    expectSparseError(() => addon.regrowCsr(2, 4, Int32Array.of(0, 2, 3), Int32Array.of(0, 1, 0), new Float32Array(3), 1, scores, true, o[0], o[0], o[2], o[3]), 'ERR_ARGUMENT', /must not share memory/);
    const layer = new SparseLinear(6, 4, { density: 0.5, seed: 1 });
    const before = layer.weight;
    layer.forward({ data: randomVector(12, 1), rows: 6, cols: 2 });
    layer.backward({ data: Float32Array.of(NaN, 1, 1, 1, 1, 1, 1, 1), rows: 4, cols: 2 });
    expectSparseError(() => new RigL({ endStep: 10, anneal: 'constant' }).update(layer, 1), 'ERR_RANGE', /NaN/);
    expect(layer.weight).toBe(before);
  });
});

describe('gradual magnitude pruning during training', () => {
  test('pruneLayer follows a polynomialDecay schedule from dense to 90%, keeping the largest weights and their state', async () => {
    const { polynomialDecay, pruneLayer, keptCount } = await import('../../lib/index');
    const layer = new SparseLinear(30, 20, { density: 1, seed: 2 });
    const opt = new Adam({ lr: 0.01 });
    const x = { data: randomVector(30 * 8, 3), rows: 30, cols: 8 };
    const schedule = polynomialDecay({ initialSparsity: 0, finalSparsity: 0.9, beginStep: 0, endStep: 40, frequency: 10 });
    for (let step = 0; step <= 50; step++) {
      const y = layer.forward(x);
      layer.backward({ data: randomVector(y.data.length, step), rows: 20, cols: 8 });
      opt.step(layer.params());
      if (!schedule.shouldPrune(step)) continue;
      const before = layer.weight, oldM = opt.state(layer.params()[0]).m!.slice();
      const target = keptCount(600, schedule(step));
      pruneLayer(layer, schedule(step), { optimizer: opt });
      const after = layer.weight;
      expect(after.nnz).toBe(Math.min(target, before.nnz));
      expect(() => CSRMatrix.fromArrays(after.rows, after.cols, after.indptr, after.indices, after.values)).not.toThrow();
      // Every kept |w| is at least every dropped |w|; kept entries keep their Adam state.
      const old = positions(before), now = positions(after);
      let minKept = Infinity, maxDropped = 0;
      for (const [pos, q] of old) {
        const k = now.get(pos);
        if (k === undefined) maxDropped = Math.max(maxDropped, Math.abs(before.values[q]));
        else {
          minKept = Math.min(minKept, Math.abs(before.values[q]));
          expect(opt.state(layer.params()[0]).m![k]).toBe(oldM[q]);
        }
      }
      expect(maxDropped).toBeLessThanOrEqual(minKept);
    }
    expect(layer.weight.nnz).toBe(keptCount(600, 0.9));
    expect(layer.weightGrad.length).toBe(layer.weight.nnz);
  });
});
