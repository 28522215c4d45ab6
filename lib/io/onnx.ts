/**
 * importOnnxFile() / importOnnx(): the weights and the graph of an ONNX model, decoded with protobufjs against the
 * ONNX schema (./onnx-schema.ts). Initializers (TensorProto: raw_data, the typed fields, or external data files next
 * to the model) come back as ImportedTensor, converted as importSafetensors() converts (F16/BF16 exactly to
 * float32, ...); sparse_initializer entries (SparseTensorProto) of rank 2 come back as CSRMatrix (indices either
 * linearised [NNZ] or coordinates [NNZ, 2], any order; a duplicate is ERR_FORMAT). The graph comes back as its
 * nodes (op type, inputs, outputs, attributes) and its input / output names, for buildOnnxModel().
 * Malformed input (not protobuf, sizes that disagree with dims, external data outside the model's folder or past
 * the end of its file, indices out of range) is a SparseError naming the tensor, refused before a large allocation.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { SparseError } from '../core/errors';
import * as v from '../core/validate';
import { COOMatrix, CSRMatrix } from '../formats';
import { convert, ImportedTensor, outputFor } from './import-safetensors';
import { modelProto, ONNX_DTYPES } from './onnx-schema';
import { DTYPE_SIZES } from './safetensors-header';

const WHO = 'importOnnx';

/** protobufjs decodes int64 fields as numbers or as Long objects (from its `long` dependency). */
type Int64 = number | { toNumber(): number; toString(): string };
interface TensorMsg {
  dims: Int64[];
  dataType: number;
  floatData: number[];
  int32Data: number[];
  int64Data: Int64[];
  doubleData: number[];
  name: string;
  rawData: Uint8Array;
  externalData: { key: string; value: string }[];
  dataLocation: number;
}
interface AttributeMsg {
  name: string;
  f: number;
  i: Int64;
  s: Uint8Array;
  floats: number[];
  ints: Int64[];
  type: number;
}
interface NodeMsg {
  input: string[];
  output: string[];
  name: string;
  opType: string;
  attribute: AttributeMsg[];
  domain: string;
}
interface ModelMsg {
  irVersion: Int64;
  producerName: string;
  graph?: {
    node: NodeMsg[];
    name: string;
    initializer: TensorMsg[];
    sparseInitializer: { values?: TensorMsg; indices?: TensorMsg; dims: Int64[] }[];
    input: { name: string }[];
    output: { name: string }[];
  };
  opsetImport: { domain: string; version: Int64 }[];
}

/** One node of the graph: op type, input and output value names, attributes (numbers, lists, strings). */
export interface OnnxNode {
  name: string;
  opType: string;
  domain: string;
  inputs: string[];
  outputs: string[];
  attributes: Record<string, number | number[] | string>;
}

export interface OnnxModel {
  /** Initializers and sparse initializers by name. */
  tensors: Record<string, ImportedTensor | CSRMatrix>;
  graph: { name: string; nodes: OnnxNode[]; inputs: string[]; outputs: string[] };
  producer: string;
  /** The default-domain opset version. */
  opset: number;
}

export interface ImportOnnxOptions {
  /** The folder external data paths are relative to (default: the model file's folder; none for bytes). */
  baseDir?: string;
}

function num(x: Int64 | undefined | null, what: string): number {
  const n = x === undefined || x === null ? 0 : typeof x === 'number' ? x : x.toNumber();
  if (!Number.isSafeInteger(n)) v.fail('ERR_RANGE', `${WHO}: ${what} is ${String(x)}, not a safe integer`);
  return n;
}

function shapeOf(dims: Int64[], what: string): { shape: number[]; count: number } {
  const shape = dims.map((d, i) => num(d, `${what} dims[${i}]`));
  let count = 1;
  for (const d of shape) {
    if (d < 0) v.fail('ERR_IO', `${WHO}: ${what} has a negative dimension (${shape.join(', ')})`);
    count *= d;
  }
  if (count > v.INT32_MAX) v.fail('ERR_RANGE', `${WHO}: ${what} claims ${count} elements, beyond int32 indexing`);
  return { shape, count };
}

/** The bytes of an external tensor, read from its file after checking the path stays in `baseDir`. */
function externalBytes(t: TensorMsg, bytes: number, what: string, baseDir: string | undefined): Uint8Array {
  const entry = (k: string) => t.externalData.find((e) => e.key === k)?.value;
  const location = entry('location');
  if (!location) v.fail('ERR_IO', `${WHO}: ${what} is stored externally but names no location`);
  if (baseDir === undefined) v.fail('ERR_IO', `${WHO}: ${what} is stored externally in '${location}'; pass options.baseDir to read it`);
  const file = path.resolve(baseDir, location);
  const rel = path.relative(path.resolve(baseDir), file);
  if (path.isAbsolute(location) || rel.startsWith('..') || path.isAbsolute(rel)) {
    v.fail('ERR_IO', `${WHO}: ${what} names external data '${location}' outside the model's folder`);
  }
  const offset = Number(entry('offset') ?? '0');
  const length = entry('length') === undefined ? bytes : Number(entry('length'));
  if (!Number.isSafeInteger(offset) || offset < 0 || length !== bytes) {
    v.fail('ERR_IO', `${WHO}: ${what} external data offset ${entry('offset')} / length ${entry('length')} disagree with its ${bytes} bytes`);
  }
  let fd: number | undefined;
  try {
    fd = fs.openSync(file, 'r');
    const size = fs.fstatSync(fd).size;
    if (offset + bytes > size) throw new Error(`${offset + bytes} bytes needed, the file has ${size}`);
    const out = new Uint8Array(bytes);
    for (let done = 0; done < bytes;) {
      const n = fs.readSync(fd, out, done, bytes - done, offset + done);
      if (n === 0) throw new Error('ended early');
      done += n;
    }
    return out;
  } catch (e) {
    return v.fail('ERR_IO', `${WHO}: ${what} external data '${location}': ${(e as Error).message}`);
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

function tensorOf(t: TensorMsg, what: string, baseDir: string | undefined): ImportedTensor {
  const dtype = ONNX_DTYPES[t.dataType];
  if (!dtype) v.fail('ERR_UNSUPPORTED', `${WHO}: ${what} has ONNX data type ${t.dataType}; sparsekit imports float, float16, bfloat16, double and integer tensors`);
  const { shape, count } = shapeOf(t.dims, what);
  const size = DTYPE_SIZES[dtype];
  const out = outputFor(dtype, count, what, WHO);
  let raw: Uint8Array | undefined;
  if (t.dataLocation === 1) raw = externalBytes(t, count * size, what, baseDir);
  else if (t.rawData && t.rawData.length) raw = t.rawData;
  if (raw) {
    if (raw.length !== count * size) v.fail('ERR_IO', `${WHO}: ${what}: dims [${shape.join(', ')}] of ${dtype} need ${count * size} bytes but raw_data holds ${raw.length}`);
    convert(dtype, raw, out, 0, what, WHO);
    return { dtype, shape, data: out };
  }
  // Typed fields: float_data (FLOAT), double_data (DOUBLE), int64_data (INT64), int32_data (the rest, FLOAT16 and
  // BFLOAT16 as their bit patterns).
  const typed: ArrayLike<Int64> = dtype === 'F32' ? t.floatData : dtype === 'F64' ? t.doubleData : dtype === 'I64' ? t.int64Data : t.int32Data;
  if (typed.length !== count) v.fail('ERR_IO', `${WHO}: ${what}: dims [${shape.join(', ')}] need ${count} values but the tensor holds ${typed.length}`);
  const bytes = new Uint8Array(count * size);
  const dv = new DataView(bytes.buffer);
  for (let i = 0; i < count; i++) {
    const x = typed[i];
    switch (dtype) {
      case 'F32': dv.setFloat32(4 * i, x as number, true); break;
      case 'F64': dv.setFloat64(8 * i, x as number, true); break;
      case 'I64': dv.setBigInt64(8 * i, BigInt(typeof x === 'number' ? x : x.toString()), true); break;
      case 'I32': dv.setInt32(4 * i, x as number, true); break;
      case 'I16': case 'F16': case 'BF16': dv.setUint16(2 * i, (x as number) & 0xffff, true); break;
      default: dv.setUint8(i, (x as number) & 0xff);
    }
  }
  convert(dtype, bytes, out, 0, what, WHO);
  return { dtype, shape, data: out };
}

function sparseOf(s: ModelMsg['graph'] extends infer G ? G extends { sparseInitializer: (infer S)[] } ? S : never : never, baseDir: string | undefined): [string, CSRMatrix] {
  if (!s.values || !s.indices) v.fail('ERR_IO', `${WHO}: a sparse_initializer has no values or no indices`);
  const name = s.values.name;
  const what = `sparse initializer '${name}'`;
  const { shape } = shapeOf(s.dims, what);
  if (shape.length !== 2) v.fail('ERR_UNSUPPORTED', `${WHO}: ${what} has rank ${shape.length}; sparse initializers are read as 2-D matrices`);
  const [rows, cols] = shape;
  const values = tensorOf(s.values, `${what} values`, baseDir).data;
  if (!(values instanceof Float32Array)) v.fail('ERR_DTYPE', `${WHO}: ${what} has non-float values`);
  const idx = tensorOf(s.indices, `${what} indices`, baseDir);
  const nnz = values.length;
  const r = new Int32Array(nnz), c = new Int32Array(nnz);
  if (idx.shape.length === 1 && idx.shape[0] === nnz) {
    // Linearised: i = row * cols + col (I64 checked against int32 by the conversion; here against the shape).
    for (let k = 0; k < nnz; k++) {
      const i = idx.data[k];
      if (i < 0 || i >= rows * cols) v.fail('ERR_RANGE', `${WHO}: ${what} index ${k} is ${i}, outside the ${rows}x${cols} matrix`);
      r[k] = Math.floor(i / cols);
      c[k] = i % cols;
    }
  } else if (idx.shape.length === 2 && idx.shape[0] === nnz && idx.shape[1] === 2) {
    for (let k = 0; k < nnz; k++) {
      r[k] = idx.data[2 * k];
      c[k] = idx.data[2 * k + 1];
    }
  } else {
    v.fail('ERR_SHAPE', `${WHO}: ${what} indices have shape [${idx.shape.join(', ')}], expected [${nnz}] or [${nnz}, 2]`);
  }
  try {
    return [name, CSRMatrix.fromCOO(COOMatrix.fromArrays(rows, cols, r, c, values), { sumDuplicates: false })];
  } catch (e) {
    if (e instanceof SparseError) throw new SparseError(e.code, `${WHO}: ${what}: ${e.message}`);
    throw e;
  }
}

function attributes(n: NodeMsg): OnnxNode['attributes'] {
  const out: OnnxNode['attributes'] = {};
  for (const a of n.attribute) {
    let value: number | number[] | string;
    switch (a.type) {
      case 1: value = a.f; break;
      case 2: value = num(a.i, `node '${n.name}' attribute ${a.name}`); break;
      case 3: value = new TextDecoder().decode(a.s); break;
      case 6: value = Array.from(a.floats); break;
      case 7: value = a.ints.map((x, i) => num(x, `node '${n.name}' attribute ${a.name}[${i}]`)); break;
      default: continue; // tensors, graphs: not used by the ops buildOnnxModel() takes
    }
    Object.defineProperty(out, a.name, { value, enumerable: true, writable: true, configurable: true });
  }
  return out;
}

/** An ONNX model from its bytes (external data, if any, is read from options.baseDir). */
export function importOnnx(bytes: Uint8Array, opts?: ImportOnnxOptions): OnnxModel {
  if (!(bytes instanceof Uint8Array)) v.fail('ERR_ARGUMENT', `Expected a Uint8Array for bytes but received ${v.describe(bytes)}`);
  const o = v.options<ImportOnnxOptions>('options', opts, ['baseDir']);
  if (o.baseDir !== undefined) v.filePath('options.baseDir', o.baseDir);
  let m: ModelMsg;
  try {
    m = modelProto().decode(bytes) as unknown as ModelMsg;
  } catch (e) {
    return v.fail('ERR_IO', `${WHO}: not an ONNX model (protobuf: ${(e as Error).message})`);
  }
  const g = m.graph;
  if (!g) v.fail('ERR_IO', `${WHO}: the model has no graph`);
  const tensors: OnnxModel['tensors'] = {};
  const put = (name: string, t: ImportedTensor | CSRMatrix) => {
    if (Object.prototype.hasOwnProperty.call(tensors, name)) v.fail('ERR_IO', `${WHO}: two initializers are named '${name}'`);
    Object.defineProperty(tensors, name, { value: t, enumerable: true, writable: true, configurable: true });
  };
  for (const t of g.initializer) put(t.name, tensorOf(t, `initializer '${t.name}'`, o.baseDir));
  for (const s of g.sparseInitializer) put(...sparseOf(s, o.baseDir));
  const nodes = g.node.map((n) => ({ name: n.name, opType: n.opType, domain: n.domain, inputs: n.input.slice(), outputs: n.output.slice(), attributes: attributes(n) }));
  const opset = m.opsetImport.find((x) => !x.domain || x.domain === 'ai.onnx');
  return {
    tensors,
    graph: { name: g.name, nodes, inputs: g.input.map((x) => x.name), outputs: g.output.map((x) => x.name) },
    producer: m.producerName,
    opset: opset ? num(opset.version, 'opset version') : 0,
  };
}

/** importOnnx() of a file; external data is read relative to the file's folder. */
export function importOnnxFile(file: string, opts?: ImportOnnxOptions): OnnxModel {
  const o = v.options<ImportOnnxOptions>('options', opts, ['baseDir']);
  let bytes: Uint8Array;
  try {
    bytes = fs.readFileSync(v.filePath('file', file));
  } catch (e) {
    return v.fail('ERR_IO', `${WHO}: could not read ${file}: ${(e as Error).message}`);
  }
  return importOnnx(bytes, { baseDir: o.baseDir ?? path.dirname(path.resolve(file)) });
}
