import { describe, expect, test } from 'vitest';
import { COOMatrix, CSRMatrix, denseMatrix } from '../../lib/index';
import { expectSparseError, randomDense } from '../helpers';

const i32 = (a: number[]) => Int32Array.from(a);
const f32 = (a: number[]) => Float32Array.from(a);

describe('CSRMatrix', () => {
  test('fromDense / toDense round trip over awkward shapes', () => {
    for (const [rows, cols] of [[0, 0], [0, 5], [5, 0], [1, 1], [7, 1], [1, 33], [13, 17]]) {
      for (const density of [0, 0.3, 1]) {
        const d = randomDense(rows, cols, density, rows * 31 + cols, 3);
        const A = CSRMatrix.fromDense(d);
        expect(A.rows).toBe(rows);
        expect(A.cols).toBe(cols);
        let nz = 0;
        for (const x of d.data) if (x !== 0) nz++;
        expect(A.nnz).toBe(nz);
        expect(A.density).toBe(rows * cols ? nz / (rows * cols) : 0);
        expect(A.toDense().data).toEqual(d.data);
        // the result is itself a valid CSR (fromArrays re-validates it)
        expect(() => CSRMatrix.fromArrays(rows, cols, A.indptr, A.indices, A.values)).not.toThrow();
      }
    }
  });

  test('fromDense threshold drops small entries and keeps NaN', () => {
    const A = CSRMatrix.fromDense(denseMatrix(1, 4, f32([0.05, -0.2, NaN, 0])), { threshold: 0.1 });
    expect(Array.from(A.indices)).toEqual([1, 2]);
    expect(A.values[0]).toBeCloseTo(-0.2);
    expect(A.values[1]).toBeNaN();
  });

  test('fromArrays shares the arrays and accepts a valid matrix', () => {
    const indptr = i32([0, 2, 2, 3]);
    const A = CSRMatrix.fromArrays(3, 4, indptr, i32([0, 3, 1]), f32([1, 2, 3]));
    expect(A.indptr).toBe(indptr);
    expect(Array.from(A.toDense().data)).toEqual([1, 0, 0, 2, 0, 0, 0, 0, 0, 3, 0, 0]);
  });

  test('fromArrays refuses malformed CSR with the right code and message', () => {
    const ok = () => [i32([0, 2, 3]), i32([0, 2, 1]), f32([1, 2, 3])] as const;
    const bad = (rows: unknown, cols: unknown, ip: unknown, ix: unknown, vs: unknown) => () =>
      CSRMatrix.fromArrays(rows as number, cols as number, ip as Int32Array, ix as Int32Array, vs as Float32Array);
    const [ip, ix, vs] = ok();
    expectSparseError(bad(2, 3, i32([1, 2, 3]), ix, vs), 'ERR_FORMAT', /A.indptr\[0\] to be 0 but received 1/);
    expectSparseError(bad(2, 3, i32([0, 3, 2]), ix, vs), 'ERR_FORMAT', /A.indptr decreases at row 1/);
    expectSparseError(bad(2, 3, i32([0, 2, 2]), ix, vs), 'ERR_FORMAT', /indptr\[2\] \(nnz\) to equal the length of A.indices \(3\) but received 2/);
    expectSparseError(bad(2, 3, i32([0, 2, 4]), ix, vs), 'ERR_FORMAT', /points past the end of A.indices/);
    expectSparseError(bad(2, 3, ip, i32([0, -1, 1]), vs), 'ERR_RANGE', /A.indices\[1\] = -1 is out of range for 3 columns/);
    expectSparseError(bad(2, 3, ip, i32([0, 3, 1]), vs), 'ERR_RANGE', /A.indices\[1\] = 3 is out of range/);
    expectSparseError(bad(2, 3, ip, i32([2, 0, 1]), vs), 'ERR_FORMAT', /strictly increasing.*indices\[0\] = 2, indices\[1\] = 0/);
    expectSparseError(bad(2, 3, ip, i32([1, 1, 1]), vs), 'ERR_FORMAT', /strictly increasing/);
    expectSparseError(bad(2, 3, ip, ix, f32([1, 2])), 'ERR_SHAPE', /A.values to have the length of A.indices \(3\) but received Float32Array\(2\)/);
    expectSparseError(bad(2, 3, i32([0, 3]), ix, vs), 'ERR_SHAPE', /length 3 for A.indptr but received Int32Array\(2\)/);
    expectSparseError(bad(2, 3, ip, ix, new Float64Array(3)), 'ERR_DTYPE', /Float32Array for A.values but received Float64Array\(3\)/);
    expectSparseError(bad(2, 3, ip, new Uint32Array(3), vs), 'ERR_DTYPE', /Int32Array for A.indices/);
    expectSparseError(bad(2.5, 3, ip, ix, vs), 'ERR_RANGE', /integer for A.rows but received 2.5/);
    expectSparseError(bad(2, -3, ip, ix, vs), 'ERR_RANGE', /A.cols but received -3/);
    expectSparseError(bad(2, 2 ** 31, ip, ix, vs), 'ERR_RANGE', /A.cols but received 2147483648/);
    expectSparseError(bad('2', 3, ip, ix, vs), 'ERR_ARGUMENT', /A.rows but received '2' of type string/);
  });

  test('fromCOO sorts unsorted triplets and sums duplicates', () => {
    const coo = COOMatrix.fromArrays(3, 3, i32([2, 0, 2, 0, 1, 2]), i32([1, 2, 1, 0, 1, 0]), f32([1, 2, 3, 4, 5, 6]));
    const A = CSRMatrix.fromCOO(coo);
    expect(Array.from(A.indptr)).toEqual([0, 2, 3, 5]);
    expect(Array.from(A.indices)).toEqual([0, 2, 1, 0, 1]);
    expect(Array.from(A.values)).toEqual([4, 2, 5, 6, 4]);
    expect(A.toDense().data).toEqual(coo.toDense().data);
    expectSparseError(() => CSRMatrix.fromCOO(coo, { sumDuplicates: false }), 'ERR_FORMAT', /more than one entry at \(2, 1\)/);
    expectSparseError(() => CSRMatrix.fromCOO(coo, { sumDuplicates: 1 as unknown as boolean }), 'ERR_ARGUMENT', /options.sumDuplicates/);
    expectSparseError(() => CSRMatrix.fromCOO({} as COOMatrix), 'ERR_ARGUMENT', /COOMatrix for coo but received an object/);
    expectSparseError(
      () => COOMatrix.fromArrays(2, 2, i32([0, 2]), i32([0, 0]), f32([1, 1])), 'ERR_RANGE', /rowIndices\[1\] = 2 is out of range for 2 rows/);
  });

  test('fromCOO agrees with a dense accumulation on random triplets (seeded)', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const rows = seed % 7, cols = (seed * 3) % 11 + 1, n = rows ? seed * 5 : 0;
      const ri = new Int32Array(n), ci = new Int32Array(n), vs = new Float32Array(n);
      for (let k = 0; k < n; k++) {
        ri[k] = (k * 7 + seed) % rows;
        ci[k] = (k * 13 + seed * 3) % cols;
        vs[k] = ((k * 37) % 17) - 8;
      }
      const coo = COOMatrix.fromArrays(rows, cols, ri, ci, vs);
      const A = coo.toCSR();
      expect(A.toDense().data).toEqual(coo.toDense().data);
      expect(() => CSRMatrix.fromArrays(rows, cols, A.indptr, A.indices, A.values)).not.toThrow();
    }
  });

  test('transpose matches the dense transpose and is valid CSR', () => {
    for (const [rows, cols] of [[0, 3], [3, 0], [1, 1], [9, 4], [4, 9], [20, 31]]) {
      const d = randomDense(rows, cols, 0.4, rows + cols * 7, 4);
      const T = CSRMatrix.fromDense(d).transpose();
      expect([T.rows, T.cols]).toEqual([cols, rows]);
      const td = T.toDense();
      for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) expect(td.data[j * rows + i]).toBe(d.data[i * cols + j]);
      expect(() => CSRMatrix.fromArrays(T.rows, T.cols, T.indptr, T.indices, T.values)).not.toThrow();
    }
  });

  test('toCOO and clone copy, never share', () => {
    const A = CSRMatrix.fromDense(randomDense(6, 5, 0.5, 9, 3));
    const coo = A.toCOO();
    expect(coo.toDense().data).toEqual(A.toDense().data);
    expect(coo.values).not.toBe(A.values);
    const B = A.clone();
    B.values[0] = 42;
    expect(A.values[0]).not.toBe(42);
    expect(B.indptr).not.toBe(A.indptr);
  });

  test('random is reproducible, valid, and near the requested density', () => {
    const A = CSRMatrix.random(200, 300, { density: 0.1, seed: 7 });
    const B = CSRMatrix.random(200, 300, { density: 0.1, seed: 7 });
    expect(A.indices).toEqual(B.indices);
    expect(A.values).toEqual(B.values);
    expect(() => CSRMatrix.fromArrays(A.rows, A.cols, A.indptr, A.indices, A.values)).not.toThrow();
    expect(Math.abs(A.density - 0.1)).toBeLessThan(0.01);
    expect(CSRMatrix.random(5, 6, { density: 1 }).nnz).toBe(30);
    expect(CSRMatrix.random(5, 6, { density: 0 }).nnz).toBe(0);
    expectSparseError(() => CSRMatrix.random(5, 6, { density: 1.5 }), 'ERR_RANGE', /options.density/);
  });

  test('toDense refuses shapes beyond int32 indexing', () => {
    const A = CSRMatrix.fromArrays(100000, 100000, new Int32Array(100001), new Int32Array(0), new Float32Array(0));
    expect(A.density).toBe(0);
    expectSparseError(() => A.toDense(), 'ERR_RANGE', /100000x100000/);
    expectSparseError(() => denseMatrix(65536, 65536), 'ERR_RANGE', /int32/);
    expectSparseError(() => denseMatrix(2, 3, new Float32Array(5)), 'ERR_SHAPE', /length 6 for data but received Float32Array\(5\)/);
  });
});
