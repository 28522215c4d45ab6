#!/usr/bin/env node
// @ts-check
// `node bench/ab.js OLD.node NEW.node [--cases nm,nm-same,csr,bsr,plan] [--widths 16,64,256] [--offset 1]`: two builds
// of the addon loaded into one process (through SPARSEKIT_ADDON, the package's modules loaded once per build), their
// calls interleaved in slices of ~20 ms (harness.js `interleaved`), and the new build's best slice over the old one's
// per case, width and thread count. On a VM whose speed changes from minute to minute, a ratio taken within one
// process is what separates a few percent from the noise (separate processes a minute apart differed by up to 1.4x
// with the same build). Each build keeps its own thread pool; the pool of the build not being timed is idle.
// Build the old one from a worktree: `git worktree add /tmp/old REV && (cd /tmp/old && ln -s /work/main/node_modules
// && npx node-gyp rebuild)`, then pass /tmp/old/build/Release/sparsekit.node.
'use strict';
const path = require('node:path');
const { interleaved, randomDense } = require('./harness');

const { values: flags, positionals } = require('node:util').parseArgs({
  allowPositionals: true,
  options: {
    cases: { type: 'string', default: 'nm,nm-same,csr,bsr,plan' },
    widths: { type: 'string', default: '16,64,256' },
    offset: { type: 'string', default: '1' },
    rounds: { type: 'string', default: '15' },
  },
});
if (positionals.length !== 2) {
  console.error('usage: node bench/ab.js OLD.node NEW.node [--cases nm,nm-same,csr,bsr,plan] [--widths 16,64,256] [--offset 1]');
  process.exit(2);
}

const entry = require.resolve('sparsekit');
const root = path.dirname(entry);
/** The package with its native addon loaded from `addon` (its modules evaluated afresh). @param {string} addon */
function load(addon) {
  process.env.SPARSEKIT_ADDON = path.resolve(addon);
  for (const k of Object.keys(require.cache)) if (k.startsWith(root + path.sep)) delete require.cache[k];
  return /** @type {typeof import('sparsekit')} */ (require(entry));
}
const builds = positionals.map(load);

const M = 1024, K = 1024;
const offset = Number(flags.offset);
/** A Float32Array of n floats `offset` floats past a 64-byte boundary. @param {number} n */
const place = (n) => builds[0].alignedFloat32Array(n + 16).subarray(offset, offset + n);

/**
 * The dense matrix d with the 2 largest |w| of every 4 kept, or (same) positions 0 and 2 of every group in every row.
 * @param {import('sparsekit').DenseMatrix} d @param {boolean} same
 */
function twoFour(d, same) {
  const a = d.data;
  for (let k = 0; k < a.length; k += 4) {
    const idx = same ? [0, 2, 1, 3] : [0, 1, 2, 3].sort((x, y) => Math.abs(a[k + y]) - Math.abs(a[k + x]));
    a[k + idx[2]] = 0;
    a[k + idx[3]] = 0;
    if (same) a[k] = a[k] || 1, a[k + 2] = a[k + 2] || 1;
  }
  return d;
}

// Each case: the sparse operand for one build, and whether it is multiplied transposed (spmmT with a plan). Every
// operand is 1024 x 1024, so B and C are 1024 x width either way.
/** @type {Record<string, (sk: typeof import('sparsekit')) => { a: any, transposed?: boolean }>} */
const cases = {
  nm: (sk) => ({ a: sk.NMMatrix.fromDense(twoFour(randomDense(M, K, 10), false), { n: 2, m: 4 }) }),
  'nm-same': (sk) => ({ a: sk.NMMatrix.fromDense(twoFour(randomDense(M, K, 10), true), { n: 2, m: 4 }) }),
  csr: (sk) => ({ a: sk.CSRMatrix.random(M, K, { density: 0.1, seed: 12 }) }),
  bsr: (sk) => {
    const d = randomDense(M, K, 13);
    const rng = new sk.Rng(13);
    for (let bi = 0; bi < M / 4; bi++) for (let bj = 0; bj < K / 4; bj++) {
      if (rng.next() < 0.1) continue;
      for (let r = 0; r < 4; r++) for (let c = 0; c < 4; c++) d.data[(bi * 4 + r) * K + bj * 4 + c] = 0;
    }
    return { a: sk.BSRMatrix.fromDense(d, { block: [4, 4] }) };
  },
  plan: (sk) => ({ a: sk.CSRMatrix.random(M, K, { density: 0.1, seed: 12 }), transposed: true }),
};

(async () => {
  console.log(`A ${positionals[0]}\nB ${positionals[1]}\nB at ${offset} float(s) past a line; best 20 ms slice of each; B/A < 1: B faster`);
  for (const name of String(flags.cases).split(',')) {
    const make = cases[name];
    if (!make) throw new Error(`unknown case ${name} (${Object.keys(cases).join(', ')})`);
    const ops = builds.map((sk) => ({ sk, ...make(sk) }));
    for (const n of String(flags.widths).split(',').map(Number)) {
      for (const threads of [1, 2]) {
        const B = { data: place(K * n), rows: K, cols: n };
        B.data.set(randomDense(K * n, 1, 3).data);
        const fns = ops.map(({ sk, a, transposed }) => {
          const out = { data: place(M * n), rows: M, cols: n };
          if (transposed) {
            const plan = sk.transposePlan(a);
            return () => sk.spmmT(a, B, { out, plan, threads });
          }
          return () => sk.spmm(a, B, { out, threads });
        });
        const r = await interleaved({ a: fns[0], b: fns[1] }, { rounds: Number(flags.rounds), sliceMs: 20, gapMs: 0 });
        console.log(`${name.padEnd(8)} width ${String(n).padStart(4)} threads ${threads}: A ${r.a.min.toFixed(3)} ms  B ${r.b.min.toFixed(3)} ms  B/A ${(r.b.min / r.a.min).toFixed(3)}`);
      }
    }
  }
})();
