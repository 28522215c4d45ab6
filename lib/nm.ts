import { CSRMatrix } from './csr';
import { alignedFloat32Array, DenseMatrix } from './dense';
import * as v from './validate';

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
    const size = this.rows * this.cols;
    return size === 0 ? 0 : Math.min(1, this.nnz / size);
  }

  static fromArrays(rows: number, cols: number, opts: NMOptions, values: Float32Array, positions: Uint8Array): NMMatrix {
    const o = v.options<NMOptions>('options', opts, ['n', 'm']);
    const [n, m] = v.nmShape('options', o.n, o.m);
    v.nm('A', rows, cols, n, m, values, positions);
    return new NMMatrix(rows, cols, n, m, values, positions);
  }

  /** Packs a dense matrix that already satisfies N:M; a group with more than n non-zeros is ERR_FORMAT. */
  static fromDense(mat: DenseMatrix, opts: NMOptions): NMMatrix {
    const { data, rows, cols } = v.dense('m', mat);
    const o = v.options<NMOptions>('options', opts, ['n', 'm']);
    const [n, m] = v.nmShape('options', o.n, o.m);
    const b = new NMBuilder(rows, cols, n, m);
    for (let i = 0; i < rows; i++) {
      for (let j = 0; j < cols; j++) if (data[i * cols + j] !== 0) b.add(i, j, data[i * cols + j]);
    }
    return b.finish();
  }

  /** Packs a CSR matrix that satisfies N:M, in O(nnz + rows * groups * n); no dense temporary. */
  static fromCSR(A: CSRMatrix, opts: NMOptions): NMMatrix {
    v.instanceOf('A', A, CSRMatrix);
    const o = v.options<NMOptions>('options', opts, ['n', 'm']);
    const [n, m] = v.nmShape('options', o.n, o.m);
    const b = new NMBuilder(A.rows, A.cols, n, m);
    for (let i = 0; i < A.rows; i++) {
      for (let k = A.indptr[i]; k < A.indptr[i + 1]; k++) if (A.values[k] !== 0) b.add(i, A.indices[k], A.values[k]);
    }
    return b.finish();
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

  /** The non-zero entries as CSR (spare zero slots dropped). */
  toCSR(): CSRMatrix {
    const { rows, cols, n, m, values, positions } = this;
    const groups = this.groups;
    const indptr = new Int32Array(rows + 1);
    for (let i = 0; i < rows; i++) {
      let count = 0;
      for (let k = i * groups * n; k < (i + 1) * groups * n; k++) if (values[k] !== 0) count++;
      indptr[i + 1] = indptr[i] + count;
    }
    const indices = new Int32Array(indptr[rows]), vals = new Float32Array(indptr[rows]);
    for (let i = 0, w = 0; i < rows; i++) {
      for (let g = 0; g < groups; g++) {
        for (let s = 0, k = (i * groups + g) * n; s < n; s++, k++) {
          if (values[k] !== 0) { indices[w] = g * m + positions[k]; vals[w++] = values[k]; }
        }
      }
    }
    return CSRMatrix.trusted(rows, cols, indptr, indices, vals);
  }

  clone(): NMMatrix {
    return new NMMatrix(this.rows, this.cols, this.n, this.m, this.values.slice(), this.positions.slice());
  }

  /** @internal */
  static trusted(rows: number, cols: number, n: number, m: number, values: Float32Array, positions: Uint8Array): NMMatrix {
    return new NMMatrix(rows, cols, n, m, values, positions);
  }
}

/** Collects the non-zeros of each group in column order, then packs them with spare slots zero-filled. */
class NMBuilder {
  private readonly groups: number;
  readonly values: Float32Array;
  readonly positions: Uint8Array;
  private readonly used: Uint8Array; // slots filled per (row, group)

  constructor(readonly rows: number, readonly cols: number, readonly n: number, readonly m: number) {
    this.groups = Math.ceil(cols / m);
    const size = rows * this.groups * n;
    if (size > v.INT32_MAX) v.fail('ERR_RANGE', `An ${n}:${m} matrix of ${rows}x${cols} would store ${size} values, beyond int32 indexing`);
    this.values = new Float32Array(size);
    this.positions = new Uint8Array(size);
    this.used = new Uint8Array(rows * this.groups);
  }

  /** Entries must arrive in increasing column order within a row. */
  add(i: number, j: number, x: number): void {
    const g = (j / this.m) | 0;
    const cell = i * this.groups + g;
    const s = this.used[cell];
    if (s === this.n) {
      v.fail('ERR_FORMAT', `Row ${i}, columns ${g * this.m}..${Math.min(this.cols, g * this.m + this.m) - 1} hold more than ${this.n} non-zeros, so the matrix is not ${this.n}:${this.m} sparse (use nmPrune to make it so)`);
    }
    this.values[cell * this.n + s] = x;
    this.positions[cell * this.n + s] = j - g * this.m;
    this.used[cell] = s + 1;
  }

  finish(): NMMatrix {
    const { n, positions, values, used } = this;
    const filledPos = new Uint8Array(n), filledVal = new Float32Array(n);
    for (let cell = 0; cell < used.length; cell++) {
      const filled = used[cell];
      if (filled === n) continue;
      // Spare slots take the smallest unused positions, merged with the filled ones (already in column order)
      // so positions stay strictly increasing; no allocation per group.
      const base = cell * n;
      for (let t = 0; t < filled; t++) { filledPos[t] = positions[base + t]; filledVal[t] = values[base + t]; }
      // Walk positions 0, 1, 2, ...: a filled position takes its value, an unused one a spare zero slot while
      // spares are still needed; otherwise jump to the next filled position.
      let f = 0, spares = n - filled;
      for (let s = 0, p = 0; s < n; ) {
        if (f < filled && filledPos[f] === p) {
          positions[base + s] = p++;
          values[base + s++] = filledVal[f++];
        } else if (spares > 0) {
          positions[base + s] = p++;
          values[base + s++] = 0;
          spares--;
        } else {
          p = filledPos[f];
        }
      }
    }
    return NMMatrix.trusted(this.rows, this.cols, n, this.m, values, positions);
  }
}
