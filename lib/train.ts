/**
 * Sparse training building blocks. Activations are feature-major: a batch is a DenseMatrix of features x batch
 * (one column per example). With that layout every pass of a sparse layer is one native kernel with the batch as
 * the dense width, and no transpose is ever formed:
 *   forward   Y = W X + b          spmm(W, X)             (W: out x in, CSR)
 *   backward  dX = Wᵀ dY           spmmT(W, dY, {plan})   (plan: Wᵀ's structure, cached while the mask holds)
 *             dW = (dY Xᵀ) on mask sddmm(W, dY, X)        (K = batch; written into the gradient buffer)
 *             db = row sums of dY
 */
import { CSRMatrix } from './csr';
import { alignedFloat32Array, DenseMatrix } from './dense';
import { Mask } from './mask';
import { gemm, sddmm, spmm, spmmT, TransposePlan, transposePlan } from './ops';
import { Param } from './optim';
import { keptCount, randomPrune } from './prune';
import { Rng } from './random';
import * as v from './validate';

/** y[i, :] += b[i]: a bias over a feature-major batch. */
function addBias(y: DenseMatrix, b: Float32Array): void {
  const n = y.cols, d = y.data;
  for (let i = 0; i < y.rows; i++) for (let j = i * n, e = j + n; j < e; j++) d[j] += b[i];
}

/** out[i] = sum of row i: the bias gradient of a feature-major batch. */
function rowSums(m: DenseMatrix, out: Float32Array): void {
  const n = m.cols, d = m.data;
  for (let i = 0; i < m.rows; i++) {
    let s = 0;
    for (let j = i * n, e = j + n; j < e; j++) s += d[j];
    out[i] = s;
  }
}

/**
 * Y = W X + b over feature-major batches: the checks, the bias and the kept input are here; a subclass supplies
 * the three products with its weight (sparse or dense).
 */
abstract class AffineLayer {
  abstract readonly inFeatures: number;
  abstract readonly outFeatures: number;
  abstract readonly bias: Float32Array | null;
  abstract readonly biasGrad: Float32Array | null;
  private input: DenseMatrix | null = null;

  /** W X. */
  protected abstract product(x: DenseMatrix): DenseMatrix;
  /** Fills the weight gradient dY Xᵀ (at the stored weights). */
  protected abstract weightGradient(dy: DenseMatrix, x: DenseMatrix): void;
  /** Wᵀ dY. */
  protected abstract inputGradient(dy: DenseMatrix): DenseMatrix;

  /** Y = W X + b for X of inFeatures x batch. Keeps X (not copied) for backward(). */
  forward(x: DenseMatrix): DenseMatrix {
    v.dense('x', x, this.inFeatures);
    const y = this.product(x);
    if (this.bias) addBias(y, this.bias);
    this.input = x;
    return y;
  }

  /**
   * Given dY (outFeatures x batch) for the last forward(): fills the weight gradient and biasGrad, and returns
   * dX (inFeatures x batch).
   */
  backward(dy: DenseMatrix): DenseMatrix {
    const x = this.input;
    if (!x) v.fail('ERR_ARGUMENT', 'backward() needs a forward() first');
    v.dense('dy', dy, this.outFeatures, x.cols);
    this.weightGradient(dy, x);
    if (this.biasGrad) rowSums(dy, this.biasGrad);
    return this.inputGradient(dy);
  }
}

export interface SparseLinearOptions {
  /** Fraction of weights kept (give density or sparsity, not both). */
  density?: number;
  sparsity?: number;
  /** A fixed pattern instead of a random one: a Mask or a CSRMatrix (its values are replaced by the init). */
  pattern?: Mask | CSRMatrix;
  /** 'uniform' (default): U(-b, b), b = 1 / sqrt(fan-in * density), PyTorch's Linear default scaled to the kept fan-in. */
  init?: 'uniform' | 'zeros';
  /** Default true. */
  bias?: boolean;
  /** Seed (uint32) for the pattern and the initial values. Default 0. */
  seed?: number;
}

/** A linear layer whose weight is kept as CSR: forward, backward and the gradient all stay sparse. */
export class SparseLinear extends AffineLayer {
  readonly inFeatures: number;
  readonly outFeatures: number;
  /** The weight, outFeatures x inFeatures. Its values are the trainable parameter. */
  weight: CSRMatrix;
  /** Gradient of the loss w.r.t. the stored weights (weight.nnz entries), filled by backward(). */
  weightGrad: Float32Array;
  readonly bias: Float32Array | null;
  readonly biasGrad: Float32Array | null;
  private plan: TransposePlan;
  // One stable list: optimizers key their state by these objects.
  private readonly paramList: Param[];

  constructor(inFeatures: number, outFeatures: number, opts?: SparseLinearOptions) {
    super();
    this.inFeatures = v.integer('inFeatures', inFeatures, 1);
    this.outFeatures = v.integer('outFeatures', outFeatures, 1);
    const o = v.options<SparseLinearOptions>('options', opts, ['density', 'sparsity', 'pattern', 'init', 'bias', 'seed']);
    if (o.density !== undefined && o.sparsity !== undefined) v.fail('ERR_ARGUMENT', 'Give options.density or options.sparsity, not both');
    const seed = o.seed === undefined ? 0 : v.integer('options.seed', o.seed, 0, 2 ** 32 - 1);
    let pattern: CSRMatrix;
    if (o.pattern !== undefined) {
      if (o.pattern instanceof Mask) pattern = o.pattern.toCSR();
      else pattern = v.instanceOf('options.pattern', o.pattern, CSRMatrix).clone();
      if (pattern.rows !== outFeatures || pattern.cols !== inFeatures) {
        v.fail('ERR_SHAPE', `Expected an ${outFeatures}x${inFeatures} options.pattern but received ${pattern.rows}x${pattern.cols}`);
      }
    } else {
      const density = o.density !== undefined ? v.fraction('options.density', o.density) : 1 - v.fraction('options.sparsity', o.sparsity ?? 0);
      pattern = randomPrune({ rows: outFeatures, cols: inFeatures }, { sparsity: 1 - density, seed }).toCSR();
    }
    const init = v.oneOf('options.init', o.init, ['uniform', 'zeros'], 'uniform');
    const rng = new Rng((seed ^ 0x9e3779b9) >>> 0);
    const density = Math.max(pattern.nnz / (inFeatures * outFeatures), 1 / inFeatures);
    const bound = 1 / Math.sqrt(inFeatures * density);
    const values = pattern.values;
    for (let k = 0; k < values.length; k++) values[k] = init === 'zeros' ? 0 : (rng.next() * 2 - 1) * bound;
    this.weight = pattern;
    this.weightGrad = new Float32Array(pattern.nnz);
    const bias = o.bias === undefined ? true : v.boolean('options.bias', o.bias);
    this.bias = bias ? Float32Array.from({ length: outFeatures }, () => (init === 'zeros' ? 0 : (rng.next() * 2 - 1) * bound)) : null;
    this.biasGrad = bias ? new Float32Array(outFeatures) : null;
    this.plan = transposePlan(this.weight);
    this.paramList = [{ value: this.weight.values, grad: this.weightGrad }];
    if (this.bias && this.biasGrad) this.paramList.push({ value: this.bias, grad: this.biasGrad });
  }

  /** Stored weights over all weights. */
  get density(): number {
    return this.weight.density;
  }

  /** Trainable parameters for an optimizer: the stored weights (and the bias). The same objects every call. */
  params(): Param[] {
    return this.paramList;
  }

  protected product(x: DenseMatrix): DenseMatrix {
    return spmm(this.weight, x);
  }

  protected weightGradient(dy: DenseMatrix, x: DenseMatrix): void {
    sddmm(this.weight, dy, x, { out: this.weightGrad }); // only at the stored weights
  }

  protected inputGradient(dy: DenseMatrix): DenseMatrix {
    return spmmT(this.weight, dy, { plan: this.plan, out: { data: alignedFloat32Array(this.inFeatures * dy.cols), rows: this.inFeatures, cols: dy.cols } });
  }

  /** Replaces the weight pattern (e.g. after a mask update); values and gradient buffer follow the new pattern. */
  setWeight(w: CSRMatrix): void {
    v.instanceOf('w', w, CSRMatrix);
    if (w.rows !== this.outFeatures || w.cols !== this.inFeatures) v.fail('ERR_SHAPE', `Expected an ${this.outFeatures}x${this.inFeatures} weight but received ${w.rows}x${w.cols}`);
    this.weight = w;
    if (this.weightGrad.length !== w.nnz) this.weightGrad = new Float32Array(w.nnz);
    this.plan = transposePlan(w);
    this.paramList[0].value = w.values;
    this.paramList[0].grad = this.weightGrad;
  }
}

/**
 * A dense linear layer with SparseLinear's interface (feature-major): forward gemm(W, X), input gradient
 * gemm(Wᵀ, dY), weight gradient dY Xᵀ as an SDDMM over the full pattern (dot products over the batch).
 */
export class Linear extends AffineLayer {
  readonly inFeatures: number;
  readonly outFeatures: number;
  /** outFeatures x inFeatures, row-major. */
  readonly weight: DenseMatrix;
  readonly weightGrad: Float32Array;
  readonly bias: Float32Array | null;
  readonly biasGrad: Float32Array | null;
  private readonly full: CSRMatrix;
  private readonly paramList: Param[];

  constructor(inFeatures: number, outFeatures: number, opts?: { bias?: boolean; seed?: number; init?: 'uniform' | 'zeros' }) {
    super();
    this.inFeatures = v.integer('inFeatures', inFeatures, 1);
    this.outFeatures = v.integer('outFeatures', outFeatures, 1);
    const o = v.options<{ bias?: boolean; seed?: number; init?: 'uniform' | 'zeros' }>('options', opts, ['bias', 'seed', 'init']);
    const rng = new Rng(((o.seed === undefined ? 0 : v.integer('options.seed', o.seed, 0, 2 ** 32 - 1)) ^ 0x9e3779b9) >>> 0);
    const init = v.oneOf('options.init', o.init, ['uniform', 'zeros'], 'uniform');
    const bound = 1 / Math.sqrt(inFeatures);
    const data = alignedFloat32Array(v.denseSize('weight', outFeatures, inFeatures));
    for (let k = 0; k < data.length; k++) data[k] = init === 'zeros' ? 0 : (rng.next() * 2 - 1) * bound;
    this.weight = { data, rows: outFeatures, cols: inFeatures };
    this.weightGrad = alignedFloat32Array(data.length);
    const bias = o.bias === undefined ? true : v.boolean('options.bias', o.bias);
    this.bias = bias ? Float32Array.from({ length: outFeatures }, () => (init === 'zeros' ? 0 : (rng.next() * 2 - 1) * bound)) : null;
    this.biasGrad = bias ? new Float32Array(outFeatures) : null;
    this.full = Mask.full(outFeatures, inFeatures).toCSR();
    this.paramList = [{ value: data, grad: this.weightGrad }];
    if (this.bias && this.biasGrad) this.paramList.push({ value: this.bias, grad: this.biasGrad });
  }

  params(): Param[] {
    return this.paramList;
  }

  protected product(x: DenseMatrix): DenseMatrix {
    return gemm(this.weight, x);
  }

  protected weightGradient(dy: DenseMatrix, x: DenseMatrix): void {
    sddmm(this.full, dy, x, { out: this.weightGrad }); // row-major over the full pattern: the dense dY Xᵀ
  }

  protected inputGradient(dy: DenseMatrix): DenseMatrix {
    return gemm(this.weight, dy, { transA: true });
  }
}

/** Kept weights for an out x in layer at this density, as SparseLinear draws them. */
export function sparseLinearNnz(inFeatures: number, outFeatures: number, density: number): number {
  return keptCount(inFeatures * outFeatures, 1 - density);
}

/** ReLU with the mask kept for backward (feature-major, any shape). */
export class ReLU {
  private input: DenseMatrix | null = null;

  forward(x: DenseMatrix): DenseMatrix {
    v.dense('x', x);
    const out = alignedFloat32Array(x.data.length);
    for (let k = 0; k < out.length; k++) out[k] = x.data[k] > 0 ? x.data[k] : 0;
    this.input = x;
    return { data: out, rows: x.rows, cols: x.cols };
  }

  backward(dy: DenseMatrix): DenseMatrix {
    const x = this.input;
    if (!x) v.fail('ERR_ARGUMENT', 'backward() needs a forward() first');
    v.dense('dy', dy, x.rows, x.cols);
    const out = alignedFloat32Array(dy.data.length);
    for (let k = 0; k < out.length; k++) out[k] = x.data[k] > 0 ? dy.data[k] : 0;
    return { data: out, rows: dy.rows, cols: dy.cols };
  }
}

/**
 * Mean softmax cross-entropy of logits (classes x batch, feature-major) against integer labels (one per column),
 * and its gradient w.r.t. the logits. Numerically stable (max subtracted per column).
 */
export function softmaxCrossEntropy(logits: DenseMatrix, labels: Int32Array | Uint8Array | number[]): { loss: number; grad: DenseMatrix; correct: number } {
  v.dense('logits', logits);
  const { rows: classes, cols: batch, data } = logits;
  if (labels === null || typeof labels !== 'object' || labels.length !== batch) {
    v.fail('ERR_SHAPE', `Expected ${batch} labels but received ${v.describe(labels)}`);
  }
  const grad = alignedFloat32Array(data.length);
  let loss = 0, correct = 0;
  for (let b = 0; b < batch; b++) {
    const y = labels[b];
    if (!Number.isInteger(y) || y < 0 || y >= classes) v.fail('ERR_RANGE', `labels[${b}] = ${y} is not a class in [0, ${classes})`);
    let max = -Infinity, arg = 0;
    for (let c = 0; c < classes; c++) if (data[c * batch + b] > max) { max = data[c * batch + b]; arg = c; }
    if (!Number.isFinite(max)) v.fail('ERR_RANGE', `logits column ${b} is not finite`);
    let sum = 0;
    for (let c = 0; c < classes; c++) sum += Math.exp(data[c * batch + b] - max);
    loss += Math.log(sum) + max - data[y * batch + b];
    for (let c = 0; c < classes; c++) grad[c * batch + b] = (Math.exp(data[c * batch + b] - max) / sum - (c === y ? 1 : 0)) / batch;
    if (arg === y) correct++;
  }
  return { loss: loss / batch, grad: { data: grad, rows: classes, cols: batch }, correct };
}

/** A layer Sequential can hold. */
export interface Layer {
  forward(x: DenseMatrix): DenseMatrix;
  backward(dy: DenseMatrix): DenseMatrix;
  params?(): Param[];
}

/** Layers applied in order; backward runs them in reverse. Feature-major batches throughout. */
export class Sequential {
  readonly layers: Layer[];

  constructor(layers: Layer[]) {
    if (!Array.isArray(layers) || layers.length === 0) v.fail('ERR_ARGUMENT', `Expected a non-empty array of layers but received ${v.describe(layers)}`);
    this.layers = layers;
  }

  forward(x: DenseMatrix): DenseMatrix {
    return this.layers.reduce((h, l) => l.forward(h), x);
  }

  backward(dy: DenseMatrix): DenseMatrix {
    return this.layers.reduceRight((g, l) => l.backward(g), dy);
  }

  params(): Param[] {
    return this.layers.flatMap((l) => (l.params ? l.params() : []));
  }
}
