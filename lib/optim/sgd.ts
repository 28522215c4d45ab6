import { addon } from '../core/binding';
import * as v from '../core/validate';
import { AnyParam, BackendParam, BackendTensor, checkParams, isBackendParam, Optimizer, Param, remap, resetAt, sameLength, StateEntries } from './optimizer';

export interface SGDOptions {
  lr: number;
  momentum?: number;
  nesterov?: boolean;
  weightDecay?: number;
}

/** SGD with momentum, Nesterov and (L2) weight decay, as torch.optim.SGD with dampening 0. */
export class SGD implements Optimizer {
  readonly lr: number;
  readonly momentum: number;
  readonly nesterov: boolean;
  readonly weightDecay: number;
  private readonly buffers = new WeakMap<Param, Float32Array>();
  private readonly backendBuffers = new WeakMap<BackendParam, BackendTensor>();

  constructor(opts: SGDOptions) {
    const o = v.options<SGDOptions>('options', opts, ['lr', 'momentum', 'nesterov', 'weightDecay']);
    this.lr = v.finite('options.lr', o.lr);
    this.momentum = o.momentum === undefined ? 0 : v.finite('options.momentum', o.momentum);
    this.nesterov = o.nesterov === undefined ? false : v.boolean('options.nesterov', o.nesterov);
    this.weightDecay = o.weightDecay === undefined ? 0 : v.finite('options.weightDecay', o.weightDecay);
    if (this.momentum < 0) v.fail('ERR_RANGE', `Expected a non-negative number for options.momentum but received ${this.momentum}`);
    if (this.nesterov && this.momentum === 0) v.fail('ERR_ARGUMENT', 'options.nesterov needs options.momentum > 0');
  }

  /** One update of every parameter from its current gradient. */
  step(params: AnyParam[]): void {
    checkParams(params);
    const h = { lr: this.lr, momentum: this.momentum, weightDecay: this.weightDecay, nesterov: this.nesterov };
    for (const p of params) {
      if (isBackendParam(p)) {
        let buf: BackendTensor | null = null;
        if (this.momentum !== 0) {
          buf = this.backendBuffers.get(p) ?? p.value.backend.zerosLike(p.value);
          this.backendBuffers.set(p, buf);
        }
        p.value.backend.sgdStep(p, buf, h);
        continue;
      }
      let buf: Float32Array | null = null;
      if (this.momentum !== 0) {
        buf = this.buffers.get(p) ?? new Float32Array(p.value.length);
        sameLength(buf, p);
        this.buffers.set(p, buf);
      }
      addon.sgdStep(p.value, p.grad, buf, h.lr, h.momentum, h.weightDecay, h.nesterov);
    }
  }

  /** The momentum buffer of a parameter (undefined before its first step or without momentum). */
  state(p: Param): { momentum?: Float32Array } {
    return { momentum: this.buffers.get(p) };
  }

  resetState(p: Param, indices: Int32Array | number[]): void {
    const buf = this.buffers.get(p);
    if (buf) resetAt([buf], indices, buf.length);
  }

  remapState(p: Param, from: Int32Array): void {
    const buf = this.buffers.get(p);
    if (buf) this.buffers.set(p, remap(buf, from));
  }

  /** Replaces a parameter's state (from a checkpoint). */
  setState(p: Param, state: { momentum?: Float32Array }): void {
    if (state.momentum) this.buffers.set(p, v.float32Array('state.momentum', state.momentum, p.value.length).slice());
  }

  checkpointState(p: Param): StateEntries {
    const buf = this.buffers.get(p);
    return buf ? { sgd_buf: buf } : {};
  }

  restoreCheckpointState(p: Param, get: (prefix: string) => unknown): void {
    const momentum = get('sgd_buf');
    if (momentum) this.setState(p, { momentum: momentum as Float32Array });
  }
}
