import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, test } from 'vitest';
import {
  CSRMatrix,
  denseMatrix,
  importCompressedTensorsFile,
  importOnnx,
  importOnnxFile,
  importSafetensorsFile,
  InferenceModel,
  ModelSpec,
  NMMatrix,
  OnnxModel,
} from '../../lib/index';
import { addon } from '../../lib/core/binding';
import { expectSparseError } from '../helpers';

// test/fixtures/models: the 784-300-100-10 MNIST MLP trained and pruned by PyTorch (scripts/fixtures/
// make-model-fixtures.py) at 90% unstructured (mlp90) and 2:4 (mlp24), with PyTorch's logits for 16 test digits.
const dir = path.join(__dirname, '..', 'fixtures', 'models');
const spec: ModelSpec = {
  layers: [
    { type: 'linear', weight: '0.weight', bias: '0.bias' },
    { type: 'relu' },
    { type: 'linear', weight: '2.weight', bias: '2.bias' },
    { type: 'relu' },
    { type: 'linear', weight: '4.weight', bias: '4.bias' },
  ],
};
// Small planning budget: the tests check results, not the choice.
const opts = { width: 16, plan: { budgetMs: 1 } };

function expectMatches(got: Float32Array, want: Float32Array, what: string): void {
  expect(got.length, what).toBe(want.length);
  let worst = 0;
  for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]) / Math.max(1, Math.abs(want[i])));
  expect(worst, `${what}: worst relative difference from PyTorch`).toBeLessThanOrEqual(1e-5);
}

describe('InferenceModel on PyTorch models', () => {
  for (const name of ['mlp90', 'mlp24']) {
    test(`${name}: safetensors, compressed-tensors and ONNX give PyTorch's logits within 1e-5`, async () => {
      const ref = importSafetensorsFile(path.join(dir, `${name}-ref.safetensors`));
      const x = denseMatrix(16, 784, ref.x.data as Float32Array);
      const y = ref.y.data as Float32Array;
      const ct = importCompressedTensorsFile(path.join(dir, `${name}-ct.safetensors`));
      expect(ct['0.weight']).toBeInstanceOf(name === 'mlp90' ? CSRMatrix : NMMatrix);
      const models = {
        safetensors: InferenceModel.fromSpec(spec, importSafetensorsFile(path.join(dir, `${name}.safetensors`)), opts),
        'compressed-tensors': InferenceModel.fromSpec(spec, ct, opts),
        onnx: InferenceModel.fromOnnx(importOnnxFile(path.join(dir, `${name}.onnx`)), opts),
      };
      const before = x.data.slice();
      for (const [how, m] of Object.entries(models)) {
        expect([m.inFeatures, m.outFeatures]).toEqual([784, 10]);
        expect(m.describe().map((l) => l.type)).toEqual(['linear', 'relu', 'linear', 'relu', 'linear']);
        const out = m.predict(x);
        expect([out.rows, out.cols]).toEqual([16, 10]);
        expectMatches(out.data, y, `${name} via ${how}`);
        expectMatches((await m.predictAsync(x)).data, y, `${name} via ${how}, async`);
        // Feature-major in, feature-major out: the same numbers, transposed.
        const xt = denseMatrix(784, 16);
        for (let r = 0; r < 16; r++) for (let c = 0; c < 784; c++) xt.data[c * 16 + r] = x.data[r * 784 + c];
        const xtBefore = xt.data.slice();
        const fm = m.predict(xt, { layout: 'feature-major' });
        expect(xt.data).toEqual(xtBefore); // the input is not written, not even by the in-place ReLU
        expect([fm.rows, fm.cols]).toEqual([10, 16]);
        const back = new Float32Array(160);
        for (let r = 0; r < 10; r++) for (let c = 0; c < 16; c++) back[c * 10 + r] = fm.data[r * 16 + c];
        expectMatches(back, y, `${name} via ${how}, feature-major`);
      }
      expect(Buffer.compare(Buffer.from(x.data.buffer), Buffer.from(before.buffer))).toBe(0);
      // A model whose first layer is not linear transposes a batch-major batch first (the others read it through
      // spmm's transB): both give what the feature-major path gives.
      const reluFirst = InferenceModel.fromSpec({ layers: [{ type: 'relu' }, ...spec.layers] }, ct, opts);
      const xt = denseMatrix(784, 16);
      for (let r = 0; r < 16; r++) for (let c = 0; c < 784; c++) xt.data[c * 16 + r] = x.data[r * 784 + c];
      const fm = reluFirst.predict(xt, { layout: 'feature-major' });
      const want = new Float32Array(160);
      for (let r = 0; r < 10; r++) for (let c = 0; c < 16; c++) want[c * 10 + r] = fm.data[r * 16 + c];
      expectMatches(reluFirst.predict(x).data, want, `${name} relu first, batch-major`);
      expectMatches((await reluFirst.predictAsync(x)).data, want, `${name} relu first, batch-major async`);
      expect(Buffer.compare(Buffer.from(x.data.buffer), Buffer.from(before.buffer))).toBe(0);
    });
  }
});

describe('InferenceModel layers and graphs', () => {
  /** An ONNX model object with the given nodes over initializers W (4x3, out x in) and b (4). */
  function graph(nodes: OnnxModel['graph']['nodes'], extra: OnnxModel['tensors'] = {}): OnnxModel {
    const W = { dtype: 'F32' as const, shape: [4, 3], data: Float32Array.from({ length: 12 }, (_, i) => (i % 5) - 2) };
    const Wt = { dtype: 'F32' as const, shape: [3, 4], data: new Float32Array(12) };
    for (let r = 0; r < 4; r++) for (let c = 0; c < 3; c++) Wt.data[c * 4 + r] = W.data[r * 3 + c];
    const b = { dtype: 'F32' as const, shape: [4], data: Float32Array.of(0.5, -1, 2, 0) };
    const g = { dtype: 'F32' as const, shape: [4], data: Float32Array.of(1, 2, 0.5, -1) };
    return { tensors: { W, Wt, b, g, ...extra }, graph: { name: 'g', nodes, inputs: ['x'], outputs: ['y'] }, producer: 'test', opset: 17 };
  }
  const node = (opType: string, inputs: string[], output: string, attributes: Record<string, number | number[] | string> = {}) => ({ name: output, opType, domain: '', inputs, outputs: [output], attributes });
  const x = denseMatrix(2, 3, Float32Array.of(1, -2, 3, 0.5, 0.25, -4));

  /** float64 reference: y = W x + b per row of x, then the given per-row function. */
  function reference(post: (h: number[]) => number[]): number[] {
    const W = graph([]).tensors.W as { data: Float32Array };
    const out: number[] = [];
    for (let r = 0; r < 2; r++) {
      const h = [0, 1, 2, 3].map((o) => [0, 1, 2].reduce((s, i) => s + W.data[o * 3 + i] * x.data[r * 3 + i], 0) + [0.5, -1, 2, 0][o]);
      out.push(...post(h));
    }
    return out;
  }
  const erf = (z: number) => {
    // Abramowitz-Stegun 7.1.26 is too coarse; integrate exp(-t^2) numerically instead (Simpson, 2000 steps).
    const n = 2000, hstep = z / n;
    let s = 0;
    for (let k = 0; k <= n; k++) s += (k === 0 || k === n ? 1 : k % 2 ? 4 : 2) * Math.exp(-((k * hstep) ** 2));
    return ((2 / Math.sqrt(Math.PI)) * s * hstep) / 3;
  };

  test('Gemm + Gelu, MatMul + Add + LayerNormalization + Softmax chains match a float64 reference', () => {
    const gelu = InferenceModel.fromOnnx(graph([node('Gemm', ['x', 'W', 'b'], 'h', { transB: 1 }), node('Gelu', ['h'], 'y')]), opts);
    expectMatches(gelu.predict(x).data, Float32Array.from(reference((h) => h.map((z) => 0.5 * z * (1 + erf(z / Math.SQRT2))))), 'gelu');
    const tanh = InferenceModel.fromOnnx(graph([node('Gemm', ['x', 'W', 'b'], 'h', { transB: 1 }), node('Gelu', ['h'], 'y', { approximate: 'tanh' })]), opts);
    expectMatches(tanh.predict(x).data, Float32Array.from(reference((h) => h.map((z) => 0.5 * z * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (z + 0.044715 * z ** 3)))))), 'gelu tanh');
    const ln = InferenceModel.fromOnnx(
      graph([node('MatMul', ['x', 'Wt'], 'h'), node('Add', ['h', 'b'], 'h2'), node('LayerNormalization', ['h2', 'g', 'b'], 'h3', { axis: -1, epsilon: 1e-5 }), node('Softmax', ['h3'], 'y', { axis: -1 })]),
      opts,
    );
    const want = reference((h) => {
      const mean = h.reduce((a, b) => a + b, 0) / 4;
      const variance = h.reduce((a, b) => a + (b - mean) ** 2, 0) / 4;
      const n = h.map((z, i) => ((z - mean) / Math.sqrt(variance + 1e-5)) * [1, 2, 0.5, -1][i] + [0.5, -1, 2, 0][i]);
      const e = n.map((z) => Math.exp(z - Math.max(...n)));
      return e.map((z) => z / e.reduce((a, b) => a + b, 0));
    });
    expectMatches(ln.predict(x).data, Float32Array.from(want), 'layernorm + softmax');
  });

  test('unsupported ops, cycles, branches and bad specs are SparseErrors naming the node or layer', () => {
    expectSparseError(() => InferenceModel.fromOnnx(graph([node('Gemm', ['x', 'W', 'b'], 'h', { transB: 1 }), node('Conv', ['h'], 'y')]), opts), 'ERR_UNSUPPORTED', /ONNX op Conv \(node 'y' \(Conv\)\)/);
    expectSparseError(() => InferenceModel.fromOnnx(graph([node('Gemm', ['x', 'W', 'b'], 'h', { transB: 1 }), node('Relu', ['h'], 'h2'), node('Relu', ['h2'], 'h')]), opts), 'ERR_FORMAT', /feeds 2 nodes|cycle/);
    expectSparseError(() => InferenceModel.fromOnnx(graph([node('Relu', ['x'], 'a'), node('Relu', ['a'], 'b'), node('Relu', ['b'], 'a2'), node('Relu', ['x'], 'y')]), opts), 'ERR_FORMAT', /feeds 2 nodes/);
    expectSparseError(() => InferenceModel.fromOnnx(graph([node('Gemm', ['x', 'W', 'b'], 'y', { transB: 1 }), node('Relu', ['q'], 'z')]), opts), 'ERR_FORMAT', /node 'z' \(Relu\) is not on the chain/);
    expectSparseError(() => InferenceModel.fromOnnx(graph([node('Gemm', ['x', 'W', 'b'], 'y', { transA: 1, transB: 1 })]), opts), 'ERR_UNSUPPORTED', /transA = 0/);
    expectSparseError(() => InferenceModel.fromOnnx(graph([node('Gemm', ['x', 'W', 'b'], 'h', { transB: 1 }), node('Add', ['h', 'b'], 'y')]), opts), 'ERR_UNSUPPORTED', /Add must follow a MatMul or Gemm without a bias/);
    const tensors = graph([]).tensors;
    expectSparseError(() => InferenceModel.fromSpec({ layers: [{ type: 'linear', weight: 'nope' }] }, tensors), 'ERR_ARGUMENT', /names tensor 'nope'/);
    expectSparseError(() => InferenceModel.fromSpec({ layers: [{ type: 'linear', weight: 'W' }, { type: 'linear', weight: 'W' }] }, tensors), 'ERR_SHAPE', /takes 3 features but the layer before gives 4/);
    expectSparseError(() => InferenceModel.fromSpec({ layers: [{ type: 'linear', weight: 'W', bias: 'W' }] }, tensors), 'ERR_SHAPE', /tensor 'W' to be 4 floats/);
    expectSparseError(() => InferenceModel.fromSpec({ layers: [{ type: 'conv' } as never] }, tensors), 'ERR_UNSUPPORTED', /spec.layers\[0\].type is 'conv'|spec.layers\[0\].type is "conv"|conv/);
    expectSparseError(() => InferenceModel.fromSpec({ layers: [{ type: 'relu', extra: 1 } as never] }, tensors), 'ERR_UNSUPPORTED', /extra/);
    const m = InferenceModel.fromSpec({ layers: [{ type: 'linear', weight: 'W', bias: 'b' }] }, tensors, opts);
    expectSparseError(() => m.predict(denseMatrix(2, 4)), 'ERR_SHAPE', /3 features \(columns, batch-major\) but received 2x4/);
    expectSparseError(() => m.predict(x, { layout: 'rows' as never }), 'ERR_UNSUPPORTED', /options.layout/);
    expectSparseError(() => m.explain({ print: 'no' as never }), 'ERR_ARGUMENT', /options.print/);
    expectSparseError(() => m.explain({ verbose: true } as never), 'ERR_UNSUPPORTED', /verbose/);
  });

  test('an ONNX file with a truncated or garbage body is ERR_IO; a model without a graph too', () => {
    const bytes = fs.readFileSync(path.join(dir, 'mlp90.onnx'));
    expectSparseError(() => importOnnx(bytes.subarray(0, 1000)), 'ERR_IO', /not an ONNX model|need .* bytes|holds/);
    expectSparseError(() => importOnnx(new Uint8Array([0x08, 0x07])), 'ERR_IO', /no graph/);
    expectSparseError(() => importOnnx(Buffer.from('not protobuf at all, just text')), 'ERR_IO', /./);
  });
});

describe('InferenceModel.explain', () => {
  test("each linear layer's plan, in order, with its weight name; the chosen form is the fastest one timed", () => {
    const m = InferenceModel.fromSpec(spec, importCompressedTensorsFile(path.join(dir, 'mlp24-ct.safetensors')), { width: 16, plan: { budgetMs: 1, cache: false, candidates: ['csr', 'nm:2:4', 'dense'] } });
    const layers = m.describe().filter((l) => l.type === 'linear');
    const plans = m.explain({ print: false });
    expect(plans.map((p) => p.weight)).toEqual(['0.weight', '2.weight', '4.weight']);
    for (const [i, e] of plans.entries()) {
      expect([e.format, e.threads]).toEqual([layers[i].format, layers[i].threads]);
      const timed = e.candidates.filter((c) => c.ms !== null);
      const fastest = timed.reduce((a, b) => ((b.ms as number) < (a.ms as number) ? b : a));
      expect(`${e.format}/${e.threads}`).toBe(`${fastest.format}/${fastest.threads}`);
      expect(e.candidates.filter((c) => c.chosen).length).toBe(1);
      expect(e.text).toMatch(new RegExp(`plan for a ${layers[i].shape![0]}x${layers[i].shape![1]} weight`));
    }
  });
});

describe('InferenceModel.predict and the pool hold', () => {
  test('predict holds the pool for its layers and releases the hold, also when a layer throws; holds nest and never go below 0', () => {
    const m = InferenceModel.fromSpec(spec, importCompressedTensorsFile(path.join(dir, 'mlp90-ct.safetensors')), opts);
    const held = addon.poolHold(true) - 1; // the holds on before this test (0 unless another test left one)
    expect(addon.poolHold(true)).toBe(held + 2);
    expect(addon.poolHold(false)).toBe(held + 1);
    expect(addon.poolHold(false)).toBe(held);
    const x = denseMatrix(16, 784);
    m.predict(x);
    expect(addon.poolHold(true)).toBe(held + 1);
    expect(addon.poolHold(false)).toBe(held);
    // A layer that throws inside predict: the hold taken for it is released.
    const first = (m as unknown as { ops: { W: { apply: () => never } }[] }).ops[0].W;
    let seen = -1;
    first.apply = () => {
      seen = addon.poolHold(true) - 1; // the hold predict took is on while its layers run
      addon.poolHold(false);
      throw new Error('layer failed');
    };
    expect(() => m.predict(x)).toThrow('layer failed');
    expect(seen).toBe(held + 1);
    expect(addon.poolHold(true)).toBe(held + 1);
    expect(addon.poolHold(false)).toBe(held);
    // A release without a hold is a no-op.
    for (let i = 0; i < held; i++) addon.poolHold(false);
    expect(addon.poolHold(false)).toBe(0);
    expect(addon.poolHold(true)).toBe(1);
    expect(addon.poolHold(false)).toBe(0);
    for (let i = 0; i < held; i++) addon.poolHold(true);
    expectSparseError(() => addon.poolHold('yes' as never), 'ERR_ARGUMENT', /boolean for on/);
  });
});
