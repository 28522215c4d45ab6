#!/usr/bin/env node
// @ts-check
// `npm run bench:prune`: magnitudePrune (tensor scope, 90% sparsity) of 1M, 10M and 50M weights against a plain-JS
// sort-based baseline and against one memory pass, all measured in this run. Flags: --quick (1M and 10M only).
'use strict';
const sk = require('sparsekit');
const { parseArgs } = require('node:util');
const { measure, printTable } = require('./harness');

const { values: flags } = parseArgs({ options: { quick: { type: 'boolean', default: false } } });

/** What a JS user would write: sort the magnitudes, take the threshold, mark what is at or above it. */
/**
 * @param {import('sparsekit').DenseMatrix} W
 * @param {number} sparsity
 */
function jsPrune(W, sparsity) {
  const abs = Float32Array.from(W.data, Math.abs).sort();
  const keep = sk.keptCount(abs.length, sparsity);
  const threshold = abs[abs.length - keep];
  const mask = new Uint8Array(abs.length);
  for (let k = 0; k < W.data.length; k++) mask[k] = Math.abs(W.data[k]) >= threshold ? 1 : 0;
  return mask;
}

(async () => {
  const sizes = flags.quick ? [1e6, 1e7] : [1e6, 1e7, 5e7];
  const info = sk.info();
  console.log(`sparsekit ${info.version} | ${info.threads} threads`);
  const lines = [];
  for (const n of sizes) {
    const W = sk.denseMatrix(n / 1000, 1000);
    const rng = new sk.Rng(1);
    for (let k = 0; k < n; k++) W.data[k] = rng.next() * 2 - 1;
    const ours = await measure('magnitudePrune', () => sk.magnitudePrune(W, { sparsity: 0.9 }), { maxTime: 1, minSamples: 5 });
    const js = await measure('js sort', () => jsPrune(W, 0.9), { maxTime: 1, minSamples: 2, warmup: 1 });
    // One memory pass: reading the weights once, at the bandwidth a 2n-float copy achieves (read + write bytes).
    const dst = new Float32Array(n);
    const copy = await measure('copy', () => dst.set(W.data), { maxTime: 0.5, minSamples: 5 });
    const onePass = copy.ms / 2;
    lines.push([`${n / 1e6}M`, ours.ms.toFixed(2), js.ms.toFixed(1), `${(js.ms / ours.ms).toFixed(1)}x`, onePass.toFixed(2), `${(ours.ms / onePass).toFixed(1)}x`, `${((2 * 4 * n) / copy.ms / 1e6).toFixed(1)}`]);
  }
  printTable('magnitudePrune, tensor scope, 90% sparsity (targets: >= 20x the JS sort, within 3x of one pass at 10M)',
    ['weights', 'magnitudePrune ms', 'JS sort ms', 'vs JS', 'one pass ms', 'vs one pass', 'copy GB/s'], lines);
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
