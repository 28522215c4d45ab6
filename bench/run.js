#!/usr/bin/env node
// `npm run bench`: SpMM / SpMV sweep against the dense and plain-JS baselines, plus SpMV memory bandwidth.
// Flags: --quick (a short subset), --json PATH (default bench/results/spmm.json).
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const sk = require('..');
const { measure, sweep, formatTables } = require('./harness');

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const jsonPath = args.includes('--json') ? args[args.indexOf('--json') + 1] : path.join(__dirname, 'results', 'spmm.json');

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

(async () => {
  const info = sk.info();
  const threads = [...new Set([1, info.threads])];
  const config = quick
    ? { shapes: [[1024, 1024]], widths: [1, 256], sparsities: [0.5, 0.9, 0.98] }
    : { shapes: [[1024, 1024], [4096, 1024], [1024, 4096]], widths: [1, 32, 256], sparsities: [0.5, 0.7, 0.8, 0.9, 0.95, 0.98] };
  console.log(`sparsekit ${info.version} | ISAs ${info.isas.join(', ')} | ${info.threads} threads | Node ${process.version}`);
  const rows = await sweep({ ...config, threads, isas: info.isas, log: (m) => process.stderr.write(`  ${m}\r\n`) });
  console.log(formatTables(rows, { threads }));
  const bw = await bandwidth();
  console.log(`\nSpMV bandwidth (${bw.isa}), ${bw.matrix}; machine copy bandwidth ${bw.copyGBs.toFixed(1)} GB/s (256 MiB TypedArray.set, read+write)`);
  for (const r of bw.results) {
    console.log(`  ${r.threads}t: ${r.ms.toFixed(2)} ms, ${r.GBs.toFixed(1)} GB/s = ${(r.ofCopy * 100).toFixed(0)}% of copy bandwidth`);
  }
  fs.mkdirSync(path.dirname(jsonPath), { recursive: true });
  fs.writeFileSync(jsonPath, JSON.stringify({ info, config, rows, bandwidth: bw }, null, 2));
  console.log(`\nresults: ${jsonPath}`);
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
