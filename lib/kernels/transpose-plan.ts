import { addon } from '../core/binding';
import * as v from '../core/validate';
import { CSRMatrix } from '../formats';

/**
 * The transpose of A's pattern, kept to compute Aᵀ B quickly while the pattern stays the same: Aᵀ's structure and a
 * permutation from its entries to A's values, through which each spmmT call gathers A's current values (so they may
 * change between calls, as during training) into native per-thread scratch. The plan itself is never written by a
 * call, so concurrent calls may share it, also for two matrices of one pattern (a weight and its gradient).
 * O(nnz) memory: three int32 arrays.
 */
export class TransposePlan {
  readonly indptr: Int32Array;
  readonly indices: Int32Array;
  readonly perm: Int32Array;
  private readonly source: { indptr: Int32Array; indices: Int32Array; rows: number; cols: number };

  constructor(A: CSRMatrix) {
    v.instanceOf('A', A, CSRMatrix);
    this.indptr = new Int32Array(A.cols + 1);
    this.indices = new Int32Array(A.nnz);
    this.perm = new Int32Array(A.nnz);
    // No values: each call gathers A's current ones through perm.
    addon.csrTranspose(A.rows, A.cols, A.indptr, A.indices, A.values, this.indptr, this.indices, null, this.perm);
    this.source = { indptr: A.indptr, indices: A.indices, rows: A.rows, cols: A.cols };
  }

  /** Whether this plan was made for A's pattern (the same index arrays and shape). */
  matches(A: CSRMatrix): boolean {
    const s = this.source;
    return A.indptr === s.indptr && A.indices === s.indices && A.rows === s.rows && A.cols === s.cols;
  }
}

/** Plans Aᵀ B for a fixed pattern; see TransposePlan. */
export function transposePlan(A: CSRMatrix): TransposePlan {
  return new TransposePlan(A);
}
