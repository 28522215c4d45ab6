#!/usr/bin/env node
// @ts-check
// `npm run bench:plan`: the planner over a sweep. For 1024x1024 weights (random, magnitude-pruned, 4x4-block and
// 2:4 structure) at sparsities 0-99% and widths 1, 32 and 256: the planned operator's time against the fastest
// single candidate (every form at every thread count, each as its own operator) and against the dense GEMM, all timed
// in turn in this run (the fastest of 15 runs each); and what planning costs (first plan with the default budget, then a cache hit).
// Flags: --quick (fewer points), --json PATH (default bench/results/plan.json).
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { parseArgs } = require('node:util');
const sk = require('sparsekit');
const { printTable } = require('../scripts/markdown-table');

const { values: flags } = parseArgs({
  options: { quick: { type: 'boolean', default: false }, json: { type: 'string', default: path.join(__dirname, 'results', 'plan.json') } },
});

/**
 * The fastest of `rounds` runs of each function, run in turn (round robin), each timed run right after an untimed one:
 * a function is never timed in a quieter or busier stretch of the machine, or with colder caches, than the others.
 * @param {(() => unknown)[]} fns
 * @returns {number[]} ms
 */
function timeTogether(fns, rounds = 15) {
  for (const f of fns) f();
  const best = fns.map(() => Infinity);
  for (let r = 0; r < rounds; r++) {
    fns.forEach((f, i) => {
      f(); // untimed: each timed run finds its own operands in cache, whatever ran before it
      const t0 = performance.now();
      f();
      best[i] = Math.min(best[i], performance.now() - t0);
    });
  }
  return best;
}

/** @param {number} rows @param {number} cols @param {number} seed */
function gaussian(rows, cols, seed) {
  const rng = new sk.Rng(seed);
  const m = sk.denseMatrix(rows, cols);
  for (let k = 0; k < m.data.length; k += 2) {
    const u = Math.max(rng.next(), 1e-12), w = rng.next(), r = Math.sqrt(-2 * Math.log(u));
    m.data[k] = r * Math.cos(2 * Math.PI * w);
    if (k + 1 < m.data.length) m.data[k + 1] = r * Math.sin(2 * Math.PI * w);
  }
  return m;
}

/** @type {Record<string, (s: number) => import('sparsekit').CSRMatrix | null>} */
const PATTERNS = {
  random: (s) => sk.CSRMatrix.random(1024, 1024, { density: 1 - s, seed: 1 }),
  magnitude: (s) => {
    const W = gaussian(1024, 1024, 2);
    return sk.CSRMatrix.fromDense({ data: sk.magnitudePrune(W, { sparsity: s }).apply(W.data, { out: new Float32Array(W.data.length) }), rows: 1024, cols: 1024 });
  },
  'block 4x4': (s) => sk.blockPrune(gaussian(1024, 1024, 3), { block: [4, 4], sparsity: s }).toCSR(),
  '2:4': (s) => (s === 0.5 ? sk.nmPrune(gaussian(1024, 1024, 4), { n: 2, m: 4 }).toCSR() : null),
};

(async () => {
  const info = sk.info();
  const threads = [...new Set([1, info.threads])];
  const sparsities = flags.quick ? [0, 0.5, 0.9, 0.99] : [0, 0.3, 0.5, 0.7, 0.8, 0.9, 0.95, 0.99];
  const widths = flags.quick ? [32, 256] : [1, 32, 256];
  console.log(`sparsekit ${info.version} | ${info.isa} | threads ${threads.join(', ')} | Node ${process.version}`);
  /** @type {{ pattern: string, sparsity: number, width: number, chosen: string, best: string, plannedMs: number, bestMs: number, denseMs: number, vsBest: number, vsDense: number, planMs: number, hitMs: number }[]} */
  const rows = [];
  for (const [pattern, make] of Object.entries(PATTERNS)) {
    for (const s of sparsities) {
      const W = make(s);
      if (!W) continue;
      for (const width of widths) {
        const B = gaussian(1024, width, 5), out = sk.denseMatrix(1024, width);
        sk.clearPlans();
        let t0 = performance.now();
        const op = sk.plan(W, { width });
        const planMs = performance.now() - t0;
        t0 = performance.now();
        sk.plan(W, { width });
        const hitMs = performance.now() - t0;
        // Every candidate the planner could have chosen (all forms that apply, at every thread count, the ones it
        // left out too) and the dense GEMM, each as its own operator, timed in turn with the planned one.
        const forms = [...new Set(op.explain({ print: false }).candidates.map((c) => c.format)), 'dense'];
        const singles = [...new Set(forms)].flatMap((format) => threads.map((t) => ({
          format, threads: t, op: sk.plan(W, { width, candidates: [format], threads: [t], cache: false }), ms: 0,
        })));
        const times = timeTogether([() => op.apply(B, { out }), ...singles.map((x) => () => x.op.apply(B, { out }))]);
        const planned = times[0];
        singles.forEach((x, i) => (x.ms = times[i + 1]));
        const best = singles.reduce((a, b) => (b.ms < a.ms ? b : a));
        const dense = /** @type {{ ms: number }} */ (singles.find((x) => x.format === 'dense' && x.threads === info.threads));
        rows.push({ pattern, sparsity: s, width, chosen: `${op.format}/${op.threads}t`, best: `${best.format}/${best.threads}t`, plannedMs: planned, bestMs: best.ms,
          denseMs: dense.ms, vsBest: planned / best.ms, vsDense: planned / dense.ms, planMs, hitMs });
        process.stderr.write(`  ${pattern} ${s} w${width}: ${op.format}/${op.threads}t\r\n`);
      }
    }
  }
  printTable(`Planned operator, 1024x1024 weights; times in ms (fastest of 15, timed in turn); dense = this library's GEMM on ${info.threads} threads, in this run`,
    ['pattern', 'sparsity', 'width', 'chosen', 'fastest single', 'planned ms', 'fastest ms', 'dense ms', 'vs fastest', 'vs dense', 'plan ms', 'cache hit ms'],
    rows.map((r) => [r.pattern, `${Math.round(r.sparsity * 100)}%`, r.width, r.chosen, r.best, r.plannedMs.toFixed(3), r.bestMs.toFixed(3), r.denseMs.toFixed(3),
      `${r.vsBest.toFixed(2)}x`, `${r.vsDense.toFixed(2)}x`, r.planMs.toFixed(1), r.hitMs.toFixed(2)]));
  const worst = (/** @type {'vsBest' | 'vsDense' | 'planMs' | 'hitMs'} */ k) => Math.max(...rows.map((r) => r[k]));
  console.log(`\nWorst over the sweep: planned / fastest single ${worst('vsBest').toFixed(2)}x (target <= 1.05x), planned / dense ${worst('vsDense').toFixed(2)}x (target <= 1.05x);`);
  console.log(`planning ${worst('planMs').toFixed(1)} ms at most (target <= 50 ms), a cache hit ${worst('hitMs').toFixed(2)} ms at most.`);
  fs.mkdirSync(path.dirname(String(flags.json)), { recursive: true });
  fs.writeFileSync(String(flags.json), JSON.stringify({ info, rows }, null, 2));
  console.log(`results: ${flags.json}`);
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
