import { CSRMatrix } from './csr';
import { alignedFloat32Array, DenseMatrix } from './dense';
import * as v from './validate';

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
    const size = this.rows * this.cols;
    return size === 0 ? 0 : Math.min(1, this.nnz / size);
  }

  static fromArrays(rows: number, cols: number, block: [number, number], indptr: Int32Array, indices: Int32Array, values: Float32Array): BSRMatrix {
    v.bsr('A', rows, cols, block, indptr, indices, values);
    return new BSRMatrix(rows, cols, [block[0], block[1]], indptr, indices, values);
  }

  /** Stores every block that holds a non-zero. */
  static fromDense(m: DenseMatrix, opts: BlockOptions): BSRMatrix {
    const { data, rows, cols } = v.dense('m', m);
    const [r, c] = v.blockShape('options.block', v.options<BlockOptions>('options', opts, ['block']).block);
    const br = Math.ceil(rows / r), bc = Math.ceil(cols / c);
    const indptr = new Int32Array(br + 1);
    const keep: number[] = [];
    for (let i = 0; i < br; i++) {
      for (let j = 0; j < bc; j++) {
        let any = false;
        for (let a = 0; a < r && !any && i * r + a < rows; a++) {
          const base = (i * r + a) * cols;
          for (let b = 0; b < c && j * c + b < cols; b++) if (data[base + j * c + b] !== 0) { any = true; break; }
        }
        if (any) keep.push(j);
      }
      indptr[i + 1] = keep.length;
    }
    const indices = Int32Array.from(keep);
    const values = new Float32Array(v.integer('stored values', keep.length * r * c));
    for (let i = 0; i < br; i++) {
      for (let k = indptr[i]; k < indptr[i + 1]; k++) {
        const j = indices[k];
        for (let a = 0; a < r && i * r + a < rows; a++) {
          for (let b = 0; b < c && j * c + b < cols; b++) values[(k * r + a) * c + b] = data[(i * r + a) * cols + j * c + b];
        }
      }
    }
    return new BSRMatrix(rows, cols, [r, c], indptr, indices, values);
  }

  /** Groups a CSR matrix into blocks in O(nnz + blocks * log(blocks per block row)); no dense temporary. */
  static fromCSR(A: CSRMatrix, opts: BlockOptions): BSRMatrix {
    v.instanceOf('A', A, CSRMatrix);
    const [r, c] = v.blockShape('options.block', v.options<BlockOptions>('options', opts, ['block']).block);
    const { rows, cols, indptr: ip, indices: ix, values: vs } = A;
    const br = Math.ceil(rows / r), bc = Math.ceil(cols / c);
    const slot = new Int32Array(bc).fill(-1); // block column -> its index in this block row, or -1
    const indptr = new Int32Array(br + 1);
    // Pass 1: the block columns of each block row.
    const cols_: number[] = [];
    for (let i = 0; i < br; i++) {
      const start = cols_.length;
      for (let row = i * r; row < Math.min(rows, i * r + r); row++) {
        for (let k = ip[row]; k < ip[row + 1]; k++) {
          const j = (ix[k] / c) | 0;
          if (slot[j] < 0) { slot[j] = 0; cols_.push(j); }
        }
      }
      const mine = cols_.slice(start).sort((a, b) => a - b);
      for (let t = 0; t < mine.length; t++) { cols_[start + t] = mine[t]; slot[mine[t]] = -1; }
      indptr[i + 1] = cols_.length;
    }
    const indices = Int32Array.from(cols_);
    const values = new Float32Array(v.integer('stored values', indices.length * r * c));
    // Pass 2: scatter the values into their blocks.
    for (let i = 0; i < br; i++) {
      for (let k = indptr[i]; k < indptr[i + 1]; k++) slot[indices[k]] = k;
      for (let row = i * r; row < Math.min(rows, i * r + r); row++) {
        for (let k = ip[row]; k < ip[row + 1]; k++) {
          const j = ix[k];
          values[(slot[(j / c) | 0] * r + (row - i * r)) * c + (j % c)] = vs[k];
        }
      }
      for (let k = indptr[i]; k < indptr[i + 1]; k++) slot[indices[k]] = -1;
    }
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

  /** The non-zero entries as CSR (zeros inside blocks are dropped), in O(stored values). */
  toCSR(): CSRMatrix {
    const { rows, cols, indptr, indices, values } = this;
    const [r, c] = this.block;
    const rowPtr = new Int32Array(rows + 1);
    for (let row = 0; row < rows; row++) {
      const i = (row / r) | 0, a = row - i * r;
      let count = 0;
      for (let k = indptr[i]; k < indptr[i + 1]; k++) {
        for (let b = 0; b < c && indices[k] * c + b < cols; b++) if (values[(k * r + a) * c + b] !== 0) count++;
      }
      rowPtr[row + 1] = rowPtr[row] + count;
    }
    const nnz = rowPtr[rows];
    const outIdx = new Int32Array(nnz), outVal = new Float32Array(nnz);
    for (let row = 0, w = 0; row < rows; row++) {
      const i = (row / r) | 0, a = row - i * r;
      for (let k = indptr[i]; k < indptr[i + 1]; k++) {
        for (let b = 0; b < c && indices[k] * c + b < cols; b++) {
          const x = values[(k * r + a) * c + b];
          if (x !== 0) { outIdx[w] = indices[k] * c + b; outVal[w++] = x; }
        }
      }
    }
    return CSRMatrix.trusted(rows, cols, rowPtr, outIdx, outVal);
  }

  clone(): BSRMatrix {
    return new BSRMatrix(this.rows, this.cols, this.block, this.indptr.slice(), this.indices.slice(), this.values.slice());
  }
}
