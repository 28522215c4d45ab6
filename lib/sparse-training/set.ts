import { SparseLinear } from '../nn';
import { MaskUpdater } from './updater';

/** SET: random regrowth. */
export class SET extends MaskUpdater {
  protected growScores(layer: SparseLinear): { scores: Float32Array; abs: boolean } {
    const W = layer.weight;
    const scores = new Float32Array(W.rows * W.cols);
    for (let k = 0; k < scores.length; k++) scores[k] = this.rng.next();
    return { scores, abs: false };
  }
}
