/**
 * Keeping the memory of an async call valid until it settles. The native kernel reads and writes the arrays'
 * memory on a worker thread while JavaScript runs on; a reference to a TypedArray does not keep its memory alive
 * if its ArrayBuffer is detached (transferred with postMessage or structuredClone, or ArrayBuffer.prototype.transfer)
 * and the new owner is collected. N-API offers no way to pin a backing store, so each array of an async call is
 * made safe, at the call, in the cheapest way that holds on this Node:
 *
 *   - SharedArrayBuffer memory cannot be detached (nor shrunk): used in place.
 *   - Any other ArrayBuffer is marked untransferable (worker_threads.markAsUntransferable): a transfer of it then
 *     throws or copies instead of detaching, so the call can use it in place. The mark is permanent (Node has no way
 *     to remove it); it is the one visible cost of an async call, and is documented in the README. Marking costs
 *     well under a microsecond (bench/async.js measures it).
 *   - Where the mark does not stop every detach on this Node (probed once: Node 22's ArrayBuffer.prototype.transfer
 *     detaches a marked buffer), and for resizable ArrayBuffers (resize() can give memory back), the call works on a
 *     snapshot: inputs are copied at the call, outputs are computed into library memory and copied back when the
 *     call settles; if the caller's output array was detached meanwhile, the promise rejects with ERR_ARGUMENT.
 */
import { markAsUntransferable } from 'node:worker_threads';
import * as v from './validate';

type View = Exclude<ArrayBufferView, DataView>;

type TransferFn = (this: ArrayBuffer) => ArrayBuffer;

/** Whether a buffer marked untransferable can still be detached from JavaScript on this Node. */
function markLeaksDetach(): boolean {
  const probe = (detach: (ab: ArrayBuffer) => unknown): boolean => {
    const ab = new ArrayBuffer(8);
    markAsUntransferable(ab);
    try {
      detach(ab);
    } catch {
      return false; // refused: the mark holds
    }
    return ab.byteLength === 0; // detached despite the mark (or copied, and still attached)
  };
  const transfer = (ArrayBuffer.prototype as unknown as { transfer?: TransferFn }).transfer;
  return probe((ab) => structuredClone(ab, { transfer: [ab] })) || (typeof transfer === 'function' && probe((ab) => transfer.call(ab)));
}

/**
 * How this process keeps async memory valid: 'mark' (in place) or 'snapshot' (copies). Probed once at load;
 * SPARSEKIT_ASYNC_MEMORY=snapshot forces copies (tests of that path, or a service that must keep its buffers
 * transferable).
 */
export const asyncMemoryPolicy: 'mark' | 'snapshot' = process.env.SPARSEKIT_ASYNC_MEMORY === 'snapshot' || markLeaksDetach() ? 'snapshot' : 'mark';

function isShared(v: View): boolean {
  return typeof SharedArrayBuffer !== 'undefined' && v.buffer instanceof SharedArrayBuffer;
}

function isResizable(v: View): boolean {
  return (v.buffer as { resizable?: boolean }).resizable === true;
}

/** Whether a view's buffer has been detached (its memory given away). */
function isDetached(v: ArrayBufferView): boolean {
  const detached = (v.buffer as { detached?: boolean }).detached;
  if (typeof detached === 'boolean') return detached;
  return v.byteLength === 0 && v.buffer.byteLength === 0; // Node 20 has no ArrayBuffer.prototype.detached
}

/** One array of a call that is computed into a copy and copied back to the caller's when the call settles. */
interface CopyBack {
  name: string;
  caller: View;
  copy: View;
}

/**
 * Makes every array in `args` safe for an async call (see the file comment). Returns the arguments to pass to the
 * native call (the same object when nothing needed a copy) and `settle`, to call once the native work is done: it
 * copies snapshot outputs back, or throws ERR_ARGUMENT if one of the caller's outputs was detached meanwhile.
 * `outputs` maps the paths of the arrays the call writes ('c', 'plan.values') to the names messages give them.
 * `fresh` are arrays the library allocated for this call: no one else can reach them before it settles, so they
 * are used as they are (and not marked, so a result can be transferred afterwards).
 */
export function holdForAsync<T extends object>(args: T, outputs: Record<string, string>, op: string, fresh: readonly ArrayBufferView[] = []): { args: T; settle(): void } {
  const copies: CopyBack[] = [];
  const seen = new Map<ArrayBufferLike, boolean>(fresh.map((v) => [v.buffer, true])); // buffer -> usable in place
  const inPlace = (v: View): boolean => {
    let ok = seen.get(v.buffer);
    if (ok === undefined) {
      ok = isShared(v) || (asyncMemoryPolicy === 'mark' && !isResizable(v));
      if (ok && !isShared(v)) markAsUntransferable(v.buffer);
      seen.set(v.buffer, ok);
    }
    return ok;
  };
  const walk = (node: object, prefix: string): object => {
    let out: Record<string, unknown> | null = null;
    for (const [key, value] of Object.entries(node)) {
      const path = prefix + key;
      let next: unknown = value;
      if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
        if (!inPlace(value)) {
          const copy = (value as Float32Array).slice() as View; // a fresh ArrayBuffer no one else can reach
          if (path in outputs) copies.push({ name: outputs[path], caller: value as View, copy });
          next = copy;
        }
      } else if (value !== null && typeof value === 'object') {
        next = walk(value, `${path}.`);
      }
      if (next !== value) (out ??= { ...node } as Record<string, unknown>)[key] = next;
    }
    return out ?? node;
  };
  const held = walk(args, '') as T;
  return {
    args: held,
    settle() {
      for (const { name, caller, copy } of copies) {
        if (copy.byteLength === 0) continue; // nothing to write back (and an empty array cannot be told from a detached one on Node 20)
        if (isDetached(caller)) {
          v.fail('ERR_ARGUMENT', `${name} was detached (transferred) while ${op} ran; its result could not be written`);
        }
        (caller as Float32Array).set(copy as Float32Array);
      }
    },
  };
}
