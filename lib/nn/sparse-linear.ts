import { Rng } from '../core/random';
import * as v from '../core/validate';
import { CSRMatrix, DenseMatrix, Mask } from '../formats';
import { gemm, sddmm, spmm, spmmT, TransposePlan, transposePlan } from '../kernels';
import type { Param } from '../optim';
import { keptCount, randomPrune } from '../prune';
import { AffineLayer } from './affine';
import { FormatChoice, layerFormat, LayerFormat, ProductChoice, threadsOf } from './layer-format';

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
  /**
   * How the forward and input-gradient products run: 'auto' (default) lets plan() choose between CSR and a dense
   * copy of the weight for each batch-width class; 'csr' or 'dense' pins one (lib/nn/layer-format.ts). The weight
   * gradient is always computed at the stored weights only (SDDMM).
   */
  format?: LayerFormat;
}

/**
 * The backward pass's plan of a layer's weight: without the value cache, whose two extra floats per stored weight
 * would rest unused while training changes the weights at every step (TransposePlanOptions.cacheValues).
 */
function layerPlan(w: CSRMatrix): TransposePlan {
  return transposePlan(w, { cacheValues: false });
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
  private readonly choice: FormatChoice;
  /** A dense copy of the weight, refreshed from its values before each dense product (format 'dense'). */
  private dense: DenseMatrix | null = null;
  // One stable list: optimizers key their state by these objects.
  private readonly paramList: Param[];

  constructor(inFeatures: number, outFeatures: number, opts?: SparseLinearOptions) {
    super();
    this.inFeatures = v.integer('inFeatures', inFeatures, 1);
    this.outFeatures = v.integer('outFeatures', outFeatures, 1);
    const o = v.options<SparseLinearOptions>('options', opts, ['density', 'sparsity', 'pattern', 'init', 'bias', 'seed', 'format']);
    this.choice = new FormatChoice(layerFormat('options.format', o.format));
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
    this.plan = layerPlan(this.weight);
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

  /** How the products run now: the chosen form and threads (null before the first forward of a weight). */
  get productFormat(): ProductChoice | null {
    return this.choice.pinned === 'auto' ? this.choice.current : { format: this.choice.pinned, threads: 0 };
  }

  /** The dense copy with the weight's current values (entries off the pattern stay 0). */
  private denseWeight(): DenseMatrix {
    if (!this.dense) return (this.dense = this.weight.toDense());
    this.weight.scatterInto(this.dense.data);
    return this.dense;
  }

  protected product(x: DenseMatrix, out: DenseMatrix): DenseMatrix {
    const c = this.choice.for(this.weight, x.cols);
    if (c.format === 'dense') return gemm(this.denseWeight(), x, { out, threads: threadsOf(c) });
    return spmm(this.weight, x, { out, threads: threadsOf(c) });
  }

  protected weightGradient(dy: DenseMatrix, x: DenseMatrix): void {
    sddmm(this.weight, dy, x, { out: this.weightGrad }); // only at the stored weights
  }

  protected inputGradient(dy: DenseMatrix, out: DenseMatrix): DenseMatrix {
    const c = this.choice.current ?? this.choice.for(this.weight, dy.cols);
    if (c.format === 'dense') return gemm(this.denseWeight(), dy, { transA: true, out, threads: threadsOf(c) });
    return spmmT(this.weight, dy, { plan: this.plan, out, threads: threadsOf(c) });
  }

  /** Replaces the weight pattern (e.g. after a mask update); values and gradient buffer follow the new pattern. */
  setWeight(w: CSRMatrix): void {
    v.instanceOf('w', w, CSRMatrix);
    if (w.rows !== this.outFeatures || w.cols !== this.inFeatures) v.fail('ERR_SHAPE', `Expected an ${this.outFeatures}x${this.inFeatures} weight but received ${w.rows}x${w.cols}`);
    this.weight = w;
    if (this.weightGrad.length !== w.nnz) this.weightGrad = new Float32Array(w.nnz);
    this.plan = layerPlan(w);
    this.choice.invalidate();
    this.dense = null;
    this.paramList[0].value = w.values;
    this.paramList[0].grad = this.weightGrad;
  }
}

/** Kept weights for an out x in layer at this density, as SparseLinear draws them. */
export function sparseLinearNnz(inFeatures: number, outFeatures: number, density: number): number {
  return keptCount(inFeatures * outFeatures, 1 - density);
}
