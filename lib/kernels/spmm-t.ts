import * as v from '../core/validate';
import { CSRMatrix, DenseMatrix } from '../formats';
import { AnyKernelCall, call, denseOut, disjointFromOperand, freshIf, KERNEL_OPTIONS, KernelOptions, runAsync, runSyncHeld, scalars, threadsOption } from './call';
import { TransposePlan } from './transpose-plan';

export interface SpmmTOptions extends KernelOptions<DenseMatrix> {
  /**
   * A transposePlan(A) to reuse across calls while A's pattern stays the same (its values may change; by default the
   * plan keeps them between calls, see TransposePlanOptions). Without one, Aᵀ B is computed by scattering rows of B
   * into C, with no transpose formed.
   */
  plan?: TransposePlan;
}

function spmmTCall(A: CSRMatrix, B: DenseMatrix, opts?: SpmmTOptions): AnyKernelCall<DenseMatrix> {
  v.instanceOf('A', A, CSRMatrix);
  v.dense('B', B);
  if (B.rows !== A.rows) v.fail('ERR_SHAPE', `Expected B.rows to equal A.rows (${A.rows}) but received ${B.rows}`);
  const o = v.options<SpmmTOptions>('options', opts, [...KERNEL_OPTIONS, 'plan']);
  const { alpha, beta } = scalars(o);
  const out = denseOut('spmmT', o.out, A.cols, B.cols);
  disjointFromOperand('options.out.data', out.data, A, 'B.data', B.data);
  const product = { a: A, b: B.data, n: B.cols, c: out.data, alpha, beta };
  const fresh = freshIf(o.out, out.data);
  const threads = threadsOption(o);
  if (o.plan === undefined) return call('spmmT', product, out, fresh, threads);
  const plan = v.instanceOf('options.plan', o.plan, TransposePlan);
  if (!plan.matches(A)) v.fail('ERR_ARGUMENT', 'options.plan was made for another pattern than A (make a new transposePlan(A) after a mask update)');
  const { indptr, indices, perm } = plan;
  // Last, after every check that can throw: a held cache is released when the call is over (call.ts, done).
  const cache = plan.acquireCache();
  if (cache === undefined) return call('spmmTPlan', { ...product, plan: { indptr, indices, perm } }, out, fresh, threads);
  // The cache's arrays are the plan's own and held by this call alone: used in place by an async call (not marked).
  return call('spmmTPlan', { ...product, plan: { indptr, indices, perm, cache } }, out, [...fresh, cache.values, cache.snapshot, cache.state], threads,
    (ok) => plan.releaseCache(ok));
}

/** C = alpha * Aᵀ B + beta * C without forming Aᵀ (A rows x k CSR, B rows x n, C k x n): the backward pass w.r.t. inputs. */
export function spmmT(A: CSRMatrix, B: DenseMatrix, opts?: SpmmTOptions): DenseMatrix {
  return runSyncHeld(spmmTCall(A, B, opts));
}

export async function spmmTAsync(A: CSRMatrix, B: DenseMatrix, opts?: SpmmTOptions): Promise<DenseMatrix> {
  return runAsync(spmmTCall(A, B, opts));
}
