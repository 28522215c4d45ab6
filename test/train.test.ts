import { describe, expect, test } from 'vitest';
import { Adam, CSRMatrix, DenseMatrix, Mask, SparseLinear, sparseLinearNnz } from '../lib/index';
import { expectSparseError, randomDense, randomVector } from './helpers';

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
    const { softmaxCrossEntropy, ReLU } = await import('../lib/index');
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
    const { Linear } = await import('../lib/index');
    const layer = new Linear(6, 4, { seed: 3 });
    checkGradients(layer, () => layer.weight.data, 6, 4);
  });
});
