// SpMM with B packed into aligned column panels (native/core/pack.h), for every family that packs (CSR, BSR, N:M,
// spmmT with a plan; SDDMM's Y, packed whole; the spmmT scatter's C, staged) on every ISA: packing forced on, off and automatic, panel widths the output widths straddle,
// B and C 64-byte aligned or views 1, 2 and 3 floats into a buffer, 1 and 2 threads, against float64 references.
// Nothing around the output view is written and B is left as it was.
import { afterAll, describe, expect, test } from 'vitest';
import {
  alignedFloat32Array, BSRMatrix, CSRMatrix, DenseMatrix, info, NMMatrix, PackMode, sddmm, setIsa, setPacking, setThreads, spmm,
  spmmT, transposePlan,
} from '../../lib/index';
import { addon } from '../../lib/core/binding';
import { expectClose, makeNM, offsetView, randomDense, randomVector, referenceSddmm, referenceSpmm, transposeDense } from '../helpers';

const ISAS = info().isas;
const MODES: [PackMode, number][] = [['auto', 0], ['always', 0], ['always', 8], ['always', 24], ['never', 0]];
// Under emulation in CI's arm64 slice (SPARSEKIT_TEST_SLICE, scripts/arm64-tests.sh --ci), six of them.
const WIDTHS = process.env.SPARSEKIT_TEST_SLICE ? [1, 7, 24, 25, 65, 129] : [1, 2, 7, 8, 9, 23, 24, 25, 63, 64, 65, 127, 129, 200];
const PLACES = ['aligned', 1, 2, 3] as const;
type Place = (typeof PLACES)[number];

afterAll(() => {
  setPacking('auto');
  setIsa('auto');
  setThreads(2);
});

function placed(data: Float32Array, where: Place): Float32Array {
  if (where !== 'aligned') return offsetView(data, where);
  const a = alignedFloat32Array(data.length);
  a.set(data);
  return a;
}

/** The NaN poison offsetView puts around a view is still there (nothing was written outside the output). */
function expectUntouchedAround(view: Float32Array, what: string): void {
  const before = new Float32Array(view.buffer, 0, view.byteOffset / 4);
  const after = new Float32Array(view.buffer, view.byteOffset + view.byteLength, 5);
  expect([...before, ...after].every(Number.isNaN), `${what}: bytes around the output`).toBe(true);
}

/** Runs op(B, out) for every width and placement and compares with the dense reference of `d` (rows x cols). */
function checkAll(d: DenseMatrix, what: string, op: (B: DenseMatrix, out: DenseMatrix, alpha: number, beta: number) => void): void {
  const { rows, cols } = d;
  for (const n of WIDTHS) {
    for (const where of PLACES) {
      const b = randomVector(cols * n, n + cols);
      const B = { data: placed(b, where), rows: cols, cols: n };
      const [alpha, beta] = n % 2 ? [1, 0] : [-0.5, 2];
      const c0 = randomVector(rows * n, n + 7);
      const ref = referenceSpmm(d, { data: b, rows: cols, cols: n }, alpha, beta, c0);
      const out = { data: placed(c0, where), rows, cols: n };
      op(B, out, alpha, beta);
      const label = `${what} n${n} ${where}`;
      expectClose(out.data, ref, label);
      if (where !== 'aligned') expectUntouchedAround(out.data, label);
      expect(B.data.every((x, i) => x === b[i]), `${label}: B unchanged`).toBe(true);
    }
  }
}

describe.each(ISAS)('isa %s', (isa) => {
  describe.each(MODES)('packing %s, panel %i', (mode, panel) => {
    test.each([1, 2])('CSR spmm, threads %i', (threads) => {
      setIsa(isa);
      setThreads(threads);
      setPacking(mode, panel);
      for (const [rows, cols, density] of [[1, 1, 1], [53, 71, 0.3], [40, 300, 0.6]] as [number, number, number][]) {
        const d = randomDense(rows, cols, density, rows + cols, 5);
        const A = CSRMatrix.fromDense(d);
        checkAll(d, `csr ${isa} ${mode}/${panel} t${threads} ${rows}x${cols}`, (B, out, alpha, beta) => spmm(A, B, { out, alpha, beta }));
      }
    });

    test('BSR and N:M spmm, spmmT with a plan', () => {
      setIsa(isa);
      setThreads(2);
      setPacking(mode, panel);
      const d = randomDense(37, 45, 0.3, 11, 6);
      const bsr = BSRMatrix.fromDense(d, { block: [4, 4] });
      checkAll(d, `bsr ${isa} ${mode}/${panel}`, (B, out, alpha, beta) => spmm(bsr, B, { out, alpha, beta }));
      const dnm = makeNM(randomDense(29, 43, 0.7, 12), 2, 4);
      const nm = NMMatrix.fromDense(dnm, { n: 2, m: 4 });
      checkAll(dnm, `nm ${isa} ${mode}/${panel}`, (B, out, alpha, beta) => spmm(nm, B, { out, alpha, beta }));
      const dt = randomDense(45, 31, 0.3, 13, 4);
      const A = CSRMatrix.fromDense(dt);
      const plan = transposePlan(A);
      checkAll(transposeDense(dt), `spmmT plan ${isa} ${mode}/${panel}`, (B, out, alpha, beta) => spmmT(A, B, { out, alpha, beta, plan }));
      // The scatter stages C's columns in aligned scratch unless packing is off ('never': C updated in place).
      checkAll(transposeDense(dt), `spmmT scatter ${isa} ${mode}/${panel}`, (B, out, alpha, beta) => spmmT(A, B, { out, alpha, beta }));
    });
  });
});

// L1 blocking (plan_block_rows in native/core/pack.h): B walked in blocks of rows for each chunk of rows of A. Forced
// with blocks of 64 bytes (8 rows of B: many blocks, chunks of 32 rows straddled by 75 rows) and 1000 bytes, and
// off; CSR with sorted and with unsorted columns (each entry must be counted once in any order), N:M, spmmT with a
// plan (one panel and several), alpha/beta with NaN in C when beta is 0.
describe.each(ISAS)('L1 blocking, isa %s', (isa) => {
  test.each([64, 1000, 65536, 'never'] as const)('blocks of %s bytes', (block) => {
    setIsa(isa);
    setThreads(2);
    for (const [mode, panel] of [['auto', 0], ['always', 24]] as [PackMode, number][]) {
      setPacking(mode, panel, block);
      const label = `${isa} block ${block} ${mode}/${panel}`;
      const d = randomDense(75, 140, 0.35, 21, 5);
      const A = CSRMatrix.fromDense(d);
      checkAll(d, `csr ${label}`, (B, out, alpha, beta) => spmm(A, B, { out, alpha, beta }));
      // The same matrix with each row's entries reversed: columns in decreasing order.
      const indices = A.indices.slice(), values = A.values.slice();
      for (let i = 0; i < A.rows; i++) {
        const lo = A.indptr[i], hi = A.indptr[i + 1];
        for (let k = lo; k < hi; k++) indices[k] = A.indices[hi - 1 - (k - lo)], values[k] = A.values[hi - 1 - (k - lo)];
      }
      const unsorted = CSRMatrix.trusted(A.rows, A.cols, A.indptr, indices, values);
      checkAll(d, `csr unsorted ${label}`, (B, out, alpha, beta) => spmm(unsorted, B, { out, alpha, beta }));
      const dnm = makeNM(randomDense(70, 130, 0.8, 22), 2, 4);
      const nm = NMMatrix.fromDense(dnm, { n: 2, m: 4 });
      checkAll(dnm, `nm ${label}`, (B, out, alpha, beta) => spmm(nm, B, { out, alpha, beta }));
      const dt = randomDense(120, 66, 0.4, 23, 4);
      const At = CSRMatrix.fromDense(dt);
      const plan = transposePlan(At);
      checkAll(transposeDense(dt), `spmmT plan ${label}`, (B, out, alpha, beta) => spmmT(At, B, { out, alpha, beta, plan }));
      // beta = 0: C is write-only, NaN in it does not survive any block.
      const B = { data: randomVector(140 * 40, 3), rows: 140, cols: 40 };
      const out = { data: new Float32Array(75 * 40).fill(NaN), rows: 75, cols: 40 };
      spmm(A, B, { out });
      expectClose(out.data, referenceSpmm(d, B, 1, 0, new Float32Array(75 * 40)), `csr beta 0 over NaN ${label}`);
    }
  });

  test('the automatic plan blocks only a B taller than L1 holds, for an A dense enough', () => {
    setIsa(isa);
    setPacking('auto');
    if (isa === 'scalar') return expect(addon.blockPlan(4096, 256, 4096 * 1024 * 0.5, 1024)).toBe(0);
    const l1 = info().l1CacheBytes;
    expect(l1).toBeGreaterThanOrEqual(16 << 10);
    const rowsPerBlock = addon.blockPlan(4096, 256, 4096 * 1024 * 0.5, 1024);
    expect(rowsPerBlock).toBeGreaterThanOrEqual(8);
    expect(rowsPerBlock).toBeLessThan(4096);
    expect(addon.blockPlan(rowsPerBlock, 256, rowsPerBlock * 1024, 1024)).toBe(0); // fits already
    expect(addon.blockPlan(4096, 256, 4096 * 1024 * 0.01, 1024)).toBe(0); // 1% dense: too few entries a block
    // On a core where blocking CSR products pays (csrPays true): the CSR kernel's tiles of 192 bytes and more
    // prefetch B's rows instead of being blocked (x86: 8 vectors of 8 or 16 floats at width 256; NEON's widest tile
    // is 128 bytes); narrower ones are blocked as N:M's are.
    const prefetching = isa === 'avx2' || isa === 'avx512';
    expect(addon.blockPlan(4096, 256, 4096 * 1024 * 0.5, 1024, true, true)).toBe(prefetching ? 0 : rowsPerBlock);
    expect(addon.blockPlan(4096, 32, 4096 * 1024 * 0.5, 1024, true, true)).toBe(addon.blockPlan(4096, 32, 4096 * 1024 * 0.5, 1024));
    expect(addon.blockPlan(4096, 32, 4096 * 1024 * 0.5, 1024)).toBeGreaterThan(0);
    // On one where it does not (a CPU with AVX-512: native/core/pack.cc csr_blocks_pay), CSR is never blocked
    // unless forced; N:M still is. This host is one or the other.
    expect(addon.blockPlan(4096, 32, 4096 * 1024 * 0.5, 1024, true, false)).toBe(0);
    const pays = !info().isas.includes('avx512');
    expect(addon.blockPlan(4096, 32, 4096 * 1024 * 0.5, 1024, true)).toBe(addon.blockPlan(4096, 32, 4096 * 1024 * 0.5, 1024, true, pays));
    setPacking('auto', 0, 'never');
    expect(addon.blockPlan(4096, 256, 4096 * 1024 * 0.5, 1024)).toBe(0);
    setPacking('auto', 0, 64);
    expect(addon.blockPlan(4096, 256, 4096 * 1024 * 0.01, 1024)).toBe(8);
    expect(addon.blockPlan(4096, 256, 4096 * 1024 * 0.01, 1024, true)).toBe(8); // forced: the CSR kernel blocks too
    expect(addon.blockPlan(4096, 256, 4096 * 1024 * 0.01, 1024, true, false)).toBe(8); // also where it does not pay
    setPacking('auto');
  });

  test('an L1 block counts rows of B as the kernels read them, in whole vectors', () => {
    setIsa(isa);
    setPacking('auto');
    if (isa === 'scalar') return expect(addon.blockPlan(4096, 17, 4096 * 1024 * 0.5, 1024)).toBe(0);
    const l1 = info().l1CacheBytes;
    const vector = ({ avx512: 16, avx2: 8, neon: 4 } as Record<string, number>)[isa];
    for (const n of [vector + 1, 2 * vector + 1, 3 * vector - 1]) {
      const rowBytes = Math.ceil(n / vector) * vector * 4; // width 17 with AVX-512: 2 vectors, 128 bytes
      const rows = addon.blockPlan(16384, n, 16384 * 1024 * 0.5, 1024); // B taller than any L1 holds
      expect(rows, `width ${n}`).toBe(Math.floor(l1 / rowBytes));
      setPacking('auto', 0, 1 << 14); // forced bytes count the same way
      expect(addon.blockPlan(16384, n, 16384 * 1024 * 0.5, 1024), `width ${n}, 16 KiB`).toBe(Math.max(8, Math.floor((1 << 14) / rowBytes)));
      setPacking('auto');
    }
  });

  test('a B whose tile of rows takes more than 4 L2 sizes is blocked for L2 in CSR products, at a quarter of L2 a block', () => {
    setIsa(isa);
    setPacking('auto');
    const l2 = info().l2CacheBytes;
    const tileBytes = ({ avx512: 128, avx2: 64, neon: 32 } as Record<string, number>)[isa] * 4; // at width 256
    if (isa === 'scalar') return expect(addon.blockPlan(64 * l2, 256, 64 * l2, 1024, true)).toBe(0);
    const tall = Math.ceil((8 * l2) / tileBytes); // 8 L2 sizes
    // On a core where blocking CSR products pays (see the test above); elsewhere not blocked at all.
    expect(addon.blockPlan(tall, 256, tall * 1024 * 0.1, 1024, true, true)).toBe(Math.floor(l2 / 4 / tileBytes));
    expect(addon.blockPlan(tall, 256, tall * 1024 * 0.1, 1024, true, false)).toBe(0);
    const short = Math.floor((4 * l2) / tileBytes); // exactly 4: still prefetched (x86) or L1-blocked (NEON), not L2
    if (isa !== 'neon') expect(addon.blockPlan(short, 256, short * 1024 * 0.1, 1024, true, true)).toBe(0);
    expect(addon.blockPlan(tall, 256, tall * 1024 * 0.001, 1024, true, true)).toBe(0); // 99.9% sparse: too few entries a block
  });

  test('L2 blocks walked by 256 rows of A at a time (a block larger than L1), against the reference', () => {
    setIsa(isa);
    setThreads(2);
    setPacking('auto', 0, 1 << 16); // blocks of 64 KiB: larger than L1, so chunks of 256 rows
    const d = randomDense(600, 700, 0.2, 31, 5);
    const A = CSRMatrix.fromDense(d);
    checkAll(d, `csr ${isa} 64 KiB blocks`, (B, out, alpha, beta) => spmm(A, B, { out, alpha, beta }));
    const At = CSRMatrix.fromDense(transposeDense(d));
    const plan = transposePlan(At);
    checkAll(d, `spmmT plan ${isa} 64 KiB blocks`, (B, out, alpha, beta) => spmmT(At, B, { out, alpha, beta, plan }));
    setPacking('auto');
  });
});

// spmm with B given transposed (options.transB: Bᵀ is n x k, as batch-major activations are): packing automatic,
// forced with panels of 24, and 'never' (it is packed even then, transposed into the panels), L1 blocks forced and
// off, output widths straddling the panel width, operands aligned and at offsets 1-3, 1 and 2 threads, CSR, BSR
// and N:M.
describe.each(ISAS)('B given transposed, isa %s', (isa) => {
  function checkAllT(d: DenseMatrix, what: string, op: (Bt: DenseMatrix, out: DenseMatrix, alpha: number, beta: number) => void): void {
    const { rows, cols } = d;
    for (const n of WIDTHS) {
      for (const where of PLACES) {
        const b = randomVector(cols * n, n + cols + 1);
        const B = { data: b, rows: cols, cols: n };
        const bt = transposeDense(B);
        const Bt = { data: placed(bt.data, where), rows: n, cols };
        const [alpha, beta] = n % 2 ? [1, 0] : [-0.5, 2];
        const c0 = randomVector(rows * n, n + 9);
        const ref = referenceSpmm(d, B, alpha, beta, c0);
        const out = { data: placed(c0, where), rows, cols: n };
        op(Bt, out, alpha, beta);
        const label = `${what} n${n} ${where}`;
        expectClose(out.data, ref, label);
        if (where !== 'aligned') expectUntouchedAround(out.data, label);
        expect(Bt.data.every((x, i) => x === bt.data[i]), `${label}: B unchanged`).toBe(true);
      }
    }
  }

  test.each([['auto', 0], ['always', 24], ['never', 0], ['auto', 0, 64], ['auto', 0, 'never']] as [PackMode, number, (number | 'never')?][])('packing %s, panel %i, L1 block %s', (mode, panel, block) => {
    setIsa(isa);
    setPacking(mode, panel, block ?? 'auto');
    for (const threads of [1, 2]) {
      setThreads(threads);
      const label = `${isa} ${mode}/${panel}/${block ?? 'auto'} t${threads}`;
      const d = randomDense(45, 150, 0.3, 31, 5);
      const A = CSRMatrix.fromDense(d);
      checkAllT(d, `csr transB ${label}`, (Bt, out, alpha, beta) => spmm(A, Bt, { out, alpha, beta, transB: true }));
      const bsr = BSRMatrix.fromDense(d, { block: [4, 4] });
      checkAllT(d, `bsr transB ${label}`, (Bt, out, alpha, beta) => spmm(bsr, Bt, { out, alpha, beta, transB: true }));
      const dnm = makeNM(randomDense(29, 70, 0.7, 32), 2, 4);
      const nm = NMMatrix.fromDense(dnm, { n: 2, m: 4 });
      checkAllT(dnm, `nm transB ${label}`, (Bt, out, alpha, beta) => spmm(nm, Bt, { out, alpha, beta, transB: true }));
    }
    setPacking('auto');
  });
});

describe.each(ISAS)('sddmm, isa %s', (isa) => {
  test.each(MODES)('Y packed whole (per task, small Y): packing %s, panel %i', (mode, panel) => {
    setIsa(isa);
    setThreads(2);
    setPacking(mode, panel);
    for (const [rows, cols] of [[1, 1], [37, 53], [90, 70]] as [number, number][]) {
      const P = CSRMatrix.fromDense(randomDense(rows, cols, 0.4, rows + cols, 5));
      for (const k of [1, 7, 8, 9, 31, 64, 100]) {
        for (const where of PLACES) {
          const x = randomVector(rows * k, k), y = randomVector(cols * k, k + 1);
          const out0 = randomVector(P.nnz, 3);
          const [alpha, beta] = k % 2 ? [1, 0] : [0.5, -2];
          const ref = referenceSddmm(P, { data: x, rows, cols: k }, { data: y, rows: cols, cols: k }, alpha, beta, out0);
          const Y = { data: placed(y, where), rows: cols, cols: k };
          const out = placed(out0, where);
          sddmm(P, { data: placed(x, where), rows, cols: k }, Y, { out, alpha, beta });
          const label = `sddmm ${isa} ${mode}/${panel} ${rows}x${cols} k${k} ${where}`;
          expectClose(out, ref, label);
          if (where !== 'aligned') expectUntouchedAround(out, label);
          expect(Y.data.every((v, i) => v === y[i]), `${label}: Y unchanged`).toBe(true);
        }
      }
    }
  });
});

describe.each(ISAS)('sddmm tail, isa %s', (isa) => {
  // K not a whole number of vectors: the SIMD kernels read the row's last vector and zero the lanes already summed,
  // on both sides (0 * inf would be NaN). An infinity just before the tail stays an infinity, a NaN stays a NaN.
  test.each([9, 13, 17, 20, 33, 100])('K = %i: inf and NaN in the elements the tail re-reads', (k) => {
    setIsa(isa);
    setPacking('auto');
    const P = CSRMatrix.fromDense(randomDense(5, 6, 1, 21));
    const x = new Float32Array(5 * k).fill(1), y = randomVector(6 * k, 22);
    const w = ({ avx512: 16, avx2: 8, neon: 4 } as Record<string, number>)[isa] ?? 4;
    // The last element summed before the tail: inside the tail's load when K is past a whole vector.
    const at = k % w === 0 || k < w ? k - 1 : Math.floor(k / w) * w - 1;
    y[2 * k + at] = Infinity;
    y[4 * k + at] = NaN;
    const out = sddmm(P, { data: x, rows: 5, cols: k }, { data: y, rows: 6, cols: k }).values;
    for (let i = 0; i < 5; i++) {
      for (let j = 0; j < 6; j++) {
        const got = out[P.indptr[i] + j];
        if (j === 2) expect(got, `${isa} k${k} (${i}, 2)`).toBe(Infinity);
        else if (j === 4) expect(Number.isNaN(got), `${isa} k${k} (${i}, 4)`).toBe(true);
        else expect(Number.isFinite(got), `${isa} k${k} (${i}, ${j})`).toBe(true);
      }
    }
  });
});

describe('sddmm: a misaligned Y larger than the L2 budget', () => {
  // 4096 x 256 floats (4 MiB, more than any L2 budget the library detects here): packed in panels of K, each dot
  // product summed panel by panel, beta applied once.
  test.each(ISAS)('isa %s: packed in panels of K, against the float64 reference', (isa) => {
    setIsa(isa);
    setThreads(2);
    setPacking('auto');
    const rows = 48, cols = 4096, k = 256;
    const P = CSRMatrix.fromDense(randomDense(rows, cols, 0.03, 17, 5));
    const x = randomVector(rows * k, 3), y = randomVector(cols * k, 4), out0 = randomVector(P.nnz, 5);
    for (const [alpha, beta] of [[1, 0], [0.5, -2]]) {
      const ref = referenceSddmm(P, { data: x, rows, cols: k }, { data: y, rows: cols, cols: k }, alpha, beta, out0);
      const Y = { data: placed(y, 1), rows: cols, cols: k };
      const out = placed(out0, 3);
      sddmm(P, { data: placed(x, 2), rows, cols: k }, Y, { out, alpha, beta });
      expectClose(out, ref, `sddmm ${isa} big Y alpha ${alpha} beta ${beta}`);
      expectUntouchedAround(out, 'sddmm big Y');
      expect(Y.data.every((v, i) => v === y[i]), 'Y unchanged').toBe(true);
    }
  });
});

describe('sddmm: a misaligned Y larger than one L2 budget, within two', () => {
  // 1.5 L2 sizes of Y rows at K = 256: on 2 threads, where L2 is at most 512 KiB, packed whole once per call, rows
  // split over the tasks, read by both; else (and on 1 thread) in two panels of K = 128 (native/core/pack.h
  // plan_dot_panels; the native kernel tests force both plans). X misaligned too: copied a few rows at a time
  // (16 KiB) into aligned scratch.
  test.each(ISAS)('isa %s: 1 and 2 threads against the float64 reference', (isa) => {
    setIsa(isa);
    setPacking('auto');
    const k = 256, cols = Math.floor((1.5 * info().l2CacheBytes) / (4 * k)), rows = 70;
    const P = CSRMatrix.fromDense(randomDense(rows, cols, 0.3, 19, 5)); // read about 8 times per row of Y per task: packed
    const x = randomVector(rows * k, 6), y = randomVector(cols * k, 7), out0 = randomVector(P.nnz, 8);
    for (const threads of [1, 2]) {
      setThreads(threads);
      for (const [alpha, beta, wx, wy, wo] of [[1, 0, 1, 2, 3], [0.5, -2, 3, 1, 2], [1, 0, 'aligned', 3, 1], [1, 0, 2, 'aligned', 'aligned']] as [number, number, Place, Place, Place][]) {
        const ref = referenceSddmm(P, { data: x, rows, cols: k }, { data: y, rows: cols, cols: k }, alpha, beta, out0);
        const Y = { data: placed(y, wy), rows: cols, cols: k }, X = { data: placed(x, wx), rows, cols: k };
        const out = placed(out0, wo);
        sddmm(P, X, Y, { out, alpha, beta });
        const label = `sddmm ${isa} ${threads}t Y ${cols}x${k} X@${wx} Y@${wy} out@${wo} beta ${beta}`;
        expectClose(out, ref, label);
        if (wo !== 'aligned') expectUntouchedAround(out, label);
        expect(Y.data.every((v, i) => v === y[i]) && X.data.every((v, i) => v === x[i]), `${label}: X and Y unchanged`).toBe(true);
      }
    }
  });
});

describe('panel plans', () => {
  afterAll(() => setPacking('auto'));

  test('a misaligned B read often is packed, in panels no wider than the ISA tile and within L2', () => {
    setPacking('auto');
    const simd = info().isa !== 'scalar';
    const plan = addon.panelPlan(1024, 256, 50000, false);
    expect(plan.pack).toBe(simd);
    if (simd) {
      expect(plan.width).toBeGreaterThan(0);
      expect(plan.width).toBeLessThanOrEqual(128);
      expect(plan.ld % 16).toBe(0);
      expect(1024 * plan.ld * 4).toBeLessThanOrEqual(info().l2CacheBytes);
      // Many more rows: narrower panels, still within L2.
      const tall = addon.panelPlan(8192, 256, 1e7, false);
      if (tall.pack) {
        expect(tall.width).toBeLessThanOrEqual(plan.width);
        expect(8192 * tall.ld * 4).toBeLessThanOrEqual(info().l2CacheBytes);
      } else {
        expect(tall.width).toBe(256); // not even one vector of columns fits: B in place
      }
    }
    // Read less than about 4 times per row: packing would cost more than it saves.
    expect(addon.panelPlan(1024, 256, 1000, false).pack).toBe(false);
    // Aligned and one panel wide: used in place.
    expect(addon.panelPlan(1024, 16, 1e6, true).pack).toBe(false);
    setPacking('never');
    expect(addon.panelPlan(1024, 256, 50000, false)).toEqual({ width: 256, ld: 256, pack: false });
  });

  test('setPacking validates its arguments', () => {
    expect(() => setPacking('sometimes' as PackMode)).toThrow(/Expected 'auto', 'always' or 'never' for mode/);
    expect(() => setPacking('auto', -1)).toThrow(/panelWidth/);
    expect(() => setPacking('auto', 1.5)).toThrow(/panelWidth/);
    expect(() => setPacking('auto', 0, 32)).toThrow(/l1Block/);
    const A = CSRMatrix.fromDense(randomDense(3, 4, 0.5, 1));
    expect(() => spmm(A, { data: new Float32Array(8), rows: 4, cols: 2 }, { transB: true })).toThrow(/Expected B.cols \(options.transB\) to equal A.cols \(4\) but received 2/);
    expect(() => spmm(A, { data: new Float32Array(8), rows: 2, cols: 4 }, { transB: 1 as unknown as boolean })).toThrow(/options.transB/);
    expect(spmm(A, { data: new Float32Array(8), rows: 2, cols: 4 }, { transB: true })).toMatchObject({ rows: 3, cols: 2 });
    expect(() => setPacking('auto', 0, 'sometimes' as 'auto')).toThrow(/Expected 'auto', 'never' or a number of bytes for l1Block but received/);
  });
});
