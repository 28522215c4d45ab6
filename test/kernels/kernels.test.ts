// SDDMM, transposed SpMM, BSR and N:M matmul against float64 references, every ISA, threads 1 and 2.
import { describe, expect, test } from 'vitest';
import {
  BSRMatrix, CSRMatrix, info, NMMatrix, sddmm, sddmmAsync, setAsyncLimit, setIsa, setThreads, spmm,
  spmmAsync, spmmT, spmmTAsync, spmv, TransposePlan, transposePlan,
} from '../../lib/index';
import { expectClose, expectSameBits, expectSparseError, makeNM, nmWithNaNAtSpares, offsetView, randomDense, randomVector, referenceSddmm, referenceSpmm, transposeDense, nativeKernelsOnly } from '../helpers';

const ISAS = info().isas;
const WIDTHS = [1, 3, 15, 16, 17, 64, 257];

nativeKernelsOnly();

describe.each(ISAS)('isa %s', (isa) => {
  describe.each([1, 2])('threads %i', (threads) => {
    test('sddmm matches the reference over K = 1..257, empty rows, views, alpha/beta', () => {
      setIsa(isa);
      setThreads(threads);
      expect(info().kernels['f32-sddmm-csr'].isa).toBe(isa);
      for (const [rows, cols] of [[0, 3], [1, 1], [7, 13], [37, 33], [300, 200]] as [number, number][]) {
        const P = CSRMatrix.fromDense(randomDense(rows, cols, 0.3, rows + cols, 4));
        for (const K of rows === 300 ? [64] : [1, 3, 15, 16, 17, 64, 257]) {
          const X = { data: randomVector(rows * K, K), rows, cols: K };
          const Y = { data: randomVector(cols * K, K + 1), rows: cols, cols: K };
          const [alpha, beta] = K % 2 ? [1, 0] : [-0.5, 2];
          const out0 = randomVector(P.nnz, 9);
          const ref = referenceSddmm(P, X, Y, alpha, beta, out0);
          const R = sddmm(P, X, Y, { alpha, beta, out: out0.slice() });
          expect(R.indptr).toBe(P.indptr);
          expectClose(R.values, ref, `sddmm ${isa} t${threads} ${rows}x${cols} K${K}`);
          const out = offsetView(out0);
          sddmm(P, { data: offsetView(X.data), rows, cols: K }, { data: offsetView(Y.data), rows: cols, cols: K }, { alpha, beta, out });
          expectClose(out, ref, `sddmm views K${K}`);
        }
      }
    });

    test('spmmT (scatter and transpose plan) matches the reference', () => {
      setIsa(isa);
      setThreads(threads);
      // 30 x 9000: C's 9000 rows of a thread's columns overflow the scatter's scratch budget (the L2 size), so it
      // stages a few vectors of columns at a time.
      for (const [rows, cols] of [[0, 4], [1, 1], [13, 33], [37, 16], [400, 300], [30, 9000]] as [number, number][]) {
        const d = randomDense(rows, cols, 0.3, rows * 7 + cols, 3);
        const A = CSRMatrix.fromDense(d);
        const dT = transposeDense(d);
        const plan = transposePlan(A);
        for (const n of rows === 400 ? [1, 40, 130] : rows === 30 ? [130] : WIDTHS) {
          const B = { data: randomVector(rows * n, n), rows, cols: n };
          const [alpha, beta] = n % 2 ? [1, 0] : [2, -1];
          const c0 = randomVector(cols * n, 3);
          const ref = referenceSpmm(dT, B, alpha, beta, c0);
          const what = `spmmT ${isa} t${threads} ${rows}x${cols} n${n}`;
          expectClose(spmmT(A, B, { alpha, beta, out: { data: c0.slice(), rows: cols, cols: n } }).data, ref, what);
          expectClose(spmmT(A, B, { alpha, beta, plan, out: { data: c0.slice(), rows: cols, cols: n } }).data, ref, what + ' plan');
          if (rows !== 400) continue;
          // Views 1, 2 and 3 floats into their buffers: the scatter splits C's columns at its cache lines.
          for (const offset of [1, 2, 3]) {
            const Bv = { data: offsetView(B.data, offset), rows, cols: n };
            for (const opts of [{}, { plan }]) {
              const out = { data: offsetView(c0, offset), rows: cols, cols: n };
              spmmT(A, Bv, { alpha, beta, out, ...opts });
              expectClose(out.data, ref, `${what} views at ${offset}${'plan' in opts ? ' plan' : ''}`);
            }
          }
        }
      }
    });

    test('spmm on BSR matches the reference for every block shape, partial blocks included', () => {
      setIsa(isa);
      setThreads(threads);
      expect(info().kernels['f32-spmm-bsr'].isa).toBe(isa);
      for (const block of [[1, 4], [4, 1], [4, 4], [8, 1], [16, 1], [3, 5], [8, 4]] as [number, number][]) {
        for (const [rows, cols] of [[1, 1], [17, 9], [33, 21], [300, 200]] as [number, number][]) {
          const d = randomDense(rows, cols, 0.25, rows + cols + block[0], 5);
          const A = BSRMatrix.fromDense(d, { block });
          for (const n of rows === 300 ? [64] : WIDTHS) {
            const B = { data: randomVector(cols * n, n), rows: cols, cols: n };
            const [alpha, beta] = n % 2 ? [1, 0] : [0.5, 1.5];
            const c0 = randomVector(rows * n, 2);
            const ref = referenceSpmm(d, B, alpha, beta, c0);
            expectClose(spmm(A, B, { alpha, beta, out: { data: c0.slice(), rows, cols: n } }).data, ref, `bsr ${block} ${isa} t${threads} ${rows}x${cols} n${n}`);
          }
        }
      }
    });

    test('spmv on a large N:M matrix (several tasks; whole vectors and the tail of each row) matches the reference', () => {
      setIsa(isa);
      setThreads(threads);
      for (const [nn, mm] of [[2, 4], [1, 4], [4, 8]]) {
        const [rows, cols] = [1100, 645];
        const d = makeNM(randomDense(rows, cols, 0.8, nn * 10 + mm), nn, mm);
        const A = NMMatrix.fromDense(d, { n: nn, m: mm });
        const x = offsetView(randomVector(cols, 6), 1);
        const y0 = randomVector(rows, 7);
        const out = offsetView(y0, 3);
        spmv(A, x, { alpha: 0.5, beta: 2, out });
        expectClose(out, referenceSpmm(d, { data: x, rows: cols, cols: 1 }, 0.5, 2, y0), `spmv nm ${nn}:${mm} ${isa} t${threads} ${rows}x${cols}`);
      }
    });

    test('spmm and spmv on N:M match the reference (2:4, 1:4, 2:8, 4:8, 3:5, 1:1), cols not a multiple of M', () => {
      setIsa(isa);
      setThreads(threads);
      for (const [nn, mm] of [[2, 4], [1, 4], [2, 8], [4, 8], [3, 5], [1, 1]]) {
        for (const [rows, cols] of [[1, 1], [7, 13], [37, 30], [500, 301]] as [number, number][]) {
          const d = makeNM(randomDense(rows, cols, 0.7, rows * nn + cols * mm), nn, mm);
          const A = NMMatrix.fromDense(d, { n: nn, m: mm });
          const x = randomVector(cols, 4);
          const y0 = randomVector(rows, 5);
          const vref = referenceSpmm(d, { data: x, rows: cols, cols: 1 }, 2, -1, y0);
          expectClose(spmv(A, x, { alpha: 2, beta: -1, out: y0.slice() }), vref, `spmv nm ${nn}:${mm} ${isa} t${threads} ${rows}x${cols}`);
          for (const n of rows === 500 ? [1, 64] : WIDTHS) {
            const B = { data: randomVector(cols * n, n), rows: cols, cols: n };
            expectClose(spmm(A, B).data, referenceSpmm(d, B, 1, 0), `spmm nm ${nn}:${mm} ${isa} t${threads} ${rows}x${cols} n${n}`);
          }
        }
      }
    });

    test('N:M spmm at narrow widths (B\'s columns through the SpMV kernel) on offset views, B transposed, alpha and beta', () => {
      setIsa(isa);
      setThreads(threads);
      for (const [nn, mm] of [[2, 4], [1, 4], [4, 8], [3, 5]]) {
        for (const [rows, cols] of [[9, 77], [40, 1030]] as [number, number][]) {
          const d = makeNM(randomDense(rows, cols, 0.8, rows + nn * 7 + mm), nn, mm);
          const A = NMMatrix.fromDense(d, { n: nn, m: mm });
          for (const n of [2, 3, 4, 5, 6, 7, 8, 11, 12, 13]) {
            const what = `spmm nm ${nn}:${mm} ${isa} t${threads} ${rows}x${cols} n${n}`;
            const B = { data: offsetView(randomVector(cols * n, n), 1 + (n % 3)), rows: cols, cols: n };
            const C0 = randomVector(rows * n, n + 1);
            const ref = referenceSpmm(d, B, 0.5, 2, C0);
            const out = { data: offsetView(C0, 2), rows, cols: n };
            expectClose(spmm(A, B, { alpha: 0.5, beta: 2, out }).data, ref, what);
            const Bt = { data: offsetView(transposeDense(B).data, 3), rows: n, cols };
            expectClose(spmm(A, Bt, { transB: true, alpha: 0.5, beta: 2, out: { data: offsetView(C0, 1), rows, cols: n } }).data, ref, `${what} transB`);
          }
        }
      }
    });

    test('N:M spare (zero) slots are no entries: NaN in x or B at their columns stays out of spmv and spmm, as in toCSR', () => {
      setIsa(isa);
      setThreads(threads);
      for (const [nn, mm] of [[2, 4], [1, 4], [2, 8], [4, 8], [3, 5]]) {
        for (const [rows, cols] of [[1, 9], [7, 13], [300, 301]] as [number, number][]) {
          const what = `nm ${nn}:${mm} ${isa} t${threads} ${rows}x${cols}`;
          const { d, A, x, B, spares } = nmWithNaNAtSpares(nn, mm, rows, cols, 9, rows + cols + nn);
          expect(spares, `${what}: spare slots at NaN columns`).toBeGreaterThan(0);
          const y0 = randomVector(rows, 3);
          const vref = referenceSpmm(d, { data: x, rows: cols, cols: 1 }, 1.5, 0.5, y0);
          expectClose(spmv(A, x, { alpha: 1.5, beta: 0.5, out: y0.slice() }), vref, `spmv ${what}`);
          expectClose(spmv(A.toCSR(), x, { alpha: 1.5, beta: 0.5, out: y0.slice() }), vref, `spmv toCSR ${what}`);
          expectClose(spmm(A, { data: x, rows: cols, cols: 1 }).data, referenceSpmm(d, { data: x, rows: cols, cols: 1 }, 1, 0), `spmm n1 ${what}`);
          expectClose(spmm(A, B).data, referenceSpmm(d, B, 1, 0), `spmm n9 ${what}`);
        }
      }
      // A CSR matrix's stored zero is an entry (scipy's semantics): 0 * NaN is NaN.
      const C = CSRMatrix.fromArrays(1, 2, Int32Array.from([0, 2]), Int32Array.from([0, 1]), Float32Array.from([0, 1]));
      expect(Number.isNaN(spmv(C, Float32Array.from([NaN, 1]))[0])).toBe(true);
    });
  });
});

describe('new kernels: async, plans and bad input', () => {
  const d = randomDense(40, 30, 0.3, 3, 4);
  const A = CSRMatrix.fromDense(d);

  test('async variants give the same bits as sync', async () => {
    const B = { data: randomVector(40 * 20, 1), rows: 40, cols: 20 };
    const X = { data: randomVector(40 * 16, 2), rows: 40, cols: 16 }, Y = { data: randomVector(30 * 16, 3), rows: 30, cols: 16 };
    expectSameBits((await spmmTAsync(A, B)).data, spmmT(A, B).data);
    expectSameBits((await sddmmAsync(A, X, Y)).values, sddmm(A, X, Y).values);
    const bsr = BSRMatrix.fromCSR(A, { block: [4, 4] });
    const C = { data: randomVector(30 * 20, 5), rows: 30, cols: 20 };
    expectSameBits((await spmmAsync(bsr, C)).data, spmm(bsr, C).data);
  });

  test('a plan follows value changes and refuses another pattern', () => {
    const plan = transposePlan(A);
    const B = { data: randomVector(40 * 8, 1), rows: 40, cols: 8 };
    const before = spmmT(A, B, { plan }).data;
    A.values[0] *= 3; // values may change while the pattern stays
    const after = spmmT(A, B, { plan }).data;
    // The plan's kernel sums in another order than the scatter (several accumulators at narrow widths): close, and
    // the changed value shows.
    expectClose(after, referenceSpmm(transposeDense(A.toDense()), B, 1, 0), 'plan after a value change');
    expect(after.some((x, i) => Math.abs(x - before[i]) > 1e-3)).toBe(true);
    expectSparseError(() => spmmT(A.clone(), B, { plan }), 'ERR_ARGUMENT', /options.plan was made for another pattern/);
  });

  test('concurrent spmmTAsync calls through one plan, for two matrices of one pattern, each get their own values', async () => {
    // A weight and its gradient share a pattern (and so a plan): the values are gathered per call, not into the
    // plan. Two async slots, widths of one panel and of several, against the float64 reference.
    const W = CSRMatrix.random(300, 200, { density: 0.2, seed: 5 });
    const G = CSRMatrix.fromArrays(300, 200, W.indptr, W.indices, W.values.map((x) => -2 * x + 1));
    const plan = transposePlan(W);
    setAsyncLimit(2);
    for (const n of [8, 200]) {
      const B = { data: randomVector(300 * n, n), rows: 300, cols: n };
      const refW = referenceSpmm(transposeDense(W.toDense()), B, 1, 0), refG = referenceSpmm(transposeDense(G.toDense()), B, 1, 0);
      for (let round = 0; round < 20; round++) {
        const [w, g] = await Promise.all([spmmTAsync(W, B, { plan }), spmmTAsync(G, B, { plan })]);
        expectClose(w.data, refW, `W n${n} round ${round}`);
        expectClose(g.data, refG, `G n${n} round ${round}`);
      }
    }
    setAsyncLimit(2); // the default
  });

  test.each(ISAS)('a transpose plan changed after it was made gives an error, never an out-of-range read (%s)', (isa) => {
    setIsa(isa);
    const B = { data: randomVector(40 * 20, 4), rows: 40, cols: 20 };
    for (const [what, corrupt] of [
      ['perm', (p: TransposePlan) => { p.perm[3] = A.nnz + 7; }],
      ['indptr decreasing', (p: TransposePlan) => { p.indptr[10] = p.indptr[20] + 5; }],
      ['indptr past nnz', (p: TransposePlan) => { p.indptr[p.indptr.length - 1] = A.nnz + 100; }],
      ['indptr negative', (p: TransposePlan) => { p.indptr[5] = -4; }],
    ] as [string, (p: TransposePlan) => void][]) {
      for (const n of [1, 20]) {
        const plan = transposePlan(A);
        corrupt(plan);
        expect(() => spmmT(A, { ...B, data: B.data.subarray(0, 40 * n), cols: n }, { plan }), `${what} n${n}`).toThrow(/spmmT: .*(not a valid CSR|transpose plan does not match)/);
      }
    }
    setIsa('auto');
  });

  test('shape, dtype, aliasing and format errors', () => {
    const X = { data: new Float32Array(40 * 8), rows: 40, cols: 8 }, Y = { data: new Float32Array(30 * 8), rows: 30, cols: 8 };
    expectSparseError(() => sddmm(A, { data: new Float32Array(39 * 8), rows: 39, cols: 8 }, Y), 'ERR_SHAPE', /X.rows to be 40 but received 39/);
    expectSparseError(() => sddmm(A, X, { data: new Float32Array(30 * 7), rows: 30, cols: 7 }), 'ERR_SHAPE', /Y.cols to equal X.cols \(8\) but received 7/);
    expectSparseError(() => sddmm(A, X, Y, { out: new Float32Array(A.nnz + 1) }), 'ERR_SHAPE', /options.out/);
    expectSparseError(() => sddmm(A, X, Y, { out: X.data.subarray(0, A.nnz) }), 'ERR_ARGUMENT', /options.out must not share memory with X.data/);
    expectSparseError(() => sddmm(A, { data: new Float64Array(320) as never, rows: 40, cols: 8 }, Y), 'ERR_DTYPE', /X.data/);
    expectSparseError(() => spmmT(A, { data: new Float32Array(30 * 2), rows: 30, cols: 2 }), 'ERR_SHAPE', /B.rows to equal A.rows \(40\) but received 30/);
    const B = { data: new Float32Array(40 * 2), rows: 40, cols: 2 };
    expectSparseError(() => spmmT(A, B, { out: { data: new Float32Array(40 * 2), rows: 40, cols: 2 } }), 'ERR_SHAPE', /options.out.rows to be 30/);
    expectSparseError(() => spmmT(A, B, { out: { data: B.data.subarray(0, 60), rows: 30, cols: 2 } }), 'ERR_ARGUMENT', /options.out.data must not share memory with B.data/);
    const big = new Float32Array(200);
    expectSparseError(() => spmmT(A, { data: big.subarray(0, 80), rows: 40, cols: 2 }, { out: { data: big.subarray(60, 120), rows: 30, cols: 2 } }), 'ERR_ARGUMENT', /share memory with B.data/);
    const nm = NMMatrix.fromDense(makeNM(d, 2, 4), { n: 2, m: 4 });
    expectSparseError(() => spmm(nm, { data: new Float32Array(29), rows: 29, cols: 1 }), 'ERR_SHAPE', /B.rows to equal A.cols \(30\)/);
    expectSparseError(() => spmv(nm, new Float32Array(30), { out: nm.values.subarray(0, 40) }), 'ERR_ARGUMENT', /share memory with A.values/);
    expectSparseError(() => spmm({} as never, B), 'ERR_ARGUMENT', /CSRMatrix, BSRMatrix or NMMatrix for A/);
  });

  test.each(ISAS)('structures corrupted after construction give ERR_FORMAT, never an out-of-range read (%s)', (isa) => {
    setIsa(isa);
    const P = A.clone();
    P.indices[2] = 5000;
    const X = { data: new Float32Array(40 * 8), rows: 40, cols: 8 }, Y = { data: new Float32Array(30 * 8), rows: 30, cols: 8 };
    expectSparseError(() => sddmm(P, X, Y), 'ERR_FORMAT', /sddmm: A is not a valid CSR matrix/);
    expectSparseError(() => spmmT(P, { data: new Float32Array(40 * 20), rows: 40, cols: 20 }), 'ERR_FORMAT', /spmmT: A is not a valid CSR matrix/);
    const bsr = BSRMatrix.fromCSR(A, { block: [4, 4] });
    bsr.indices[1] = -3;
    expectSparseError(() => spmm(bsr, { data: new Float32Array(30 * 17), rows: 30, cols: 17 }), 'ERR_FORMAT', /spmm: A is not a valid BSR matrix/);
    const nm = NMMatrix.fromDense(makeNM(d, 2, 4), { n: 2, m: 4 });
    const k = nm.values.findIndex((x) => x !== 0);
    nm.positions[k] = 250;
    expectSparseError(() => spmm(nm, { data: new Float32Array(30 * 17), rows: 30, cols: 17 }), 'ERR_FORMAT', /not a valid N:M matrix/);
    expectSparseError(() => spmv(nm, new Float32Array(30)), 'ERR_FORMAT', /not a valid N:M matrix/);
    setIsa('auto');
  });
});

describe('dense gemm', () => {
  test.each(ISAS)('gemm (and transposed A) matches the reference, isa %s', async (isa) => {
    const { gemm } = await import('../../lib/index');
    setIsa(isa);
    expect(info().kernels['f32-gemm'].isa).toBe(isa);
    for (const [m, k] of [[1, 1], [5, 3], [13, 37], [130, 70]] as [number, number][]) {
      const A = randomDense(m, k, 1, m * k);
      for (const n of [1, 3, 12, 16, 17, 27, 57, 65]) {
        const B = { data: randomVector(k * n, n), rows: k, cols: n };
        const c0 = randomVector(m * n, 2);
        expectClose(gemm(A, B, { alpha: 1.5, beta: -0.5, out: { data: c0.slice(), rows: m, cols: n } }).data, referenceSpmm(A, B, 1.5, -0.5, c0), `gemm ${isa} ${m}x${k}x${n}`);
        const At = transposeDense(A);
        expectClose(gemm(At, B, { transA: true }).data, referenceSpmm(A, B, 1, 0), `gemm transA ${isa} ${m}x${k}x${n}`);
      }
    }
    // Narrow widths (B packed transposed in chunks of k, dot products): k past one chunk, offset views, beta.
    for (const [m, k] of [[9, 4100], [6, 601]] as [number, number][]) {
      const A = randomDense(m, k, 1, m + k);
      for (const n of [1, 2, 3, 4, 5, 6, 7]) {
        const B = { data: offsetView(randomVector(k * n, n), n % 4), rows: k, cols: n };
        const c0 = randomVector(m * n, 3);
        const out = { data: offsetView(c0, (n + 1) % 4), rows: m, cols: n };
        gemm({ data: offsetView(A.data, 1), rows: m, cols: k }, B, { alpha: -2, beta: 0.5, out });
        expectClose(out.data, referenceSpmm(A, B, -2, 0.5, c0), `gemm narrow ${isa} ${m}x${k}x${n}`);
      }
      // Wide B, k in chunks whose rows of B fill half of L2 (chunked here at 65 columns below 2 MiB of L2, at 257
      // below 8 MiB): offset views, beta.
      for (const n of [12, 17, 27, 65, 257]) {
        const B = { data: offsetView(randomVector(k * n, n), n % 4), rows: k, cols: n };
        const c0 = randomVector(m * n, 5);
        const out = { data: offsetView(c0, 1), rows: m, cols: n };
        gemm({ data: offsetView(A.data, 3), rows: m, cols: k }, B, { alpha: 0.75, beta: 2, out });
        expectClose(out.data, referenceSpmm(A, B, 0.75, 2, c0), `gemm wide ${isa} ${m}x${k}x${n}`);
      }
      // transA: op(A) copied as rows per task, in chunks of k; narrow and wide B.
      const At = transposeDense(A);
      for (const n of [1, 3, 7, 8, 17, 257]) {
        const B = { data: randomVector(k * n, n + 1), rows: k, cols: n };
        const c0 = randomVector(m * n, 4);
        const out = { data: offsetView(c0, 3), rows: m, cols: n };
        gemm({ data: offsetView(At.data, 2), rows: k, cols: m }, B, { transA: true, alpha: 0.5, beta: -1, out });
        expectClose(out.data, referenceSpmm(A, B, 0.5, -1, c0), `gemm transA ${isa} ${m}x${k}x${n}`);
      }
    }
    setIsa('auto');
  });
});
