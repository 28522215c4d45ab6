/**
 * Training checkpoints in the save/load container: every sparse layer's weight (CSR: its pattern is the mask),
 * bias and optimizer state, the step, the mask updater's generator state and any JSON state. Loading into a model
 * of the same architecture and continuing gives bit-identical results (tested).
 */
import { Adam, SGD } from './optim';
import { load, save, Savable } from './io/safetensors';
import { CSRMatrix } from './csr';
import { SparseLinear } from './train';
import { SET, RigL } from './dst';
import * as v from './validate';

export interface TrainingState {
  layers: SparseLinear[];
  optimizer?: SGD | Adam;
  updater?: SET | RigL;
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
    l.params().forEach((p, j) => {
      if (optimizer instanceof Adam) {
        const s = optimizer.state(p);
        if (s.m && s.v) {
          t[`adam_m${i}_${j}`] = s.m;
          t[`adam_v${i}_${j}`] = s.v;
          t[`adam_t${i}_${j}`] = s.step;
        }
      } else if (optimizer instanceof SGD) {
        const s = optimizer.state(p);
        if (s.momentum) t[`sgd_buf${i}_${j}`] = s.momentum;
      }
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
    l.params().forEach((p, j) => {
      const opt = target.optimizer;
      if (opt instanceof Adam && t[`adam_m${i}_${j}`]) {
        opt.setState(p, { m: t[`adam_m${i}_${j}`] as Float32Array, v: t[`adam_v${i}_${j}`] as Float32Array, step: t[`adam_t${i}_${j}`] as number });
      } else if (opt instanceof SGD && t[`sgd_buf${i}_${j}`]) {
        opt.setState(p, { momentum: t[`sgd_buf${i}_${j}`] as Float32Array });
      }
    });
  });
  if (target.updater && meta.rng) target.updater.setRngState(Uint32Array.from(meta.rng));
  return { step: meta.step, extra: meta.extra };
}
