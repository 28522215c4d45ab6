import * as v from '../core/validate';
import { CSRMatrix, FromCOOOptions } from './csr';
import { alignedFloat32Array, DenseMatrix } from './dense';
import { densityOf, registerFormat, SparseFormat } from './format';

/** Coordinate (triplet) matrix: entries in any order, duplicates allowed until converted (then summed). */
export class COOMatrix {
  readonly format = 'coo' as const;

  private constructor(
    readonly rows: number,
    readonly cols: number,
    readonly rowIndices: Int32Array,
    readonly colIndices: Int32Array,
    readonly values: Float32Array,
  ) {}

  get nnz(): number {
    return this.values.length;
  }

  get density(): number {
    return densityOf(this.nnz, this.rows, this.cols);
  }

  /** Wraps existing arrays after checking lengths and index ranges; nothing is copied. */
  static fromArrays(rows: number, cols: number, rowIndices: Int32Array, colIndices: Int32Array, values: Float32Array): COOMatrix {
    v.coo('coo', rows, cols, rowIndices, colIndices, values);
    return new COOMatrix(rows, cols, rowIndices, colIndices, values);
  }

  /** @internal Arrays already known to be valid. */
  static trusted(rows: number, cols: number, rowIndices: Int32Array, colIndices: Int32Array, values: Float32Array): COOMatrix {
    return new COOMatrix(rows, cols, rowIndices, colIndices, values);
  }

  static fromCSR(A: CSRMatrix): COOMatrix {
    return v.instanceOf('A', A, CSRMatrix).toCOO();
  }

  static fromDense(m: DenseMatrix): COOMatrix {
    return CSRMatrix.fromDense(m).toCOO();
  }

  /** A new COO matrix sorted by (row, column) with entries at the same position summed. */
  sumDuplicates(): COOMatrix {
    return CSRMatrix.fromCOO(this).toCOO();
  }

  toCSR(opts?: FromCOOOptions): CSRMatrix {
    return CSRMatrix.fromCOO(this, opts);
  }

  /** A new dense copy; duplicates are summed. */
  toDense(): DenseMatrix {
    const data = alignedFloat32Array(v.denseSize('toDense()', this.rows, this.cols));
    for (let k = 0; k < this.values.length; k++) data[this.rowIndices[k] * this.cols + this.colIndices[k]] += this.values[k];
    return { data, rows: this.rows, cols: this.cols };
  }

  clone(): COOMatrix {
    return new COOMatrix(this.rows, this.cols, this.rowIndices.slice(), this.colIndices.slice(), this.values.slice());
  }
}

registerFormat<COOMatrix>({
  tag: 'coo',
  type: COOMatrix,
  arrays: (A) => [['A.rowIndices', A.rowIndices], ['A.colIndices', A.colIndices], ['A.values', A.values]],
  kept: (A) => A.toCSR().nnz,
  revive: (x, full) => {
    const rows = v.dimension('x.rows', x.rows), cols = v.dimension('x.cols', x.cols);
    const ri = v.int32Array('x.rowIndices', x.rowIndices), ci = v.int32Array('x.colIndices', x.colIndices, ri.length);
    const values = v.float32Array('x.values', x.values, ri.length);
    // COO's checks are per entry (index ranges), as cheap as reading them once: always done.
    void full;
    return COOMatrix.fromArrays(rows, cols, ri, ci, values);
  },
  codec: {
    encode: (A) => ({
      parts: [
        { key: 'row', dtype: 'I32', shape: [A.nnz], data: A.rowIndices },
        { key: 'col', dtype: 'I32', shape: [A.nnz], data: A.colIndices },
        { key: 'values', dtype: 'F32', shape: [A.nnz], data: A.values },
      ],
      attrs: {},
    }),
    decode: ([rows, cols], _attrs, part) =>
      COOMatrix.fromArrays(rows, cols, part('row', 'I32') as Int32Array, part('col', 'I32') as Int32Array, part('values', 'F32') as Float32Array),
  },
  // CSR to COO (CSRMatrix.toCOO): the same entries as triplets in row-major order, in new arrays.
  fromCSR: (S: SparseFormat) => {
    const A = S as CSRMatrix;
    const rowIndices = new Int32Array(A.nnz);
    for (let i = 0; i < A.rows; i++) rowIndices.fill(i, A.indptr[i], A.indptr[i + 1]);
    return COOMatrix.trusted(A.rows, A.cols, rowIndices, A.indices.slice(), A.values.slice());
  },
});
