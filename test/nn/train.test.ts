import { describe, expect, test } from 'vitest';
import { Adam, CSRMatrix, DenseMatrix, Mask, SparseLinear, sparseLinearNnz } from '../../lib/index';
import { expectSameBits, expectSparseError, randomDense, randomVector } from '../helpers';

/** float64 sum of Y ⊙ R: the loss whose gradient w.r.t. Y is R. */
function loss(y: DenseMatrix, r: Float32Array): number {
  let s = 0;
  for (let k = 0; k < r.length; k++) s += y.data[k] * r[k];
  return s;
}

/**
 * Checks a layer's backward against central finite differences of loss = sum(Y ⊙ R): dX, every entry of
 * `weights` (the trainable weight values) and the bias. The layers are linear, so the differences are exact up to
 * float32 rounding.
 */
function checkGradients(layer: { forward(x: DenseMatrix): DenseMatrix; backward(dy: DenseMatrix): DenseMatrix; weightGrad: Float32Array;
  bias: Float32Array | null; biasGrad: Float32Array | null }, weights: () => Float32Array, inF: number, outF: number): void {
  const x = { data: randomVector(inF * 3, 4), rows: inF, cols: 3 };
  const r = randomVector(outF * 3, 5);
  layer.forward(x);
  const dx = layer.backward({ data: r, rows: outF, cols: 3 });
  const eps = 1e-2;
  const numeric = (perturb: (d: number) => void) => {
    perturb(eps);
    const up = loss(layer.forward(x), r);
    perturb(-2 * eps);
    const down = loss(layer.forward(x), r);
    perturb(eps);
    return (up - down) / (2 * eps);
  };
  for (let k = 0; k < x.data.length; k++) expect(dx.data[k]).toBeCloseTo(numeric((d) => { x.data[k] += d; }), 3);
  const w = weights();
  for (let k = 0; k < w.length; k++) expect(layer.weightGrad[k]).toBeCloseTo(numeric((d) => { w[k] += d; }), 3);
  for (let i = 0; i < outF; i++) expect(layer.biasGrad![i]).toBeCloseTo(numeric((d) => { layer.bias![i] += d; }), 3);
}

describe('SparseLinear', () => {
  test('forward is W X + b against a dense reference (feature-major batches)', () => {
    const layer = new SparseLinear(37, 13, { density: 0.3, seed: 2 });
    expect(layer.weight.nnz).toBe(sparseLinearNnz(37, 13, 0.3));
    const x = { data: randomVector(37 * 9, 1), rows: 37, cols: 9 };
    const y = layer.forward(x);
    const W = layer.weight.toDense().data;
    for (let i = 0; i < 13; i++) {
      for (let b = 0; b < 9; b++) {
        let s = layer.bias![i];
        for (let j = 0; j < 37; j++) s += W[i * 37 + j] * x.data[j * 9 + b];
        expect(y.data[i * 9 + b]).toBeCloseTo(s, 4);
      }
    }
  });

  test('gradients match finite differences (input, stored weights, bias)', () => {
    const layer = new SparseLinear(7, 5, { density: 0.5, seed: 3 });
    checkGradients(layer, () => layer.weight.values, 7, 5);
  });

  test('the input gradient goes through a transpose plan without a value cache, also after setWeight', () => {
    // Training changes the weights at every step, so the plan's cache (two floats per weight) would go unused.
    const layer = new SparseLinear(40, 30, { density: 0.2, seed: 4, format: 'csr' });
    type Plan = { cacheValues: boolean; cache: unknown };
    const planOf = () => (layer as unknown as { plan: Plan }).plan;
    const x = { data: randomVector(40 * 8, 1), rows: 40, cols: 8 };
    const dy = { data: randomVector(30 * 8, 2), rows: 30, cols: 8 };
    for (let step = 0; step < 3; step++) {
      layer.forward(x);
      layer.backward(dy);
    }
    expect(planOf().cacheValues).toBe(false);
    expect(planOf().cache).toBe(null);
    const first = planOf();
    layer.setWeight(CSRMatrix.random(30, 40, { density: 0.1, seed: 9 }));
    layer.forward(x);
    layer.backward(dy);
    expect(planOf()).not.toBe(first);
    expect(planOf().cacheValues).toBe(false);
    expect(planOf().cache).toBe(null);
  });

  test('a pattern from a Mask is kept, values initialised, seeds reproduce', () => {
    const mask = Mask.fromDense(randomDense(6, 10, 0.4, 7));
    const layer = new SparseLinear(10, 6, { pattern: mask, seed: 1 });
    expect(layer.weight.indices).toEqual(mask.toCSR().indices);
    const again = new SparseLinear(10, 6, { pattern: mask, seed: 1 });
    expect(again.weight.values).toEqual(layer.weight.values);
    expectSparseError(() => new SparseLinear(10, 6, { pattern: Mask.empty(5, 10) }), 'ERR_SHAPE', /6x10 options.pattern but received 5x10/);
    expectSparseError(() => new SparseLinear(10, 6, { density: 0.5, sparsity: 0.5 }), 'ERR_ARGUMENT', /not both/);
    expectSparseError(() => layer.forward({ data: new Float32Array(9 * 2), rows: 9, cols: 2 }), 'ERR_SHAPE', /x.rows to be 10/);
    expectSparseError(() => new SparseLinear(10, 6).backward({ data: new Float32Array(12), rows: 6, cols: 2 }), 'ERR_ARGUMENT', /forward\(\) first/);
  });

  test('a short training run on a fixed problem drives the loss below a bound', () => {
    // Fit y = T x for a fixed sparse teacher T with a student of the same pattern; Adam, squared error.
    const teacher = CSRMatrix.random(8, 20, { density: 0.3, seed: 9 });
    const student = new SparseLinear(20, 8, { pattern: teacher, bias: false, seed: 4 });
    const opt = new Adam({ lr: 0.05 });
    const x = { data: randomVector(20 * 64, 10), rows: 20, cols: 64 };
    const target = teacher.toDense();
    const want = new Float32Array(8 * 64);
    for (let i = 0; i < 8; i++) for (let b = 0; b < 64; b++) {
      let s = 0;
      for (let j = 0; j < 20; j++) s += target.data[i * 20 + j] * x.data[j * 64 + b];
      want[i * 64 + b] = s;
    }
    let first = 0, last = 0;
    for (let step = 0; step < 300; step++) {
      const y = student.forward(x);
      const dy = new Float32Array(y.data.length);
      let l = 0;
      for (let k = 0; k < dy.length; k++) {
        const e = y.data[k] - want[k];
        l += e * e / dy.length;
        dy[k] = (2 * e) / dy.length;
      }
      if (step === 0) first = l;
      last = l;
      student.backward({ data: dy, rows: 8, cols: 64 });
      opt.step(student.params());
    }
    expect(first).toBeGreaterThan(0.05);
    expect(last).toBeLessThan(1e-4);
  });
});

describe('ReLU and softmax cross-entropy', () => {
  test('softmax cross-entropy: known value, gradient by finite differences, stable for large logits', async () => {
    const { softmaxCrossEntropy, ReLU } = await import('../../lib/index');
    // Two equal logits: loss log 2.
    expect(softmaxCrossEntropy({ data: Float32Array.of(3, 3), rows: 2, cols: 1 }, [0]).loss).toBeCloseTo(Math.log(2), 6);
    expect(Number.isFinite(softmaxCrossEntropy({ data: Float32Array.of(1000, -1000), rows: 2, cols: 1 }, [1]).loss)).toBe(true);
    const logits = { data: randomVector(4 * 3, 6), rows: 4, cols: 3 };
    const labels = [2, 0, 3];
    const { grad } = softmaxCrossEntropy(logits, labels);
    for (let k = 0; k < logits.data.length; k++) {
      const keep = logits.data[k];
      logits.data[k] = keep + 1e-2;
      const up = softmaxCrossEntropy(logits, labels).loss;
      logits.data[k] = keep - 1e-2;
      const down = softmaxCrossEntropy(logits, labels).loss;
      logits.data[k] = keep;
      expect(grad.data[k]).toBeCloseTo((up - down) / 2e-2, 3);
    }
    expectSparseError(() => softmaxCrossEntropy(logits, [0, 1]), 'ERR_SHAPE', /3 labels/);
    expectSparseError(() => softmaxCrossEntropy(logits, [0, 1, 4]), 'ERR_RANGE', /labels\[2\] = 4/);
    const relu = new ReLU();
    const y = relu.forward({ data: Float32Array.of(-1, 2, 0, 3), rows: 2, cols: 2 });
    expect(Array.from(y.data)).toEqual([0, 2, 0, 3]);
    expect(Array.from(relu.backward({ data: Float32Array.of(5, 6, 7, 8), rows: 2, cols: 2 }).data)).toEqual([0, 6, 0, 8]);
  });
});

describe('Linear (dense)', () => {
  test('gradients by finite differences, like SparseLinear', async () => {
    const { Linear } = await import('../../lib/index');
    const layer = new Linear(6, 4, { seed: 3 });
    checkGradients(layer, () => layer.weight.data, 6, 4);
  });
});

describe('native layer passes and Sequential buffers', () => {
  test('ReLU: NaN stays NaN, odd sizes and offset views against a scalar reference; in place; aliasing refused', async () => {
    const { ReLU } = await import('../../lib/index');
    const { offsetView } = await import('../helpers');
    for (const n of [1, 7, 33, 1000]) {
      const x = offsetView(randomVector(n, n), 3);
      x[0] = NaN;
      const relu = new ReLU();
      const y = relu.forward({ data: x, rows: 1, cols: n });
      for (let k = 0; k < n; k++) expect(Object.is(y.data[k], x[k] > 0 || Number.isNaN(x[k]) ? x[k] : 0)).toBe(true);
      const dy = offsetView(randomVector(n, n + 1), 1);
      const dx = relu.backward({ data: dy, rows: 1, cols: n });
      for (let k = 0; k < n; k++) expect(dx.data[k]).toBe(x[k] > 0 ? dy[k] : 0);
      expect(dx.data[0]).toBe(0); // no gradient through NaN
    }
    const relu = new ReLU();
    const x = { data: Float32Array.of(-1, 2, -3, 4), rows: 2, cols: 2 };
    expect(relu.forward(x, { out: x })).toBe(x);
    expect(Array.from(x.data)).toEqual([0, 2, 0, 4]);
    const dy = { data: Float32Array.of(1, 1, 1, 1), rows: 2, cols: 2 };
    expect(Array.from(relu.backward(dy).data)).toEqual([0, 1, 0, 1]); // the in-place output keeps the sign pattern
    const base = { data: new Float32Array(4), rows: 2, cols: 2 };
    const big = new Float32Array(5);
    expectSparseError(() => relu.forward({ data: big.subarray(0, 4), rows: 2, cols: 2 }, { out: { data: big.subarray(1, 5), rows: 2, cols: 2 } }), 'ERR_ARGUMENT', /options.out must not share memory with x/);
    expectSparseError(() => relu.forward(base, { out: { data: new Float32Array(3), rows: 1, cols: 3 } }), 'ERR_SHAPE', /options.out.rows to be 2/);
  });

  test('Linear forward with bias and backward bias gradient match a float64 reference at awkward widths', async () => {
    const { Linear } = await import('../../lib/index');
    for (const batch of [1, 5, 17]) {
      const layer = new Linear(9, 6, { seed: batch });
      const x = { data: randomVector(9 * batch, batch), rows: 9, cols: batch };
      const y = layer.forward(x);
      const dy = { data: randomVector(6 * batch, batch + 7), rows: 6, cols: batch };
      layer.backward(dy, { inputGradient: false });
      for (let i = 0; i < 6; i++) {
        let db = 0;
        for (let b = 0; b < batch; b++) {
          let s = layer.bias![i];
          for (let j = 0; j < 9; j++) s += layer.weight.data[i * 9 + j] * x.data[j * batch + b];
          expect(y.data[i * batch + b]).toBeCloseTo(s, 4);
          db += dy.data[i * batch + b];
        }
        expect(layer.biasGrad![i]).toBeCloseTo(db, 5);
      }
    }
  });

  test('a whole MLP (sparse, ReLU, dense, ReLU, sparse; softmax cross-entropy) matches finite differences of the loss', async () => {
    const { Linear, ReLU, Sequential, softmaxCrossEntropy } = await import('../../lib/index');
    const fc1 = new SparseLinear(12, 9, { density: 0.4, seed: 1 }), fc2 = new Linear(9, 7, { seed: 2 }), fc3 = new SparseLinear(7, 4, { density: 0.5, seed: 3 });
    const net = new Sequential([fc1, new ReLU(), fc2, new ReLU(), fc3]);
    const x = { data: randomVector(12 * 6, 8), rows: 12, cols: 6 };
    const labels = [0, 3, 1, 2, 3, 0];
    const lossOf = () => softmaxCrossEntropy(net.forward(x), labels).loss;
    const { grad } = softmaxCrossEntropy(net.forward(x), labels);
    const dx = net.backward(grad)!;
    const eps = 1e-3;
    const numeric = (a: Float32Array, k: number) => {
      const keep = a[k];
      a[k] = keep + eps;
      const up = lossOf();
      a[k] = keep - eps;
      const down = lossOf();
      a[k] = keep;
      return (up - down) / (2 * eps);
    };
    const grads: [Float32Array, Float32Array][] = [[x.data, dx.data.slice()]];
    for (const l of [fc1, fc2, fc3]) for (const p of l.params()) grads.push([p.value, p.grad.slice()]);
    let checked = 0;
    for (const [value, g] of grads) {
      for (let k = 0; k < value.length; k++, checked++) expect(g[k]).toBeCloseTo(numeric(value, k), 2);
    }
    expect(checked).toBeGreaterThan(150);
    expect(grads.some(([, g]) => g.some((e) => Math.abs(e) > 1e-2))).toBe(true);
  });

  test('Sequential returns new matrices though it reuses its buffers; inputGradient: false gives the same parameter gradients', async () => {
    const { Linear, ReLU, Sequential } = await import('../../lib/index');
    const make = () => new Sequential([new SparseLinear(10, 8, { density: 0.5, seed: 1 }), new ReLU(), new Linear(8, 3, { seed: 2 })]);
    const net = make(), other = make();
    const x1 = { data: randomVector(40, 1), rows: 10, cols: 4 }, x2 = { data: randomVector(40, 2), rows: 10, cols: 4 };
    const y1 = net.forward(x1), copy = y1.data.slice();
    const y2 = net.forward(x2);
    expect(y2.data).not.toBe(y1.data);
    expectSameBits(y1.data, copy);
    const dy = { data: randomVector(12, 3), rows: 3, cols: 4 }, dyCopy = dy.data.slice();
    const dx = net.backward(dy);
    expect(dx!.rows).toBe(10);
    expectSameBits(dy.data, dyCopy); // not modified
    other.forward(x2);
    expect(other.backward(dy, { inputGradient: false })).toBeNull();
    net.params().forEach((p, i) => expectSameBits(p.grad, other.params()[i].grad));
    // A different batch size reallocates the buffers and still gives the reference result.
    const x3 = { data: randomVector(70, 4), rows: 10, cols: 7 };
    const fresh = make();
    expectSameBits(net.forward(x3).data, fresh.forward(x3).data);
    expectSparseError(() => new Sequential([{} as never]), 'ERR_ARGUMENT', /layers\[0\] to have forward\(\) and backward\(\)/);
  });
});
