import { addon } from '../core/binding';
import * as v from '../core/validate';
import { CSRMatrix } from './csr';
import { alignedFloat32Array, DenseMatrix } from './dense';
import { densityOf, registerFormat } from './format';

export interface BlockOptions {
  /** Block shape [rows, cols], each in [1, 64]; e.g. [1, 4], [4, 1], [4, 4], [8, 1], [16, 1]. */
  block: [number, number];
}

/**
 * Block sparse row matrix: CSR over blocks of r x c entries. indptr has ceil(rows/r) + 1 entries, indices are block
 * columns (sorted, unique per block row), values holds each stored block row-major, block after block
 * (nblocks * r * c). When rows or cols is not a multiple of the block, edge blocks are padded with zeros; the
 * padding is never read as part of the matrix.
 */
export class BSRMatrix {
  readonly format = 'bsr' as const;

  private constructor(
    readonly rows: number,
    readonly cols: number,
    readonly block: readonly [number, number],
    readonly indptr: Int32Array,
    readonly indices: Int32Array,
    readonly values: Float32Array,
  ) {}

  /** Stored blocks. */
  get blocks(): number {
    return this.indices.length;
  }

  /** Stored values (blocks * r * c, padding and explicit zeros included), as scipy's bsr_matrix.nnz. */
  get nnz(): number {
    return this.values.length;
  }

  get density(): number {
    return Math.min(1, densityOf(this.nnz, this.rows, this.cols)); // padding slots count in nnz
  }

  /** @internal Arrays already known to be valid (or re-checked by the kernels that read them: fromShared). */
  static trusted(rows: number, cols: number, block: [number, number], indptr: Int32Array, indices: Int32Array, values: Float32Array): BSRMatrix {
    return new BSRMatrix(rows, cols, [block[0], block[1]], indptr, indices, values);
  }

  static fromArrays(rows: number, cols: number, block: [number, number], indptr: Int32Array, indices: Int32Array, values: Float32Array): BSRMatrix {
    v.bsr('A', rows, cols, block, indptr, indices, values);
    return new BSRMatrix(rows, cols, [block[0], block[1]], indptr, indices, values);
  }

  /** Stores every block that holds a non-zero (through CSR: no temporary larger than the non-zeros). */
  static fromDense(m: DenseMatrix, opts: BlockOptions): BSRMatrix {
    v.dense('m', m);
    return BSRMatrix.fromCSR(CSRMatrix.fromDense(m), opts);
  }

  /** Groups a CSR matrix into blocks in O(nnz + blocks * log(blocks per block row)), native; no dense temporary. */
  static fromCSR(A: CSRMatrix, opts: BlockOptions): BSRMatrix {
    v.instanceOf('A', A, CSRMatrix);
    const [r, c] = v.blockShape('options.block', v.options<BlockOptions>('options', opts, ['block']).block);
    const { rows, cols, indptr: ip, indices: ix, values: vs } = A;
    const indptr = new Int32Array(Math.ceil(rows / r) + 1);
    addon.csrToBsrCount(rows, cols, ip, ix, vs, r, c, indptr);
    const blocks = indptr[indptr.length - 1];
    const indices = new Int32Array(blocks), values = new Float32Array(blocks * r * c);
    addon.csrToBsrFill(rows, cols, ip, ix, vs, r, c, indptr, indices, values);
    return new BSRMatrix(rows, cols, [r, c], indptr, indices, values);
  }

  toDense(): DenseMatrix {
    const { rows, cols, indptr, indices, values } = this;
    const [r, c] = this.block;
    const data = alignedFloat32Array(v.denseSize('toDense()', rows, cols));
    for (let i = 0; i * r < rows; i++) {
      for (let k = indptr[i]; k < indptr[i + 1]; k++) {
        const j = indices[k];
        for (let a = 0; a < r && i * r + a < rows; a++) {
          for (let b = 0; b < c && j * c + b < cols; b++) data[(i * r + a) * cols + j * c + b] = values[(k * r + a) * c + b];
        }
      }
    }
    return { data, rows, cols };
  }

  /** The non-zero entries as CSR (zeros inside blocks are dropped), in O(stored values), native. */
  toCSR(): CSRMatrix {
    const { rows, cols, indptr, indices, values } = this;
    const [r, c] = this.block;
    const outPtr = new Int32Array(rows + 1);
    addon.bsrToCsrCount(rows, cols, r, c, indptr, indices, values, outPtr);
    const outIdx = new Int32Array(outPtr[rows]), outVal = new Float32Array(outPtr[rows]);
    addon.bsrToCsrFill(rows, cols, r, c, indptr, indices, values, outPtr, outIdx, outVal);
    return CSRMatrix.trusted(rows, cols, outPtr, outIdx, outVal);
  }

  clone(): BSRMatrix {
    return new BSRMatrix(this.rows, this.cols, this.block, this.indptr.slice(), this.indices.slice(), this.values.slice());
  }
}

registerFormat<BSRMatrix>({
  tag: 'bsr',
  type: BSRMatrix,
  arrays: (A) => [['A.indptr', A.indptr], ['A.indices', A.indices], ['A.values', A.values]],
  kept: (A) => A.toCSR().nnz,
  revive: (x, full) => {
    const rows = v.dimension('x.rows', x.rows), cols = v.dimension('x.cols', x.cols);
    const [r, c] = v.blockShape('x.block', x.block);
    const indptr = v.int32Array('x.indptr', x.indptr, Math.ceil(rows / r) + 1), indices = v.int32Array('x.indices', x.indices);
    const values = v.float32Array('x.values', x.values, indices.length * r * c);
    return full ? BSRMatrix.fromArrays(rows, cols, [r, c], indptr, indices, values) : BSRMatrix.trusted(rows, cols, [r, c], indptr, indices, values);
  },
  codec: {
    encode: (A) => ({
      parts: [
        { key: 'indptr', dtype: 'I32', shape: [A.indptr.length], data: A.indptr },
        { key: 'indices', dtype: 'I32', shape: [A.blocks], data: A.indices },
        { key: 'values', dtype: 'F32', shape: [A.blocks, A.block[0], A.block[1]], data: A.values }, // scipy's bsr_matrix data layout
      ],
      attrs: { block: [A.block[0], A.block[1]] },
    }),
    decode: ([rows, cols], attrs, part) =>
      BSRMatrix.fromArrays(rows, cols, attrs.block as [number, number], part('indptr', 'I32') as Int32Array, part('indices', 'I32') as Int32Array,
        part('values', 'F32') as Float32Array),
  },
});
