import * as v from '../core/validate';
import { CSRMatrix, DenseMatrix, Mask } from '../formats';
import { sddmm } from '../kernels';
import { SparseLinear } from '../nn';
import { MaskUpdater } from './updater';

/** RigL: regrowth where |dL/dW| of the dense layer is largest (computed only on update steps). */
export class RigL extends MaskUpdater {
  private full = new Map<string, CSRMatrix>();

  protected growScores(layer: SparseLinear, ctx: { x?: DenseMatrix; dy?: DenseMatrix }): { scores: Float32Array; abs: boolean } {
    const W = layer.weight;
    const x = ctx.x ?? layer.lastInput, dy = ctx.dy ?? layer.lastOutputGrad;
    if (!x || !dy) v.fail('ERR_ARGUMENT', 'RigL.update needs the layer input and output gradient of a batch: call it after backward(), or pass { x, dy }');
    const key = `${W.rows}x${W.cols}`;
    let full = this.full.get(key);
    if (!full) {
      full = Mask.full(W.rows, W.cols).toCSR();
      this.full.set(key, full);
    }
    // The dense gradient dy xᵀ, row-major: one layer, this step only, ranked by magnitude.
    return { scores: sddmm(full, dy, x).values, abs: true };
  }
}
