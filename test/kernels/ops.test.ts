import { describe, expect, test } from 'vitest';
import { CSRMatrix, DenseMatrix, info, setIsa, setThreads, spmm, spmmAsync, spmv, spmvAsync } from '../../lib/index';
import { addon } from '../../lib/core/binding';
import { CSR_CORRUPTIONS, csrWithOffsets, expectClose, expectSparseError, offsetView, randomDense, randomVector, referenceSpmm, nativeKernelsOnly } from '../helpers';

const ISAS = info().isas;
const THREADS = [1, 2];
const WIDTHS = [1, 3, 15, 16, 17, 64, 257];
// rows: 0, 1, and counts that are not a multiple of any tile; cols: 1 and non-multiples of 8/16.
const SHAPES: [number, number][] = [[0, 4], [1, 1], [1, 37], [7, 1], [13, 33], [37, 16]];
const DENSITIES = [0, 0.3, 1];
const SCALARS: [number, number][] = [[1, 0], [2.5, 0], [1, 1], [-0.5, 2]];

nativeKernelsOnly();

function asVector(x: Float32Array): DenseMatrix {
  return { data: x, rows: x.length, cols: 1 };
}

describe.each(ISAS)('isa %s', (isa) => {
  describe.each(THREADS)('threads %i', (threads) => {
    test('spmv matches the scalar reference over awkward shapes, views and alpha/beta', () => {
      setIsa(isa);
      setThreads(threads);
      expect(info().kernels['f32-spmv-csr'].isa).toBe(isa);
      for (const [rows, cols] of [...SHAPES, [300, 700] as [number, number]]) {
        for (const density of DENSITIES) {
          const d = randomDense(rows, cols, density, rows * 1000 + cols, 4);
          const A = CSRMatrix.fromDense(d);
          const x = randomVector(cols, cols + 1);
          for (const [alpha, beta] of SCALARS) {
            const y0 = randomVector(rows, rows + 2);
            const ref = referenceSpmm(d, asVector(x), alpha, beta, y0);
            const what = `spmv ${isa} t${threads} ${rows}x${cols} d${density} a${alpha} b${beta}`;
            expectClose(spmv(A, x, { out: y0.slice(), alpha, beta }), ref, what);
            // byteOffset views for every array
            const out = offsetView(y0);
            spmv(csrWithOffsets(A), offsetView(x), { out, alpha, beta });
            expectClose(out, ref, what + ' (views)');
          }
        }
      }
    });

    test('spmm matches the scalar reference over widths 1..257, shapes, views and alpha/beta', () => {
      setIsa(isa);
      setThreads(threads);
      expect(info().kernels['f32-spmm-csr'].isa).toBe(isa);
      for (const [rows, cols] of SHAPES) {
        for (const density of DENSITIES) {
          const d = randomDense(rows, cols, density, rows * 100 + cols, 3);
          const A = CSRMatrix.fromDense(d);
          const Av = csrWithOffsets(A);
          for (const n of WIDTHS) {
            const B = { data: randomVector(cols * n, n), rows: cols, cols: n };
            const [alpha, beta] = SCALARS[(n + rows) % SCALARS.length];
            const c0 = randomVector(rows * n, 5);
            const ref = referenceSpmm(d, B, alpha, beta, c0);
            const what = `spmm ${isa} t${threads} ${rows}x${cols}x${n} d${density} a${alpha} b${beta}`;
            expectClose(spmm(A, B, { out: { data: c0.slice(), rows, cols: n }, alpha, beta }).data, ref, what);
            const out = { data: offsetView(c0), rows, cols: n };
            spmm(Av, { data: offsetView(B.data), rows: cols, cols: n }, { out, alpha, beta });
            expectClose(out.data, ref, what + ' (views)');
          }
        }
      }
    });

    test('spmm splits uneven rows over threads correctly (long rows, runs of empty rows)', () => {
      setIsa(isa);
      setThreads(threads);
      // Large enough (~140K stored entries) that both SpMV and SpMM split into several tasks.
      const rows = 4000, cols = 500;
      const d = randomDense(rows, cols, 0.05, 77);
      for (let i = 0; i < rows; i++) {
        if (i % 50 === 0) for (let j = 0; j < cols; j++) d.data[i * cols + j] = ((i + j) % 7) - 3; // long rows
        if (i > 2000 && i < 2600) d.data.fill(0, i * cols, (i + 1) * cols); // a run of empty rows
      }
      const A = CSRMatrix.fromDense(d);
      for (const n of [1, 40, 130]) {
        const B = { data: randomVector(cols * n, n + 3), rows: cols, cols: n };
        expectClose(spmm(A, B).data, referenceSpmm(d, B, 1, 0), `uneven ${isa} t${threads} n${n}`);
      }
    });
  });
});

describe('semantics', () => {
  test('beta = 0 ignores NaN in out; alpha = 0 does not read A or x', () => {
    const d = randomDense(5, 4, 0.6, 1);
    const A = CSRMatrix.fromDense(d);
    const x = randomVector(4, 2);
    const y = spmv(A, x, { out: new Float32Array(5).fill(NaN) });
    expect(y.every(Number.isFinite)).toBe(true);
    const xNaN = new Float32Array(4).fill(NaN);
    expect(Array.from(spmv(A, xNaN, { out: Float32Array.from([1, 2, 3, 4, 5]), alpha: 0, beta: 2 }))).toEqual([2, 4, 6, 8, 10]);
    const C = spmm(A, { data: new Float32Array(8).fill(NaN), rows: 4, cols: 2 }, { alpha: 0 });
    expect(Array.from(C.data)).toEqual(new Array(10).fill(0));
  });

  test('results are returned in `out` when given and in a new array otherwise', () => {
    const A = CSRMatrix.fromDense(randomDense(3, 3, 1, 3));
    const out = new Float32Array(3);
    expect(spmv(A, randomVector(3, 1), { out })).toBe(out);
    const C = { data: new Float32Array(6), rows: 3, cols: 2 };
    expect(spmm(A, { data: randomVector(6, 1), rows: 3, cols: 2 }, { out: C })).toBe(C);
  });

  test('inputs are not mutated', () => {
    const A = CSRMatrix.fromDense(randomDense(9, 7, 0.5, 4));
    const A0 = A.clone();
    const B = { data: randomVector(7 * 5, 2), rows: 7, cols: 5 };
    const B0 = B.data.slice();
    spmm(A, B, { alpha: 3 });
    expect(A.values).toEqual(A0.values);
    expect(A.indices).toEqual(A0.indices);
    expect(A.indptr).toEqual(A0.indptr);
    expect(B.data).toEqual(B0);
  });
});

describe('bad input', () => {
  const A = CSRMatrix.fromDense(randomDense(4, 3, 0.7, 11));
  const B = { data: new Float32Array(6), rows: 3, cols: 2 };

  test('wrong shapes and dtypes', () => {
    expectSparseError(() => spmv(A, new Float32Array(4)), 'ERR_SHAPE', /length 3 for x but received Float32Array\(4\)/);
    expectSparseError(() => spmv(A, new Float64Array(3) as unknown as Float32Array), 'ERR_DTYPE', /Float32Array for x but received Float64Array\(3\)/);
    expectSparseError(() => spmv(A, new Float32Array(3), { out: new Float32Array(3) }), 'ERR_SHAPE', /options.out but received Float32Array\(3\)/);
    expectSparseError(() => spmm(A, { data: new Float32Array(8), rows: 4, cols: 2 }), 'ERR_SHAPE', /B.rows to equal A.cols \(3\) but received 4/);
    expectSparseError(() => spmm(A, { data: new Float32Array(5), rows: 3, cols: 2 }), 'ERR_SHAPE', /length 6 for B.data/);
    expectSparseError(() => spmm(A, { data: new Float64Array(6) as unknown as Float32Array, rows: 3, cols: 2 }), 'ERR_DTYPE', /B.data/);
    expectSparseError(() => spmm(A, B, { out: { data: new Float32Array(6), rows: 3, cols: 2 } }), 'ERR_SHAPE', /options.out.rows to be 4 but received 3/);
    expectSparseError(() => spmm(A, B, { out: { data: new Float32Array(12), rows: 4, cols: 3 } }), 'ERR_SHAPE', /options.out.cols to be 2 but received 3/);
    expectSparseError(() => spmm(A, { data: new Float32Array(0), rows: 3, cols: -1 }), 'ERR_RANGE', /B.cols but received -1/);
    expectSparseError(() => spmm(A, { data: new Float32Array(6), rows: 3, cols: 2.5 }), 'ERR_RANGE', /B.cols but received 2.5/);
    expectSparseError(() => spmv({} as CSRMatrix, new Float32Array(3)), 'ERR_ARGUMENT', /CSRMatrix or NMMatrix for A but received an object/);
    expectSparseError(() => spmv(A, new Float32Array(3), { alpha: NaN }), 'ERR_RANGE', /options.alpha but received NaN/);
    expectSparseError(() => spmv(A, new Float32Array(3), { gamma: 1 } as object), 'ERR_UNSUPPORTED', /Unknown option 'gamma'/);
  });

  test('output sizes beyond int32 indexing are refused before allocating', () => {
    const tall = CSRMatrix.fromArrays(2 ** 20, 1, new Int32Array(2 ** 20 + 1), new Int32Array(0), new Float32Array(0));
    expectSparseError(() => spmm(tall, { data: new Float32Array(4096), rows: 1, cols: 4096 }), 'ERR_RANGE', /spmm output.*int32/);
  });

  test('out aliasing an input is refused', () => {
    const buf = new Float32Array(20);
    const x = buf.subarray(0, 3);
    expectSparseError(() => spmv(A, x, { out: buf.subarray(2, 6) }), 'ERR_ARGUMENT', /options.out must not share memory with x/);
    // Checked in lib/ (the message names the option), on the first call with A and on later ones (A's arrays are
    // remembered per matrix), and for arrays of A that are not float32.
    for (let i = 0; i < 2; i++) {
      expectSparseError(() => spmv(A, new Float32Array(3), { out: new Float32Array(A.values.buffer, 0, 4) }), 'ERR_ARGUMENT', /options.out must not share memory with A.values/);
    }
    expectSparseError(() => spmv(A, new Float32Array(3), { out: new Float32Array(A.indices.buffer, 0, 4) }), 'ERR_ARGUMENT', /options.out must not share memory with A.indices/);
    expectSparseError(() => spmm(A, { data: new Float32Array(3), rows: 3, cols: 1 }, { out: { data: new Float32Array(A.indptr.buffer, 0, 4), rows: 4, cols: 1 } }), 'ERR_ARGUMENT', /options.out.data must not share memory with A.indptr/);
    const big = new Float32Array(16);
    expectSparseError(() => spmm(A, { data: big.subarray(0, 6), rows: 3, cols: 2 }, { out: { data: big.subarray(4, 12), rows: 4, cols: 2 } }), 'ERR_ARGUMENT', /options.out.data must not share memory with B.data/);
  });

  test('async variants reject with the same errors', async () => {
    await expect(spmvAsync(A, new Float32Array(4))).rejects.toMatchObject({ code: 'ERR_SHAPE' });
    await expect(spmmAsync(A, { data: new Float32Array(5), rows: 3, cols: 2 })).rejects.toMatchObject({ code: 'ERR_SHAPE' });
  });

  test.each(ISAS)('a matrix corrupted after construction gives ERR_FORMAT, never an out-of-bounds read (%s)', async (isa) => {
    setIsa(isa);
    for (const corrupt of CSR_CORRUPTIONS) {
      const M = CSRMatrix.fromDense(randomDense(40, 50, 0.5, 5));
      corrupt(M);
      expectSparseError(() => spmv(M, new Float32Array(50)), 'ERR_FORMAT', /spmv: A is not a valid CSR matrix/);
      for (const n of [1, 7, 40]) {
        expectSparseError(() => spmm(M, { data: new Float32Array(50 * n), rows: 50, cols: n }), 'ERR_FORMAT', /spmm: A is not a valid CSR matrix/);
      }
      await expect(spmmAsync(M, { data: new Float32Array(50 * 9), rows: 50, cols: 9 })).rejects.toMatchObject({ code: 'ERR_FORMAT' });
    }
    setIsa('auto');
  });

  test('the native layer re-checks what JS hands it', () => {
    const { rows, cols, indptr, indices, values } = A;
    const y = new Float32Array(rows);
    expectSparseError(() => addon.spmv(rows, cols, indptr.subarray(1), indices, values, new Float32Array(cols), y, 1, 0), 'ERR_SHAPE', /A.indptr/);
    expectSparseError(() => addon.spmv(rows, cols, indptr, indices, values.subarray(1), new Float32Array(cols), y, 1, 0), 'ERR_SHAPE', /A.values/);
    expectSparseError(() => addon.spmv(rows, cols + 1, indptr, indices, values, new Float32Array(cols), y, 1, 0), 'ERR_SHAPE', /x/);
    expectSparseError(() => addon.spmv(rows, cols, indptr, indices, values, new Float64Array(cols) as never, y, 1, 0), 'ERR_DTYPE', /x/);
    expectSparseError(() => addon.spmv(-1, cols, indptr, indices, values, new Float32Array(cols), y, 1, 0), 'ERR_RANGE', /A.rows/);
    expectSparseError(() => addon.spmm(rows, cols, indptr, indices, values, new Float32Array(cols * 2), 2, new Float32Array(rows * 3), 1, 0), 'ERR_SHAPE', /out.data/);
    const shared = new Float32Array(64);
    expectSparseError(() => addon.spmv(rows, cols, indptr, indices, values, shared.subarray(0, cols), shared.subarray(1, 1 + rows), 1, 0), 'ERR_ARGUMENT', /out must not share memory with x/);
  });
});

describe('transpose (the batch-major entry and exit of InferenceModel)', () => {
  test('matches a plain loop over awkward shapes and offset views; the native layer re-checks sizes and overlap', () => {
    for (const [rows, cols] of [[1, 1], [1, 7], [7, 1], [3, 5], [4, 4], [5, 9], [33, 31], [64, 36], [128, 784], [37, 130]]) {
      for (const offset of [0, 1, 3]) {
        const a = offsetView(randomVector(rows * cols, rows * 31 + cols), offset);
        const out = new Float32Array(rows * cols + offset + 2).subarray(offset, offset + rows * cols);
        addon.transpose(a, rows, cols, out);
        for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) if (out[c * rows + r] !== a[r * cols + c]) throw new Error(`${rows}x${cols}+${offset} at ${r},${c}`);
      }
    }
    expectSparseError(() => addon.transpose(new Float32Array(6), 2, 3, new Float32Array(5)), 'ERR_SHAPE', /out/);
    expectSparseError(() => addon.transpose(new Float32Array(5), 2, 3, new Float32Array(6)), 'ERR_SHAPE', /a/);
    const shared = new Float32Array(12);
    expectSparseError(() => addon.transpose(shared.subarray(0, 6), 2, 3, shared.subarray(3, 9)), 'ERR_ARGUMENT', /out|overlap|share/);
  });
});
