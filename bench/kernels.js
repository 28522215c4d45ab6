#!/usr/bin/env node
// @ts-check
// `npm run bench:kernels`: SDDMM, transposed SpMM, BSR and N:M matmul against the dense baselines measured in the
// same run (numpy/OpenBLAS through bench/dense-numpy.py when Python has numpy, the fastest dense GEMM we found on our
// machines; onnxruntime's MatMul, the Node-native option), then every family on operands 1, 2 and 3 floats past a
// 64-byte boundary against aligned ones; best ISA, all threads. Flags: --quick, --json PATH.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const sk = require('sparsekit');
const os = require('node:os');
const { measure, interleaved, randomDense, twoFour, blockSparse, denseBaseline, numpyDense, crossover, printTable: table } = require('./harness');

const { values: flags } = require('node:util').parseArgs({
  options: { quick: { type: 'boolean', default: false }, json: { type: 'string', default: path.join(__dirname, 'results', 'kernels.json') } },
});
const quick = flags.quick === true;
const jsonPath = String(flags.json);
const maxTime = quick ? 0.2 : 0.5;
const rows = [];
const t = (/** @type {number} */ ms) => ms.toFixed(3);

(async () => {
  const info = sk.info();
  const T = info.threads;
  const dense = await denseBaseline(T);
  if (!dense) throw new Error('onnxruntime-node is needed for the dense baseline (a devDependency)');
  const M = 1024, K = 1024;
  const sweepWidths = [1, 2, 3, 5, 8, 9, 16, 17, 33, 65, 100, 129];
  const gemmWidths = [1, 9, 32, 256];
  const numpy = numpyDense(T, [
    ...[...new Set([1, 8, 64, 256, ...sweepWidths, ...gemmWidths])].map((n) => `${M}x${K}x${n}`),
    ...gemmWidths.map((n) => `t:${M}x${K}x${n}`),
    ...[64, 256].flatMap((k) => [0.9, 0.95].map((s) => `sddmm:${M}:${K}:${k}:${(1 - s).toFixed(2)}`)),
  ]);
  console.log(`sparsekit ${info.version} | ${info.isa} | ${T} threads | CPU ${os.cpus()[0]?.model ?? 'unknown'} | dense baselines: ${dense.name}; ${numpy ? numpy.name : 'numpy not found'}`);
  /** The faster of onnxruntime's time and numpy's for the same product, with its name. */
  const bestDense = (/** @type {number} */ ortMs, /** @type {string} */ spec) => {
    const np = numpy?.ms[spec];
    return np !== undefined && np < ortMs ? { ms: np, name: 'numpy' } : { ms: ortMs, name: 'onnxruntime' };
  };

  // --- SDDMM: pattern M x K, X M x k, Y K x k; dense = X Yᵀ (M x K) then gather the pattern's entries.
  {
    const lines = [];
    for (const k of [64, 256]) {
      const X = randomDense(M, k, 1), Y = randomDense(K, k, 2);
      const Yt = sk.denseMatrix(k, K);
      for (let i = 0; i < K; i++) for (let j = 0; j < k; j++) Yt.data[j * K + i] = Y.data[i * k + j];
      const product = dense.prepare(X, Yt);
      const denseOnly = await measure('dense', product, { defer: true, maxTime });
      for (const s of [0.9, 0.95]) {
        const P = sk.CSRMatrix.random(M, K, { density: 1 - s, seed: 3 });
        const out = new Float32Array(P.nnz);
        const masked = await measure('dense+mask', async () => {
          const r = /** @type {Record<string, { data: Float32Array }>} */ (await product());
          const full = r.Y.data;
          for (let i = 0; i < M; i++) for (let q = P.indptr[i]; q < P.indptr[i + 1]; q++) out[q] = full[i * K + P.indices[q]];
        }, { defer: true, maxTime });
        const ours = await measure('sddmm', () => sk.sddmm(P, X, Y, { out }), { maxTime });
        const np = numpy?.ms[`sddmm:${M}:${K}:${k}:${(1 - s).toFixed(2)}`];
        rows.push({ bench: 'sddmm', k, sparsity: s, ms: ours.ms, denseMs: denseOnly.ms, denseMaskMs: masked.ms, numpyMs: np });
        lines.push([k, `${s * 100}%`, t(ours.ms), (2 * P.nnz * k / ours.ms / 1e6).toFixed(1), t(denseOnly.ms), t(masked.ms), `${(masked.ms / ours.ms).toFixed(2)}x`,
          np === undefined ? 'n/a' : t(np), np === undefined ? 'n/a' : `${(np / ours.ms).toFixed(2)}x`]);
      }
    }
    table(`SDDMM, ${M}x${K} pattern (target: >= 4x numpy's dense product + gather at 90%, K = 256)`, ['K', 'sparsity', 'sddmm ms', 'GFLOP/s', 'onnxruntime ms', 'onnxruntime+mask ms', 'vs it', 'numpy product+gather ms', 'vs numpy'], lines);
  }

  // --- spmmT: C = Aᵀ B against the forward spmm of the same A, and spmm on an explicit transpose.
  {
    const lines = [];
    for (const n of [32, 256]) {
      const A = sk.CSRMatrix.random(M, K, { density: 0.1, seed: 4 });
      const B = randomDense(M, n, 5), Bf = randomDense(K, n, 6);
      const At = A.transpose();
      const plan = sk.transposePlan(A);
      // Training: a matrix of the same pattern whose values change before every call (one entry each time, a
      // different one), through its own plan, which then gathers them (its value cache rests; see TransposePlanOptions).
      const W = sk.CSRMatrix.fromArrays(M, K, A.indptr, A.indices, A.values.slice());
      const trainPlan = sk.transposePlan(W);
      let step = 0;
      const out = sk.denseMatrix(K, n), outF = sk.denseMatrix(M, n);
      // The products in interleaved slices (harness.js interleaved), the best slice of each: timed one after the
      // other, a slow minute moved the plan's ratio to the forward between 1.06x and 1.44x at width 256.
      const m = await interleaved({
        forward: () => sk.spmm(A, Bf, { out: outF }),
        scatter: () => sk.spmmT(A, B, { out }),
        plan: () => sk.spmmT(A, B, { out, plan }),
        changing: () => {
          W.values[(step++ * 7919) % W.nnz] += 1e-3;
          sk.spmmT(W, B, { out, plan: trainPlan });
        },
        explicit: () => sk.spmm(At, B, { out }),
      }, { rounds: quick ? 5 : 15, sliceMs: 30 });
      const fwd = { ms: m.forward.min }, scatter = { ms: m.scatter.min }, planned = { ms: m.plan.min }, changing = { ms: m.changing.min }, explicit = { ms: m.explicit.min };
      const transpose = await measure('transpose', () => A.transpose(), { maxTime });
      rows.push({ bench: 'spmmT', n, forwardMs: fwd.ms, scatterMs: scatter.ms, planMs: planned.ms, planChangingMs: changing.ms, explicitMs: explicit.ms, transposeMs: transpose.ms });
      lines.push([n, t(fwd.ms), t(scatter.ms), `${(scatter.ms / fwd.ms).toFixed(2)}x`, t(planned.ms), `${(planned.ms / fwd.ms).toFixed(2)}x`,
        t(changing.ms), `${(changing.ms / fwd.ms).toFixed(2)}x`, t(explicit.ms), t(transpose.ms)]);
    }
    table(`spmmT, ${M}x${K} at 90% sparsity (target: with a plan <= 1.2x the forward time; "plan": the same values every call, read from the plan's value cache; "values changing": one changed before each call, as in training)`,
      ['N', 'forward ms', 'scatter ms', 'vs fwd', 'plan ms', 'vs fwd', 'plan, values changing ms', 'vs fwd', 'spmm(Aᵀ) ms', 'transpose ms'], lines);
  }

  // --- BSR against dense over block sparsity, N = 256.
  {
    const n = 256;
    const B = randomDense(K, n, 7);
    const Adense = randomDense(M, K, 8);
    const d = await measure('dense', dense.prepare(Adense, B), { defer: true, maxTime });
    const out = sk.denseMatrix(M, n);
    const lines = [];
    for (const block of /** @type {[number, number][]} */ ([[4, 4], [8, 1], [16, 1]])) {
      const points = [];
      for (const s of quick ? [0.5, 0.9] : [0.5, 0.6, 0.7, 0.8, 0.9, 0.95]) {
        const A = sk.BSRMatrix.fromDense(blockSparse(M, K, block, 1 - s, 9), { block });
        const r = await measure('bsr', () => sk.spmm(A, B, { out }), { maxTime });
        points.push({ s, ms: r.ms });
        rows.push({ bench: 'bsr', block, sparsity: s, ms: r.ms, denseMs: d.ms });
        lines.push([`${block[0]}x${block[1]}`, `${s * 100}%`, t(r.ms), (2 * A.nnz * n / r.ms / 1e6).toFixed(1), t(d.ms), `${(d.ms / r.ms).toFixed(2)}x`]);
      }
      const c = crossover(points, d.ms);
      lines.push([`${block[0]}x${block[1]}`, 'crossover', c === null ? 'none' : `~${(c * 100).toFixed(0)}%`, '', '', '']);
    }
    table(`BSR SpMM, ${M}x${K} times ${K}x${n} (block sparsity; target >= 5x dense at 90%, crossover <= 60%)`, ['block', 'sparsity', 'ms', 'GFLOP/s', 'dense ms', 'vs dense'], lines);
  }

  // --- N:M 2:4 against dense at several widths.
  {
    const lines = [];
    const base = randomDense(M, K, 10);
    const A = sk.NMMatrix.fromDense(twoFour(base), { n: 2, m: 4 });
    const Acsr = A.toCSR();
    for (const n of [1, 8, 64, 256]) {
      const B = randomDense(K, n, 11);
      const out = sk.denseMatrix(M, n);
      // The three in interleaved slices (harness.js interleaved), the best slice of each.
      const m = await interleaved({
        dense: dense.prepare(base, B),
        nm: n === 1 ? () => sk.spmv(A, B.data, { out: out.data }) : () => sk.spmm(A, B, { out }),
        csr: n === 1 ? () => sk.spmv(Acsr, B.data, { out: out.data }) : () => sk.spmm(Acsr, B, { out }),
      }, { rounds: quick ? 5 : 15, sliceMs: 30 });
      const d = { ms: m.dense.min }, r = { ms: m.nm.min }, c = { ms: m.csr.min };
      const best = bestDense(d.ms, `${M}x${K}x${n}`);
      rows.push({ bench: 'nm', n, ms: r.ms, csrMs: c.ms, denseMs: d.ms, numpyMs: numpy?.ms[`${M}x${K}x${n}`] });
      lines.push([n, t(r.ms), t(c.ms), t(d.ms), numpy ? t(numpy.ms[`${M}x${K}x${n}`]) : 'n/a', `${(best.ms / r.ms).toFixed(2)}x (${best.name})`]);
    }
    table(`N:M 2:4 SpMM/SpMV, ${M}x${K} (target: >= 1.3x the best dense at width 256)`, ['width', '2:4 ms', 'same as CSR ms', 'onnxruntime ms', 'numpy ms', 'vs best dense'], lines);
  }
  // --- Every SpMM family across widths, narrow and not whole vectors among them (the acceptance runs more than the
  // seeded shapes of ../shared/peers): CSR at 90%, N:M 2:4, BSR 4x4 at 90% block sparsity, against the best dense
  // product of the same shape on this machine (numpy/OpenBLAS or onnxruntime, whichever is faster at that width).
  // Interleaved slices, the best of each.
  {
    const lines = [];
    const csr = sk.CSRMatrix.random(M, K, { density: 0.1, seed: 15 });
    const nm = sk.NMMatrix.fromDense(twoFour(randomDense(M, K, 16)), { n: 2, m: 4 });
    const bsr = sk.BSRMatrix.fromDense(blockSparse(M, K, [4, 4], 0.1, 17), { block: [4, 4] });
    const Adense = randomDense(M, K, 19);
    for (const n of sweepWidths) {
      const B = randomDense(K, n, 18), C = sk.denseMatrix(M, n);
      const m = await interleaved({
        dense: dense.prepare(Adense, B),
        csr: () => sk.spmm(csr, B, { out: C }),
        nm: () => sk.spmm(nm, B, { out: C }),
        bsr: () => sk.spmm(bsr, B, { out: C }),
      }, { rounds: quick ? 3 : 8, sliceMs: 20, gapMs: 0 });
      const best = bestDense(m.dense.min, `${M}x${K}x${n}`);
      const gf = (/** @type {number} */ ms, /** @type {number} */ nnz) => ((2 * nnz * n) / (ms * 1e6)).toFixed(1);
      rows.push({ bench: 'widths', n, csrMs: m.csr.min, nmMs: m.nm.min, bsrMs: m.bsr.min, bestDenseMs: best.ms, bestDense: best.name });
      const vs = (/** @type {number} */ ms) => `${(best.ms / ms).toFixed(2)}x`;
      lines.push([n, t(m.csr.min), gf(m.csr.min, csr.nnz), vs(m.csr.min), t(m.nm.min), vs(m.nm.min), t(m.bsr.min), vs(m.bsr.min), `${t(best.ms)} (${best.name})`]);
    }
    table(`SpMM across widths, ${M}x${K} (CSR 90%, N:M 2:4, BSR 4x4 90%; "vs dense": the best dense time / ours)`,
      ['width', 'CSR ms', 'CSR GFLOP/s', 'vs dense', '2:4 ms', 'vs dense', 'BSR ms', 'vs dense', 'best dense ms'], lines);
  }

  // --- The library's own dense GEMM (Linear's layers, plan()'s dense form, a dense plan's spmmT through transA)
  // against numpy's matmul of the same shape: A @ B, and A.T @ B with A stored transposed. B is a view one float past
  // its buffer's start, as user arrays are. Interleaved slices, the best of each.
  if (numpy) {
    const lines = [];
    const A = randomDense(M, K, 21);
    for (const n of gemmWidths) {
      const buf = randomDense(K * n + 1, 1, 22).data;
      const B = { data: buf.subarray(1), rows: K, cols: n }, C = sk.denseMatrix(M, n);
      const m = await interleaved({
        plain: () => sk.gemm(A, B, { out: C }),
        trans: () => sk.gemm(A, B, { out: C, transA: true }),
      }, { rounds: quick ? 3 : 8, sliceMs: 20, gapMs: 0 });
      const np = numpy.ms[`${M}x${K}x${n}`], npT = numpy.ms[`t:${M}x${K}x${n}`];
      rows.push({ bench: 'gemm', n, ms: m.plain.min, transAMs: m.trans.min, numpyMs: np, numpyTransAMs: npT });
      lines.push([n, t(m.plain.min), t(np), `${(np / m.plain.min).toFixed(2)}x`, t(m.trans.min), t(npT), `${(npT / m.trans.min).toFixed(2)}x`]);
    }
    table(`Dense gemm, ${M}x${K} times ${K}xN (B at a 4-byte offset), against numpy (numpy time / ours)`,
      ['N', 'gemm ms', 'numpy A @ B ms', 'vs numpy', 'transA ms', 'numpy A.T @ B ms', 'vs numpy'], lines);
  }

  // --- Every family on operands 1, 2 and 3 floats past a 64-byte boundary (views into a larger buffer, as user
  // arrays are) against 64-byte-aligned ones; rounds interleaved (harness.js interleaved), best slice of each.
  /** A Float32Array of `length` floats of 0.25, 64-byte aligned or `where` floats past a line. @param {number} length @param {number | 'aligned'} where */
  const place = (length, where) => {
    if (where === 'aligned') return sk.alignedFloat32Array(length).fill(0.25);
    const buf = sk.alignedFloat32Array(length + 16);
    return buf.subarray(where, where + length).fill(0.25);
  };
  {
    const lines = [];
    const A = sk.CSRMatrix.random(M, K, { density: 0.1, seed: 12 });
    const plan = sk.transposePlan(A), gathering = sk.transposePlan(A, { cacheValues: false });
    const bsr = sk.BSRMatrix.fromDense(blockSparse(M, K, [4, 4], 0.1, 13), { block: [4, 4] });
    const nm = sk.NMMatrix.fromDense(twoFour(randomDense(M, K, 14)), { n: 2, m: 4 });
    // 2:4 keeping positions 0 and 2 of every group in every row (pruning scaled by per-input norms can keep the same
    // columns in every row): only B's even rows are read (see panel_ld in native/core/pack.cc).
    const nmSame = sk.NMMatrix.fromDense(twoFour(randomDense(M, K, 15), { same: true }), { n: 2, m: 4 });
    const places = /** @type {(number | 'aligned')[]} */ (['aligned', 1, 2, 3]);
    /** @type {[string, number, (where: number | 'aligned') => () => unknown][]} */
    const cases = [];
    for (const n of [32, 128, 256]) {
      const dense = (/** @type {number} */ r, /** @type {number} */ c, /** @type {number | 'aligned'} */ w) => ({ data: place(r * c, w), rows: r, cols: c });
      cases.push(['CSR spmm', n, (w) => { const B = dense(K, n, w), C = dense(M, n, w); return () => sk.spmm(A, B, { out: C }); }]);
      cases.push(['BSR 4x4 spmm', n, (w) => { const B = dense(K, n, w), C = dense(M, n, w); return () => sk.spmm(bsr, B, { out: C }); }]);
      cases.push(['N:M 2:4 spmm', n, (w) => { const B = dense(K, n, w), C = dense(M, n, w); return () => sk.spmm(nm, B, { out: C }); }]);
      cases.push(['2:4, same positions', n, (w) => { const B = dense(K, n, w), C = dense(M, n, w); return () => sk.spmm(nmSame, B, { out: C }); }]);
      cases.push(['spmmT, plan', n, (w) => { const B = dense(M, n, w), C = dense(K, n, w); return () => sk.spmmT(A, B, { out: C, plan }); }]);
      cases.push(['spmmT, plan gathering', n, (w) => { const B = dense(M, n, w), C = dense(K, n, w); return () => sk.spmmT(A, B, { out: C, plan: gathering }); }]);
      cases.push(['spmmT, scatter', n, (w) => { const B = dense(M, n, w), C = dense(K, n, w); return () => sk.spmmT(A, B, { out: C }); }]);
      cases.push(['SDDMM (K = width)', n, (w) => { const X = dense(M, n, w), Y = dense(K, n, w), out = place(A.nnz, w); return () => sk.sddmm(A, X, Y, { out }); }]);
    }
    cases.push(['spmv', 1, (w) => { const x = place(K, w), y = place(M, w); return () => sk.spmv(A, x, { out: y }); }]);
    for (const [name, n, make] of cases) {
      // Interleaved slices of ~20 ms, the best slice of each placement: the same work, so the fastest slice is the
      // estimate least touched by the VM's noise (whole-second means let a slow second decide the ratio).
      const r = await interleaved(Object.fromEntries(places.map((w) => [String(w), make(w)])), { rounds: quick ? 5 : 15, sliceMs: 20, gapMs: 0 });
      const best = places.map((w) => r[String(w)].min);
      const worst = Math.max(...best.slice(1));
      rows.push({ bench: 'alignment', kernel: name, n, alignedMs: best[0], offsetMs: best.slice(1) });
      lines.push([name, n, t(best[0]), ...best.slice(1).map(t), `${(worst / best[0]).toFixed(2)}x`]);
    }
    table(`Operands at an offset, ${M}x${K} at 90% sparsity (2:4 for N:M; target: worst offset within 1.10x of aligned)`, ['kernel', 'width', 'aligned ms', '+1 float ms', '+2 floats ms', '+3 floats ms', 'worst / aligned'], lines);
  }
  // --- CSR at high sparsity, offset (+1 float) against aligned operands, with one B used for every call (warm, as
  // above and as ../shared/peers time it) and with a different B each call (copies of it taken in turn, at least
  // 32 MiB of them, so each call finds its B in L3 or DRAM, as a fresh activation is). With few uses of each row of
  // B per thread, the per-thread aligned copy of an offset B (native/core/pack.h) costs more than an aligned B
  // already in L2 and read in place, but less than an aligned B read in place from L3 (the copy streams it).
  {
    const lines = [];
    /** @type {[number, number, number, number][]} */
    const shapes = [[1024, 1024, 0.98, 32], [1024, 1024, 0.98, 256], [1024, 4096, 0.98, 32], [1024, 1024, 0.9, 256]];
    for (const [m, k, sparsity, n] of shapes) {
      const A = sk.CSRMatrix.random(m, k, { density: 1 - sparsity, seed: 21 });
      const copies = Math.max(4, Math.ceil((32 << 20) / (k * n * 4)));
      /** @param {number | 'aligned'} at */
      const contender = (at, turn = false) => {
        const Bs = Array.from({ length: turn ? copies : 1 }, () => ({ data: place(k * n, at), rows: k, cols: n }));
        const C = { data: place(m * n, at), rows: m, cols: n };
        let i = 0;
        return () => sk.spmm(A, Bs[(i = (i + 1) % Bs.length)], { out: C });
      };
      const r = await interleaved({ aligned: contender('aligned'), offset: contender(1), alignedFresh: contender('aligned', true), offsetFresh: contender(1, true) },
        { rounds: quick ? 5 : 15, sliceMs: 20, gapMs: 0 });
      rows.push({ bench: 'alignment-fresh-b', m, k, sparsity, n, alignedMs: r.aligned.min, offsetMs: r.offset.min, alignedFreshMs: r.alignedFresh.min, offsetFreshMs: r.offsetFresh.min });
      lines.push([`${m}x${k}`, `${Math.round(sparsity * 100)}%`, n, t(r.aligned.min), t(r.offset.min), `${(r.offset.min / r.aligned.min).toFixed(2)}x`,
        t(r.alignedFresh.min), t(r.offsetFresh.min), `${(r.offsetFresh.min / r.alignedFresh.min).toFixed(2)}x`]);
    }
    table('CSR spmm, operands at +1 float against aligned: one B for every call, and a fresh B each call (copies in turn, >= 32 MiB)',
      ['A', 'sparsity', 'width', 'same B: aligned ms', 'offset ms', 'offset / aligned', 'fresh B: aligned ms', 'offset ms', 'offset / aligned'], lines);
  }
  // --- Small calls and threads: the per-call cost of a sync op on an 8x8 matrix (the public function, the raw
  // native entry it calls, and an N-API call that does nothing, the floor), and SpMV on 1 and on all threads for a
  // cache-resident matrix and one much larger than the caches.
  {
    const { addon } = require('../dist/core/binding'); // the module the package loaded (internal entry)
    const dense8 = sk.denseMatrix(8, 8);
    for (let i = 0; i < 64; i += 3) dense8.data[i] = i + 1;
    const A8 = sk.CSRMatrix.fromDense(dense8);
    const x8 = new Float32Array(8).fill(1), y8 = new Float32Array(8), o8 = { out: y8 };
    const { spmv } = sk;
    /** @param {() => unknown} f */
    const perCall = (f) => {
      let best = Infinity;
      for (let r = 0; r < (quick ? 5 : 15); r++) {
        const t0 = process.hrtime.bigint();
        for (let i = 0; i < 100000; i++) f();
        best = Math.min(best, Number(process.hrtime.bigint() - t0) / 1e3 / 100000);
      }
      return best;
    };
    const limit = sk.getInlineLimit();
    const api = perCall(() => spmv(A8, x8, o8));
    const viaExports = perCall(() => sk.spmv(A8, x8, o8)); // a property lookup on the package object each call
    sk.setInlineLimit(0);
    const viaNative = perCall(() => spmv(A8, x8, o8));
    sk.setInlineLimit(limit);
    const raw = perCall(() => addon.spmv(8, 8, A8.indptr, A8.indices, A8.values, x8, y8, 1, 0));
    const floor = perCall(() => addon.setCallThreads(0));
    rows.push({ bench: 'small', apiUs: api, viaExportsUs: viaExports, apiNativeUs: viaNative, rawUs: raw, napiFloorUs: floor });
    table(`A sync spmv on an 8x8 matrix (${A8.nnz} entries), per call (best of repeated 100K-call loops; target: <= 0.3 us)`,
      ['spmv(A, x, { out }) (inline)', 'sk.spmv(A, x, { out })', 'the same, inline limit 0', 'native entry alone', 'an N-API call doing nothing'],
      [[`${api.toFixed(3)} us`, `${viaExports.toFixed(3)} us`, `${viaNative.toFixed(3)} us`, `${raw.toFixed(3)} us`, `${floor.toFixed(3)} us`]]);
    // Where the inline loop stops paying: square matrices at 50% density around the limit, both paths.
    const cross = [];
    for (const n of [12, 16, 20, 24, 32, 48]) {
      const A = sk.CSRMatrix.random(n, n, { density: 0.5, seed: n });
      const x = new Float32Array(n).fill(1), o = { out: new Float32Array(n) };
      sk.setInlineLimit(1e9);
      const js = perCall(() => spmv(A, x, o));
      sk.setInlineLimit(0);
      const nat = perCall(() => spmv(A, x, o));
      sk.setInlineLimit(limit);
      rows.push({ bench: 'inline', n, nnz: A.nnz, inlineUs: js, nativeUs: nat });
      cross.push([`${n}x${n}`, A.nnz, `${js.toFixed(3)} us`, `${nat.toFixed(3)} us`, `${(nat / js).toFixed(2)}x`, A.nnz <= limit ? 'inline' : 'native']);
    }
    table(`Sync spmv in JavaScript (inline) against the native call, per call (inline limit: ${limit} entries)`, ['matrix', 'nnz', 'inline', 'native', 'native / inline', 'chosen'], cross);
    const lines = [];
    for (const [n, density] of [[1024, 0.1], [8192, 0.05]]) {
      const A = sk.CSRMatrix.random(n, n, { density, seed: 15 });
      const x = sk.alignedFloat32Array(n).fill(0.5), y = sk.alignedFloat32Array(n);
      // 1 and T threads in interleaved slices (the call's threads option), the best slice of each.
      const m = await interleaved({ one: () => sk.spmv(A, x, { out: y, threads: 1 }), all: () => sk.spmv(A, x, { out: y, threads: T }) }, { rounds: quick ? 5 : 15, sliceMs: 20, gapMs: 0 });
      const times = [m.one.min, m.all.min];
      const mib = (A.nnz * 8 + (n + 1) * 4 + 8 * n) / 2 ** 20;
      rows.push({ bench: 'spmv-threads', n, nnz: A.nnz, ms1: times[0], msT: times[1] });
      lines.push([`${n}x${n}`, A.nnz, mib.toFixed(1), `${(times[0] * 1000).toFixed(1)} us`, `${(times[1] * 1000).toFixed(1)} us`, `${(times[0] / times[1]).toFixed(2)}x`]);
    }
    table(`SpMV, 1 thread against ${T} (back-to-back calls; target: >= 1.5x on the cache-resident one)`, ['matrix', 'nnz', 'MiB', '1 thread', `${T} threads`, 'speed-up'], lines);
  }
  dense.release();
  fs.mkdirSync(path.dirname(jsonPath), { recursive: true });
  fs.writeFileSync(jsonPath, JSON.stringify({ info, rows }, null, 2));
  console.log(`\nresults: ${jsonPath}`);
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
