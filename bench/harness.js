// @ts-check
// Shared benchmark machinery: benchmark.js timing, the baselines (a plain-JS CSR loop and onnxruntime's dense
// MatMul, both measured in the same run), and the table/JSON output. Used by the bench/*.js programs.
'use strict';
const Benchmark = require('benchmark');
const sk = require('sparsekit');
const { markdownTable, printTable } = require('../scripts/markdown-table');

/** @typedef {import('sparsekit').DenseMatrix} DenseMatrix */
/** @typedef {import('sparsekit').CSRMatrix} CSRMatrix */
/** @typedef {{ ms: number, rme: number }} Timing mean milliseconds and relative margin of error (%) */
/**
 * @typedef {{ shape: string, M: number, K: number, N: number, sparsity: number, nnz?: number, impl: string, isa: string,
 *   threads: number, ms: number, rme: number, gflops: number, denseEquivalentGflops?: number }} SweepRow
 */

/**
 * Times a sync function, or an async one with {defer: true}; returns mean ms and relative margin of error (%).
 * A few untimed calls first: onnxruntime allocates its arenas on the first runs, and caches and thread pools warm up.
 * @param {string} name
 * @param {() => unknown} fn
 * @param {{ defer?: boolean, maxTime?: number, minSamples?: number, warmup?: number }} [options]
 * @returns {Promise<Timing>}
 */
async function measure(name, fn, { defer = false, maxTime = 0.4, minSamples = 5, warmup = 3 } = {}) {
  for (let i = 0; i < warmup; i++) await fn();
  return new Promise((resolve, reject) => {
    /** @type {Benchmark.Options} */
    const options = {
      defer,
      maxTime,
      minSamples,
      initCount: 1,
      /** @this {Benchmark & { error?: unknown }} */
      onComplete() {
        if (this.error) reject(this.error);
        else resolve({ ms: this.stats.mean * 1e3, rme: this.stats.rme });
      },
      /** @param {Benchmark.Event & { target: { error?: unknown } }} e */
      onError(e) {
        reject(e.target?.error ?? e);
      },
    };
    const bench = defer
      ? new Benchmark(name, { ...options, fn: (/** @type {Benchmark.Deferred} */ d) => Promise.resolve(fn()).then(() => d.resolve(), (e) => { d.resolve(); reject(e); }) })
      : new Benchmark(name, { ...options, fn });
    bench.run({ async: false });
  });
}

// ---- baselines ------------------------------------------------------------------------------------------------

/**
 * The straightforward CSR SpMM loop a JS user would write over TypedArrays.
 * @param {CSRMatrix} A
 * @param {DenseMatrix} B
 * @param {DenseMatrix} C
 */
function jsSpmm(A, B, C) {
  const { rows, indptr, indices, values } = A;
  const n = B.cols, b = B.data, c = C.data;
  c.fill(0);
  for (let i = 0; i < rows; i++) {
    const co = i * n;
    for (let k = indptr[i]; k < indptr[i + 1]; k++) {
      const v = values[k], bo = indices[k] * n;
      for (let j = 0; j < n; j++) c[co + j] += v * b[bo + j];
    }
  }
}

/**
 * @param {CSRMatrix} A
 * @param {Float32Array} x
 * @param {Float32Array} y
 */
function jsSpmv(A, x, y) {
  const { rows, indptr, indices, values } = A;
  for (let i = 0; i < rows; i++) {
    let s = 0;
    for (let k = indptr[i]; k < indptr[i + 1]; k++) s += values[k] * x[indices[k]];
    y[i] = s;
  }
}

/**
 * onnxruntime-node's MatMul (MLAS GEMM) as the dense baseline; null when the package is not installed.
 * @param {number} threads
 * @returns {Promise<{ name: string, prepare(A: DenseMatrix, B: DenseMatrix): () => Promise<unknown>, release(): Promise<void> } | null>}
 */
async function denseBaseline(threads) {
  /** @type {typeof import('onnxruntime-node')} */
  let ort;
  try {
    ort = require('onnxruntime-node');
  } catch {
    return null;
  }
  const { makeMatMulModel } = require('./onnx-matmul');
  const session = await ort.InferenceSession.create(makeMatMulModel(), {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  });
  return {
    name: `onnxruntime MatMul (${threads}t)`,
    prepare(/** @type {DenseMatrix} */ Adense, /** @type {DenseMatrix} */ B) {
      const feeds = {
        A: new ort.Tensor('float32', Adense.data, [Adense.rows, Adense.cols]),
        B: new ort.Tensor('float32', B.data, [B.rows, B.cols]),
      };
      return () => session.run(feeds);
    },
    release: () => session.release(),
  };
}

// ---- the sweep -------------------------------------------------------------------------------------------------

/**
 * @param {number} rows
 * @param {number} cols
 * @param {number} seed
 */
function randomDense(rows, cols, seed) {
  const rng = new sk.Rng(seed);
  const m = sk.denseMatrix(rows, cols);
  for (let i = 0; i < m.data.length; i++) m.data[i] = rng.next() * 2 - 1;
  return m;
}

/**
 * For each shape and width: the dense baseline once (it does not depend on sparsity), then for each sparsity our
 * kernel on every ISA and thread count, and the plain-JS loop where it finishes in reasonable time.
 * @param {{ shapes: number[][], widths: number[], sparsities: number[], threads: number[], isas: import('sparsekit').IsaName[],
 *   jsBudgetFlops?: number, maxTime?: number, log?: (message: string) => void }} config
 * @returns {Promise<SweepRow[]>}
 */
async function sweep({ shapes, widths, sparsities, threads, isas, jsBudgetFlops = 3e8, maxTime = 0.4, log = () => {} }) {
  /** @type {SweepRow[]} */
  const rows = [];
  /** @type {Record<number, Awaited<ReturnType<typeof denseBaseline>>>} */
  const dense = {};
  for (const t of threads) dense[t] = await denseBaseline(t);
  for (const [M, K] of shapes) {
    for (const N of widths) {
      const B = randomDense(K, N, 1);
      const shape = `${M}x${K}`;
      const base = { shape, M, K, N };
      const denseFlops = 2 * M * K * N;
      // Dense baseline on a fully dense A (its time does not depend on the values).
      const Adense = randomDense(M, K, 2);
      for (const t of threads) {
        const baseline = dense[t];
        if (!baseline) continue;
        const run = baseline.prepare(Adense, B);
        const r = await measure(`dense ${shape} N=${N} t${t}`, run, { defer: true, maxTime });
        rows.push({ ...base, sparsity: 0, impl: 'dense-onnxruntime', isa: 'mlas', threads: t, ...r, gflops: denseFlops / r.ms / 1e6 });
        log(`dense ${shape} N=${N} ${t}t: ${r.ms.toFixed(3)} ms`);
      }
      for (const s of sparsities) {
        const A = sk.CSRMatrix.random(M, K, { density: 1 - s, seed: 3 });
        const flops = 2 * A.nnz * N;
        const out = sk.denseMatrix(M, N);
        const y = sk.alignedFloat32Array(M);
        const x = B.data.subarray(0, K);
        for (const isa of isas) {
          sk.setIsa(isa);
          for (const t of threads) {
            sk.setThreads(t);
            const fn = N === 1 ? () => sk.spmv(A, x, { out: y }) : () => sk.spmm(A, B, { out });
            const r = await measure(`sparsekit ${isa} ${t}t`, fn, { maxTime });
            rows.push({ ...base, sparsity: s, nnz: A.nnz, impl: 'sparsekit', isa, threads: t, ...r, gflops: flops / r.ms / 1e6, denseEquivalentGflops: denseFlops / r.ms / 1e6 });
          }
        }
        sk.setIsa('auto');
        sk.setThreads(Math.max(...threads));
        if (flops <= jsBudgetFlops) {
          const fn = N === 1 ? () => jsSpmv(A, x, y) : () => jsSpmm(A, B, out);
          const r = await measure('plain JS', fn, { maxTime, minSamples: 3 });
          rows.push({ ...base, sparsity: s, nnz: A.nnz, impl: 'plain-js', isa: 'js', threads: 1, ...r, gflops: flops / r.ms / 1e6, denseEquivalentGflops: denseFlops / r.ms / 1e6 });
        }
        log(`sparse ${shape} N=${N} sparsity ${s}`);
      }
    }
  }
  for (const t of threads) dense[t]?.release();
  return rows;
}

// ---- reporting -------------------------------------------------------------------------------------------------

const pct = (/** @type {number} */ s) => `${Math.round(s * 100)}%`;

/**
 * Lowest sparsity at which `time(s)` beats `denseMs`, interpolated between sweep points; null if never.
 * @param {{ s: number, ms: number }[]} points
 * @param {number} denseMs
 * @returns {number | null}
 */
function crossover(points, denseMs) {
  const sorted = [...points].sort((a, b) => a.s - b.s);
  for (let i = 0; i < sorted.length; i++) {
    if (sorted[i].ms < denseMs) {
      if (i === 0) return sorted[0].s;
      const a = sorted[i - 1], b = sorted[i];
      return a.s + ((a.ms - denseMs) / (a.ms - b.ms)) * (b.s - a.s);
    }
  }
  return null;
}

/**
 * One table per (shape, width): GFLOP/s per column, then speed-ups against the dense baseline and the JS loop.
 * @param {SweepRow[]} rows
 * @param {{ threads: number[] }} options
 * @returns {string}
 */
function formatTables(rows, { threads }) {
  const out = [];
  const maxT = Math.max(...threads);
  /** @type {Map<string, SweepRow[]>} */
  const groups = new Map();
  for (const r of rows) {
    const key = `${r.shape} N=${r.N}`;
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key)?.push(r);
  }
  for (const [key, g] of groups) {
    const dense = g.find((r) => r.impl === 'dense-onnxruntime' && r.threads === maxT);
    const sparse = g.filter((r) => r.impl === 'sparsekit');
    const cols = [...new Set(sparse.map((r) => `${r.isa}/${r.threads}t`))];
    const header = ['sparsity', ...cols, 'plain-js', 'best ms', `onnxruntime ${maxT}t ms`, 'vs dense', 'vs js'];
    const lines = [];
    const points = [];
    for (const s of [...new Set(sparse.map((r) => r.sparsity))]) {
      const at = g.filter((r) => r.sparsity === s);
      const best = at.filter((r) => r.impl === 'sparsekit').reduce((a, b) => (b.ms < a.ms ? b : a));
      const js = at.find((r) => r.impl === 'plain-js');
      points.push({ s, ms: best.ms });
      lines.push([
        pct(s),
        ...cols.map((c) => at.find((r) => r.impl === 'sparsekit' && `${r.isa}/${r.threads}t` === c)?.gflops.toFixed(1) ?? '-'),
        js ? js.gflops.toFixed(2) : 'skipped',
        best.ms.toFixed(3),
        dense ? dense.ms.toFixed(3) : 'n/a',
        dense ? `${(dense.ms / best.ms).toFixed(2)}x` : 'n/a',
        js ? `${(js.ms / best.ms).toFixed(1)}x` : '-',
      ]);
    }
    out.push(`\n${key}  (GFLOP/s = 2*nnz*N / time; 'vs dense' = onnxruntime MatMul time / best sparsekit time; onnxruntime is not the fastest dense GEMM everywhere: bash ../shared/peers/run.sh measures OpenBLAS beside us)`);
    out.push(...markdownTable(header, lines));
    if (dense) {
      const c = crossover(points, dense.ms);
      out.push(`onnxruntime MatMul ${maxT}t: ${dense.gflops.toFixed(1)} GFLOP/s; crossover (sparsekit faster than it) at ${c === null ? 'no swept sparsity' : `~${(c * 100).toFixed(0)}% sparsity`}`);
    }
  }
  return out.join('\n');
}

module.exports = { measure, sweep, formatTables, printTable, crossover, jsSpmm, jsSpmv, randomDense, denseBaseline };
