#!/usr/bin/env node
// @ts-check
// `npm run bench:kernels`: SDDMM, transposed SpMM, BSR and N:M matmul against the dense baseline (onnxruntime
// MatMul) measured in the same run; best ISA, all threads. Flags: --quick, --json PATH.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const sk = require('sparsekit');
const { measure, randomDense, denseBaseline, crossover, printTable: table } = require('./harness');

const { values: flags } = require('node:util').parseArgs({
  options: { quick: { type: 'boolean', default: false }, json: { type: 'string', default: path.join(__dirname, 'results', 'kernels.json') } },
});
const quick = flags.quick === true;
const jsonPath = String(flags.json);
const maxTime = quick ? 0.2 : 0.5;
const rows = [];
const t = (/** @type {number} */ ms) => ms.toFixed(3);

/** A rows x cols matrix whose r x c blocks are each present with probability `density`, filled with values. */
/**
 * @param {number} rows
 * @param {number} cols
 * @param {[number, number]} block
 * @param {number} density
 * @param {number} seed
 */
function blockSparse(rows, cols, [r, c], density, seed) {
  const rng = new sk.Rng(seed);
  const d = sk.denseMatrix(rows, cols);
  for (let bi = 0; bi < rows / r; bi++) {
    for (let bj = 0; bj < cols / c; bj++) {
      if (rng.next() >= density) continue;
      for (let a = 0; a < r; a++) for (let b = 0; b < c; b++) d.data[(bi * r + a) * cols + bj * c + b] = rng.next() * 2 - 1 || 0.5;
    }
  }
  return d;
}

/** Keeps the 2 largest |w| of every 4 (a 2:4 pruned dense matrix). */
/** @param {import('sparsekit').DenseMatrix} d */
function twoFour(d) {
  const out = sk.denseMatrix(d.rows, d.cols, d.data.slice());
  for (let k = 0; k < out.data.length; k += 4) {
    const idx = [0, 1, 2, 3].sort((a, b) => Math.abs(out.data[k + b]) - Math.abs(out.data[k + a]));
    out.data[k + idx[2]] = 0;
    out.data[k + idx[3]] = 0;
  }
  return out;
}

(async () => {
  const info = sk.info();
  const T = info.threads;
  const dense = await denseBaseline(T);
  if (!dense) throw new Error('onnxruntime-node is needed for the dense baseline (a devDependency)');
  console.log(`sparsekit ${info.version} | ${info.isa} | ${T} threads | dense baseline: ${dense.name}`);
  const M = 1024, K = 1024;

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
        rows.push({ bench: 'sddmm', k, sparsity: s, ms: ours.ms, denseMs: denseOnly.ms, denseMaskMs: masked.ms });
        lines.push([k, `${s * 100}%`, t(ours.ms), (2 * P.nnz * k / ours.ms / 1e6).toFixed(1), t(denseOnly.ms), t(masked.ms), `${(masked.ms / ours.ms).toFixed(2)}x`]);
      }
    }
    table(`SDDMM, ${M}x${K} pattern (target: >= 4x dense product + mask at 90%)`, ['K', 'sparsity', 'sddmm ms', 'GFLOP/s', 'dense ms', 'dense+mask ms', 'speed-up'], lines);
  }

  // --- spmmT: C = Aᵀ B against the forward spmm of the same A, and spmm on an explicit transpose.
  {
    const lines = [];
    for (const n of [32, 256]) {
      const A = sk.CSRMatrix.random(M, K, { density: 0.1, seed: 4 });
      const B = randomDense(M, n, 5), Bf = randomDense(K, n, 6);
      const At = A.transpose();
      const plan = sk.transposePlan(A);
      const out = sk.denseMatrix(K, n), outF = sk.denseMatrix(M, n);
      const fwd = await measure('forward', () => sk.spmm(A, Bf, { out: outF }), { maxTime });
      const scatter = await measure('scatter', () => sk.spmmT(A, B, { out }), { maxTime });
      const planned = await measure('plan', () => sk.spmmT(A, B, { out, plan }), { maxTime });
      const explicit = await measure('explicit', () => sk.spmm(At, B, { out }), { maxTime });
      const transpose = await measure('transpose', () => A.transpose(), { maxTime });
      rows.push({ bench: 'spmmT', n, forwardMs: fwd.ms, scatterMs: scatter.ms, planMs: planned.ms, explicitMs: explicit.ms, transposeMs: transpose.ms });
      lines.push([n, t(fwd.ms), t(scatter.ms), `${(scatter.ms / fwd.ms).toFixed(2)}x`, t(planned.ms), `${(planned.ms / fwd.ms).toFixed(2)}x`, t(explicit.ms), t(transpose.ms)]);
    }
    table(`spmmT, ${M}x${K} at 90% sparsity (target: <= 1.3x the forward time)`, ['N', 'forward ms', 'scatter ms', 'vs fwd', 'plan ms', 'vs fwd', 'spmm(Aᵀ) ms', 'transpose ms'], lines);
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
      const d = await measure('dense', dense.prepare(base, B), { defer: true, maxTime });
      const r = await measure('nm', n === 1 ? () => sk.spmv(A, B.data, { out: out.data }) : () => sk.spmm(A, B, { out }), { maxTime });
      const c = await measure('csr', n === 1 ? () => sk.spmv(Acsr, B.data, { out: out.data }) : () => sk.spmm(Acsr, B, { out }), { maxTime });
      rows.push({ bench: 'nm', n, ms: r.ms, csrMs: c.ms, denseMs: d.ms });
      lines.push([n, t(r.ms), t(c.ms), t(d.ms), `${(d.ms / r.ms).toFixed(2)}x`]);
    }
    table(`N:M 2:4 SpMM/SpMV, ${M}x${K} (target: >= 1.3x dense at width 256, >= 1.6x at width 1)`, ['width', '2:4 ms', 'same as CSR ms', 'dense ms', 'vs dense'], lines);
  }
  dense.release();
  fs.mkdirSync(path.dirname(jsonPath), { recursive: true });
  fs.writeFileSync(jsonPath, JSON.stringify({ info, rows }, null, 2));
  console.log(`\nresults: ${jsonPath}`);
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
