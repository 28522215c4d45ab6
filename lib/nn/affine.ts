/**
 * Sparse training building blocks. Activations are feature-major: a batch is a DenseMatrix of features x batch
 * (one column per example). With that layout every pass of a sparse layer is one native kernel with the batch as
 * the dense width, and no transpose is ever formed:
 *   forward   Y = W X + b          spmm(W, X)             (W: out x in, CSR)
 *   backward  dX = Wᵀ dY           spmmT(W, dY, {plan})   (plan: Wᵀ's structure, cached while the mask holds)
 *             dW = (dY Xᵀ) on mask sddmm(W, dY, X)        (K = batch; written into the gradient buffer)
 *             db = row sums of dY
 */
import { addon } from '../core/binding';
import * as v from '../core/validate';
import { DenseMatrix } from '../formats';
import { BackwardOptions, ForwardOptions, outArg } from './layer';

/**
 * Y = W X + b over feature-major batches: the checks, the bias and the kept input are here; a subclass supplies
 * the three products with its weight (sparse or dense).
 */
export abstract class AffineLayer {
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
