/**
 * Training checkpoints in the save/load container: every sparse layer's weight (CSR: its pattern is the mask),
 * bias and optimizer state, the step, the mask updater's generator state and any JSON state. Loading into a model
 * of the same architecture and continuing gives bit-identical results (tested). The file keys are those of 0.1.0
 * (w<i>, b<i>, <prefix><i>_<j> with the optimizer's prefixes: adam_m, adam_v, adam_t, sgd_buf); a checkpoint
 * written by 0.1.0 loads (tested against one).
 */
import * as v from '../core/validate';
import { CSRMatrix } from '../formats';
import { load, save, Savable } from '../io/safetensors';
import { SparseLinear } from '../nn';
import type { Optimizer } from '../optim';
import type { MaskUpdater } from './updater';

export interface TrainingState {
  layers: SparseLinear[];
  optimizer?: Optimizer;
  /** The mask updater (SET, RigL): its generator state is kept. */
  updater?: MaskUpdater;
  step: number;
  /** Anything else to keep (schedule parameters, seeds...), as JSON. */
  extra?: Record<string, unknown>;
}

export function saveTraining(state: TrainingState): Uint8Array {
  const { layers, optimizer, updater } = state;
  if (!Array.isArray(layers)) v.fail('ERR_ARGUMENT', `Expected an array of SparseLinear for layers but received ${v.describe(layers)}`);
  const t: Record<string, Savable> = {};
  layers.forEach((l, i) => {
    v.instanceOf(`layers[${i}]`, l, SparseLinear);
    t[`w${i}`] = l.weight;
    if (l.bias) t[`b${i}`] = l.bias;
    if (!optimizer) return;
    l.params().forEach((p, j) => {
      for (const [prefix, value] of Object.entries(optimizer.checkpointState(p))) t[`${prefix}${i}_${j}`] = value;
    });
  });
  t.training = {
    step: v.integer('step', state.step, 0, Number.MAX_SAFE_INTEGER),
    layers: layers.length,
    rng: updater ? Array.from(updater.rngState()) : null,
    extra: (state.extra ?? {}) as never,
  };
  return save(t);
}

/** Restores into `layers` (same architecture), `optimizer` and `updater`; returns the step and extra state. */
export function loadTraining(bytes: Uint8Array, target: Omit<TrainingState, 'step' | 'extra'>): { step: number; extra: Record<string, unknown> } {
  const t = load(bytes);
  const meta = t.training as { step: number; layers: number; rng: number[] | null; extra: Record<string, unknown> } | undefined;
  if (!meta || typeof meta !== 'object') v.fail('ERR_IO', 'loadTraining: not a training checkpoint (no training state)');
  if (meta.layers !== target.layers.length) v.fail('ERR_SHAPE', `loadTraining: the checkpoint has ${meta.layers} layers, the model ${target.layers.length}`);
  target.layers.forEach((l, i) => {
    const w = t[`w${i}`];
    if (!(w instanceof CSRMatrix)) v.fail('ERR_IO', `loadTraining: layer ${i} has no weight`);
    l.setWeight(w.clone());
    const b = t[`b${i}`];
    if (l.bias) {
      if (!(b instanceof Float32Array)) v.fail('ERR_IO', `loadTraining: layer ${i} has no bias`);
      l.bias.set(v.float32Array(`bias ${i}`, b, l.bias.length));
    }
    const opt = target.optimizer;
    if (opt) l.params().forEach((p, j) => opt.restoreCheckpointState(p, (prefix) => t[`${prefix}${i}_${j}`]));
  });
  if (target.updater && meta.rng) target.updater.setRngState(Uint32Array.from(meta.rng));
  return { step: meta.step, extra: meta.extra };
}
