#!/usr/bin/env node
// @ts-check
// `node bench/ab.js OLD.node NEW.node [--cases nm,nm-same,csr,csr50,csr-tall,bsr,bsr8,bsr16x1,plan,plan-train,sddmm] [--widths 16,64,256] [--offset 1]
// [--l1-block auto|never|BYTES]
// [--cache-values true|false]`: two builds
// of the addon loaded into one process (through SPARSEKIT_ADDON, the package's modules loaded once per build), their
// calls interleaved in slices of ~20 ms (harness.js `interleaved`), and the new build's best slice over the old one's
// per case, width and thread count. On a VM whose speed changes from minute to minute, a ratio taken within one
// process is what separates a few percent from the noise (separate processes a minute apart differed by up to 1.4x
// with the same build). Each build keeps its own thread pool; the pool of the build not being timed is idle.
// Build the old one from a worktree: `git worktree add /tmp/old REV && (cd /tmp/old && ln -s /work/main/node_modules
// && npx node-gyp rebuild)` (offline, with the system headers: `--nodedir=/usr`), then pass /tmp/old/build/Release/sparsekit.node.
'use strict';
const path = require('node:path');

const { values: flags, positionals } = require('node:util').parseArgs({
  allowPositionals: true,
  options: {
    cases: { type: 'string', default: 'nm,nm-same,csr,bsr,plan' },
    widths: { type: 'string', default: '16,64,256' },
    offset: { type: 'string', default: '1' },
    rounds: { type: 'string', default: '15' },
    'l1-block': { type: 'string', default: 'auto' },
    'cache-values': { type: 'string', default: 'true' },
  },
});
if (positionals.length !== 2) {
  console.error('usage: node bench/ab.js OLD.node NEW.node [--cases nm,nm-same,csr,csr50,csr-tall,bsr,bsr8,bsr16x1,plan,plan-train,sddmm] [--widths 16,64,256] [--offset 1] [--l1-block auto|never|BYTES] [--cache-values true|false]');
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
// --l1-block auto|never|BYTES: L1 blocking of CSR and N:M as setPacking's l1Block, in both builds.
const l1Block = ['auto', 'never'].includes(String(flags['l1-block'])) ? String(flags['l1-block']) : Number(flags['l1-block']);
for (const sk of builds) sk.setPacking('auto', 0, /** @type {any} */ (l1Block));
// After the builds: harness.js then shares the second build's modules (the require cache holds them) rather than
// loading the addon a third time. Its helpers only make data.
const { interleaved, randomDense, twoFour, blockSparse } = require('./harness');

const M = 1024, K = 1024;
const offset = Number(flags.offset);
// --cache-values false: the spmmT cases' plans gather A's values every call (transposePlan's cacheValues option).
const cacheValues = flags['cache-values'] !== 'false';
/** A Float32Array of n floats `offset` floats past a 64-byte boundary. @param {number} n */
const place = (n) => builds[0].alignedFloat32Array(n + 16).subarray(offset, offset + n);

// Each case: the sparse operand for one build, and whether it is multiplied transposed (spmmT with a plan). Every
// operand is 1024 x 1024 (B and C then 1024 x width either way) but csr-tall's, 1024 x 16384 (B 16384 x width).
/** @type {Record<string, (sk: typeof import('sparsekit')) => { a: any, transposed?: boolean, changing?: boolean, sddmm?: boolean }>} */
const cases = {
  nm: (sk) => ({ a: sk.NMMatrix.fromDense(twoFour(randomDense(M, K, 10)), { n: 2, m: 4 }) }),
  'nm-same': (sk) => ({ a: sk.NMMatrix.fromDense(twoFour(randomDense(M, K, 10), { same: true }), { n: 2, m: 4 }) }),
  csr: (sk) => ({ a: sk.CSRMatrix.random(M, K, { density: 0.1, seed: 12 }) }),
  csr50: (sk) => ({ a: sk.CSRMatrix.random(M, K, { density: 0.5, seed: 12 }) }),
  'csr-tall': (sk) => ({ a: sk.CSRMatrix.random(M, 16 * K, { density: 0.1, seed: 12 }) }),
  bsr: (sk) => ({ a: sk.BSRMatrix.fromDense(blockSparse(M, K, [4, 4], 0.1, 13), { block: [4, 4] }) }),
  bsr8: (sk) => ({ a: sk.BSRMatrix.fromDense(blockSparse(M, K, [8, 8], 0.1, 13), { block: [8, 8] }) }),
  bsr16x1: (sk) => ({ a: sk.BSRMatrix.fromDense(blockSparse(M, K, [16, 1], 0.1, 13), { block: [16, 1] }) }),
  plan: (sk) => ({ a: sk.CSRMatrix.random(M, K, { density: 0.1, seed: 12 }), transposed: true }),
  // The same with one of A's values changed before every call (a different one each time), as in training.
  'plan-train': (sk) => ({ a: sk.CSRMatrix.random(M, K, { density: 0.1, seed: 12 }), transposed: true, changing: true }),
  // SDDMM on the CSR pattern with K = width: X is 1024 x width, Y (B below) 1024 x width.
  sddmm: (sk) => ({ a: sk.CSRMatrix.random(M, K, { density: 0.1, seed: 12 }), sddmm: true }),
};

(async () => {
  console.log(`A ${positionals[0]}\nB ${positionals[1]}\nB at ${offset} float(s) past a line; best 20 ms slice of each; B/A < 1: B faster`);
  for (const name of String(flags.cases).split(',')) {
    const make = cases[name];
    if (!make) throw new Error(`unknown case ${name} (${Object.keys(cases).join(', ')})`);
    const ops = builds.map((sk) => ({ sk, ...make(sk) }));
    for (const n of String(flags.widths).split(',').map(Number)) {
      for (const threads of [1, 2]) {
        const k = ops[0].transposed ? ops[0].a.rows : ops[0].a.cols;
        const B = { data: place(k * n), rows: k, cols: n };
        B.data.set(randomDense(k * n, 1, 3).data);
        const fns = ops.map(({ sk, a, transposed, changing, sddmm }) => {
          if (sddmm) {
            const X = { data: place(M * n).fill(0.5), rows: M, cols: n }, out = place(a.nnz);
            return () => sk.sddmm(a, X, B, { out, threads });
          }
          const out = { data: place(M * n), rows: M, cols: n };
          if (transposed) {
            const plan = sk.transposePlan(a, { cacheValues });
            if (!changing) return () => sk.spmmT(a, B, { out, plan, threads });
            let step = 0;
            return () => {
              a.values[(step++ * 7919) % a.nnz] += 1e-3;
              return sk.spmmT(a, B, { out, plan, threads });
            };
          }
          return () => sk.spmm(a, B, { out, threads });
        });
        const r = await interleaved({ a: fns[0], b: fns[1] }, { rounds: Number(flags.rounds), sliceMs: 20, gapMs: 0 });
        console.log(`${name.padEnd(8)} width ${String(n).padStart(4)} threads ${threads}: A ${r.a.min.toFixed(3)} ms  B ${r.b.min.toFixed(3)} ms  B/A ${(r.b.min / r.a.min).toFixed(3)}`);
      }
    }
  }
})();
