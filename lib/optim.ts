/**
 * Optimizers whose state is one Float32Array per parameter tensor, entry for entry: for a sparse layer the
 * parameter is its CSR values, so the state lives per stored weight. The updates run in native code (SIMD,
 * threaded). A parameter is any { value, grad } pair of equal-length Float32Arrays; state is keyed by that object.
 * A DeviceParam ({ value, grad } DeviceMatrix objects, e.g. DeviceSparseLinear.params()) is updated on the GPU, its
 * state kept in device memory; state(), resetState(), remapState() and setState() cover host parameters only.
 */
import { addon } from './binding';
import { checkDeviceParam, deviceAdamStep, DeviceMatrix, DeviceParam, deviceSgdStep } from './cuda';
import * as v from './validate';

export interface Param {
  /** The parameter's values, updated in place. */
  value: Float32Array;
  /** Its gradient (same length). */
  grad: Float32Array;
}

function checkParam(name: string, p: Param): void {
  if (p === null || typeof p !== 'object') v.fail('ERR_ARGUMENT', `Expected a { value, grad } parameter for ${name} but received ${v.describe(p)}`);
  v.float32Array(`${name}.value`, p.value);
  v.float32Array(`${name}.grad`, p.grad, p.value.length);
}

function isDevice(p: Param | DeviceParam): p is DeviceParam {
  return p !== null && typeof p === 'object' && p.value instanceof DeviceMatrix;
}

function checkParams(params: (Param | DeviceParam)[]): void {
  if (!Array.isArray(params)) v.fail('ERR_ARGUMENT', `Expected an array of parameters but received ${v.describe(params)}`);
  params.forEach((p, i) => (isDevice(p) ? checkDeviceParam(`params[${i}]`, p) : checkParam(`params[${i}]`, p)));
}

function resetAt(state: Float32Array[], indices: Int32Array | number[], length: number): void {
  for (const k of indices) {
    if (!Number.isInteger(k) || k < 0 || k >= length) v.fail('ERR_RANGE', `Expected indices in [0, ${length}) but received ${k}`);
    for (const s of state) s[k] = 0;
  }
}

export interface SGDOptions {
  lr: number;
  momentum?: number;
  nesterov?: boolean;
  weightDecay?: number;
}

/** SGD with momentum, Nesterov and (L2) weight decay, as torch.optim.SGD with dampening 0. */
export class SGD {
  readonly lr: number;
  readonly momentum: number;
  readonly nesterov: boolean;
  readonly weightDecay: number;
  private readonly buffers = new WeakMap<Param, Float32Array>();
  private readonly deviceBuffers = new WeakMap<DeviceParam, DeviceMatrix>();

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
  step(params: (Param | DeviceParam)[]): void {
    checkParams(params);
    for (const p of params) {
      if (isDevice(p)) {
        let dbuf: DeviceMatrix | null = null;
        if (this.momentum !== 0) {
          dbuf = this.deviceBuffers.get(p) ?? DeviceMatrix.zeros(p.value.rows, p.value.cols);
          this.deviceBuffers.set(p, dbuf);
        }
        deviceSgdStep(p, dbuf, this.lr, this.momentum, this.weightDecay, this.nesterov);
        continue;
      }
      let buf: Float32Array | null = null;
      if (this.momentum !== 0) {
        buf = this.buffers.get(p) ?? new Float32Array(p.value.length);
        if (buf.length !== p.value.length) v.fail('ERR_SHAPE', 'a parameter changed length since its state was made');
        this.buffers.set(p, buf);
      }
      addon.sgdStep(p.value, p.grad, buf, this.lr, this.momentum, this.weightDecay, this.nesterov);
    }
  }

  /** The momentum buffer of a parameter (undefined before its first step or without momentum). */
  state(p: Param): { momentum?: Float32Array } {
    return { momentum: this.buffers.get(p) };
  }

  /** Zeroes the state of the given entries (e.g. weights regrown by a mask update). */
  resetState(p: Param, indices: Int32Array | number[]): void {
    const buf = this.buffers.get(p);
    if (buf) resetAt([buf], indices, buf.length);
  }

  /** After a pattern change: entry k's state becomes old entry from[k], or 0 where from[k] < 0 (regrown). */
  remapState(p: Param, from: Int32Array): void {
    const buf = this.buffers.get(p);
    if (buf) this.buffers.set(p, remap(buf, from));
  }

  /** Replaces a parameter's state (from a checkpoint). */
  setState(p: Param, state: { momentum?: Float32Array }): void {
    if (state.momentum) this.buffers.set(p, v.float32Array('state.momentum', state.momentum, p.value.length).slice());
  }
}

function remap(old: Float32Array, from: Int32Array): Float32Array {
  v.int32Array('from', from);
  const out = new Float32Array(from.length);
  for (let k = 0; k < from.length; k++) {
    const f = from[k];
    if (f >= old.length) v.fail('ERR_RANGE', `from[${k}] = ${f} is past the ${old.length} entries of the state`);
    out[k] = f < 0 ? 0 : old[f];
  }
  return out;
}

export interface AdamOptions {
  lr: number;
  betas?: [number, number];
  eps?: number;
  weightDecay?: number;
  /** true: AdamW (decoupled weight decay, Loshchilov & Hutter); false (default): L2 added to the gradient. */
  decoupled?: boolean;
}

/** Adam / AdamW with bias correction, as torch.optim.Adam / AdamW. */
export class Adam {
  readonly lr: number;
  readonly betas: [number, number];
  readonly eps: number;
  readonly weightDecay: number;
  readonly decoupled: boolean;
  private readonly states = new WeakMap<Param, { m: Float32Array; v: Float32Array; t: number }>();
  private readonly deviceStates = new WeakMap<DeviceParam, { m: DeviceMatrix; v: DeviceMatrix; t: number }>();

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

  step(params: (Param | DeviceParam)[]): void {
    checkParams(params);
    const [b1, b2] = this.betas;
    for (const p of params) {
      if (isDevice(p)) {
        const d = this.deviceStates.get(p) ?? { m: DeviceMatrix.zeros(p.value.rows, p.value.cols), v: DeviceMatrix.zeros(p.value.rows, p.value.cols), t: 0 };
        d.t += 1;
        this.deviceStates.set(p, d);
        deviceAdamStep(p, d.m, d.v, this.lr, b1, b2, this.eps, this.weightDecay, 1 / (1 - Math.pow(b1, d.t)), 1 / (1 - Math.pow(b2, d.t)), this.decoupled);
        continue;
      }
      const s = this.states.get(p) ?? { m: new Float32Array(p.value.length), v: new Float32Array(p.value.length), t: 0 };
      if (s.m.length !== p.value.length) v.fail('ERR_SHAPE', 'a parameter changed length since its state was made');
      s.t += 1;
      this.states.set(p, s);
      addon.adamStep(p.value, p.grad, s.m, s.v, this.lr, b1, b2, this.eps, this.weightDecay, 1 / (1 - Math.pow(b1, s.t)), 1 / (1 - Math.pow(b2, s.t)), this.decoupled);
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

  /** After a pattern change: entry k's moments become old entry from[k]'s, or 0 where from[k] < 0 (regrown). */
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
}
