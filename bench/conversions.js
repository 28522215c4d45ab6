#!/usr/bin/env node
// @ts-check
// `npm run bench:conversions`: conversion time between CSR, COO, BSR and N:M at 90% sparsity for n x n matrices,
// n = 1024 .. 8192. Linear-time conversions show a constant ns per stored entry as n grows.
'use strict';
const sk = require('sparsekit');
const { parseArgs } = require('node:util');
const { measure, printTable } = require('./harness');

const { values: flags } = parseArgs({ options: { quick: { type: 'boolean', default: false } } });

/** Keeps the first 2 non-zeros of every 4 columns, so the matrix is 2:4 and the N:M conversions apply. */
/** @param {import('sparsekit').CSRMatrix} A */
function twoFour(A) {
  const keep = new Uint8Array(A.nnz);
  for (let i = 0; i < A.rows; i++) {
    let group = -1, count = 0;
    for (let k = A.indptr[i]; k < A.indptr[i + 1]; k++) {
      const g = A.indices[k] >> 2;
      if (g !== group) { group = g; count = 0; }
      keep[k] = ++count <= 2 ? 1 : 0;
    }
  }
  const coo = A.toCOO();
  /** @type {number[]} */
  const idx = [];
  for (let k = 0; k < A.nnz; k++) if (keep[k]) idx.push(k);
  /**
   * @template {Int32Array | Float32Array} T
   * @param {ArrayLike<number>} a
   * @param {{ from(x: number[], f: (k: number) => number): T }} T
   */
  const pick = (a, T) => T.from(idx, (k) => a[k]);
  return sk.COOMatrix.fromArrays(A.rows, A.cols, pick(coo.rowIndices, Int32Array), pick(coo.colIndices, Int32Array), pick(coo.values, Float32Array)).toCSR();
}

(async () => {
  const sizes = flags.quick ? [1024, 2048] : [1024, 2048, 4096, 8192];
  /** @type {{ name: string, n: number, nnz: number, ms: number, nsPerEntry: number }[]} */
  const rows = [];
  for (const n of sizes) {
    const A = sk.CSRMatrix.random(n, n, { density: 0.1, seed: 1 });
    const coo = A.toCOO();
    const bsr = sk.BSRMatrix.fromCSR(A, { block: [4, 4] });
    const A24 = twoFour(A);
    const nm = sk.NMMatrix.fromCSR(A24, { n: 2, m: 4 });
    /** @type {Record<string, [() => unknown, number]>} */
    const ops = {
      'CSR -> COO': [() => A.toCOO(), A.nnz],
      'COO -> CSR': [() => coo.toCSR(), A.nnz],
      'CSR -> CSR^T': [() => A.transpose(), A.nnz],
      'CSR -> BSR 4x4': [() => sk.BSRMatrix.fromCSR(A, { block: [4, 4] }), A.nnz],
      'BSR 4x4 -> CSR': [() => bsr.toCSR(), A.nnz],
      'CSR -> N:M 2:4': [() => sk.NMMatrix.fromCSR(A24, { n: 2, m: 4 }), A24.nnz],
      'N:M 2:4 -> CSR': [() => nm.toCSR(), A24.nnz],
    };
    for (const [name, [fn, nnz]] of Object.entries(ops)) {
      const r = await measure(name, fn, { maxTime: 0.5, minSamples: 3 });
      rows.push({ name, n, nnz, ms: r.ms, nsPerEntry: (r.ms * 1e6) / nnz });
    }
  }
  const names = [...new Set(rows.map((r) => r.name))];
  const lines = names.map((name) => [name, ...sizes.map((n) => {
    const r = rows.find((x) => x.name === name && x.n === n);
    if (!r) return '-';
    return `${r.ms.toFixed(2)} (${r.nsPerEntry.toFixed(1)})`;
  })]);
  printTable('Conversions at 90% sparsity (n x n, ~0.1 n^2 stored entries; N:M rows use a 2:4 version with ~0.07 n^2):',
    ['conversion', ...sizes.map((n) => `${n}: ms (ns/entry)`)], lines);
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
