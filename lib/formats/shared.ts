/**
 * Matrices whose arrays live on SharedArrayBuffers: one copy of a model's weights serves every worker_thread.
 * `toShared(m)` copies a matrix's arrays into shared memory once; posting the result to a worker shares the memory
 * (structured cloning copies the small object, not the arrays), and `fromShared(x)` there rebuilds the matrix class
 * from what arrived. Shared memory can be written by any thread at any moment, so a check of its contents proves
 * nothing a moment later: fromShared checks shapes, kinds and lengths (O(1)), and the native kernels re-check every
 * index they follow (an index broken meanwhile is ERR_FORMAT, never a wild read). `{ validate: true }` runs the
 * full structural check as well.
 */
import * as v from '../core/validate';
import type { DenseMatrix } from './dense';
import { formatOf, formatSpec, SparseFormat } from './format';

type Matrix = SparseFormat | DenseMatrix;

function sharedCopy<T extends ArrayBufferView>(a: T): T {
  if (typeof SharedArrayBuffer !== 'undefined' && a.buffer instanceof SharedArrayBuffer) return a;
  const Ctor = a.constructor as new (buffer: SharedArrayBuffer, byteOffset: number, length: number) => T;
  const bytes = new Uint8Array(new SharedArrayBuffer(a.byteLength));
  bytes.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
  return new Ctor(bytes.buffer as SharedArrayBuffer, 0, a.byteLength / (a as unknown as { BYTES_PER_ELEMENT: number }).BYTES_PER_ELEMENT);
}

/** The fields of a matrix with every typed array in shared memory (arrays already shared are kept, not copied). */
function sharedFields(m: object): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(m)) out[key] = ArrayBuffer.isView(value) ? sharedCopy(value) : value;
  return out;
}

/**
 * The same matrix with its arrays in SharedArrayBuffers (one copy now; a matrix already shared is returned as is).
 * Any format or a DenseMatrix; works in every op, sync and async, from every thread.
 */
export function toShared<T extends Matrix>(m: T): T {
  const spec = formatOf(m);
  if (spec) return spec.revive(sharedFields(m), false) as T;
  const d = v.dense('m', m);
  return { data: sharedCopy(d.data), rows: d.rows, cols: d.cols } as T;
}

export interface FromSharedOptions {
  /** Also validate the whole structure, O(nnz) (default false: shapes, kinds and lengths, O(1)). */
  validate?: boolean;
}

/**
 * Rebuilds a matrix from what postMessage delivered for one (a structured clone of a CSRMatrix, BSRMatrix, ... or of
 * a DenseMatrix): the class by its `format` tag, its arrays used in place (not copied).
 */
export function fromShared(x: unknown, opts?: FromSharedOptions): Matrix {
  const o = v.options<FromSharedOptions>('options', opts, ['validate']);
  const full = o.validate === undefined ? false : v.boolean('options.validate', o.validate);
  if (x === null || typeof x !== 'object') return v.fail('ERR_ARGUMENT', `Expected a matrix delivered by postMessage for x but received ${v.describe(x)}`);
  const tag = (x as { format?: unknown }).format;
  if (tag === undefined) return v.dense('x', x) as DenseMatrix;
  if (typeof tag !== 'string') return v.fail('ERR_ARGUMENT', `Expected a format tag for x.format but received ${v.describe(tag)}`);
  return formatSpec(tag).revive(x as Record<string, unknown>, full);
}
