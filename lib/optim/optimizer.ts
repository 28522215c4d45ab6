/**
 * What an optimizer is, and what it updates. State is one array per parameter tensor, entry for entry: for a
 * sparse layer the parameter is its CSR values, so the state lives per stored weight, and a mask update remaps it
 * (remapState) rather than resetting it. A parameter is a host pair of Float32Arrays ({ value, grad }) or a pair of
 * tensors that live elsewhere (device memory), which carry the backend that updates them: optimizers hold the
 * state and the step count and call `value.backend.sgdStep(...)`, and never import a device.
 */
import * as v from '../core/validate';

export interface Param {
  /** The parameter's values, updated in place. */
  value: Float32Array;
  /** Its gradient (same length). */
  grad: Float32Array;
}

/** A tensor held by a backend (a DeviceMatrix): the backend runs the updates where it lives. */
export interface BackendTensor {
  readonly rows: number;
  readonly cols: number;
  readonly backend: OptimizerBackend;
}

/** A parameter held by a backend: value and gradient of the same size (e.g. DeviceSparseLinear.params()). */
export interface BackendParam<T extends BackendTensor = BackendTensor> {
  value: T;
  grad: T;
}

/** Hyper-parameters of one SGD update (native/kernels/params.h SgdParams). */
export interface SgdHyper {
  lr: number;
  momentum: number;
  weightDecay: number;
  nesterov: boolean;
}

/** Hyper-parameters of one Adam update with its bias corrections c1 = 1/(1-b1^t), c2 = 1/(1-b2^t) (AdamParams). */
export interface AdamHyper {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  c1: number;
  c2: number;
  decoupled: boolean;
}

/** What an optimizer needs from the place a parameter lives (lib/device/backend.ts extends it). */
export interface OptimizerBackend<T extends BackendTensor = BackendTensor> {
  /** Checks a parameter's two tensors (kind, equal size); returns the element count. */
  checkParam(name: string, p: BackendParam<T>): number;
  /** State for a parameter: zeros of its shape, held by this backend. */
  zerosLike(t: T): T;
  sgdStep(p: BackendParam<T>, momentumBuffer: T | null, h: SgdHyper): void;
  adamStep(p: BackendParam<T>, m: T, v: T, h: AdamHyper): void;
}

/** A parameter in host memory or held by a backend. */
export type AnyParam = Param | BackendParam;

/** Checkpoint entries of one parameter's state, by key prefix (the file keys are `${prefix}${layer}_${param}`). */
export type StateEntries = Record<string, Float32Array | number>;

/**
 * An optimizer: updates parameters from their gradients and keeps per-entry state for host parameters.
 * Implementations: SGD, Adam (this folder). A new optimizer implements this interface in one new file here and is
 * exported from optim/index.ts; mask updaters and checkpoints use only this interface.
 */
export interface Optimizer {
  /** One update of every parameter from its current gradient. */
  step(params: AnyParam[]): void;
  /** Zeroes the state of the given entries (e.g. weights regrown by a mask update). */
  resetState(p: Param, indices: Int32Array | number[]): void;
  /** After a pattern change: entry k's state becomes old entry from[k]'s, or 0 where from[k] < 0 (regrown). */
  remapState(p: Param, from: Int32Array): void;
  /** The state of a host parameter for a checkpoint (empty before its first step). */
  checkpointState(p: Param): StateEntries;
  /** Restores what checkpointState gave; `get(prefix)` reads one entry of the checkpoint (undefined if absent). */
  restoreCheckpointState(p: Param, get: (prefix: string) => unknown): void;
}

export function isBackendParam(p: AnyParam): p is BackendParam {
  const value = (p as { value?: unknown } | null)?.value;
  return value !== null && typeof value === 'object' && !ArrayBuffer.isView(value) && 'backend' in value;
}

function checkParam(name: string, p: Param): void {
  if (p === null || typeof p !== 'object') v.fail('ERR_ARGUMENT', `Expected a { value, grad } parameter for ${name} but received ${v.describe(p)}`);
  v.float32Array(`${name}.value`, p.value);
  v.float32Array(`${name}.grad`, p.grad, p.value.length);
}

/** Checks every parameter of a step, host or backend. */
export function checkParams(params: AnyParam[]): void {
  if (!Array.isArray(params)) v.fail('ERR_ARGUMENT', `Expected an array of parameters but received ${v.describe(params)}`);
  params.forEach((p, i) => (isBackendParam(p) ? p.value.backend.checkParam(`params[${i}]`, p) : checkParam(`params[${i}]`, p)));
}

/** Zeroes entries `indices` of every state array. */
export function resetAt(state: Float32Array[], indices: Int32Array | number[], length: number): void {
  for (const k of indices) {
    if (!Number.isInteger(k) || k < 0 || k >= length) v.fail('ERR_RANGE', `Expected indices in [0, ${length}) but received ${k}`);
    for (const s of state) s[k] = 0;
  }
}

/** A state array after a pattern change: entry k is old[from[k]], or 0 where from[k] < 0. */
export function remap(old: Float32Array, from: Int32Array): Float32Array {
  v.int32Array('from', from);
  const out = new Float32Array(from.length);
  for (let k = 0; k < from.length; k++) {
    const f = from[k];
    if (f >= old.length) v.fail('ERR_RANGE', `from[${k}] = ${f} is past the ${old.length} entries of the state`);
    out[k] = f < 0 ? 0 : old[f];
  }
  return out;
}

/** Checks that a parameter kept the length its state was made for. */
export function sameLength(state: Float32Array, p: Param): void {
  if (state.length !== p.value.length) v.fail('ERR_SHAPE', 'a parameter changed length since its state was made');
}
