import { addon } from '../core/binding';
import { PlanCacheArrays } from '../core/native';
import * as v from '../core/validate';
import { alignedFloat32Array, CSRMatrix } from '../formats';

export interface TransposePlanOptions {
  /**
   * Keep Aᵀ's values between calls (default true). Each call then compares A's values with the copy they were
   * gathered from, bit for bit (a sequential read), and only gathers them again through the permutation (a random
   * read, a cache line an entry) when they changed: repeated products with the same values, as in serving or
   * evaluation, cost about the forward product's time. When the values change at every call (training) the cache is
   * tried less and less often (after two calls in a row that found them changed it rests for 4 calls, then two more
   * tries, a refill and a compare, and rests for 16, 64, then 256 calls), so those calls cost about what they would
   * without it. Costs two Float32Arrays of A.nnz, allocated at the first call that uses them; false: never.
   */
  cacheValues?: boolean;
}

/**
 * The transpose of A's pattern, kept to compute Aᵀ B quickly while the pattern stays the same: Aᵀ's structure and a
 * permutation from its entries to A's values, through which a call gathers A's current values (so they may change
 * between calls, as during training), and by default a cache of the values as last gathered (see
 * TransposePlanOptions.cacheValues). The plan's arrays must not be written. Concurrent calls may share a plan, also
 * for two matrices of one pattern (a weight and its gradient): one call at a time uses the cache, the others gather
 * into native per-thread scratch. O(nnz) memory: three int32 arrays, and two float32 ones with the cache.
 */
export class TransposePlan {
  readonly indptr: Int32Array;
  readonly indices: Int32Array;
  readonly perm: Int32Array;
  /** Whether calls keep Aᵀ's values between them (TransposePlanOptions.cacheValues). */
  readonly cacheValues: boolean;
  private readonly source: { indptr: Int32Array; indices: Int32Array; rows: number; cols: number };
  private cache: PlanCacheArrays | null = null;
  /** A call holds the cache (an async one in flight). */
  private busy = false;
  /** Calls in a row that found A's values changed (the first fill counts as one). */
  private misses = 0;
  /** Calls left to run without the cache, after misses in a row. */
  private rest = 0;
  /** Calls that used the cache since it last rested (a rest ends with two tries: a refill, then a compare). */
  private tries = 0;

  constructor(A: CSRMatrix, opts?: TransposePlanOptions) {
    v.instanceOf('A', A, CSRMatrix);
    const o = v.options<TransposePlanOptions>('options', opts, ['cacheValues']);
    this.cacheValues = o.cacheValues === undefined ? true : v.boolean('options.cacheValues', o.cacheValues);
    this.indptr = new Int32Array(A.cols + 1);
    this.indices = new Int32Array(A.nnz);
    this.perm = new Int32Array(A.nnz);
    // No values: calls gather A's current ones through perm.
    addon.csrTranspose(A.rows, A.cols, A.indptr, A.indices, A.values, this.indptr, this.indices, null, this.perm);
    this.source = { indptr: A.indptr, indices: A.indices, rows: A.rows, cols: A.cols };
  }

  /** Whether this plan was made for A's pattern (the same index arrays and shape). */
  matches(A: CSRMatrix): boolean {
    const s = this.source;
    return A.indptr === s.indptr && A.indices === s.indices && A.rows === s.rows && A.cols === s.cols;
  }

  /**
   * @internal The value cache for one call, held until releaseCache; undefined when there is none, another call
   * holds it, or it rests.
   */
  acquireCache(): PlanCacheArrays | undefined {
    if (!this.cacheValues || this.busy || this.perm.length === 0) return undefined;
    if (this.rest > 0) {
      this.rest--;
      return undefined;
    }
    const n = this.perm.length;
    this.cache ??= { values: alignedFloat32Array(n), snapshot: new Float32Array(n), state: new Int32Array(2) };
    this.busy = true;
    return this.cache;
  }

  /** @internal Ends the call that acquired the cache; ok: its native work succeeded (else the cache may be half written). */
  releaseCache(ok: boolean): void {
    const state = (this.cache as PlanCacheArrays).state;
    this.busy = false;
    if (!ok) {
      state[0] = 0;
      return;
    }
    if (state[1] === 2) return; // values not read (alpha 0, width 0): the cache is as it was
    state[0] = 1;
    this.tries++;
    if (state[1] === 1) this.misses = 0;
    else if (++this.misses >= 2 && this.tries >= 2) {
      this.rest = 2 ** Math.min(this.misses, 8);
      this.tries = 0;
    }
  }
}

/** Plans Aᵀ B for a fixed pattern; see TransposePlan. */
export function transposePlan(A: CSRMatrix, opts?: TransposePlanOptions): TransposePlan {
  return new TransposePlan(A, opts);
}
