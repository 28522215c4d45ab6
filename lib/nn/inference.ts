/**
 * InferenceModel: a feed-forward model assembled from imported weights (PyTorch safetensors, compressed-tensors,
 * ONNX) and run with the planner's choice of form for every linear layer (plan(): dense, CSR, BSR or N:M, and the
 * thread count, measured on this machine for the batch width). Layers: linear (y = W x + b, W as PyTorch stores it,
 * out x in), relu, gelu (exact erf or tanh form), layernorm (over the features), softmax (over the features).
 *
 * Built from a declarative spec, `{layers: [{type: 'linear', weight: 'fc1.weight', bias: 'fc1.bias'}, {type:
 * 'relu'}, ...]}` and the tensors it names, or from an ONNX graph that is a chain of MatMul / Gemm / Add / Relu /
 * Gelu / LayerNormalization / Softmax nodes (fromOnnx). Batches are batch-major (batch x features, as PyTorch and
 * onnxruntime hold them) or feature-major (features x batch, this library's layout): the input is converted once on
 * entry and the output once on exit when batch-major; between layers nothing is converted or copied beyond each
 * layer's output.
 */
import { addon } from '../core/binding';
import * as v from '../core/validate';
import { alignedFloat32Array, CSRMatrix, DenseMatrix, denseMatrix, formatOf, NMMatrix, SparseFormat } from '../formats';
import { transposeOf } from '../formats/dense';
import type { ImportedTensor, OnnxModel, OnnxNode } from '../io';
import { LinearOperator, plan, PlanExplanation, PlanOptions } from '../plan';

/** One layer of a model spec. Tensor names refer to the tensors passed beside the spec. */
export type LayerSpec =
  | { type: 'linear'; weight: string; bias?: string; /** W is stored in x out (x @ W, ONNX MatMul) rather than out x in. */ transposed?: boolean; alpha?: number }
  | { type: 'relu' }
  | { type: 'gelu'; approximate?: 'none' | 'tanh' }
  | { type: 'layernorm'; weight?: string; bias?: string; eps?: number }
  | { type: 'softmax' };

export interface ModelSpec {
  layers: LayerSpec[];
}

/** What a spec's tensor names may refer to. */
export type ModelTensor = ImportedTensor | CSRMatrix | NMMatrix | DenseMatrix | SparseFormat;

export interface InferenceOptions {
  /** The batch width the linear layers are planned for (default 128). */
  width?: number;
  /** Passed to plan() for every linear layer: threads, candidates, budgetMs, cache. */
  plan?: Omit<PlanOptions, 'width'>;
}

export interface PredictOptions {
  /** 'batch-major' (default): x is batch x features and so is the result; 'feature-major': features x batch. */
  layout?: 'batch-major' | 'feature-major';
}

type Op =
  | { type: 'linear'; W: LinearOperator; bias: Float32Array | null; alpha: number; name: string }
  | { type: 'relu' }
  | { type: 'gelu'; tanh: boolean }
  | { type: 'layernorm'; gamma: Float32Array | null; beta: Float32Array | null; eps: number; features: number }
  | { type: 'softmax' };

/** erf(x) to float32 precision (W. J. Cody's rational approximations via erfc for |x| >= 0.5). */
function erf(x: number): number {
  const ax = Math.abs(x);
  if (ax < 0.5) {
    const t = x * x;
    const p = ((((0.185777706184603153 * t + 3.16112374387056560) * t + 113.864154151050156) * t + 377.485237685302021) * t + 3209.37758913846947);
    const q = ((((t + 23.6012909523441209) * t + 244.024637934444173) * t + 1282.61652607737228) * t + 2844.23683343917062);
    return (x * p) / q;
  }
  let erfc: number;
  if (ax < 4) {
    const p = (((((((5.64188496988670089e-1 * ax + 8.88314979438837594) * ax + 66.1191906371416295) * ax + 298.635138197400131) * ax + 881.952221241769090) * ax + 1712.04761263407058) * ax + 2051.07837782607147) * ax + 1230.33935479799725);
    const q = (((((((ax + 15.7449261107098347) * ax + 117.693950891312499) * ax + 537.181101862009858) * ax + 1621.38957456669019) * ax + 3290.79923573345963) * ax + 4362.61909014324716) * ax + 3439.36767414372164) * ax + 1230.33935480374942;
    erfc = (Math.exp(-ax * ax) * p) / q;
  } else {
    const z = 1 / (ax * ax);
    const p = ((((1.63153871373020978e-2 * z + 3.05326634961232344e-1) * z + 3.60344899949804439e-1) * z + 1.25781726111229246e-1) * z + 1.60837851487422766e-2) * z + 6.58749161529837803e-4;
    const q = ((((z + 2.56852019228982242) * z + 1.87295284992346725) * z + 5.27905102951428412e-1) * z + 6.05183413124413191e-2) * z + 2.33520497626869185e-3;
    erfc = (Math.exp(-ax * ax) / ax) * (0.564189583547756287 - (z * p) / q);
  }
  return x < 0 ? erfc - 1 : 1 - erfc;
}

function floatVector(t: ModelTensor | undefined, name: string, length: number): Float32Array {
  const data = t && (t as ImportedTensor).data;
  if (!(data instanceof Float32Array) || data.length !== length) {
    v.fail('ERR_SHAPE', `Expected tensor '${name}' to be ${length} floats but received ${t ? v.describe(data ?? t) : 'nothing'}`);
  }
  return data;
}

/** A weight as something plan() takes: sparse formats as they are, float tensors of rank 2 as dense matrices. */
function weightOf(t: ModelTensor, name: string, transposed: boolean): SparseFormat | DenseMatrix {
  if (formatOf(t)) {
    if (!transposed) return t as SparseFormat;
    return (t instanceof CSRMatrix ? t : ((t as SparseFormat).toCSR() as CSRMatrix)).transpose();
  }
  let rows: number, cols: number, data: Float32Array;
  if ((t as DenseMatrix).data instanceof Float32Array && 'rows' in t && 'cols' in t) ({ rows, cols, data } = t as DenseMatrix);
  else {
    const i = t as ImportedTensor;
    if (!(i.data instanceof Float32Array) || !Array.isArray(i.shape) || i.shape.length !== 2) {
      v.fail('ERR_SHAPE', `Expected tensor '${name}' to be a 2-D float weight but received ${v.describe(i?.data ?? t)} of shape [${i?.shape?.join(', ') ?? ''}]`);
    }
    [rows, cols] = i.shape;
    data = i.data;
  }
  if (!transposed) return denseMatrix(rows, cols, data);
  return transposeOf(denseMatrix(rows, cols, data));
}

export class InferenceModel {
  readonly inFeatures: number;
  readonly outFeatures: number;
  private readonly ops: Op[];
  /**
   * predict()'s activations for the last batch width, reused by the next sync call of that width (bounded: one set,
   * each at most the widest layer x batch). Async calls allocate their own, as several may be in flight.
   */
  private scratch: { width: number; input: DenseMatrix | null; acts: DenseMatrix[] } | null = null;

  /** Index of the last linear layer in ops. */
  private readonly lastLinear: number;
  /**
   * Whether the first layer is linear: a batch-major batch then goes straight into its product, read transposed
   * inside the per-thread packing of B (spmm's transB) instead of transposed first. A separate transpose took 17 us
   * alone but cost ~76 us in predict (batch 128 x 784, 2 threads): it left the batch in one core's cache for the
   * other thread to pull across.
   */
  private readonly firstLinear: boolean;

  private constructor(ops: Op[], inFeatures: number, outFeatures: number) {
    this.ops = ops;
    this.lastLinear = ops.reduce((at, op, i) => (op.type === 'linear' ? i : at), -1);
    this.firstLinear = ops[0]?.type === 'linear';
    this.inFeatures = inFeatures;
    this.outFeatures = outFeatures;
  }

  /** A model from a spec and the tensors it names (e.g. importSafetensorsFile(), importCompressedTensorsFile()). */
  static fromSpec(spec: ModelSpec, tensors: Record<string, ModelTensor>, opts?: InferenceOptions): InferenceModel {
    const o = v.options<InferenceOptions>('options', opts, ['width', 'plan']);
    const width = o.width === undefined ? 128 : v.integer('options.width', o.width, 1);
    if (spec === null || typeof spec !== 'object' || !Array.isArray(spec.layers) || spec.layers.length === 0) {
      v.fail('ERR_ARGUMENT', `Expected a spec {layers: [...]} with at least one layer but received ${v.describe(spec)}`);
    }
    if (tensors === null || typeof tensors !== 'object') v.fail('ERR_ARGUMENT', `Expected an object of named tensors but received ${v.describe(tensors)}`);
    const get = (name: unknown, where: string): ModelTensor => {
      if (typeof name !== 'string') v.fail('ERR_ARGUMENT', `Expected a tensor name for ${where} but received ${v.describe(name)}`);
      const t = Object.prototype.hasOwnProperty.call(tensors, name) ? tensors[name] : undefined;
      if (!t) v.fail('ERR_ARGUMENT', `${where} names tensor '${name}', which is not among the ${Object.keys(tensors).length} given`);
      return t;
    };
    const ops: Op[] = [];
    let features: number | null = null;
    let inFeatures: number | null = null;
    spec.layers.forEach((l, i) => {
      const where = `spec.layers[${i}]`;
      switch (l?.type) {
        case 'linear': {
          const lo = v.options<Extract<LayerSpec, { type: 'linear' }>>(where, l, ['type', 'weight', 'bias', 'transposed', 'alpha']);
          const weightName = lo.weight as string;
          const W = weightOf(get(weightName, `${where}.weight`), weightName, lo.transposed === undefined ? false : v.boolean(`${where}.transposed`, lo.transposed));
          if (features !== null && W.cols !== features) v.fail('ERR_SHAPE', `${where}: weight '${weightName}' takes ${W.cols} features but the layer before gives ${features}`);
          inFeatures ??= W.cols;
          const bias = lo.bias === undefined ? null : floatVector(get(lo.bias, `${where}.bias`), lo.bias, W.rows);
          const alpha = lo.alpha === undefined ? 1 : v.finite(`${where}.alpha`, lo.alpha);
          ops.push({ type: 'linear', W: plan(W, { ...(o.plan ?? {}), width }), bias, alpha, name: weightName });
          features = W.rows;
          break;
        }
        case 'relu':
        case 'softmax':
          v.options(where, l, ['type']);
          ops.push({ type: l.type });
          break;
        case 'gelu': {
          const lo = v.options<Extract<LayerSpec, { type: 'gelu' }>>(where, l, ['type', 'approximate']);
          ops.push({ type: 'gelu', tanh: v.oneOf(`${where}.approximate`, lo.approximate, ['none', 'tanh'], 'none') === 'tanh' });
          break;
        }
        case 'layernorm': {
          const lo = v.options<Extract<LayerSpec, { type: 'layernorm' }>>(where, l, ['type', 'weight', 'bias', 'eps']);
          if (features === null) v.fail('ERR_ARGUMENT', `${where}: a layernorm needs a linear layer before it (its feature count)`);
          const n: number = features;
          ops.push({
            type: 'layernorm',
            gamma: lo.weight === undefined ? null : floatVector(get(lo.weight, `${where}.weight`), lo.weight, n),
            beta: lo.bias === undefined ? null : floatVector(get(lo.bias, `${where}.bias`), lo.bias, n),
            eps: lo.eps === undefined ? 1e-5 : v.finite(`${where}.eps`, lo.eps),
            features: n,
          });
          break;
        }
        default:
          v.fail('ERR_UNSUPPORTED', `${where}.type is ${v.describe((l as { type?: unknown } | null)?.type)}; layers are linear, relu, gelu, layernorm and softmax`);
      }
    });
    if (inFeatures === null || features === null) v.fail('ERR_ARGUMENT', 'spec.layers has no linear layer');
    return new InferenceModel(ops, inFeatures, features);
  }

  /**
   * A model from an ONNX graph that is a chain from its one input to its one output through MatMul / Gemm / Add /
   * Relu / Gelu / LayerNormalization / Softmax nodes whose weights are initializers. Any other op is
   * ERR_UNSUPPORTED naming it and its node; a graph that is not such a chain (a cycle, a branch, a dangling value)
   * is ERR_FORMAT naming the node.
   */
  static fromOnnx(model: OnnxModel, opts?: InferenceOptions): InferenceModel {
    return InferenceModel.fromSpec(onnxSpec(model), model.tensors, opts);
  }

  /** The layers: type, and for linear layers the weight's name, shape and the form and threads the planner chose. */
  describe(): { type: string; weight?: string; shape?: [number, number]; format?: string; threads?: number }[] {
    return this.ops.map((op) => (op.type === 'linear' ? { type: 'linear', weight: op.name, shape: [op.W.rows, op.W.cols], format: op.W.format, threads: op.W.threads } : { type: op.type }));
  }

  /**
   * Each linear layer's plan (LinearOperator.explain): its candidates, their timings and the choice, with the layer's
   * weight name; printed unless { print: false }.
   */
  explain(opts?: { print?: boolean }): (PlanExplanation & { weight: string })[] {
    const o = v.options<{ print?: boolean }>('options', opts, ['print']);
    const print = o.print === undefined ? true : v.boolean('options.print', o.print);
    return this.ops.flatMap((op) => (op.type === 'linear' ? [{ ...op.W.explain({ print }), weight: op.name }] : []));
  }

  /** Checks x against the model and the layout option; true when x is batch-major. */
  private batchMajor(x: DenseMatrix, opts: PredictOptions | undefined): boolean {
    const o = v.options<PredictOptions>('options', opts, ['layout']);
    const batchMajor = v.oneOf('options.layout', o.layout, ['batch-major', 'feature-major'], 'batch-major') === 'batch-major';
    v.dense('x', x);
    const features = batchMajor ? x.cols : x.rows;
    if (features !== this.inFeatures) {
      v.fail('ERR_SHAPE', `Expected x to have ${this.inFeatures} features (${batchMajor ? 'columns, batch-major' : 'rows, feature-major'}) but received ${x.rows}x${x.cols}`);
    }
    return batchMajor;
  }

  /** The reused activations of a sync call of this batch width (see `scratch`). */
  private buffers(width: number): { input: DenseMatrix | null; acts: DenseMatrix[] } {
    if (this.scratch?.width !== width) {
      // 64-byte aligned: the kernels' vector loads and stores then never straddle cache lines.
      const aligned = (rows: number) => denseMatrix(rows, width, alignedFloat32Array(rows * width));
      const acts = this.ops.flatMap((op) => (op.type === 'linear' ? [aligned(op.W.rows)] : []));
      // The transposed input only when the first layer cannot read a batch-major batch itself (firstLinear).
      this.scratch = { width, input: this.firstLinear ? null : aligned(this.inFeatures), acts };
    }
    return this.scratch;
  }

  /** The element-wise and per-column layers after a linear one (in place on its output). */
  private static pointwise(op: Op, h: DenseMatrix): void {
    const d = h.data;
    const rows = h.rows, cols = h.cols;
    switch (op.type) {
      case 'relu':
        addon.relu(d, d); // NaN kept, as PyTorch does
        return;
      case 'gelu':
        if (op.tanh) for (let i = 0; i < d.length; i++) d[i] = 0.5 * d[i] * (1 + Math.tanh(0.7978845608028654 * (d[i] + 0.044715 * d[i] * d[i] * d[i])));
        else for (let i = 0; i < d.length; i++) d[i] = 0.5 * d[i] * (1 + erf(d[i] * Math.SQRT1_2));
        return;
      case 'layernorm':
        for (let c = 0; c < cols; c++) {
          let mean = 0;
          for (let r = 0; r < rows; r++) mean += d[r * cols + c];
          mean /= rows;
          let variance = 0;
          for (let r = 0; r < rows; r++) variance += (d[r * cols + c] - mean) ** 2;
          const inv = 1 / Math.sqrt(variance / rows + op.eps);
          for (let r = 0; r < rows; r++) {
            const y = (d[r * cols + c] - mean) * inv;
            d[r * cols + c] = y * (op.gamma ? op.gamma[r] : 1) + (op.beta ? op.beta[r] : 0);
          }
        }
        return;
      case 'softmax':
        for (let c = 0; c < cols; c++) {
          let max = -Infinity;
          for (let r = 0; r < rows; r++) max = Math.max(max, d[r * cols + c]);
          let sum = 0;
          for (let r = 0; r < rows; r++) sum += Math.exp(d[r * cols + c] - max);
          for (let r = 0; r < rows; r++) d[r * cols + c] = Math.exp(d[r * cols + c] - max) / sum;
        }
        return;
      default:
    }
  }

  /**
   * The model's output for a batch (see PredictOptions.layout): a new matrix. The input is not changed. Activations
   * between layers live in buffers reused from one call of the same batch width to the next.
   */
  predict(x: DenseMatrix, opts?: PredictOptions): DenseMatrix {
    const batchMajor = this.batchMajor(x, opts);
    // The pool's threads stay awake from one layer to the next (a woken thread joins the next product late).
    addon.poolHold(true);
    try {
      return this.run(x, batchMajor);
    } finally {
      addon.poolHold(false);
    }
  }

  /** predict() after its checks. */
  private run(x: DenseMatrix, batchMajor: boolean): DenseMatrix {
    const direct = batchMajor && this.firstLinear;
    const buf = this.buffers(batchMajor ? x.rows : x.cols);
    let h = x;
    if (batchMajor && !direct && buf.input) {
      addon.transpose(x.data, x.rows, x.cols, buf.input.data);
      h = buf.input;
    }
    let k = 0;
    for (const [i, op] of this.ops.entries()) {
      if (op.type === 'linear') {
        // What the caller keeps is new: the last linear layer's output is, unless a transpose copies it anyway.
        const own = i === this.lastLinear && !batchMajor;
        const transB = direct && i === 0;
        h = op.W.apply(h, own ? { alpha: op.alpha, transB } : { alpha: op.alpha, out: buf.acts[k], transB });
        k++;
        if (op.bias) addon.addRowBias(h.data, h.rows, h.cols, op.bias);
      } else {
        if (h === x) h = denseMatrix(h.rows, h.cols, h.data.slice()); // never write into the caller's input
        InferenceModel.pointwise(op, h);
      }
    }
    return batchMajor ? transposeOf(h) : h;
  }

  /** predict() with every linear layer on the thread pool: the event loop stays free. */
  async predictAsync(x: DenseMatrix, opts?: PredictOptions): Promise<DenseMatrix> {
    const batchMajor = this.batchMajor(x, opts);
    const direct = batchMajor && this.firstLinear;
    let h = batchMajor && !direct ? transposeOf(x) : x;
    for (const [i, op] of this.ops.entries()) {
      if (op.type === 'linear') {
        h = await op.W.applyAsync(h, { alpha: op.alpha, transB: direct && i === 0 });
        if (op.bias) addon.addRowBias(h.data, h.rows, h.cols, op.bias);
      } else {
        if (h === x) h = denseMatrix(h.rows, h.cols, h.data.slice());
        InferenceModel.pointwise(op, h);
      }
    }
    return batchMajor ? transposeOf(h) : h;
  }
}

/** The spec of an ONNX chain (see InferenceModel.fromOnnx). */
export function onnxSpec(model: OnnxModel): ModelSpec {
  const { graph, tensors } = model;
  const isInit = (name: string) => Object.prototype.hasOwnProperty.call(tensors, name);
  const inputs = graph.inputs.filter((n) => !isInit(n));
  if (inputs.length !== 1 || graph.outputs.length !== 1) {
    v.fail('ERR_UNSUPPORTED', `ONNX graph '${graph.name}' has ${inputs.length} inputs and ${graph.outputs.length} outputs; a chain has one of each`);
  }
  const byInput = new Map<string, OnnxNode[]>();
  for (const n of graph.nodes) for (const i of n.inputs) if (!isInit(i)) byInput.set(i, [...(byInput.get(i) ?? []), n]);
  const layers: LayerSpec[] = [];
  const seen = new Set<OnnxNode>();
  let value = inputs[0];
  const label = (n: OnnxNode) => `node '${n.name || n.outputs[0]}' (${n.opType})`;
  while (value !== graph.outputs[0]) {
    const next = byInput.get(value) ?? [];
    if (next.length !== 1) v.fail('ERR_FORMAT', `ONNX value '${value}' feeds ${next.length} nodes; a chain feeds exactly one`);
    const n = next[0];
    if (seen.has(n)) v.fail('ERR_FORMAT', `ONNX graph has a cycle through ${label(n)}`);
    seen.add(n);
    if (n.outputs.length !== 1) v.fail('ERR_UNSUPPORTED', `${label(n)} has ${n.outputs.length} outputs`);
    const weights = n.inputs.filter((i) => i !== value);
    const need = (ok: boolean, what: string) => ok || v.fail('ERR_UNSUPPORTED', `${label(n)}: ${what}`);
    switch (n.opType) {
      case 'Gemm': {
        const a = n.attributes;
        need(n.inputs[0] === value && !a.transA, 'only Gemm(x, W) with transA = 0 is supported');
        need(weights.length >= 1 && weights.every(isInit), 'its B and C must be initializers');
        need(a.beta === undefined || a.beta === 1 || weights.length === 1, 'beta other than 1 with a bias');
        layers.push({ type: 'linear', weight: weights[0], ...(weights[1] ? { bias: weights[1] } : {}), transposed: !a.transB, ...(a.alpha !== undefined && a.alpha !== 1 ? { alpha: a.alpha as number } : {}) });
        break;
      }
      case 'MatMul':
        need(n.inputs[0] === value && weights.length === 1 && isInit(weights[0]), 'only MatMul(x, W) with W an initializer is supported');
        layers.push({ type: 'linear', weight: weights[0], transposed: true });
        break;
      case 'Add': {
        need(weights.length === 1 && isInit(weights[0]), 'only x + an initializer is supported');
        const last = layers[layers.length - 1];
        need(last?.type === 'linear' && last.bias === undefined, 'Add must follow a MatMul or Gemm without a bias');
        (last as Extract<LayerSpec, { type: 'linear' }>).bias = weights[0];
        break;
      }
      case 'Relu':
        layers.push({ type: 'relu' });
        break;
      case 'Gelu':
        layers.push({ type: 'gelu', approximate: n.attributes.approximate === 'tanh' ? 'tanh' : 'none' });
        break;
      case 'LayerNormalization':
        need(n.attributes.axis === undefined || n.attributes.axis === -1 || n.attributes.axis === 1, 'only the last axis is supported');
        need(weights.every(isInit), 'scale and bias must be initializers');
        layers.push({ type: 'layernorm', ...(weights[0] ? { weight: weights[0] } : {}), ...(weights[1] ? { bias: weights[1] } : {}), ...(n.attributes.epsilon !== undefined ? { eps: n.attributes.epsilon as number } : {}) });
        break;
      case 'Softmax':
        need(n.attributes.axis === undefined || n.attributes.axis === -1 || n.attributes.axis === 1, 'only the last axis is supported');
        layers.push({ type: 'softmax' });
        break;
      default:
        v.fail('ERR_UNSUPPORTED', `ONNX op ${n.opType} (${label(n)}) is not supported; supported: MatMul, Gemm, Add, Relu, Gelu, LayerNormalization, Softmax`);
    }
    value = n.outputs[0];
  }
  if (seen.size !== graph.nodes.length) {
    const extra = graph.nodes.find((n) => !seen.has(n))!;
    v.fail('ERR_FORMAT', `ONNX ${label(extra)} is not on the chain from '${inputs[0]}' to '${graph.outputs[0]}'`);
  }
  return { layers };
}
