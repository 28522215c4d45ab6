import { addon } from '../core/binding';
import * as v from '../core/validate';
import { CSRMatrix } from '../formats';
import { SparseLinear } from '../nn';
import type { Optimizer } from '../optim';
import { keptCount } from '../prune';
import type { MaskUpdateResult } from './updater';

/**
 * Gradual magnitude pruning during training (Zhu & Gupta 2017, dense to sparse): shrinks the layer to
 * `sparsity` (of all its weights) by dropping its smallest stored |w|; never grows. Use with a polynomialDecay
 * schedule: `if (schedule.shouldPrune(step)) pruneLayer(layer, schedule(step), { optimizer })`. The optimizer's
 * per-weight state follows the kept weights.
 */
export function pruneLayer(layer: SparseLinear, sparsity: number, ctx: { optimizer?: Optimizer } = {}): MaskUpdateResult {
  v.instanceOf('layer', layer, SparseLinear);
  const W = layer.weight;
  const keepCount = keptCount(W.rows * W.cols, v.fraction('sparsity', sparsity));
  if (keepCount >= W.nnz) return { dropped: 0, grown: 0 };
  const keep = new Uint32Array(Math.ceil(W.nnz / 32));
  addon.selectGlobal([W.values], [null], [1], [keep], keepCount, true, false);
  const indptr = new Int32Array(W.rows + 1), indices = new Int32Array(keepCount), values = new Float32Array(keepCount);
  const from = new Int32Array(keepCount);
  for (let i = 0, w = 0; i < W.rows; i++) {
    for (let q = W.indptr[i]; q < W.indptr[i + 1]; q++) {
      if ((keep[q >>> 5] >>> (q & 31)) & 1) {
        indices[w] = W.indices[q];
        values[w] = W.values[q];
        from[w++] = q;
      }
    }
    indptr[i + 1] = w;
  }
  const param = layer.params()[0];
  const dropped = W.nnz - keepCount;
  layer.setWeight(CSRMatrix.fromArrays(W.rows, W.cols, indptr, indices, values));
  if (ctx.optimizer) ctx.optimizer.remapState(param, from);
  return { dropped, grown: 0 };
}
