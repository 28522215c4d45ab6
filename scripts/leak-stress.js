// @ts-check
// Create / use / drop cycles of every format and every async op, for the leak check (scripts/leak-check.sh runs
// it under valgrind memcheck) and for a bounded-memory check (run directly: RSS and external memory after
// warm-up and at the end, with forced GC, must stay flat). Usage: node --expose-gc scripts/leak-stress.js [cycles]
'use strict';
const sk = require('sparsekit');

const { positionals } = require('node:util').parseArgs({ allowPositionals: true });
const cycles = Number(positionals[0] || 2000);

/** @param {number} k */
async function cycle(k) {
  const A = sk.CSRMatrix.random(40 + (k % 13), 30 + (k % 7), { density: 0.2, seed: k });
  const B = sk.denseMatrix(A.cols, 9);
  B.data.fill(0.5);
  const Bt = sk.denseMatrix(A.rows, 9);
  Bt.data.fill(0.25);
  const bsr = sk.BSRMatrix.fromCSR(A, { block: [4, 1] });
  const coo = A.toCOO();
  const back = sk.CSRMatrix.fromCOO(coo);
  const nm = sk.nmPrune(A.toDense(), { n: 2, m: 4 });
  const mask = sk.Mask.fromCSR(A);
  const plan = sk.transposePlan(A);
  await Promise.all([
    sk.spmmAsync(A, B), sk.spmvAsync(A, B.data.subarray(0, A.cols)), sk.spmmTAsync(A, Bt), sk.spmmTAsync(A, Bt, { plan }),
    sk.sddmmAsync(A, Bt, B), sk.spmmAsync(bsr, B), sk.spmmAsync(nm, B), sk.gemmAsync(A.toDense(), B),
  ]);
  sk.magnitudePrune(A.toDense(), { sparsity: 0.5 });
  const bytes = sk.save({ A, bsr, nm, mask, back });
  sk.load(bytes);
  // A failing call too: its error path must not leak either.
  try { sk.spmm(A, sk.denseMatrix(A.cols + 1, 2)); } catch {}
  const layer = new sk.SparseLinear(A.cols, A.rows, { density: 0.3, seed: k });
  layer.forward(B);
  layer.backward(Bt, { inputGradient: k % 2 === 0 });
  new sk.RigL({ endStep: 10, anneal: 'constant' }).update(layer, 1);
}

function memory() {
  global.gc?.();
  const m = process.memoryUsage();
  return { rssMiB: m.rss / 2 ** 20, externalMiB: m.external / 2 ** 20, arrayBuffersMiB: m.arrayBuffers / 2 ** 20 };
}

(async () => {
  const warm = Math.min(200, Math.floor(cycles / 5));
  for (let k = 0; k < warm; k++) await cycle(k);
  const before = memory();
  for (let k = warm; k < cycles; k++) await cycle(k);
  const after = memory();
  const growth = { rssMiB: after.rssMiB - before.rssMiB, externalMiB: after.externalMiB - before.externalMiB };
  console.log(JSON.stringify({ cycles, before, after, growth }));
})();
