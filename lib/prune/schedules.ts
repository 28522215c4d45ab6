/** Sparsity schedules: plain functions of the training step (constant, polynomial decay, one-shot, iterative). */
import * as v from '../core/validate';

/** A sparsity schedule: the target sparsity at a training step, and whether to prune at that step. */
export interface Schedule {
  (step: number): number;
  shouldPrune(step: number): boolean;
}

function step(name: string, x: unknown): number {
  return v.integer(name, x, 0, Number.MAX_SAFE_INTEGER);
}

function makeSchedule(at: (s: number) => number, begin: number, end: number, frequency: number): Schedule {
  const f = ((s: number) => at(step('step', s))) as Schedule;
  f.shouldPrune = (s: number) => {
    step('step', s);
    return s >= begin && s <= end && (s - begin) % frequency === 0;
  };
  return f;
}

export interface ConstantSparsityOptions {
  sparsity: number;
  beginStep?: number;
  /** Last step to prune at (default: never stops). */
  endStep?: number;
  frequency?: number;
}

/** Sparsity `sparsity` from beginStep on (0 before); prune every `frequency` steps between beginStep and endStep. */
export function constantSparsity(opts: ConstantSparsityOptions): Schedule {
  const o = v.options<ConstantSparsityOptions>('options', opts, ['sparsity', 'beginStep', 'endStep', 'frequency']);
  const sparsity = v.fraction('options.sparsity', o.sparsity);
  const begin = o.beginStep === undefined ? 0 : step('options.beginStep', o.beginStep);
  const end = o.endStep === undefined ? Number.MAX_SAFE_INTEGER : step('options.endStep', o.endStep);
  const frequency = o.frequency === undefined ? 1 : v.integer('options.frequency', o.frequency, 1, Number.MAX_SAFE_INTEGER);
  if (end < begin) v.fail('ERR_RANGE', `Expected options.endStep >= options.beginStep (${begin}) but received ${end}`);
  return makeSchedule((s) => (s < begin ? 0 : sparsity), begin, end, frequency);
}

export interface PolynomialDecayOptions {
  initialSparsity: number;
  finalSparsity: number;
  beginStep: number;
  endStep: number;
  /** Exponent; 3 (cubic) as in Zhu & Gupta 2017. */
  power?: number;
  /** Prune every `frequency` steps; the sparsity only changes on those steps. Default 1. */
  frequency?: number;
}

/**
 * Gradual magnitude pruning (Zhu & Gupta 2017): s(t) = s_f + (s_i - s_f) * (1 - (t - t0) / (t1 - t0))^power, with
 * t rounded down to the last pruning step (t0 + k * frequency). s_i before t0, s_f from t1 on.
 */
export function polynomialDecay(opts: PolynomialDecayOptions): Schedule {
  const o = v.options<PolynomialDecayOptions>('options', opts, ['initialSparsity', 'finalSparsity', 'beginStep', 'endStep', 'power', 'frequency']);
  const si = v.fraction('options.initialSparsity', o.initialSparsity);
  const sf = v.fraction('options.finalSparsity', o.finalSparsity);
  const begin = step('options.beginStep', o.beginStep);
  const end = step('options.endStep', o.endStep);
  if (end <= begin) v.fail('ERR_RANGE', `Expected options.endStep > options.beginStep (${begin}) but received ${end}`);
  const power = o.power === undefined ? 3 : v.finite('options.power', o.power);
  if (power <= 0) v.fail('ERR_RANGE', `Expected a positive number for options.power but received ${power}`);
  const frequency = o.frequency === undefined ? 1 : v.integer('options.frequency', o.frequency, 1, Number.MAX_SAFE_INTEGER);
  return makeSchedule((s) => {
    if (s <= begin) return si;
    if (s >= end) return sf;
    const t = begin + Math.floor((s - begin) / frequency) * frequency;
    return sf + (si - sf) * Math.pow(1 - (t - begin) / (end - begin), power);
  }, begin, end, frequency);
}

/** Prune once, at `step`, to `sparsity` (0 before, `sparsity` from then on). */
export function oneShot(opts: { sparsity: number; step?: number }): Schedule {
  const o = v.options<{ sparsity: number; step?: number }>('options', opts, ['sparsity', 'step']);
  const at = o.step === undefined ? 0 : step('options.step', o.step);
  return constantSparsity({ sparsity: o.sparsity as number, beginStep: at, endStep: at });
}

/**
 * Iterative magnitude pruning with weight rewinding (lottery tickets, Frankle & Carbin 2019; Frankle et al. 2020):
 * the sparsity after each of `rounds` rounds when every round prunes the same fraction of the weights still alive,
 * ending at finalSparsity: s_k = 1 - (1 - finalSparsity)^(k / rounds). The procedure, in code:
 *
 *   const w0 = snapshot of the weights at the rewind step
 *   for (const s of iterativeSparsities({ finalSparsity: 0.9, rounds: 5 })) {
 *     train(model)                                    // to convergence, or a fixed budget
 *     const mask = magnitudePrune(W, { sparsity: s }) // over the current weights (or globalMagnitudePrune)
 *     rewind(model, w0, mask)                         // weights back to w0, then keep only the mask
 *   }
 */
export function iterativeSparsities(opts: { finalSparsity: number; rounds: number }): number[] {
  const o = v.options<{ finalSparsity: number; rounds: number }>('options', opts, ['finalSparsity', 'rounds']);
  const sf = v.fraction('options.finalSparsity', o.finalSparsity);
  const rounds = v.integer('options.rounds', o.rounds, 1, 1000);
  return Array.from({ length: rounds }, (_, k) => (k + 1 === rounds ? sf : 1 - Math.pow(1 - sf, (k + 1) / rounds)));
}
