/**
 * Dynamic sparse training at constant sparsity: every `updateEvery` steps until `endStep`, drop the fraction
 * dropFraction(step) of a layer's stored weights with the smallest |w| and grow as many new ones: at random (SET,
 * Mocanu et al. 2018) or where the dense gradient is largest (RigL, Evci et al. 2020). The dense gradient is only
 * formed on update steps, one layer at a time (an SDDMM over the full pattern of that layer). Regrown weights start
 * at 0 and their optimizer state at 0; kept weights keep their values and state; nnz is preserved exactly and the
 * pattern stays sorted CSR.
 */
import { addon } from '../core/binding';
import { Rng } from '../core/random';
import * as v from '../core/validate';
import { CSRMatrix, DenseMatrix } from '../formats';
import { SparseLinear } from '../nn';
import type { Optimizer } from '../optim';

export interface MaskUpdateOptions {
  /** Fraction of stored weights replaced at an update (before annealing). Default 0.3. */
  dropFraction?: number;
  /** 'cosine' (default): dropFraction * (1 + cos(pi * step / endStep)) / 2; 'constant'. */
  anneal?: 'cosine' | 'constant';
  /** Steps between updates. Default 100. */
  updateEvery?: number;
  /** No updates from this step on. */
  endStep: number;
  /** Seed for SET's random growth (and nothing else). Default 0. */
  seed?: number;
}

export interface MaskUpdateResult {
  dropped: number;
  grown: number;
}

export abstract class MaskUpdater {
  readonly dropFraction: number;
  readonly anneal: 'cosine' | 'constant';
  readonly updateEvery: number;
  readonly endStep: number;
  protected rng: Rng;

  constructor(opts: MaskUpdateOptions) {
    const o = v.options<MaskUpdateOptions>('options', opts, ['dropFraction', 'anneal', 'updateEvery', 'endStep', 'seed']);
    this.dropFraction = o.dropFraction === undefined ? 0.3 : v.fraction('options.dropFraction', o.dropFraction);
    this.anneal = v.oneOf('options.anneal', o.anneal, ['cosine', 'constant'], 'cosine');
    this.updateEvery = o.updateEvery === undefined ? 100 : v.integer('options.updateEvery', o.updateEvery, 1, Number.MAX_SAFE_INTEGER);
    this.endStep = v.integer('options.endStep', o.endStep, 0, Number.MAX_SAFE_INTEGER);
    this.rng = new Rng(o.seed === undefined ? 0 : v.integer('options.seed', o.seed, 0, 2 ** 32 - 1));
  }

  /** The generator state (SET's random growth), for checkpoints. */
  rngState(): Uint32Array {
    return this.rng.state();
  }

  setRngState(state: Uint32Array): void {
    this.rng = Rng.fromState(state);
  }

  /** Whether to update the masks at this step (step > 0, a multiple of updateEvery, before endStep). */
  shouldUpdate(step: number): boolean {
    v.integer('step', step, 0, Number.MAX_SAFE_INTEGER);
    return step > 0 && step < this.endStep && step % this.updateEvery === 0;
  }

  /** The fraction dropped (and regrown) at this step. */
  dropFractionAt(step: number): number {
    v.integer('step', step, 0, Number.MAX_SAFE_INTEGER);
    if (this.anneal === 'constant') return step < this.endStep ? this.dropFraction : 0;
    return step >= this.endStep ? 0 : (this.dropFraction / 2) * (1 + Math.cos((Math.PI * step) / this.endStep));
  }

  /**
   * Updates one layer. RigL's dense gradient dy xᵀ comes from the layer's input x (in x batch) and output gradient
   * dy (out x batch): by default those of its last forward() and backward(), or ctx.x and ctx.dy. The optimizer's
   * state for the layer's weights follows the new pattern.
   */
  update(layer: SparseLinear, step: number, ctx: { x?: DenseMatrix; dy?: DenseMatrix; optimizer?: Optimizer } = {}): MaskUpdateResult {
    v.instanceOf('layer', layer, SparseLinear);
    const W = layer.weight;
    const nnz = W.nnz;
    const k = Math.min(Math.round(this.dropFractionAt(step) * nnz), nnz);
    if (k === 0) return { dropped: 0, grown: 0 };
    // Native: keep the nnz - k largest |w| (ties: lower index), grow the k best scores among the positions not
    // kept (a just-dropped one may come back, as in RigL), merge into a sorted pattern; from[] maps kept entries.
    const { scores, abs } = this.growScores(layer, ctx);
    const indptr = new Int32Array(W.rows + 1), indices = new Int32Array(nnz), values = new Float32Array(nnz), from = new Int32Array(nnz);
    addon.regrowCsr(W.rows, W.cols, W.indptr, W.indices, W.values, k, scores, abs, indptr, indices, values, from);
    const param = layer.params()[0];
    layer.setWeight(CSRMatrix.fromArrays(W.rows, W.cols, indptr, indices, values));
    if (ctx.optimizer) ctx.optimizer.remapState(param, from);
    return { dropped: k, grown: k };
  }

  /** Growth scores over all rows x cols positions (a new array the update may overwrite); abs: rank by |score|. */
  protected abstract growScores(layer: SparseLinear, ctx: { x?: DenseMatrix; dy?: DenseMatrix }): { scores: Float32Array; abs: boolean };
}
