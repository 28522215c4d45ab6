// The products of SparseLinear and Linear run in the form the planner chooses ('auto') or a pinned one; every form
// gives the same layer (against a float64 dense reference), and a weight change makes the layer plan again.
import { describe, expect, test } from 'vitest';
import { clearPlans, CSRMatrix, DenseMatrix, Linear, magnitudePrune, Mask, SparseLinear } from '../../lib/index';
import { expectClose, expectRelClose, expectSameBits, expectSparseError, randomDense, referenceSpmm } from '../helpers';

function transposeOf(m: DenseMatrix): DenseMatrix {
  const t = { data: new Float32Array(m.rows * m.cols), rows: m.cols, cols: m.rows };
  for (let i = 0; i < m.rows; i++) for (let j = 0; j < m.cols; j++) t.data[j * m.rows + i] = m.data[i * m.cols + j];
  return t;
}

describe('SparseLinear formats', () => {
  test("'auto', 'csr' and 'dense' compute the same forward, input gradient and weight gradient", () => {
    clearPlans();
    const x = randomDense(60, 9, 1, 1), dy = randomDense(40, 9, 1, 2);
    const layers = (['auto', 'csr', 'dense'] as const).map((format) => new SparseLinear(60, 40, { density: 0.3, seed: 5, format }));
    const W = layers[0].weight.toDense();
    const ref = referenceSpmm(W, x, 1, 0), refT = referenceSpmm(transposeOf(W), dy, 1, 0);
    for (const l of layers) {
      const y = l.forward(x);
      // y = W x + b: compare W x with the reference after taking the bias off.
      const wx = y.data.map((v, k) => v - (l.bias as Float32Array)[Math.floor(k / 9)]);
      expectRelClose(wx, ref.value, 1e-5, `${l.productFormat?.format} forward`);
      expectClose(l.backward(dy).data, refT, `${l.productFormat?.format} input gradient`);
    }
    expectSameBits(layers[1].weightGrad, layers[0].weightGrad, 'auto vs csr weight gradient (SDDMM either way)');
    expectSameBits(layers[2].weightGrad, layers[0].weightGrad, 'dense vs csr weight gradient');
    expect(layers[1].productFormat).toEqual({ format: 'csr', threads: 0 });
    expect(layers[2].productFormat).toEqual({ format: 'dense', threads: 0 });
    expect(['csr', 'dense']).toContain(layers[0].productFormat?.format);
  });

  test("a dense-form layer follows its weight's values (the copy is refreshed) and a new weight replans", () => {
    const l = new SparseLinear(20, 10, { density: 0.5, seed: 3, format: 'dense', bias: false });
    const x = randomDense(20, 4, 1, 4);
    l.forward(x);
    l.weight.values.forEach((_, k) => (l.weight.values[k] *= 2)); // what an optimizer step does
    expectClose(l.forward(x).data, referenceSpmm(l.weight.toDense(), x, 1, 0), 'after the values changed');
    const auto = new SparseLinear(20, 10, { density: 0.5, seed: 3 });
    auto.forward(x);
    expect(auto.productFormat).not.toBeNull();
    auto.setWeight(CSRMatrix.fromDense(randomDense(10, 20, 0.2, 9)));
    expect(auto.productFormat).toBeNull();
    expectClose(auto.forward(x).data.map((v, k) => v - (auto.bias as Float32Array)[Math.floor(k / 4)]), referenceSpmm(auto.weight.toDense(), x, 1, 0), 'after setWeight');
    expectSparseError(() => new SparseLinear(4, 4, { format: 'coo' as never }), 'ERR_UNSUPPORTED', /options\.format/);
  });
});

describe('Linear formats and prune()', () => {
  test("a pruned Linear computes the same in 'csr', 'dense' and 'auto'; prune() zeroes outside the mask and replans", () => {
    const x = randomDense(50, 7, 1, 1), dy = randomDense(30, 7, 1, 2);
    const layers = (['auto', 'csr', 'dense'] as const).map((format) => new Linear(50, 30, { seed: 4, format, bias: false }));
    const mask = magnitudePrune(layers[0].weight, { sparsity: 0.9 });
    for (const l of layers) {
      l.forward(x);
      expect(l.prune(mask)).toBe(l);
      if (l === layers[0]) expect(l.productFormat).toBeNull();
    }
    const W = layers[0].weight;
    expect(Mask.fromDense(W).count()).toBe(mask.count());
    const ref = referenceSpmm(W, x, 1, 0), refT = referenceSpmm(transposeOf(W), dy, 1, 0);
    for (const l of layers) {
      expectClose(l.forward(x).data, ref, `${l.productFormat?.format} forward`);
      expectClose(l.backward(dy).data, refT, `${l.productFormat?.format} input gradient`);
    }
    expect(layers[1].productFormat?.format).toBe('csr');
    expectSparseError(() => layers[0].prune(Mask.full(3, 3)), 'ERR_SHAPE', /30x50 mask but received 3x3/);
    expectSparseError(() => layers[0].prune({} as never), 'ERR_ARGUMENT', /mask/);
  });
});
