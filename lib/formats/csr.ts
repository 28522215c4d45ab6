import { addon } from '../core/binding';
import { Rng } from '../core/random';
import * as v from '../core/validate';
import type { COOMatrix } from './coo';
import { alignedFloat32Array, DenseMatrix } from './dense';
import { densityOf, formatSpec, registerFormat } from './format';

export interface FromDenseOptions {
  /** Entries with |value| <= threshold are dropped (default 0: only exact zeros). NaN entries are always kept. */
  threshold?: number;
}

export interface FromCOOOptions {
  /** Sum entries that share a position (default true); with false, a repeated position is ERR_FORMAT. */
  sumDuplicates?: boolean;
}

export interface RandomOptions {
  /** Probability that each entry is stored, in [0, 1]. */
  density: number;
  /** Seed of the generator (uint32); the same seed gives the same matrix. Default 0. */
  seed?: number;
}

/**
 * Compressed sparse row matrix, float32 values and int32 indices. Invariants (checked by fromArrays):
 * indptr has rows + 1 entries, indptr[0] = 0, non-decreasing, indptr[rows] = nnz; indices within a row are
 * strictly increasing and in [0, cols). The arrays are shared, not copied: mutate them only if you keep the
 * invariants (kernels re-check bounds and throw ERR_FORMAT rather than read out of range).
 */
export class CSRMatrix {
  readonly format = 'csr' as const;

  private constructor(
    readonly rows: number,
    readonly cols: number,
    readonly indptr: Int32Array,
    readonly indices: Int32Array,
    readonly values: Float32Array,
  ) {}

  /** Stored entries (explicit zeros count). */
  get nnz(): number {
    return this.indices.length;
  }

  /** nnz / (rows * cols); 0 for an empty shape. */
  get density(): number {
    return densityOf(this.nnz, this.rows, this.cols);
  }

  /** Wraps existing arrays after a full validation (O(rows + nnz)); nothing is copied. */
  static fromArrays(rows: number, cols: number, indptr: Int32Array, indices: Int32Array, values: Float32Array): CSRMatrix {
    v.csr('A', rows, cols, indptr, indices, values);
    return new CSRMatrix(rows, cols, indptr, indices, values);
  }

  /** @internal Arrays already known to be valid (built by this library). */
  static trusted(rows: number, cols: number, indptr: Int32Array, indices: Int32Array, values: Float32Array): CSRMatrix {
    return new CSRMatrix(rows, cols, indptr, indices, values);
  }

  /** Keeps the non-zero entries of a dense matrix (see FromDenseOptions.threshold). */
  static fromDense(m: DenseMatrix, opts?: FromDenseOptions): CSRMatrix {
    const { data, rows, cols } = v.dense('m', m);
    v.indptrRows('m.rows', rows);
    const o = v.options<FromDenseOptions>('options', opts, ['threshold']);
    const threshold = o.threshold === undefined ? 0 : v.finite('options.threshold', o.threshold);
    if (threshold < 0) v.fail('ERR_RANGE', `Expected a non-negative number for options.threshold but received ${threshold}`);
    const indptr = new Int32Array(rows + 1);
    addon.denseToCsrCount(data, rows, cols, threshold, indptr);
    const indices = new Int32Array(indptr[rows]);
    const values = new Float32Array(indptr[rows]);
    addon.denseToCsrFill(data, rows, cols, threshold, indptr, indices, values);
    return new CSRMatrix(rows, cols, indptr, indices, values);
  }

  /**
   * Builds CSR from COO triplets in any order, in O(nnz + rows + cols) (two stable counting sorts, native).
   * Duplicates are summed unless sumDuplicates is false. The COO matrix is not changed.
   */
  static fromCOO(coo: COOMatrix, opts?: FromCOOOptions): CSRMatrix {
    v.instanceOf('coo', coo, formatSpec<COOMatrix>('coo').type);
    const o = v.options<FromCOOOptions>('options', opts, ['sumDuplicates']);
    const sum = o.sumDuplicates === undefined ? true : v.boolean('options.sumDuplicates', o.sumDuplicates);
    const { rows, cols } = coo;
    v.indptrRows('coo.rows', rows);
    const n = coo.values.length;
    const indptr = new Int32Array(rows + 1), indices = new Int32Array(n), values = new Float32Array(n);
    const nnz = addon.cooToCsr(rows, cols, coo.rowIndices, coo.colIndices, coo.values, sum, indptr, indices, values);
    return new CSRMatrix(rows, cols, indptr, nnz === n ? indices : indices.slice(0, nnz), nnz === n ? values : values.slice(0, nnz));
  }

  /**
   * A random matrix whose entries are each stored with probability `density` (values uniform in [-1, 1)), in
   * O(rows + nnz) time by skipping geometrically distributed gaps.
   */
  static random(rows: number, cols: number, opts: RandomOptions): CSRMatrix {
    v.indptrRows('rows', rows);
    v.dimension('cols', cols);
    const o = v.options<RandomOptions>('options', opts, ['density', 'seed']);
    const density = v.fraction('options.density', o.density);
    const rng = new Rng(o.seed ?? 0);
    const expected = rows * cols * density;
    if (expected > v.INT32_MAX) {
      v.fail('ERR_RANGE', `CSRMatrix.random: ${rows}x${cols} at density ${density} would store ~${Math.round(expected)} entries, more than int32 indexing allows (${v.INT32_MAX})`);
    }
    let capacity = Math.min(v.INT32_MAX, Math.ceil(expected + 6 * Math.sqrt(expected)) + 16);
    let indices = new Int32Array(capacity);
    let values = new Float32Array(capacity);
    const indptr = new Int32Array(rows + 1);
    const logq = Math.log1p(-density);
    let nnz = 0;
    for (let i = 0; i < rows && density > 0; i++) {
      for (let j = 0; ; j++) {
        if (density < 1) j += Math.floor(Math.log(1 - rng.next()) / logq);  // gap before the next stored entry
        if (j >= cols) break;
        if (nnz === capacity) {
          if (capacity === v.INT32_MAX) v.fail('ERR_RANGE', 'CSRMatrix.random: more than 2^31-1 stored entries');
          capacity = Math.min(v.INT32_MAX, capacity * 2);
          const ni = new Int32Array(capacity); ni.set(indices); indices = ni;
          const nv = new Float32Array(capacity); nv.set(values); values = nv;
        }
        indices[nnz] = j;
        values[nnz++] = rng.next() * 2 - 1;
      }
      indptr[i + 1] = nnz;
    }
    return new CSRMatrix(rows, cols, indptr, indices.slice(0, nnz), values.slice(0, nnz));
  }

  /** A new dense row-major copy. Refused with ERR_RANGE beyond int32 indexing. */
  toDense(): DenseMatrix {
    const data = alignedFloat32Array(v.denseSize('toDense()', this.rows, this.cols));
    this.scatterInto(data);
    return { data, rows: this.rows, cols: this.cols };
  }

  /**
   * @internal Writes the stored values at their positions of a row-major rows x cols buffer; other entries are left
   * as they are (a layer refreshing its dense copy of a weight whose pattern is fixed).
   */
  scatterInto(data: Float32Array): void {
    const { rows, cols, indptr, indices, values } = this;
    for (let i = 0, base = 0; i < rows; i++, base += cols) for (let k = indptr[i]; k < indptr[i + 1]; k++) data[base + indices[k]] = values[k];
  }

  /** Aᵀ as a new CSR matrix (equivalently, A in CSC), in O(nnz + rows + cols); indices come out sorted. */
  transpose(): CSRMatrix {
    const { rows, cols, indptr, indices, values } = this;
    const tptr = new Int32Array(cols + 1), tind = new Int32Array(this.nnz), tval = new Float32Array(this.nnz);
    addon.csrTranspose(rows, cols, indptr, indices, values, tptr, tind, tval);
    return new CSRMatrix(cols, rows, tptr, tind, tval);
  }

  /** The same entries as COO triplets, in row-major order (new arrays). */
  toCOO(): COOMatrix {
    return formatSpec<COOMatrix>('coo').fromCSR!(this);
  }

  /** This matrix itself (formats share toCSR(); nothing is copied). */
  toCSR(): CSRMatrix {
    return this;
  }

  /** A deep copy. */
  clone(): CSRMatrix {
    return new CSRMatrix(this.rows, this.cols, this.indptr.slice(), this.indices.slice(), this.values.slice());
  }
}

registerFormat<CSRMatrix>({
  tag: 'csr',
  type: CSRMatrix,
  arrays: (A) => [['A.indptr', A.indptr], ['A.indices', A.indices], ['A.values', A.values]],
  kept: (A) => A.nnz,
  revive: (x, full) => {
    const rows = v.indptrRows('x.rows', x.rows), cols = v.dimension('x.cols', x.cols);
    const indptr = v.int32Array('x.indptr', x.indptr, rows + 1), indices = v.int32Array('x.indices', x.indices);
    const values = v.float32Array('x.values', x.values, indices.length);
    return full ? CSRMatrix.fromArrays(rows, cols, indptr, indices, values) : CSRMatrix.trusted(rows, cols, indptr, indices, values);
  },
  codec: {
    encode: (A) => ({
      parts: [
        { key: 'indptr', dtype: 'I32', shape: [A.rows + 1], data: A.indptr },
        { key: 'indices', dtype: 'I32', shape: [A.nnz], data: A.indices },
        { key: 'values', dtype: 'F32', shape: [A.nnz], data: A.values },
      ],
      attrs: {},
    }),
    decode: ([rows, cols], _attrs, part) =>
      CSRMatrix.fromArrays(rows, cols, part('indptr', 'I32') as Int32Array, part('indices', 'I32') as Int32Array, part('values', 'F32') as Float32Array),
  },
});
