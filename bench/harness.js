// @ts-check
// Shared benchmark machinery: benchmark.js timing, the baselines (a plain-JS CSR loop and onnxruntime's dense
// MatMul, both measured in the same run), and the table/JSON output. Used by the bench/*.js programs.
'use strict';
const path = require('node:path');
const Benchmark = require('benchmark');
const sk = require('sparsekit');
const { addon } = require('../dist/core/binding'); // the module the package loaded (internal entry: panelPlan)
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
 * First an idle `settleMs`, so whatever ran before has stopped (onnxruntime's threads spin ~45 ms after its last
 * run, see interleaved), then a few untimed calls: onnxruntime allocates its arenas on the first runs, and caches and
 * thread pools warm up.
 * @param {string} name
 * @param {() => unknown} fn
 * @param {{ defer?: boolean, maxTime?: number, minSamples?: number, warmup?: number, settleMs?: number }} [options]
 * @returns {Promise<Timing>}
 */
async function measure(name, fn, { defer = false, maxTime = 0.4, minSamples = 5, warmup = 3, settleMs = 60 } = {}) {
  await new Promise((resolve) => setTimeout(resolve, settleMs));
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

/**
 * Times several contenders interleaved: each round runs every one for about `sliceMs`, in turn, and records its
 * per-call time; the result is each one's median over `rounds` rounds (ms per call). On a noisy machine this
 * compares like with like far better than timing one contender after the other: a slow minute hits all of them.
 * Between slices the process idles `gapMs`, and the order rotates from round to round. The gap outlasts
 * onnxruntime's spinning: its intra-op threads keep spinning ~40-45 ms after its last run (process.cpuUsage() in
 * 10 ms windows after 100 runs of the MNIST model: 8-14 ms of CPU per window for four windows, then 0.2), in its own
 * process as in ours; with the earlier 20 ms gap that took a core from the first half of whichever slice came next
 * (bench/serve.js's 2:4 model, batch-major: 0.58-1.0 ms after onnxruntime against 0.40 alone).
 * A contender may also run elsewhere (another process): given as `{ slice(reps) }`, it runs `reps` calls there and
 * resolves to the milliseconds they took.
 * @param {Record<string, (() => unknown) | { slice: (reps: number) => Promise<number> }>} fns  sync or async (a
 *   returned promise is awaited)
 * @returns {Promise<Record<string, { ms: number, min: number, max: number }>>}
 */
async function interleaved(fns, { rounds = 15, sliceMs = 40, warmup = 20, gapMs = 60 } = {}) {
  const names = Object.keys(fns);
  /**
   * Runs `reps` calls of contender n; the milliseconds they took.
   * @param {string} n
   * @param {number} reps
   */
  const slice = async (n, reps) => {
    const f = fns[n];
    if (typeof f !== 'function') return f.slice(reps);
    const t0 = performance.now();
    for (let i = 0; i < reps; i++) {
      const r = f();
      if (r && typeof (/** @type {Promise<unknown>} */ (r)).then === 'function') await r;
    }
    return performance.now() - t0;
  };
  const idle = () => new Promise((resolve) => setTimeout(resolve, gapMs));
  /** @type {Record<string, number[]>} */
  const samples = Object.fromEntries(names.map((n) => [n, []]));
  /** @type {Record<string, number>} */
  const reps = {};
  for (const n of names) {
    await idle();
    await slice(n, warmup);
    // Calls per slice: doubled until a quarter slice is filled.
    let k = 1, ms = 0;
    while ((ms = await slice(n, k)) < sliceMs / 4) k *= 2;
    reps[n] = Math.max(1, Math.round(sliceMs / (ms / k)));
  }
  for (let r = 0; r < rounds; r++) {
    // The order rotates from round to round, so each contender follows each other equally often.
    for (let i = 0; i < names.length; i++) {
      const n = names[(r + i) % names.length];
      await idle();
      samples[n].push((await slice(n, reps[n])) / reps[n]);
    }
  }
  /** @type {Record<string, { ms: number, min: number, max: number }>} */
  const out = {};
  for (const n of names) {
    const v = samples[n].slice().sort((a, b) => a - b);
    out[n] = { ms: v[Math.floor(v.length / 2)], min: v[0], max: v[v.length - 1] };
  }
  return out;
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

/**
 * numpy's matmul (OpenBLAS) timed by bench/dense-numpy.py in a Python child process, one per thread count: the
 * fastest dense GEMM on the machines we measured (about 2x onnxruntime's MatMul on the 2-core VM), so the baseline
 * sparse results are judged against. Debian's python3 is tried first (what ../shared/peers uses), then the first
 * python3 on PATH (SPARSEKIT_PYTHON overrides both). null when none has numpy.
 * @param {number} threads
 * @param {string[]} shapes  'MxKxN' strings
 * @returns {{ name: string, ms: Record<string, number> } | null}
 */
function numpyDense(threads, shapes) {
  const { spawnSync } = require('node:child_process');
  const candidates = process.env.SPARSEKIT_PYTHON ? [process.env.SPARSEKIT_PYTHON] : ['/usr/bin/python3', 'python3'];
  for (const python of candidates) {
    const env = { ...process.env, OPENBLAS_NUM_THREADS: String(threads), OMP_NUM_THREADS: String(threads), MKL_NUM_THREADS: String(threads) };
    const r = spawnSync(python, [path.join(__dirname, 'dense-numpy.py'), ...shapes], { env, encoding: 'utf8', timeout: 600000 });
    if (r.status !== 0 || !r.stdout) continue;
    const out = JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}');
    /** @type {Record<string, number>} */
    const ms = {};
    for (const s of shapes) ms[s] = out[s];
    return { name: `numpy ${out.numpy} matmul (${out.blas}, ${threads}t)`, ms };
  }
  return null;
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
 * A 2:4 copy of d: the 2 largest |w| of every 4 kept, or with `same`, positions 0 and 2 of every group in every row
 * (a pattern whose rows all read the same rows of B, as pruning scaled by per-input norms can make).
 * @param {DenseMatrix} d
 * @param {{ same?: boolean }} [options]
 */
function twoFour(d, { same = false } = {}) {
  const out = sk.denseMatrix(d.rows, d.cols, d.data.slice());
  const a = out.data;
  for (let k = 0; k < a.length; k += 4) {
    const idx = same ? [0, 2, 1, 3] : [0, 1, 2, 3].sort((x, y) => Math.abs(a[k + y]) - Math.abs(a[k + x]));
    a[k + idx[2]] = 0;
    a[k + idx[3]] = 0;
  }
  return out;
}

/**
 * A rows x cols matrix whose r x c blocks are each present with probability `density`, filled with values.
 * @param {number} rows
 * @param {number} cols
 * @param {[number, number]} block
 * @param {number} density
 * @param {number} seed
 */
function blockSparse(rows, cols, [r, c], density, seed) {
  const rng = new sk.Rng(seed);
  const d = sk.denseMatrix(rows, cols);
  for (let bi = 0; bi < rows / r; bi++) {
    for (let bj = 0; bj < cols / c; bj++) {
      if (rng.next() >= density) continue;
      for (let a = 0; a < r; a++) for (let b = 0; b < c; b++) d.data[(bi * r + a) * cols + bj * c + b] = rng.next() * 2 - 1 || 0.5;
    }
  }
  return d;
}

/**
 * A copy of d whose data is a view 4 bytes into a larger buffer (not 64-byte aligned, as user arrays often are).
 * @param {DenseMatrix} d
 * @returns {DenseMatrix}
 */
function offsetCopy(d) {
  const data = new Float32Array(new ArrayBuffer(4 * (d.data.length + 1)), 4, d.data.length);
  data.set(d.data);
  return { data, rows: d.rows, cols: d.cols };
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
  const gemms = shapes.flatMap(([M, K]) => widths.map((N) => `${M}x${K}x${N}`));
  /** @type {Record<number, ReturnType<typeof numpyDense>>} */
  const numpy = {};
  for (const t of threads) {
    numpy[t] = numpyDense(t, gemms);
    log(numpy[t] ? `dense ${numpy[t]?.name}: measured` : 'numpy not found: no OpenBLAS baseline');
  }
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
      for (const t of threads) {
        const np = numpy[t];
        if (!np) continue;
        const ms = np.ms[`${M}x${K}x${N}`];
        rows.push({ ...base, sparsity: 0, impl: 'dense-numpy', isa: np.name, threads: t, ms, rme: 0, gflops: denseFlops / ms / 1e6 });
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
        // The same product on plain views 4 bytes into their buffers (slices, file buffers, other libraries'
        // tensors): what users pass. The library packs B where that pays (native/core/pack.h).
        const offB = offsetCopy(B), offOut = { data: offsetCopy(out).data, rows: M, cols: N };
        const xo = offB.data.subarray(0, K), yo = offsetCopy({ data: y, rows: M, cols: 1 }).data;
        for (const t of threads) {
          sk.setThreads(t);
          const fn = N === 1 ? () => sk.spmv(A, xo, { out: yo }) : () => sk.spmm(A, offB, { out: offOut });
          const r = await measure(`sparsekit offset ${t}t`, fn, { maxTime });
          rows.push({ ...base, sparsity: s, nnz: A.nnz, impl: 'sparsekit-offset', isa: sk.info().isa, threads: t, ...r, gflops: flops / r.ms / 1e6, denseEquivalentGflops: denseFlops / r.ms / 1e6 });
        }
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
 * One table per (shape, width): GFLOP/s per ISA and thread count on 64-byte-aligned operands, then on views 4
 * bytes into their buffers (what users pass), their ratio, and speed-ups against the best dense baseline measured
 * in the same run (numpy/OpenBLAS or onnxruntime, whichever is faster) and the plain-JS loop.
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
    const ort = g.find((r) => r.impl === 'dense-onnxruntime' && r.threads === maxT);
    const numpy = g.find((r) => r.impl === 'dense-numpy' && r.threads === maxT);
    const dense = [ort, numpy].filter((r) => r !== undefined).reduce((a, b) => (a === undefined || b.ms < a.ms ? b : a), /** @type {SweepRow | undefined} */ (undefined));
    const sparse = g.filter((r) => r.impl === 'sparsekit');
    const cols = [...new Set(sparse.map((r) => `${r.isa}/${r.threads}t`))];
    const header = ['sparsity', ...cols, `offset ${maxT}t`, 'offset / aligned', 'plain-js', `onnxruntime ${maxT}t ms`, `numpy ${maxT}t ms`, 'offset vs best dense', 'vs js'];
    const lines = [];
    const points = [];
    for (const s of [...new Set(sparse.map((r) => r.sparsity))]) {
      const at = g.filter((r) => r.sparsity === s);
      const off = at.find((r) => r.impl === 'sparsekit-offset' && r.threads === maxT);
      const aligned = off && at.find((r) => r.impl === 'sparsekit' && r.isa === off.isa && r.threads === maxT);
      const best = at.filter((r) => r.impl === 'sparsekit').reduce((a, b) => (b.ms < a.ms ? b : a));
      const js = at.find((r) => r.impl === 'plain-js');
      const users = off ?? best;
      points.push({ s, ms: users.ms });
      lines.push([
        pct(s),
        ...cols.map((c) => at.find((r) => r.impl === 'sparsekit' && `${r.isa}/${r.threads}t` === c)?.gflops.toFixed(1) ?? '-'),
        off ? off.gflops.toFixed(1) : '-',
        off && aligned ? `${(off.ms / aligned.ms).toFixed(2)}x` : '-',
        js ? js.gflops.toFixed(2) : 'skipped',
        ort ? ort.ms.toFixed(3) : 'n/a',
        numpy ? numpy.ms.toFixed(3) : 'n/a',
        dense ? `${(dense.ms / users.ms).toFixed(2)}x` : 'n/a',
        js ? `${(js.ms / best.ms).toFixed(1)}x` : '-',
      ]);
    }
    const first = g[0];
    let panel = '';
    if (first.N > 1) {
      const nnz = sparse[0]?.nnz ?? first.M * first.K / 10;
      const plan = addon.panelPlan(first.K, first.N, nnz / maxT, false);
      panel = plan.pack ? `; B packed in panels of ${plan.width} columns (at the lowest sparsity, offset B)` : '; B used in place';
    }
    out.push(`\n${key}  (GFLOP/s = 2*nnz*N / time; columns per ISA/threads: 64-byte-aligned B and C; 'offset': views 4 bytes into their buffers, best ISA${panel}; 'vs best dense' = fastest dense time of the same run / offset sparsekit time)`);
    out.push(...markdownTable(header, lines));
    if (dense) {
      const c = crossover(points, dense.ms);
      out.push(`best dense: ${dense.impl === 'dense-numpy' ? dense.isa : `onnxruntime MatMul (${maxT}t)`}, ${dense.gflops.toFixed(1)} GFLOP/s; crossover (sparsekit on offset views faster than it) at ${c === null ? 'no swept sparsity' : `~${(c * 100).toFixed(0)}% sparsity`}`);
    }
  }
  return out.join('\n');
}

module.exports = { measure, interleaved, sweep, formatTables, printTable, crossover, jsSpmm, jsSpmv, randomDense, twoFour, blockSparse, denseBaseline, numpyDense };
