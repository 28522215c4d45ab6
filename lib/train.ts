/**
 * Sparse training building blocks. Activations are feature-major: a batch is a DenseMatrix of features x batch
 * (one column per example). With that layout every pass of a sparse layer is one native kernel with the batch as
 * the dense width, and no transpose is ever formed:
 *   forward   Y = W X + b          spmm(W, X)             (W: out x in, CSR)
 *   backward  dX = Wᵀ dY           spmmT(W, dY, {plan})   (plan: Wᵀ's structure, cached while the mask holds)
 *             dW = (dY Xᵀ) on mask sddmm(W, dY, X)        (K = batch; written into the gradient buffer)
 *             db = row sums of dY
 */
import { addon } from './binding';
import { CSRMatrix } from './csr';
import { alignedFloat32Array, DenseMatrix, denseMatrix } from './dense';
import { Mask } from './mask';
import { gemm, sddmm, spmm, spmmT, TransposePlan, transposePlan } from './ops';
import { Param } from './optim';
import { keptCount, randomPrune } from './prune';
import { Rng } from './random';
import * as v from './validate';

/** The `out` a layer writes into: the given one after its checks, or a fresh one. */
function outArg(out: DenseMatrix | undefined, rows: number, cols: number, input: DenseMatrix, inputName: string): DenseMatrix {
  if (out === undefined) return denseMatrix(rows, cols);
  v.dense('options.out', out, rows, cols);
  v.disjoint('options.out', out.data, inputName, input.data);
  return out;
}

export interface ForwardOptions {
  /** Write the output here (its shape must match; it may not share memory with the input) instead of a new matrix. */
  out?: DenseMatrix;
}

export interface BackwardOptions extends ForwardOptions {
  /** false: fill the parameter gradients only and return null (the input gradient of a first layer is not needed). */
  inputGradient?: boolean;
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
  private outputGrad: DenseMatrix | null = null;

  /** W X into out. */
  protected abstract product(x: DenseMatrix, out: DenseMatrix): DenseMatrix;
  /** Fills the weight gradient dY Xᵀ (at the stored weights). */
  protected abstract weightGradient(dy: DenseMatrix, x: DenseMatrix): void;
  /** Wᵀ dY into out. */
  protected abstract inputGradient(dy: DenseMatrix, out: DenseMatrix): DenseMatrix;

  /** The X of the last forward() and the dY of the last backward() (what RigL's dense gradient needs), or null. */
  get lastInput(): DenseMatrix | null {
    return this.input;
  }

  get lastOutputGrad(): DenseMatrix | null {
    return this.outputGrad;
  }

  /** Y = W X + b for X of inFeatures x batch. Keeps X (not copied) for backward(). */
  forward(x: DenseMatrix, opts?: ForwardOptions): DenseMatrix {
    v.dense('x', x, this.inFeatures);
    const o = v.options<ForwardOptions>('options', opts, ['out']);
    const y = this.product(x, outArg(o.out, this.outFeatures, x.cols, x, 'x'));
    if (this.bias) addon.addRowBias(y.data, y.rows, y.cols, this.bias);
    this.input = x;
    this.outputGrad = null;
    return y;
  }

  /**
   * Given dY (outFeatures x batch) for the last forward(): fills the weight gradient and biasGrad, and returns
   * dX (inFeatures x batch), or null with { inputGradient: false }. Keeps dY (not copied).
   */
  backward(dy: DenseMatrix, opts?: BackwardOptions & { inputGradient?: true }): DenseMatrix;
  backward(dy: DenseMatrix, opts: BackwardOptions & { inputGradient: false }): null;
  backward(dy: DenseMatrix, opts?: BackwardOptions): DenseMatrix | null;
  backward(dy: DenseMatrix, opts?: BackwardOptions): DenseMatrix | null {
    const x = this.input;
    if (!x) v.fail('ERR_ARGUMENT', 'backward() needs a forward() first');
    v.dense('dy', dy, this.outFeatures, x.cols);
    const o = v.options<BackwardOptions>('options', opts, ['out', 'inputGradient']);
    const wantInput = o.inputGradient === undefined ? true : v.boolean('options.inputGradient', o.inputGradient);
    const out = wantInput ? outArg(o.out, this.inFeatures, x.cols, dy, 'dy') : null;
    this.weightGradient(dy, x);
    if (this.biasGrad) addon.rowSums(dy.data, dy.rows, dy.cols, this.biasGrad);
    this.outputGrad = dy;
    return out ? this.inputGradient(dy, out) : null;
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

  protected product(x: DenseMatrix, out: DenseMatrix): DenseMatrix {
    return spmm(this.weight, x, { out });
  }

  protected weightGradient(dy: DenseMatrix, x: DenseMatrix): void {
    sddmm(this.weight, dy, x, { out: this.weightGrad }); // only at the stored weights
  }

  protected inputGradient(dy: DenseMatrix, out: DenseMatrix): DenseMatrix {
    return spmmT(this.weight, dy, { plan: this.plan, out });
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

  protected product(x: DenseMatrix, out: DenseMatrix): DenseMatrix {
    return gemm(this.weight, x, { out });
  }

  protected weightGradient(dy: DenseMatrix, x: DenseMatrix): void {
    sddmm(this.full, dy, x, { out: this.weightGrad }); // row-major over the full pattern: the dense dY Xᵀ
  }

  protected inputGradient(dy: DenseMatrix, out: DenseMatrix): DenseMatrix {
    return gemm(this.weight, dy, { transA: true, out });
  }
}

/** Kept weights for an out x in layer at this density, as SparseLinear draws them. */
export function sparseLinearNnz(inFeatures: number, outFeatures: number, density: number): number {
  return keptCount(inFeatures * outFeatures, 1 - density);
}

/** ReLU with its input kept for backward (feature-major, any shape). NaN stays NaN (and passes no gradient). */
export class ReLU {
  private input: DenseMatrix | null = null;

  /** max(x, 0). options.out may be x itself (in place: backward still works, as the kept sign pattern is the same). */
  forward(x: DenseMatrix, opts?: ForwardOptions): DenseMatrix {
    v.dense('x', x);
    const o = v.options<ForwardOptions>('options', opts, ['out']);
    const out = o.out === x ? x : outArg(o.out, x.rows, x.cols, x, 'x');
    addon.relu(x.data, out.data);
    this.input = x;
    return out;
  }

  /** dY where the kept input was > 0, else 0. options.out may be dy itself. */
  backward(dy: DenseMatrix, opts?: ForwardOptions): DenseMatrix {
    const x = this.input;
    if (!x) v.fail('ERR_ARGUMENT', 'backward() needs a forward() first');
    v.dense('dy', dy, x.rows, x.cols);
    const o = v.options<ForwardOptions>('options', opts, ['out']);
    const out = o.out === dy ? dy : outArg(o.out, dy.rows, dy.cols, dy, 'dy');
    v.disjoint('options.out', out.data, 'the kept input', x.data);
    addon.reluBackward(x.data, dy.data, out.data);
    return out;
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
    for (let c = 0, k = b; c < classes; c++, k += batch) if (data[k] > max) { max = data[k]; arg = c; }
    if (!Number.isFinite(max)) v.fail('ERR_RANGE', `logits column ${b} is not finite`);
    let sum = 0;
    for (let c = 0, k = b; c < classes; c++, k += batch) sum += (grad[k] = Math.exp(data[k] - max));
    loss += Math.log(sum) + max - data[y * batch + b];
    for (let c = 0, k = b; c < classes; c++, k += batch) grad[k] = (grad[k] / sum - (c === y ? 1 : 0)) / batch;
    if (arg === y) correct++;
  }
  return { loss: loss / batch, grad: { data: grad, rows: classes, cols: batch }, correct };
}

/** A layer Sequential can hold. */
export interface Layer {
  forward(x: DenseMatrix): DenseMatrix;
  backward(dy: DenseMatrix): DenseMatrix | null;
  params?(): Param[];
}

/**
 * Layers applied in order; backward runs them in reverse. Feature-major batches throughout. The activations and
 * gradients between layers live in buffers Sequential owns and reuses while the batch size stays the same (so a
 * step allocates nothing but its output); what forward() and backward() return is always a new matrix. The
 * library's own layers (SparseLinear, Linear, ReLU) write into those buffers; other layers allocate as they like.
 */
export class Sequential {
  readonly layers: Layer[];
  private readonly acts: (DenseMatrix | undefined)[] = [];
  private readonly grads: (DenseMatrix | undefined)[] = [];

  constructor(layers: Layer[]) {
    if (!Array.isArray(layers) || layers.length === 0) v.fail('ERR_ARGUMENT', `Expected a non-empty array of layers but received ${v.describe(layers)}`);
    layers.forEach((l, i) => {
      if (l === null || typeof l !== 'object' || typeof l.forward !== 'function' || typeof l.backward !== 'function') {
        v.fail('ERR_ARGUMENT', `Expected layers[${i}] to have forward() and backward() but received ${v.describe(l)}`);
      }
    });
    this.layers = layers;
  }

  /** The reusable rows x cols buffer in slot i of a list. */
  private static buffer(list: (DenseMatrix | undefined)[], i: number, rows: number, cols: number): DenseMatrix {
    const b = list[i];
    if (b && b.rows === rows && b.cols === cols) return b;
    return (list[i] = denseMatrix(rows, cols));
  }

  forward(x: DenseMatrix): DenseMatrix {
    let h = x;
    const last = this.layers.length - 1;
    this.layers.forEach((l, i) => {
      if (i < last && l instanceof AffineLayer) h = l.forward(h, { out: Sequential.buffer(this.acts, i, l.outFeatures, h.cols) });
      else if (i < last && l instanceof ReLU && i > 0 && h === this.acts[i - 1]) h = l.forward(h, { out: h }); // in place on a buffer of ours
      else h = l.forward(h);
    });
    return h;
  }

  /**
   * Backpropagates dY (not modified) through every layer, filling the parameter gradients; returns dX, or null
   * with { inputGradient: false } (then the first layer's input gradient is not computed at all).
   */
  backward(dy: DenseMatrix, opts?: { inputGradient?: boolean }): DenseMatrix | null {
    const o = v.options<{ inputGradient?: boolean }>('options', opts, ['inputGradient']);
    const wantInput = o.inputGradient === undefined ? true : v.boolean('options.inputGradient', o.inputGradient);
    let g: DenseMatrix = dy;
    for (let i = this.layers.length - 1; i >= 0; i--) {
      const l = this.layers[i];
      if (i === 0) {
        if (wantInput) return l.backward(g);
        if (l instanceof AffineLayer) l.backward(g, { inputGradient: false });
        else if (!(l instanceof ReLU)) l.backward(g);
        return null;
      }
      if (l instanceof AffineLayer) g = l.backward(g, { out: Sequential.buffer(this.grads, i, l.inFeatures, g.cols) });
      else if (l instanceof ReLU) g = l.backward(g, { out: Sequential.buffer(this.grads, i, g.rows, g.cols) });
      else {
        const next = l.backward(g);
        if (!next) v.fail('ERR_ARGUMENT', `layers[${i}].backward() returned no input gradient`);
        g = next;
      }
    }
    return g;
  }

  params(): Param[] {
    return this.layers.flatMap((l) => (l.params ? l.params() : []));
  }
}
