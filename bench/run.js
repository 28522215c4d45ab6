#!/usr/bin/env node
// @ts-check
// `npm run bench`: SpMM / SpMV sweep against the dense baselines (numpy/OpenBLAS through bench/dense-numpy.py when
// Python has numpy, and onnxruntime's MatMul, the Node-native option) and the plain-JS loop, on aligned operands and
// on 4-byte-offset views, plus SpMV memory bandwidth. Eigen's SpMM is in ../shared/peers (bash ../shared/peers/run.sh).
// Flags: --quick (a short subset), --json PATH (default bench/results/spmm.json), --summary (the benchmark half of
// `npm start`: SpMM 1024x1024 x 256 at 50/90/98% and the MNIST MLP's dense step on onnxruntime; nothing written).
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const sk = require('sparsekit');
const { parseArgs } = require('node:util');
const os = require('node:os');
const { measure, sweep, formatTables, denseBaseline, randomDense } = require('./harness');
const { renderChart } = require('../bin/chart');

const { values: flags } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    summary: { type: 'boolean', default: false },
    json: { type: 'string', default: path.join(__dirname, 'results', 'spmm.json') },
  },
});
const jsonPath = String(flags.json);

async function bandwidth() {
  // Machine bandwidth: a 256 MiB TypedArray copy (glibc memcpy), counting bytes read plus bytes written.
  const src = new Float32Array(64 << 20).fill(1), dst = new Float32Array(64 << 20);
  const copy = await measure('memcpy', () => dst.set(src), { maxTime: 1, minSamples: 5 });
  const copyGBs = (2 * src.byteLength) / copy.ms / 1e6;
  // SpMV on a matrix much larger than the caches: bytes it must read (values, indices, indptr, x) and write (y).
  const R = 32768, C = 32768;
  const A = sk.CSRMatrix.random(R, C, { density: 0.01, seed: 5 });
  const x = sk.alignedFloat32Array(C).fill(0.5), y = sk.alignedFloat32Array(R);
  const bytes = A.nnz * 8 + (R + 1) * 4 + C * 4 + R * 4;
  const results = [];
  for (const t of [1, sk.info().threads]) {
    sk.setThreads(t);
    const r = await measure(`spmv ${t}t`, () => sk.spmv(A, x, { out: y }), { maxTime: 1 });
    results.push({ threads: t, ms: r.ms, GBs: bytes / r.ms / 1e6, ofCopy: bytes / r.ms / 1e6 / copyGBs });
  }
  return { copyGBs, matrix: `${R}x${C}, nnz ${A.nnz} (${(bytes / 2 ** 20).toFixed(0)} MiB)`, isa: sk.info().isa, results };
}

/**
 * The matrix products of one dense training step of the demo's MLP 784-300-100-10 (batch b), timed with
 * onnxruntime's MatMul, the dense baseline of bench/ (activations, ReLU and the optimizer not included, so this
 * favours the baseline). null without onnxruntime.
 * @param {number} b
 */
async function onnxDenseStep(b) {
  const dense = await denseBaseline(sk.info().threads);
  if (!dense) return null;
  const dims = [784, 300, 100, 10];
  /** @type {(() => Promise<unknown>)[]} */
  const runs = [];
  for (let l = 0; l < 3; l++) {
    const [inp, out] = [dims[l], dims[l + 1]];
    runs.push(dense.prepare(randomDense(out, inp, 1), randomDense(inp, b, 2))); // forward W X
    if (l > 0) runs.push(dense.prepare(randomDense(inp, out, 3), randomDense(out, b, 4))); // input gradient Wᵀ dY
    runs.push(dense.prepare(randomDense(out, b, 5), randomDense(b, inp, 6))); // weight gradient dY Xᵀ
  }
  const r = await measure('onnxruntime dense step', async () => { for (const run of runs) await run(); }, { defer: true, maxTime: 0.5 });
  await dense.release();
  return r.ms;
}

/**
 * One chart per shape (bench/results/spmm-MxK.svg), drawn by the same code as `sparsekit bench --chart`: SpMM
 * speed-up over the fastest dense baseline of the same run (numpy/OpenBLAS when Python has it, else onnxruntime's
 * MatMul; same shape, width and threads) against sparsity, per ISA on aligned operands and on 4-byte-offset views,
 * at the widest B and the most threads, with the dense line and the crossover marked.
 * @param {import('./harness').SweepRow[]} rows
 * @param {string} dir
 */
async function charts(rows, dir) {
  const files = [];
  for (const shape of [...new Set(rows.map((r) => r.shape))]) {
    const these = rows.filter((r) => r.shape === shape);
    const N = Math.max(...these.map((r) => r.N)), threads = Math.max(...these.map((r) => r.threads));
    const denses = these.filter((r) => r.impl.startsWith('dense-') && r.N === N && r.threads === threads);
    if (denses.length === 0) continue;
    const dense = denses.reduce((a, b) => (b.ms < a.ms ? b : a));
    const denseName = dense.impl === 'dense-numpy' ? dense.isa : `onnxruntime MatMul (${threads}t)`;
    const points = these
      .filter((r) => (r.impl === 'sparsekit' || r.impl === 'sparsekit-offset') && r.N === N && r.threads === threads)
      .map((r) => ({ x: r.sparsity, y: dense.ms / r.ms, series: r.impl === 'sparsekit' ? `sparsekit CSR (${r.isa}, aligned)` : `sparsekit CSR (${r.isa}, 4-byte-offset views)` }));
    const svg = await renderChart(points, {
      title: `SpMM ${shape} x ${N}: speed-up over ${denseName}, ${threads} threads (${os.cpus()[0]?.model ?? ''})`,
      xTitle: 'sparsity (fraction of zeros)',
      yTitle: 'speed-up over the best dense GEMM',
      baseline: { y: 1, label: denseName },
      crossovers: true,
    });
    const file = path.join(dir, `spmm-${shape}.svg`);
    fs.writeFileSync(file, svg);
    files.push(file);
  }
  return files;
}

/** `npm start`'s benchmark summary. */
async function summary() {
  const ort = await onnxDenseStep(128);
  if (ort !== null) {
    console.log(`\nThe demo's dense step, matrix products only (3 forward, 2 input-gradient, 3 weight-gradient), with onnxruntime MatMul: ${ort.toFixed(2)} ms`);
    console.log('(compare the ms / step above: a whole sparse step, everything included).');
  }
  console.log('\nSpMM, 1024x1024 sparse weight times a 1024x256 dense batch (npm run bench for the full sweep):');
  const threads = [sk.info().threads];
  const rows = await sweep({ shapes: [[1024, 1024]], widths: [256], sparsities: [0.5, 0.9, 0.98], threads, isas: [sk.info().isa], maxTime: 0.25 });
  console.log(formatTables(rows, { threads }));
}

(async () => {
  if (flags.summary) return summary();
  const info = sk.info();
  const threads = [...new Set([1, info.threads])];
  const config = flags.quick
    ? { shapes: [[1024, 1024]], widths: [1, 256], sparsities: [0.5, 0.9, 0.98] }
    : { shapes: [[1024, 1024], [4096, 1024], [1024, 4096]], widths: [1, 32, 256], sparsities: [0.5, 0.7, 0.8, 0.9, 0.95, 0.98] };
  console.log(`sparsekit ${info.version} | ISAs ${info.isas.join(', ')} | ${info.threads} threads | CPU ${os.cpus()[0]?.model ?? 'unknown'} (L2 ${info.l2CacheBytes >> 10} KiB per core) | Node ${process.version}`);
  const rows = await sweep({ ...config, threads, isas: info.isas, log: (/** @type {string} */ m) => process.stderr.write(`  ${m}\r\n`) });
  console.log(formatTables(rows, { threads }));
  const bw = await bandwidth();
  console.log(`\nSpMV bandwidth (${bw.isa}), ${bw.matrix}; machine copy bandwidth ${bw.copyGBs.toFixed(1)} GB/s (256 MiB TypedArray.set, read+write)`);
  for (const r of bw.results) {
    console.log(`  ${r.threads}t: ${r.ms.toFixed(2)} ms, ${r.GBs.toFixed(1)} GB/s = ${(r.ofCopy * 100).toFixed(0)}% of copy bandwidth`);
  }
  fs.mkdirSync(path.dirname(jsonPath), { recursive: true });
  fs.writeFileSync(jsonPath, JSON.stringify({ info, config, rows, bandwidth: bw }, null, 2));
  console.log(`\nresults: ${jsonPath}`);
  for (const file of await charts(rows, path.dirname(jsonPath))) console.log(`chart: ${file}`);
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
