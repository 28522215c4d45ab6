// Small sync spmv runs in JavaScript (lib/kernels/inline.ts): the same contract as the native kernels, checked
// against the float64 reference and against the native path (inline limit 0) on the same inputs.
import { afterAll, describe, expect, test } from 'vitest';
import { CSRMatrix, getInlineLimit, NMMatrix, setInlineLimit, spmv, spmvAsync } from '../../lib/index';
import { CSR_CORRUPTIONS, csrWithOffsets, expectClose, expectSameBits, expectSparseError, makeNM, nmWithNaNAtSpares, offsetView, randomDense, randomVector, referenceSpmm } from '../helpers';

const DEFAULT = getInlineLimit();
afterAll(() => setInlineLimit(DEFAULT));

const SHAPES: [number, number][] = [[0, 4], [1, 1], [1, 37], [7, 1], [8, 8], [13, 33], [37, 16], [60, 70]];
const SCALARS: [number, number][] = [[1, 0], [2.5, 0], [1, 1], [-0.5, 2]];
/** Both paths: everything inline, then everything native. */
const PATHS: [string, number][] = [['inline', 1e9], ['native', 0]];

describe.each(PATHS)('%s path', (path, limit) => {
  test('CSR spmv matches the reference over awkward shapes, offset views (1, 2, 3 floats) and alpha/beta', () => {
    setInlineLimit(limit);
    for (const [rows, cols] of SHAPES) {
      for (const density of [0, 0.3, 1]) {
        const d = randomDense(rows, cols, density, rows * 31 + cols, 3);
        const A = CSRMatrix.fromDense(d);
        const x = randomVector(cols, cols + 7);
        for (const [alpha, beta] of SCALARS) {
          const y0 = randomVector(rows, rows + 3);
          const ref = referenceSpmm(d, { data: x, rows: cols, cols: 1 }, alpha, beta, y0);
          const what = `${path} ${rows}x${cols} d${density} a${alpha} b${beta}`;
          expectClose(spmv(A, x, { out: y0.slice(), alpha, beta }), ref, what);
          if (beta === 0) expectClose(spmv(A, x, { alpha }), ref, `${what} (new out)`);
          for (const offset of [1, 2, 3]) {
            const out = offsetView(y0, offset);
            const Av = CSRMatrix.fromArrays(rows, cols, offsetView(A.indptr, offset), offsetView(A.indices, offset), offsetView(A.values, offset));
            spmv(Av, offsetView(x, offset), { out, alpha, beta });
            expectClose(out, ref, `${what} (views at ${offset})`);
          }
        }
      }
    }
  });

  test('N:M spmv matches the reference (2:4, 1:4, 3:5, 1:1), cols not a multiple of M', () => {
    setInlineLimit(limit);
    for (const [n, m] of [[2, 4], [1, 4], [3, 5], [1, 1]]) {
      for (const [rows, cols] of [[1, 1], [7, 13], [20, 30]] as [number, number][]) {
        const d = makeNM(randomDense(rows, cols, 0.7, rows * n + cols * m), n, m);
        const A = NMMatrix.fromDense(d, { n, m });
        const x = randomVector(cols, 4);
        const y0 = randomVector(rows, 5);
        for (const [alpha, beta] of SCALARS) {
          const ref = referenceSpmm(d, { data: x, rows: cols, cols: 1 }, alpha, beta, y0);
          expectClose(spmv(A, x, { alpha, beta, out: y0.slice() }), ref, `${path} ${n}:${m} ${rows}x${cols} a${alpha} b${beta}`);
          const out = offsetView(y0, 2);
          spmv(A, offsetView(x, 1), { alpha, beta, out });
          expectClose(out, ref, `${path} ${n}:${m} ${rows}x${cols} (views)`);
        }
      }
    }
  });

  test('N:M spare (zero) slots are no entries: NaN in x at their columns stays out of y', () => {
    setInlineLimit(limit);
    for (const [n, m] of [[2, 4], [1, 4], [3, 5]]) {
      for (const [rows, cols] of [[1, 9], [7, 13], [20, 30]] as [number, number][]) {
        const { d, A, x, spares } = nmWithNaNAtSpares(n, m, rows, cols, 1, rows * n + cols * m);
        expect(spares, `${path} ${n}:${m} ${rows}x${cols}: spare slots at NaN columns`).toBeGreaterThan(0);
        const y0 = randomVector(rows, 5);
        const ref = referenceSpmm(d, { data: x, rows: cols, cols: 1 }, -0.5, 2, y0);
        expectClose(spmv(A, x, { alpha: -0.5, beta: 2, out: y0.slice() }), ref, `${path} ${n}:${m} ${rows}x${cols}`);
      }
    }
  });

  test('beta = 0 ignores NaN in out; alpha = 0 reads neither A nor x; NaN in x propagates', () => {
    setInlineLimit(limit);
    const A = CSRMatrix.fromDense(randomDense(5, 4, 0.6, 1));
    expect(spmv(A, randomVector(4, 2), { out: new Float32Array(5).fill(NaN) }).every(Number.isFinite)).toBe(true);
    const xNaN = new Float32Array(4).fill(NaN);
    expect(Array.from(spmv(A, xNaN, { out: Float32Array.from([1, 2, 3, 4, 5]), alpha: 0, beta: 2 }))).toEqual([2, 4, 6, 8, 10]);
    expect(Array.from(spmv(A, xNaN, { out: new Float32Array(5).fill(NaN), alpha: 0 }))).toEqual([0, 0, 0, 0, 0]);
    const full = CSRMatrix.fromDense({ data: new Float32Array(4).fill(1), rows: 1, cols: 4 });
    expect(Number.isNaN(spmv(full, Float32Array.from([1, NaN, 2, 3]))[0])).toBe(true);
    // alpha and beta are float32, as the binding makes them: 0.1 is not 0.1 in float64.
    const one = CSRMatrix.fromDense({ data: Float32Array.of(1), rows: 1, cols: 1 });
    expect(spmv(one, Float32Array.of(1), { alpha: 0.1 })[0]).toBe(Math.fround(0.1));
  });

  test('a structure corrupted after construction is ERR_FORMAT; arrays detached since construction are ERR_SHAPE', () => {
    setInlineLimit(limit);
    for (const corrupt of CSR_CORRUPTIONS) {
      const M = CSRMatrix.fromDense(randomDense(10, 12, 0.5, 5));
      corrupt(M);
      expectSparseError(() => spmv(M, new Float32Array(12)), 'ERR_FORMAT', /spmv: A is not a valid CSR matrix \(\d+ structure entries out of range/);
    }
    const nm = NMMatrix.fromDense(makeNM(randomDense(6, 8, 0.8, 2), 2, 4), { n: 2, m: 4 });
    nm.positions[nm.values.findIndex((x) => x !== 0)] = 250;
    expectSparseError(() => spmv(nm, new Float32Array(8)), 'ERR_FORMAT', /spmv: A is not a valid N:M matrix/);

    const D = CSRMatrix.fromDense(randomDense(6, 6, 0.5, 9));
    structuredClone(D.values.buffer, { transfer: [D.values.buffer as ArrayBuffer] });
    expectSparseError(() => spmv(D, new Float32Array(6)), 'ERR_SHAPE', /A.values but received 0/);
    const E = CSRMatrix.fromDense(randomDense(6, 6, 0.5, 9));
    structuredClone(E.indptr.buffer, { transfer: [E.indptr.buffer as ArrayBuffer] });
    expectSparseError(() => spmv(E, new Float32Array(6)), 'ERR_SHAPE', /A.indptr but received 0/);
  });

  test('an output sharing memory with x or with A is refused', () => {
    setInlineLimit(limit);
    const A = CSRMatrix.fromDense(randomDense(4, 4, 0.5, 3));
    const buf = new Float32Array(8);
    expectSparseError(() => spmv(A, buf.subarray(0, 4), { out: buf.subarray(2, 6) }), 'ERR_ARGUMENT', /options.out must not share memory with x/);
    const V = csrWithOffsets(A);
    expectSparseError(() => spmv(V, new Float32Array(4), { out: new Float32Array(V.values.buffer, 0, 4) }), 'ERR_ARGUMENT', /options.out must not share memory with A.values/);
  });

  test('a triple once found disjoint does not let a later overlapping one through', () => {
    // disjointFromOperand remembers (A, out, x) triples it proved disjoint: each new triple is still checked.
    setInlineLimit(limit);
    const A = CSRMatrix.fromDense(randomDense(4, 4, 0.5, 3));
    const buf = new Float32Array(12);
    const x = buf.subarray(0, 4), out = buf.subarray(4, 8), x2 = buf.subarray(6, 10);
    x.set([1, 2, 3, 4]);
    const want = referenceSpmm(A.toDense(), { data: x.slice(), rows: 4, cols: 1 }, 1, 0);
    for (let i = 0; i < 2; i++) expectClose(spmv(A, x, { out }), want, 'disjoint views of one buffer');
    expectSparseError(() => spmv(A, x2, { out }), 'ERR_ARGUMENT', /options.out must not share memory with x/);
    expectSparseError(() => spmv(A, out, { out }), 'ERR_ARGUMENT', /options.out must not share memory with x/);
    const V = csrWithOffsets(A);
    expect(() => spmv(V, x, { out })).not.toThrow();
    expectSparseError(() => spmv(V, x, { out: new Float32Array(V.values.buffer, 0, 4) }), 'ERR_ARGUMENT', /A.values/);
    // Views of a resizable buffer (never remembered: a length-tracking view follows the buffer): the same answers.
    const rb = new (ArrayBuffer as unknown as new (n: number, o: { maxByteLength: number }) => ArrayBuffer)(32, { maxByteLength: 64 });
    const rx = new Float32Array(rb, 0, 4), ry = new Float32Array(rb, 16);
    for (let i = 0; i < 2; i++) expect(() => spmv(A, rx, { out: ry })).not.toThrow();
    expectSparseError(() => spmv(A, new Float32Array(rb, 12, 4), { out: ry }), 'ERR_ARGUMENT', /share memory with x/);
  });
});

test('the limit decides the path: a new output is a plain array inline and an aligned one natively', () => {
  const A = CSRMatrix.fromDense(randomDense(8, 8, 0.5, 4));
  const x = randomVector(8, 1);
  setInlineLimit(A.nnz);
  const inline = spmv(A, x);
  expect(inline.buffer.byteLength).toBe(8 * 4);
  setInlineLimit(A.nnz - 1);
  const native = spmv(A, x);
  expect(native.buffer.byteLength).toBeGreaterThan(8 * 4);
  expectClose(inline, referenceSpmm(A.toDense(), { data: x, rows: 8, cols: 1 }, 1, 0), 'inline');
  expectClose(native, referenceSpmm(A.toDense(), { data: x, rows: 8, cols: 1 }, 1, 0), 'native');
  expectSparseError(() => setInlineLimit(-1), 'ERR_RANGE', /entries/);
  expectSparseError(() => setInlineLimit(1.5), 'ERR_RANGE', /entries/);
  setInlineLimit(DEFAULT);
  expect(getInlineLimit()).toBe(256);
});

test('spmvAsync of a matrix under the limit computes at the call, with the bits of spmv; its errors reject', async () => {
  setInlineLimit(DEFAULT);
  for (const [rows, cols] of [[8, 8], [13, 33], [1, 1]] as [number, number][]) {
    const A = CSRMatrix.fromDense(randomDense(rows, cols, 0.4, rows + cols));
    expect(A.nnz).toBeLessThanOrEqual(DEFAULT);
    const x = randomVector(cols, 3);
    const y0 = randomVector(rows, 4);
    const pending = spmvAsync(A, x, { out: y0.slice(), alpha: 1.5, beta: -1 });
    x.fill(NaN); // the inputs may change once the call has returned: the result was computed at the call
    const want = spmv(A, randomVector(cols, 3), { out: y0.slice(), alpha: 1.5, beta: -1 });
    expectSameBits(await pending, want, `${rows}x${cols}`);
  }
  const A = CSRMatrix.fromDense(randomDense(4, 4, 0.5, 1));
  await expect(spmvAsync(A, new Float32Array(5))).rejects.toMatchObject({ code: 'ERR_SHAPE' });
  A.indices[0] = 99;
  await expect(spmvAsync(A, new Float32Array(4))).rejects.toMatchObject({ code: 'ERR_FORMAT' });
});
