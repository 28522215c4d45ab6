import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as protobuf from 'protobufjs';
import { describe, expect, test } from 'vitest';
import { CSRMatrix, denseMatrix, importOnnx, importOnnxFile, InferenceModel } from '../../lib/index';
import { onnxDescriptor } from '../../lib/io/onnx-schema';
import { expectSparseError, onnxruntimeRuns } from '../helpers';

// ONNX files written here with protobufjs from the importer's descriptor of the ONNX schema, plus the graph inputs'
// types onnxruntime needs (TypeProto: tensor_type = 1, elem_type = 1, shape = 2, dim_value = 1, dim_param = 2), then
// run by onnxruntime-node, the independent reader: its output for a model whose weight is a sparse initializer, or
// lives in an external data file, must equal ours.
const base = structuredClone(onnxDescriptor) as { nested: { onnx: { nested: Record<string, { fields: Record<string, object> }> } } };
const types = base.nested.onnx.nested;
Object.assign(types, {
  Dimension: { fields: { dimValue: { type: 'int64', id: 1 }, dimParam: { type: 'string', id: 2 } } },
  TensorShapeProto: { fields: { dim: { rule: 'repeated', type: 'Dimension', id: 1 } } },
  TensorTypeProto: { fields: { elemType: { type: 'int32', id: 1 }, shape: { type: 'TensorShapeProto', id: 2 } } },
  TypeProto: { fields: { tensorType: { type: 'TensorTypeProto', id: 1 } } },
});
types.ValueInfoProto.fields.type = { type: 'TypeProto', id: 2 };
const Model = protobuf.Root.fromJSON(base as protobuf.INamespace).lookupType('onnx.ModelProto');

const IN = 24, OUT = 10;
const W = CSRMatrix.random(OUT, IN, { density: 0.3, seed: 9 });
const bias = Float32Array.from({ length: OUT }, (_, i) => i / 10 - 0.4);
const value = (name: string, dims: (number | string)[]) => ({
  name,
  type: { tensorType: { elemType: 1, shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } },
});

/** Gemm(x, W, b) with transB = 1 and a Relu; W given by `weight` (an initializer or a sparse initializer). */
function model(weight: { initializer?: object; sparseInitializer?: object }): Uint8Array {
  const msg = {
    irVersion: 8,
    producerName: 'sparsekit-test',
    opsetImport: [{ domain: '', version: 13 }],
    graph: {
      name: 'g',
      node: [
        { input: ['x', 'W', 'b'], output: ['h'], name: 'gemm', opType: 'Gemm', attribute: [{ name: 'transB', i: 1, type: 2 }] },
        { input: ['h'], output: ['y'], name: 'relu', opType: 'Relu' },
      ],
      initializer: [{ name: 'b', dims: [OUT], dataType: 1, floatData: Array.from(bias) }, ...(weight.initializer ? [weight.initializer] : [])],
      sparseInitializer: weight.sparseInitializer ? [weight.sparseInitializer] : [],
      input: [value('x', ['batch', IN])],
      output: [value('y', ['batch', OUT])],
    },
  };
  return Model.encode(Model.fromObject(msg)).finish();
}

async function runOrt(file: string, x: Float32Array, batch: number): Promise<Float32Array> {
  const ort = await import('onnxruntime-node');
  const session = await ort.InferenceSession.create(file);
  const out = await session.run({ x: new ort.Tensor('float32', x, [batch, IN]) });
  return out.y.data as Float32Array;
}

describe('importOnnx', () => {
  const batch = 7;
  const x = Float32Array.from({ length: batch * IN }, (_, i) => Math.sin(i * 0.7));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sparsekit-onnx-'));
  const coo = W.toCOO();
  const linear = Array.from(coo.rowIndices, (r, k) => r * IN + coo.colIndices[k]);

  test('a sparse initializer (linearised indices and coordinates, any order) reads as CSR and runs as onnxruntime runs it', async () => {
    const order = linear.map((_, k) => k).reverse(); // not sorted: the reader sorts
    const sparseLinear = {
      dims: [OUT, IN],
      values: { name: 'W', dims: [W.nnz], dataType: 1, floatData: order.map((k) => coo.values[k]) },
      indices: { name: 'W_idx', dims: [W.nnz], dataType: 7, int64Data: order.map((k) => linear[k]) },
    };
    const sparseCoords = { ...sparseLinear, indices: { name: 'W_idx', dims: [W.nnz, 2], dataType: 7, int64Data: order.flatMap((k) => [coo.rowIndices[k], coo.colIndices[k]]) } };
    for (const [how, s] of [['linearised', sparseLinear], ['coordinates', sparseCoords]] as const) {
      const file = path.join(dir, `sparse-${how}.onnx`);
      fs.writeFileSync(file, model({ sparseInitializer: s }));
      const m = importOnnxFile(file);
      expect(m.tensors.W).toBeInstanceOf(CSRMatrix);
      expect((m.tensors.W as CSRMatrix).toDense().data).toEqual(W.toDense().data);
      const ours = InferenceModel.fromOnnx(m, { width: batch, plan: { budgetMs: 1 } }).predict(denseMatrix(batch, IN, x)).data;
      if (!onnxruntimeRuns()) continue;
      const theirs = await runOrt(file, x, batch);
      for (let i = 0; i < theirs.length; i++) expect(Math.abs(ours[i] - theirs[i])).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(theirs[i])));
    }
  });

  test('external data next to the model is read (offset, length); paths leaving the folder and short files are refused', async () => {
    const dense = W.toDense().data;
    const blob = new Uint8Array(16 + dense.byteLength);
    blob.set(new Uint8Array(dense.buffer, dense.byteOffset, dense.byteLength), 16);
    fs.writeFileSync(path.join(dir, 'weights.bin'), blob);
    const external = (location: string, offset = 16, length = dense.byteLength) => ({
      initializer: { name: 'W', dims: [OUT, IN], dataType: 1, dataLocation: 1, externalData: [{ key: 'location', value: location }, { key: 'offset', value: String(offset) }, { key: 'length', value: String(length) }] },
    });
    const file = path.join(dir, 'external.onnx');
    fs.writeFileSync(file, model(external('weights.bin')));
    const m = importOnnxFile(file);
    expect((m.tensors.W as { data: Float32Array }).data).toEqual(dense);
    const ours = InferenceModel.fromOnnx(m, { width: batch, plan: { budgetMs: 1 } }).predict(denseMatrix(batch, IN, x)).data;
    if (onnxruntimeRuns()) {
      const theirs = await runOrt(file, x, batch);
      for (let i = 0; i < theirs.length; i++) expect(Math.abs(ours[i] - theirs[i])).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(theirs[i])));
    }

    const bad = (weight: object) => importOnnx(model(weight), { baseDir: dir });
    expectSparseError(() => bad(external('../weights.bin')), 'ERR_IO', /initializer 'W' names external data '..\/weights.bin' outside the model's folder/);
    expectSparseError(() => bad(external('/etc/passwd')), 'ERR_IO', /outside the model's folder/);
    expectSparseError(() => bad(external('weights.bin', 32)), 'ERR_IO', /initializer 'W' external data 'weights.bin': .*bytes needed/);
    expectSparseError(() => bad(external('weights.bin', 16, 8)), 'ERR_IO', /disagree with its 960 bytes/);
    expectSparseError(() => importOnnx(model(external('weights.bin'))), 'ERR_IO', /pass options.baseDir/);
  });

  test('malformed tensors are refused naming them: sizes, duplicate or out-of-range sparse indices, unsupported types', () => {
    const sparse = (indices: number[], values = indices.map(() => 1)) => ({
      sparseInitializer: { dims: [OUT, IN], values: { name: 'W', dims: [values.length], dataType: 1, floatData: values }, indices: { name: 'i', dims: [indices.length], dataType: 7, int64Data: indices } },
    });
    expectSparseError(() => importOnnx(model(sparse([3, 3]))), 'ERR_FORMAT', /sparse initializer 'W'.*(duplicate|repeated|twice)/i);
    expectSparseError(() => importOnnx(model(sparse([OUT * IN]))), 'ERR_RANGE', /sparse initializer 'W' index 0 is 240, outside the 10x24 matrix/);
    expectSparseError(() => importOnnx(model({ initializer: { name: 'W', dims: [OUT, IN], dataType: 1, floatData: [1, 2, 3] } })), 'ERR_IO', /initializer 'W': dims \[10, 24\] need 240 values but the tensor holds 3/);
    expectSparseError(() => importOnnx(model({ initializer: { name: 'W', dims: [OUT, IN], dataType: 1, rawData: new Uint8Array(12) } })), 'ERR_IO', /need 960 bytes but raw_data holds 12/);
    expectSparseError(() => importOnnx(model({ initializer: { name: 'W', dims: [2], dataType: 8 } })), 'ERR_UNSUPPORTED', /initializer 'W' has ONNX data type 8/);
    expectSparseError(() => importOnnx(model({ initializer: { name: 'W', dims: [65536, 65536], dataType: 1 } })), 'ERR_RANGE', /claims 4294967296 elements/);
    expectSparseError(() => importOnnx(model({ initializer: { name: 'b', dims: [1], dataType: 1, floatData: [0] } })), 'ERR_IO', /two initializers are named 'b'/);
  });
});
