import * as v from '../core/validate';
import { CSRMatrix } from './csr';
import { alignedFloat32Array, DenseMatrix } from './dense';
import { densityOf, registerFormat } from './format';

export interface ApplyOptions {
  /** Write the masked copy here instead of changing `data` in place. */
  out?: Float32Array;
}

/**
 * A bit set over a rows x cols dense shape, row-major: bit (i, j) is bit (i*cols + j) % 32 of word
 * floor((i*cols + j) / 32). Bits past rows*cols in the last word are always 0. Saved as little-endian bytes, the
 * words are numpy's np.unpackbits(..., bitorder='little').
 */
export class Mask {
  readonly format = 'mask' as const;

  private constructor(readonly rows: number, readonly cols: number, readonly bits: Uint32Array) {}

  static empty(rows: number, cols: number): Mask {
    v.dimension('rows', rows);
    v.dimension('cols', cols);
    return new Mask(rows, cols, new Uint32Array(Math.ceil(v.denseSize('Mask', rows, cols) / 32)));
  }

  static full(rows: number, cols: number): Mask {
    return Mask.empty(rows, cols).not();
  }

  /** Wraps existing words after checking their count and that the unused tail bits are 0. */
  static fromBits(rows: number, cols: number, bits: Uint32Array): Mask {
    v.dimension('rows', rows);
    v.dimension('cols', cols);
    const size = v.denseSize('Mask', rows, cols);
    if (!(bits instanceof Uint32Array)) v.fail('ERR_DTYPE', `Expected a Uint32Array for bits but received ${v.describe(bits)}`);
    if (bits.length !== Math.ceil(size / 32)) v.fail('ERR_SHAPE', `Expected length ${Math.ceil(size / 32)} for bits but received ${v.describe(bits)}`);
    if (size % 32 && bits.length && bits[bits.length - 1] >>> (size % 32)) {
      v.fail('ERR_FORMAT', `bits has set bits past the ${rows}x${cols} shape in its last word`);
    }
    return new Mask(rows, cols, bits);
  }

  /** Bits set where the dense matrix is non-zero (NaN counts as non-zero). */
  static fromDense(m: DenseMatrix): Mask {
    const { data, rows, cols } = v.dense('m', m);
    const mask = Mask.empty(rows, cols);
    for (let k = 0; k < data.length; k++) if (data[k] !== 0) mask.bits[k >>> 5] |= 1 << (k & 31);
    return mask;
  }

  /** Bits set at the stored positions of a CSR matrix (its pattern; stored zeros included). */
  static fromCSR(A: CSRMatrix): Mask {
    v.instanceOf('A', A, CSRMatrix);
    const mask = Mask.empty(A.rows, A.cols);
    for (let i = 0; i < A.rows; i++) {
      for (let k = A.indptr[i]; k < A.indptr[i + 1]; k++) {
        const bit = i * A.cols + A.indices[k];
        mask.bits[bit >>> 5] |= 1 << (bit & 31);
      }
    }
    return mask;
  }

  get(i: number, j: number): boolean {
    v.integer('i', i, 0, this.rows - 1);
    v.integer('j', j, 0, this.cols - 1);
    const bit = i * this.cols + j;
    return ((this.bits[bit >>> 5] >>> (bit & 31)) & 1) === 1;
  }

  /** Set bits. */
  count(): number {
    let total = 0;
    for (let w = 0; w < this.bits.length; w++) {
      let x = this.bits[w];
      x = x - ((x >>> 1) & 0x55555555);
      x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
      total += (Math.imul((x + (x >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24);
    }
    return total;
  }

  get nnz(): number {
    return this.count();
  }

  get density(): number {
    return densityOf(this.count(), this.rows, this.cols);
  }

  and(other: Mask): Mask {
    return this.combine('and', other, (a, b) => a & b);
  }

  or(other: Mask): Mask {
    return this.combine('or', other, (a, b) => a | b);
  }

  /** The complement (within the shape). */
  not(): Mask {
    const bits = this.bits.map((w) => ~w >>> 0);
    const size = this.rows * this.cols;
    if (size % 32 && bits.length) bits[bits.length - 1] &= (1 << (size % 32)) - 1;
    return new Mask(this.rows, this.cols, bits);
  }

  /** The pattern as CSR with every stored value 1. */
  toCSR(): CSRMatrix {
    const { rows, cols } = this;
    v.indptrRows('mask.rows', rows);
    const nnz = this.count();
    const indptr = new Int32Array(rows + 1), indices = new Int32Array(nnz);
    for (let i = 0, w = 0; i < rows; i++) {
      for (let j = 0; j < cols; j++) {
        const bit = i * cols + j;
        if ((this.bits[bit >>> 5] >>> (bit & 31)) & 1) indices[w++] = j;
      }
      indptr[i + 1] = w;
    }
    return CSRMatrix.trusted(rows, cols, indptr, indices, new Float32Array(nnz).fill(1));
  }

  /** 1 where set, 0 elsewhere. */
  toDense(): DenseMatrix {
    const data = alignedFloat32Array(this.rows * this.cols);
    for (let k = 0; k < data.length; k++) data[k] = (this.bits[k >>> 5] >>> (k & 31)) & 1;
    return { data, rows: this.rows, cols: this.cols };
  }

  /**
   * Zeroes the entries of a row-major rows x cols Float32Array whose bit is clear: in place, or into `out` (then
   * `data` is not changed). Returns the array written.
   */
  apply(data: Float32Array, opts?: ApplyOptions): Float32Array {
    const size = this.rows * this.cols;
    v.float32Array('data', data, size);
    const o = v.options<ApplyOptions>('options', opts, ['out']);
    const out = o.out === undefined ? data : v.float32Array('options.out', o.out, size);
    if (out !== data) v.disjoint('options.out', out, 'data', data);
    for (let k = 0; k < size; k++) out[k] = (this.bits[k >>> 5] >>> (k & 31)) & 1 ? data[k] : 0;
    return out;
  }

  clone(): Mask {
    return new Mask(this.rows, this.cols, this.bits.slice());
  }

  private combine(op: string, other: Mask, f: (a: number, b: number) => number): Mask {
    v.instanceOf('other', other, Mask);
    if (other.rows !== this.rows || other.cols !== this.cols) {
      v.fail('ERR_SHAPE', `${op}: Expected a ${this.rows}x${this.cols} mask for other but received ${other.rows}x${other.cols}`);
    }
    return new Mask(this.rows, this.cols, this.bits.map((w, k) => f(w, other.bits[k]) >>> 0));
  }
}

registerFormat<Mask>({
  tag: 'mask',
  type: Mask,
  arrays: (A) => [['A.bits', A.bits]],
  kept: (A) => A.count(),
  revive: (x) => Mask.fromBits(v.dimension('x.rows', x.rows), v.dimension('x.cols', x.cols), x.bits as Uint32Array), // O(1) checks already
  codec: {
    encode: (A) => ({ parts: [{ key: 'bits', dtype: 'U8', shape: [A.bits.byteLength], data: new Uint8Array(A.bits.buffer, A.bits.byteOffset, A.bits.byteLength) }], attrs: {} }),
    decode: ([rows, cols], _attrs, part) => {
      const b = part('bits', 'U8');
      if (b.byteLength % 4) v.fail('ERR_IO', 'its bits are not a whole number of 32-bit words');
      const words = b.byteOffset % 4 === 0 ? new Uint32Array(b.buffer, b.byteOffset, b.byteLength / 4) : new Uint32Array(b.slice().buffer);
      return Mask.fromBits(rows, cols, words);
    },
  },
});
