import { addon } from '../core/binding';
import * as v from '../core/validate';
import { AnyParam, BackendParam, BackendTensor, checkParams, isBackendParam, Optimizer, Param, remap, resetAt, sameLength, StateEntries } from './optimizer';

export interface AdamOptions {
  lr: number;
  betas?: [number, number];
  eps?: number;
  weightDecay?: number;
  /** true: AdamW (decoupled weight decay, Loshchilov & Hutter); false (default): L2 added to the gradient. */
  decoupled?: boolean;
}

/** Adam / AdamW with bias correction, as torch.optim.Adam / AdamW. */
export class Adam implements Optimizer {
  readonly lr: number;
  readonly betas: [number, number];
  readonly eps: number;
  readonly weightDecay: number;
  readonly decoupled: boolean;
  private readonly states = new WeakMap<Param, { m: Float32Array; v: Float32Array; t: number }>();
  private readonly backendStates = new WeakMap<BackendParam, { m: BackendTensor; v: BackendTensor; t: number }>();

  constructor(opts: AdamOptions) {
    const o = v.options<AdamOptions>('options', opts, ['lr', 'betas', 'eps', 'weightDecay', 'decoupled']);
    this.lr = v.finite('options.lr', o.lr);
    const betas = o.betas ?? [0.9, 0.999];
    if (!Array.isArray(betas) || betas.length !== 2) v.fail('ERR_ARGUMENT', `Expected [beta1, beta2] for options.betas but received ${v.describe(betas)}`);
    this.betas = [v.fraction('options.betas[0]', betas[0]), v.fraction('options.betas[1]', betas[1])];
    if (this.betas[0] === 1 || this.betas[1] === 1) v.fail('ERR_RANGE', 'options.betas must be below 1');
    this.eps = o.eps === undefined ? 1e-8 : v.finite('options.eps', o.eps);
    this.weightDecay = o.weightDecay === undefined ? 0 : v.finite('options.weightDecay', o.weightDecay);
    this.decoupled = o.decoupled === undefined ? false : v.boolean('options.decoupled', o.decoupled);
  }

  /** The hyper-parameters of step t (1-based), bias corrections included. */
  private hyper(t: number) {
    const [beta1, beta2] = this.betas;
    return {
      lr: this.lr, beta1, beta2, eps: this.eps, weightDecay: this.weightDecay, decoupled: this.decoupled,
      c1: 1 / (1 - Math.pow(beta1, t)), c2: 1 / (1 - Math.pow(beta2, t)),
    };
  }

  step(params: AnyParam[]): void {
    checkParams(params);
    for (const p of params) {
      if (isBackendParam(p)) {
        const b = p.value.backend;
        const d = this.backendStates.get(p) ?? { m: b.zerosLike(p.value), v: b.zerosLike(p.value), t: 0 };
        d.t += 1;
        this.backendStates.set(p, d);
        b.adamStep(p, d.m, d.v, this.hyper(d.t));
        continue;
      }
      const s = this.states.get(p) ?? { m: new Float32Array(p.value.length), v: new Float32Array(p.value.length), t: 0 };
      sameLength(s.m, p);
      s.t += 1;
      this.states.set(p, s);
      const h = this.hyper(s.t);
      addon.adamStep(p.value, p.grad, s.m, s.v, h.lr, h.beta1, h.beta2, h.eps, h.weightDecay, h.c1, h.c2, h.decoupled);
    }
  }

  /** First and second moments and the step count of a parameter (undefined before its first step). */
  state(p: Param): { m?: Float32Array; v?: Float32Array; step: number } {
    const s = this.states.get(p);
    return { m: s?.m, v: s?.v, step: s?.t ?? 0 };
  }

  /** Zeroes both moments of the given entries (weights regrown by a mask update start fresh). */
  resetState(p: Param, indices: Int32Array | number[]): void {
    const s = this.states.get(p);
    if (s) resetAt([s.m, s.v], indices, s.m.length);
  }

  remapState(p: Param, from: Int32Array): void {
    const s = this.states.get(p);
    if (s) this.states.set(p, { m: remap(s.m, from), v: remap(s.v, from), t: s.t });
  }

  /** Replaces a parameter's state (from a checkpoint). */
  setState(p: Param, state: { m?: Float32Array; v?: Float32Array; step: number }): void {
    if (!state.m || !state.v) return;
    this.states.set(p, {
      m: v.float32Array('state.m', state.m, p.value.length).slice(),
      v: v.float32Array('state.v', state.v, p.value.length).slice(),
      t: v.integer('state.step', state.step, 0, Number.MAX_SAFE_INTEGER),
    });
  }

  checkpointState(p: Param): StateEntries {
    const s = this.states.get(p);
    return s ? { adam_m: s.m, adam_v: s.v, adam_t: s.t } : {};
  }

  restoreCheckpointState(p: Param, get: (prefix: string) => unknown): void {
    if (get('adam_m')) this.setState(p, { m: get('adam_m') as Float32Array, v: get('adam_v') as Float32Array, step: get('adam_t') as number });
  }
}
