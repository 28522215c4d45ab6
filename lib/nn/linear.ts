import { Rng } from '../core/random';
import * as v from '../core/validate';
import { alignedFloat32Array, CSRMatrix, DenseMatrix, Mask } from '../formats';
import { gemm, sddmm, spmm, spmmT } from '../kernels';
import type { Param } from '../optim';
import { AffineLayer } from './affine';
import { FormatChoice, layerFormat, LayerFormat, ProductChoice, threadsOf } from './layer-format';

export interface LinearOptions {
  bias?: boolean;
  seed?: number;
  init?: 'uniform' | 'zeros';
  /**
   * How the forward and input-gradient products run: 'auto' (default) lets plan() choose between the dense GEMM and
   * CSR (which wins once enough weights are zero, after prune()); 'dense' or 'csr' pins one.
   */
  format?: LayerFormat;
}

/**
 * A dense linear layer with SparseLinear's interface (feature-major): forward W X, input gradient Wᵀ dY, weight
 * gradient dY Xᵀ as an SDDMM over the full pattern (dot products over the batch). The two products run as the
 * planner chooses (options.format): the dense GEMM, or CSR built from the weight's non-zeros before each use, which
 * wins once the weight is pruned (prune()).
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
  private readonly choice: FormatChoice;

  constructor(inFeatures: number, outFeatures: number, opts?: LinearOptions) {
    super();
    this.inFeatures = v.integer('inFeatures', inFeatures, 1);
    this.outFeatures = v.integer('outFeatures', outFeatures, 1);
    const o = v.options<LinearOptions>('options', opts, ['bias', 'seed', 'init', 'format']);
    this.choice = new FormatChoice(layerFormat('options.format', o.format));
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

  /**
   * Zeroes the weights outside `mask` (in place; an outFeatures x inFeatures Mask, e.g. from magnitudePrune(weight))
   * and plans the products again: with format 'auto' a pruned layer runs sparse once that is faster. Training on
   * makes the zeros non-zero again (the gradient is dense); prune again, or train a SparseLinear.
   */
  prune(mask: Mask): this {
    v.instanceOf('mask', mask, Mask);
    if (mask.rows !== this.outFeatures || mask.cols !== this.inFeatures) {
      v.fail('ERR_SHAPE', `Expected an ${this.outFeatures}x${this.inFeatures} mask but received ${mask.rows}x${mask.cols}`);
    }
    mask.apply(this.weight.data);
    this.choice.invalidate();
    return this;
  }

  /** How the products run now: the chosen form and threads (null before the first forward, or after prune()). */
  get productFormat(): ProductChoice | null {
    return this.choice.pinned === 'auto' ? this.choice.current : { format: this.choice.pinned, threads: 0 };
  }

  protected product(x: DenseMatrix, out: DenseMatrix): DenseMatrix {
    const c = this.choice.for(this.weight, x.cols);
    if (c.format === 'dense') return gemm(this.weight, x, { out, threads: threadsOf(c) });
    // Built from the current values before each use: they change at every step.
    return spmm(CSRMatrix.fromDense(this.weight), x, { out, threads: threadsOf(c) });
  }

  protected weightGradient(dy: DenseMatrix, x: DenseMatrix): void {
    sddmm(this.full, dy, x, { out: this.weightGrad }); // row-major over the full pattern: the dense dY Xᵀ
  }

  protected inputGradient(dy: DenseMatrix, out: DenseMatrix): DenseMatrix {
    const c = this.choice.current ?? this.choice.for(this.weight, dy.cols);
    if (c.format === 'dense') return gemm(this.weight, dy, { transA: true, out, threads: threadsOf(c) });
    return spmmT(CSRMatrix.fromDense(this.weight), dy, { out, threads: threadsOf(c) });
  }
}
