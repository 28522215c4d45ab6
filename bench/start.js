#!/usr/bin/env node
// `npm start`: what this build runs on, then a short SpMM benchmark against the dense and plain-JS baselines.
// (The sparse-training demo joins it once SparseLinear lands.)
'use strict';
const sk = require('..');
const { sweep, formatTables } = require('./harness');

(async () => {
  const info = sk.info();
  console.log('sparsekit info():');
  console.log(JSON.stringify(info, null, 2));
  console.log('\nSpMM, 1024x1024 sparse weight times a 1024x256 dense batch, best ISA, all threads (npm run bench for the full sweep):');
  const threads = [info.threads];
  const rows = await sweep({
    shapes: [[1024, 1024]],
    widths: [256],
    sparsities: [0.5, 0.8, 0.9, 0.95, 0.98],
    threads,
    isas: [info.isa],
    maxTime: 0.25,
  });
  console.log(formatTables(rows, { threads }));
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
