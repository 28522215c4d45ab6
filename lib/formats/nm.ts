import { addon } from '../core/binding';
import * as v from '../core/validate';
import { CSRMatrix } from './csr';
import { alignedFloat32Array, DenseMatrix } from './dense';
import { densityOf, registerFormat } from './format';

export interface NMOptions {
  /** Non-zeros kept per group (1 <= n <= m). */
  n: number;
  /** Group width in consecutive columns (m <= 255), e.g. 2:4, 1:4, 2:8, 4:8. */
  m: number;
}

/**
 * N:M structured sparse matrix: every row is cut into groups of m consecutive columns (the last group may be
 * shorter when cols is not a multiple of m), and each group stores exactly n slots: values packed densely
 * (rows * groups * n floats) and each slot's position within its group (uint8, strictly increasing). A group with
 * fewer than n non-zeros fills its spare slots with zeros at unused positions; slots past the last column hold 0.
 * A zero slot is no entry: every kernel skips it (x or B at its column is not read, so an infinity or NaN there does
 * not reach the result) and toCSR drops it, where a stored zero of a CSR matrix is an entry and does multiply.
 */
export class NMMatrix {
  readonly format = 'nm' as const;

  private constructor(
    readonly rows: number,
    readonly cols: number,
    readonly n: number,
    readonly m: number,
    readonly values: Float32Array,
    readonly positions: Uint8Array,
  ) {}

  /** Groups per row: ceil(cols / m). */
  get groups(): number {
    return Math.ceil(this.cols / this.m);
  }

  /** Stored slots (rows * groups * n), zeros in spare slots included. */
  get nnz(): number {
    return this.values.length;
  }

  get density(): number {
    return Math.min(1, densityOf(this.nnz, this.rows, this.cols)); // padding slots count in nnz
  }

  static fromArrays(rows: number, cols: number, opts: NMOptions, values: Float32Array, positions: Uint8Array): NMMatrix {
    const o = v.options<NMOptions>('options', opts, ['n', 'm']);
    const [n, m] = v.nmShape('options', o.n, o.m);
    v.nm('A', rows, cols, n, m, values, positions);
    return new NMMatrix(rows, cols, n, m, values, positions);
  }

  /** Packs a dense matrix that already satisfies N:M; a group with more than n non-zeros is ERR_FORMAT. */
  static fromDense(mat: DenseMatrix, opts: NMOptions): NMMatrix {
    v.dense('m', mat);
    return NMMatrix.fromCSR(CSRMatrix.fromDense(mat), opts);
  }

  /** Packs a CSR matrix that satisfies N:M, in O(nnz + rows * groups * n), native; no dense temporary. */
  static fromCSR(A: CSRMatrix, opts: NMOptions): NMMatrix {
    v.instanceOf('A', A, CSRMatrix);
    const o = v.options<NMOptions>('options', opts, ['n', 'm']);
    const [n, m] = v.nmShape('options', o.n, o.m);
    const size = A.rows * Math.ceil(A.cols / m) * n;
    if (size > v.INT32_MAX) v.fail('ERR_RANGE', `An ${n}:${m} matrix of ${A.rows}x${A.cols} would store ${size} values, beyond int32 indexing`);
    const values = new Float32Array(size), positions = new Uint8Array(size);
    addon.csrToNm(A.rows, A.cols, A.indptr, A.indices, A.values, n, m, values, positions);
    return new NMMatrix(A.rows, A.cols, n, m, values, positions);
  }

  toDense(): DenseMatrix {
    const { rows, cols, n, m, values, positions } = this;
    const groups = this.groups;
    const data = alignedFloat32Array(v.denseSize('toDense()', rows, cols));
    for (let i = 0; i < rows; i++) {
      for (let g = 0; g < groups; g++) {
        for (let s = 0, k = (i * groups + g) * n; s < n; s++, k++) {
          const j = g * m + positions[k];
          if (j < cols && values[k] !== 0) data[i * cols + j] = values[k];
        }
      }
    }
    return { data, rows, cols };
  }

  /** The non-zero entries as CSR (spare zero slots dropped), native. */
  toCSR(): CSRMatrix {
    const { rows, cols, n, m, values, positions } = this;
    v.indptrRows('rows', rows);
    const indptr = new Int32Array(rows + 1);
    addon.nmToCsrCount(rows, cols, n, m, values, positions, indptr);
    const indices = new Int32Array(indptr[rows]), vals = new Float32Array(indptr[rows]);
    addon.nmToCsrFill(rows, cols, n, m, values, positions, indptr, indices, vals);
    return CSRMatrix.trusted(rows, cols, indptr, indices, vals);
  }

  /** @internal Arrays already known to be valid (built by this library). */
  static trusted(rows: number, cols: number, n: number, m: number, values: Float32Array, positions: Uint8Array): NMMatrix {
    return new NMMatrix(rows, cols, n, m, values, positions);
  }

  clone(): NMMatrix {
    return new NMMatrix(this.rows, this.cols, this.n, this.m, this.values.slice(), this.positions.slice());
  }
}

registerFormat<NMMatrix>({
  tag: 'nm',
  type: NMMatrix,
  arrays: (A) => [['A.values', A.values], ['A.positions', A.positions]],
  kept: (A) => A.toCSR().nnz,
  revive: (x, full) => {
    const rows = v.dimension('x.rows', x.rows), cols = v.dimension('x.cols', x.cols);
    const [n, m] = v.nmShape('x', x.n, x.m);
    const size = rows * Math.ceil(cols / m) * n;
    const values = v.float32Array('x.values', x.values, size), positions = v.uint8Array('x.positions', x.positions, size);
    return full ? NMMatrix.fromArrays(rows, cols, { n, m }, values, positions) : NMMatrix.trusted(rows, cols, n, m, values, positions);
  },
  codec: {
    encode: (A) => ({
      parts: [
        { key: 'values', dtype: 'F32', shape: [A.rows, A.groups, A.n], data: A.values },
        { key: 'positions', dtype: 'U8', shape: [A.rows, A.groups, A.n], data: A.positions },
      ],
      attrs: { n: A.n, m: A.m },
    }),
    decode: ([rows, cols], attrs, part) =>
      NMMatrix.fromArrays(rows, cols, { n: attrs.n as number, m: attrs.m as number }, part('values', 'F32') as Float32Array, part('positions', 'U8') as Uint8Array),
  },
});
