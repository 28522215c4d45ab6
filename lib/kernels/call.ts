/**
 * The one call pipeline of the CPU kernels: each op validates its arguments and builds a KernelCall (which native
 * entry point, its named arguments, what it returns); runSync or runAsync then runs it. Semantics follow BLAS:
 * C = alpha*op(A)*B + beta*C; with beta = 0 the output is write-only (NaN in it does not propagate); with alpha = 0,
 * A and B are not read.
 */
import { inAsyncSlot } from '../core/async-queue';
import { callKernel, callKernelAsync } from '../core/binding';
import { holdForAsync } from '../core/hold';
import { KernelArgs, KernelName, kernelOutputs } from '../core/native';
import * as v from '../core/validate';
import { alignedFloat32Array, DenseMatrix, formatOf } from '../formats';

export interface KernelOptions<Out> {
  /** Where to write the result (also the `y`/`C` read when beta != 0). Must not share memory with an input. */
  out?: Out;
  /** Default 1. */
  alpha?: number;
  /** Default 0. */
  beta?: number;
  /** Split this call over at most this many threads (default: all of setThreads). plan() chooses it by measuring. */
  threads?: number;
}

export const KERNEL_OPTIONS = ['out', 'alpha', 'beta', 'threads'] as const;

/** A validated call: the native entry point, its arguments, and what the op returns once it has run. */
export interface KernelCall<K extends KernelName, R> {
  kernel: K;
  args: KernelArgs[K];
  result: R;
  /** Arrays allocated for this call (a new output): unreachable by anyone else until it returns. */
  fresh: ArrayBufferView[];
  /** The thread cap of this call (0: none). */
  threads: number;
  /**
   * Called once the native work is over (or could not start), with whether it succeeded: releases what the call
   * held for its duration (a transpose plan's value cache). Run such a call with runSyncHeld or runAsync.
   */
  done?: (ok: boolean) => void;
}

/** A call of whichever entry point the operand's format selected. */
export type AnyKernelCall<R> = { [K in KernelName]: KernelCall<K, R> }[KernelName];

export function call<K extends KernelName, R>(kernel: K, args: KernelArgs[K], result: R, fresh: ArrayBufferView[] = [], threads = 0, done?: (ok: boolean) => void): KernelCall<K, R> {
  return done === undefined ? { kernel, args, result, fresh, threads } : { kernel, args, result, fresh, threads, done };
}

/** The public op each entry point serves, for messages. */
const OP: Record<KernelName, string> = {
  spmv: 'spmv', spmvNm: 'spmv', spmm: 'spmm', spmmBsr: 'spmm', spmmNm: 'spmm', spmmT: 'spmmT', spmmTPlan: 'spmmT', sddmm: 'sddmm', gemm: 'gemm',
};

/** Runs a call without `done` (see runSyncHeld). */
export function runSync<R>(c: AnyKernelCall<R>): R {
  callKernel(c.kernel, c.args as never, c.threads);
  return c.result;
}

/**
 * runSync for a call that may hold something until it is over (KernelCall.done); apart, so that runSync, on the path
 * of every small call, stays a bare native call.
 */
export function runSyncHeld<R>(c: AnyKernelCall<R>): R {
  if (c.done === undefined) return runSync(c);
  let ok = false;
  try {
    callKernel(c.kernel, c.args as never, c.threads);
    ok = true;
  } finally {
    c.done(ok);
  }
  return c.result;
}

/**
 * Runs a call off the event loop. Its arrays are made safe against being detached while it runs (lib/core/hold.ts)
 * now, at the call; the native work starts when one of the async slots is free (lib/core/async-queue.ts).
 */
export async function runAsync<R>(c: AnyKernelCall<R>): Promise<R> {
  let ok = false;
  try {
    const held = holdForAsync(c.args as object, kernelOutputs[c.kernel], `${OP[c.kernel]}Async`, c.fresh);
    await inAsyncSlot(() => callKernelAsync(c.kernel, held.args as never, c.threads));
    ok = true;
    held.settle();
  } finally {
    c.done?.(ok);
  }
  return c.result;
}

/** The `threads` option: an integer in [1, 256], or 0 when not given. */
export function threadsOption(o: { threads?: number }): number {
  return o.threads === undefined ? 0 : v.integer('options.threads', o.threads, 1, 256);
}

/**
 * The `transB` option of a product with a dense B: B is k x n, or with transB n x k holding Bᵀ; its k must equal
 * `k` (named `kName` in the message). Returns the option and n.
 */
export function transposableB(o: { transB?: unknown }, B: DenseMatrix, k: number, kName: string): { transB: boolean; n: number } {
  const transB = o.transB === undefined ? false : v.boolean('options.transB', o.transB);
  const got = transB ? B.cols : B.rows;
  if (got !== k) v.fail('ERR_SHAPE', `Expected ${transB ? 'B.cols (options.transB)' : 'B.rows'} to equal ${kName} (${k}) but received ${got}`);
  return { transB, n: transB ? B.rows : B.cols };
}

export function scalars(o: { alpha?: number; beta?: number }): { alpha: number; beta: number } {
  const alpha = o.alpha === undefined ? 1 : v.finite('options.alpha', o.alpha);
  const beta = o.beta === undefined ? 0 : v.finite('options.beta', o.beta);
  return { alpha, beta };
}

/** The output matrix: the caller's after its checks, or a new aligned one. */
export function denseOut(name: string, given: unknown, rows: number, cols: number): DenseMatrix {
  if (given === undefined) return { data: alignedFloat32Array(v.denseSize(`${name} output`, rows, cols)), rows, cols };
  return v.dense('options.out', given, rows, cols) as DenseMatrix;
}

/** [out] when the library allocated it (the caller gave none), else []: KernelCall.fresh. */
export function freshIf<T extends ArrayBufferView>(given: unknown, out: T): T[] {
  return given === undefined ? [out] : [];
}

/** Refuses an output that shares memory with any input, naming both. */
export function disjointFrom(outName: string, out: ArrayBufferView, inputs: [string, ArrayBufferView][]): void {
  for (const [name, a] of inputs) v.disjoint(outName, out, name, a);
}

/** A sparse operand's named arrays and their buffers, made once per operand object (see disjointFromOperand). */
interface OperandArrays {
  arrays: [string, ArrayBufferView][];
  buffers: ArrayBufferLike[];
  /** Whether any of those buffers can change size (resizable, growable): then no pair is remembered. */
  growable: boolean;
  /** out -> the dense inputs out was proved disjoint from, together with this operand (see disjointFromOperand). */
  proven: WeakMap<ArrayBufferView, WeakSet<ArrayBufferView>>;
}
const operandArrays = new WeakMap<object, OperandArrays>();

/** The arrays of a sparse operand, named, for aliasing checks (from its format's registration). */
export function arraysOf(A: unknown): [string, ArrayBufferView][] {
  return operandOf(A).arrays;
}

function canGrow(buffer: ArrayBufferLike): boolean {
  const b = buffer as { resizable?: boolean; growable?: boolean };
  return b.resizable === true || b.growable === true;
}

function operandOf(A: unknown): OperandArrays {
  if (A === null || typeof A !== 'object') return { arrays: [], buffers: [], growable: true, proven: new WeakMap() };
  let known = operandArrays.get(A);
  if (!known) {
    // A format object's arrays are fixed at construction (readonly fields), and a view's buffer never changes
    // (detaching empties it, it does not replace it): both can be kept for the object's lifetime.
    const spec = formatOf(A);
    const arrays = spec ? spec.arrays(A as never) : [];
    const buffers = arrays.map(([, a]) => a.buffer);
    known = { arrays, buffers, growable: buffers.some(canGrow), proven: new WeakMap() };
    operandArrays.set(A, known);
  }
  return known;
}

/**
 * Refuses an output that shares memory with the arrays of sparse operand A or with the dense input `input`, naming
 * both. The same check as disjointFrom, without building a list per call. A triple (A, out, input) found disjoint
 * is remembered (weakly: the record goes with any of the three) and not checked again: a view's buffer, offset and
 * length never change, except a length-tracking view of a buffer that can grow, so no triple with such a buffer is
 * remembered. Reading a view's `buffer` costs about 45 ns, which for two views was a quarter of a small spmv's time
 * (bench/kernels.js, the 8x8 table); the two lookups that replace it cost about 25.
 */
export function disjointFromOperand(outName: string, out: ArrayBufferView, A: unknown, inputName: string, input: ArrayBufferView): void {
  const known = operandOf(A);
  if (known.proven.get(out)?.has(input) === true) return;
  const { arrays, buffers } = known;
  const buffer = out.buffer;
  if (input.buffer === buffer) v.disjoint(outName, out, inputName, input);
  for (let i = 0; i < buffers.length; i++) {
    if (buffers[i] === buffer) v.disjoint(outName, out, arrays[i][0], arrays[i][1]);
  }
  if (known.growable || canGrow(buffer) || canGrow(input.buffer)) return;
  let inputs = known.proven.get(out);
  if (inputs === undefined) known.proven.set(out, (inputs = new WeakSet()));
  inputs.add(input);
}
