// Every async op with each of its arrays detached mid-call, three ways. Shared by detach.test.ts (this Node's policy)
// and detach-snapshot.test.ts (the snapshot path forced). Under `npm run test:asan` AddressSanitizer watches the
// native side: a kernel that read or wrote a freed buffer would abort the run.
import * as v8 from 'node:v8';
import * as vm from 'node:vm';
import { MessageChannel } from 'node:worker_threads';
import { expect } from 'vitest';
import type * as Sk from '../../lib/index';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

type Detach = (buffer: ArrayBuffer) => void;
const TRANSFER = (ArrayBuffer.prototype as unknown as { transfer?: (this: ArrayBuffer) => ArrayBuffer }).transfer;

/** The ways JavaScript can take an ArrayBuffer's memory away from its views. */
export const DETACHES: [string, Detach][] = [
  ['structuredClone', (b) => void structuredClone(b, { transfer: [b] })],
  ['postMessage', (b) => {
    const { port1, port2 } = new MessageChannel();
    try {
      port1.postMessage(b, [b]);
    } finally {
      port1.close();
      port2.close();
    }
  }],
  ...(typeof TRANSFER === 'function' ? [['ArrayBuffer.prototype.transfer', (b: ArrayBuffer) => void TRANSFER.call(b)] as [string, Detach]] : []),
];

interface Case {
  name: string;
  /** Fresh operands and the named arrays among them (the output last), each time. */
  make(): { arrays: Record<string, Float32Array | Int32Array | Uint8Array>; run(): Promise<ArrayLike<number>>; sync(): ArrayLike<number> };
}

export function cases(sk: typeof Sk): Case[] {
  // Not ../helpers' randomDense: importing it would load the library before detach-snapshot.test.ts sets its policy.
  const randomDense = (rows: number, cols: number, density: number, seed: number): Sk.DenseMatrix => {
    const rng = new sk.Rng(seed);
    const m = sk.denseMatrix(rows, cols);
    for (let k = 0; k < m.data.length; k++) if (rng.next() < density) m.data[k] = rng.next() * 2 - 1 || 0.5;
    return m;
  };
  const dense = (r: number, c: number, seed: number) => randomDense(r, c, 1, seed);
  const csr = (seed: number) => sk.CSRMatrix.fromDense(randomDense(96, 80, 0.2, seed));
  const copyCsr = (A: Sk.CSRMatrix) => A.clone();
  const copyDense = (m: Sk.DenseMatrix) => ({ data: m.data.slice(), rows: m.rows, cols: m.cols });
  const list: Case[] = [];
  const spmmLike = (label: string, makeA: () => Sk.SparseOperand, arraysOf: (A: never) => Record<string, Float32Array | Int32Array | Uint8Array>,
    clone: (A: never) => Sk.SparseOperand) => list.push({
    name: `spmmAsync ${label}`,
    make() {
      const A = makeA(), B = dense(80, 9, 2), out = sk.denseMatrix(96, 9);
      const ref = sk.spmm(clone(A as never), copyDense(B)).data;
      return { arrays: { ...arraysOf(A as never), 'B.data': B.data, 'out.data': out.data }, run: async () => (await sk.spmmAsync(A, B, { out })).data, sync: () => ref };
    },
  });
  spmmLike('CSR', () => csr(1), (A: Sk.CSRMatrix) => ({ 'A.indptr': A.indptr, 'A.indices': A.indices, 'A.values': A.values }), copyCsr as never);
  spmmLike('BSR', () => sk.BSRMatrix.fromDense(randomDense(96, 80, 0.2, 3), { block: [4, 4] }),
    (A: Sk.BSRMatrix) => ({ 'A.indptr': A.indptr, 'A.indices': A.indices, 'A.values': A.values }), ((A: Sk.BSRMatrix) => A.clone()) as never);
  spmmLike('N:M', () => sk.nmPrune(randomDense(96, 80, 1, 4), { n: 2, m: 4 }),
    (A: Sk.NMMatrix) => ({ 'A.values': A.values, 'A.positions': A.positions }), ((A: Sk.NMMatrix) => A.clone()) as never);
  for (const nm of [false, true]) {
    list.push({
      name: `spmvAsync ${nm ? 'N:M' : 'CSR'}`,
      make() {
        const A = nm ? sk.nmPrune(randomDense(96, 80, 1, 5), { n: 2, m: 4 }) : csr(5);
        const x = dense(1, 80, 6).data, out = new Float32Array(96);
        const ref = sk.spmv(A.clone(), x.slice());
        const arrays: Record<string, Float32Array | Int32Array | Uint8Array> = A instanceof sk.NMMatrix
          ? { 'A.values': A.values, 'A.positions': A.positions } : { 'A.indptr': A.indptr, 'A.indices': A.indices, 'A.values': A.values };
        return { arrays: { ...arrays, x, out }, run: () => sk.spmvAsync(A, x, { out }), sync: () => ref };
      },
    });
  }
  for (const withPlan of [false, true]) {
    list.push({
      name: `spmmTAsync${withPlan ? ' with a plan' : ''}`,
      make() {
        const A = csr(7), B = dense(96, 5, 8), out = sk.denseMatrix(80, 5);
        const plan = withPlan ? sk.transposePlan(A) : undefined;
        // The reference takes the same path: with a plan the sums run in another order than the scatter's.
        const Ac = copyCsr(A);
        const ref = sk.spmmT(Ac, copyDense(B), withPlan ? { plan: sk.transposePlan(Ac) } : {}).data;
        const arrays: Record<string, Float32Array | Int32Array> = { 'A.indptr': A.indptr, 'A.indices': A.indices, 'A.values': A.values, 'B.data': B.data };
        if (plan) Object.assign(arrays, { 'plan.indptr': plan.indptr, 'plan.indices': plan.indices, 'plan.perm': plan.perm });
        return { arrays: { ...arrays, 'out.data': out.data }, run: async () => (await sk.spmmTAsync(A, B, { out, plan })).data, sync: () => ref };
      },
    });
  }
  list.push({
    name: 'sddmmAsync',
    make() {
      const P = csr(9), X = dense(96, 6, 10), Y = dense(80, 6, 11), out = new Float32Array(P.nnz);
      const ref = sk.sddmm(copyCsr(P), copyDense(X), copyDense(Y)).values;
      return { arrays: { 'pattern.indptr': P.indptr, 'pattern.indices': P.indices, 'X.data': X.data, 'Y.data': Y.data, out }, run: async () => (await sk.sddmmAsync(P, X, Y, { out })).values, sync: () => ref };
    },
  });
  list.push({
    name: 'gemmAsync',
    make() {
      const A = dense(33, 20, 12), B = dense(20, 7, 13), out = sk.denseMatrix(33, 7);
      const ref = sk.gemm(copyDense(A), copyDense(B)).data;
      return { arrays: { 'A.data': A.data, 'B.data': B.data, 'out.data': out.data }, run: async () => (await sk.gemmAsync(A, B, { out })).data, sync: () => ref };
    },
  });
  return list;
}

const OUTPUTS = new Set(['out', 'out.data']);

/**
 * Starts each op, detaches one of its arrays right away, collects garbage, and checks that the promise settles
 * with the right result (or, for a detached output on the snapshot path, an ERR_ARGUMENT naming it). Returns the
 * number of (op, array, way) combinations run.
 */
export async function detachEveryArray(sk: typeof Sk, policy: 'mark' | 'snapshot'): Promise<number> {
  // So that the detached memory is really freed before the kernel reads it: every libuv worker thread is kept
  // busy by a larger call, the call under test waits behind them, and the collector (and V8's sweeper) run meanwhile.
  const limit = sk.info().async.limit;
  sk.setAsyncLimit(64); // no queue of ours in front of libuv's: the call is handed to native code at once
  const blockerA = sk.CSRMatrix.random(1024, 1024, { density: 0.3, seed: 99 }), blockerB = sk.denseMatrix(1024, 256);
  const libuvThreads = Number(process.env.UV_THREADPOOL_SIZE) || 4;
  let runs = 0;
  for (const c of cases(sk)) {
    for (const name of Object.keys(c.make().arrays)) {
      for (const [how, detach] of DETACHES) {
        const { arrays, run, sync } = c.make();
        const array = arrays[name];
        const blockers = Array.from({ length: libuvThreads }, () => sk.spmmAsync(blockerA, blockerB));
        // Settled into a value at once, so a rejection is handled even while the test waits for the collector.
        const settled = run().then((value) => ({ value, error: undefined }), (error: unknown) => ({ value: undefined, error }));
        let refused = false;
        try {
          detach(array.buffer as ArrayBuffer);
        } catch {
          refused = true;
        }
        const detached = array.byteLength === 0;
        gc();
        await new Promise((resolve) => setTimeout(resolve, 2));
        gc();
        const where = `${c.name}, ${name} via ${how}`;
        if (policy === 'mark') {
          // The buffer was marked untransferable at the call: the transfer was refused or copied.
          expect(detached, `${where}: the buffer should stay attached (refused: ${refused})`).toBe(false);
        } else {
          expect(detached, `${where}: a snapshot call leaves the caller's buffer transferable`).toBe(true);
        }
        const { value, error } = await settled;
        if (detached && OUTPUTS.has(name)) {
          expect(error, where).toMatchObject({ name: 'SparseError', code: 'ERR_ARGUMENT', message: expect.stringMatching(/was detached/) });
        } else {
          expect(error, where).toBeUndefined();
          expect(Array.from(value as ArrayLike<number>), where).toEqual(Array.from(sync()));
        }
        await Promise.all(blockers);
        runs++;
      }
    }
  }
  sk.setAsyncLimit(limit);
  return runs;
}
