import { Rng } from '../core/random';
import * as v from '../core/validate';
import { alignedFloat32Array, CSRMatrix, DenseMatrix, Mask } from '../formats';
import { gemm, sddmm } from '../kernels';
import type { Param } from '../optim';
import { AffineLayer } from './affine';

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
