#!/usr/bin/env node
// @ts-check
// The smoke suite of a binary on a platform or Node version where vitest does not run (Node under wine, every Node
// major of the ABI check): plain Node, no dependency but the package itself (required by name, so the "exports" map
// is what resolves it). Checks:
//   - every kernel family (spmv CSR and N:M, spmm CSR, BSR and N:M, spmmT, sddmm, gemm, the SGD and Adam updates)
//     at every ISA this CPU has, against a float64 dense reference computed here, on operands that are views at
//     offsets 0-3 floats into larger buffers and on shapes that are not multiples of a vector width;
//   - the async variant of each kernel equals its sync result;
//   - worker_threads: two workers load the addon and run spmm on SharedArrayBuffer-backed operands (toShared).
// Prints one line per check; --out FILE also writes the report as JSON (node.exe under wine cannot write into a
// pipe, so the Windows run reads that file). Exit code 0 when every check passed, 1 otherwise.
//   node scripts/smoke.cjs [--out FILE]
'use strict';
const fs = require('node:fs');
const { Worker, isMainThread, parentPort, workerData } = require('node:worker_threads');
const sk = require('sparsekit');

/** @param {number} seed */
function rng(seed) {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return ((s >>> 0) / 4294967296) * 2 - 1;
  };
}

/**
 * A Float32Array of `n` random values that is a view `offset` floats into a larger buffer.
 * @param {number} n @param {number} offset @param {number} seed
 */
function view(n, offset, seed) {
  const r = rng(seed);
  const buf = new Float32Array(n + offset + 3);
  for (let i = 0; i < buf.length; i++) buf[i] = r();
  return buf.subarray(offset, offset + n);
}

/** A rows x cols dense matrix on an offset view. @param {number} rows @param {number} cols @param {number} offset @param {number} seed */
function dense(rows, cols, offset, seed) {
  return sk.denseMatrix(rows, cols, view(rows * cols, offset, seed));
}

/**
 * float64 C = A B from row-major arrays (A m x k, B k x n).
 * @param {ArrayLike<number>} A @param {ArrayLike<number>} B @param {number} m @param {number} k @param {number} n
 */
function matmul(A, B, m, k, n) {
  const C = new Float64Array(m * n);
  for (let i = 0; i < m; i++)
    for (let p = 0; p < k; p++) {
      const a = A[i * k + p];
      if (a !== 0) for (let j = 0; j < n; j++) C[i * n + j] += a * B[p * n + j];
    }
  return C;
}

/** The transpose of a row-major m x n array. @param {ArrayLike<number>} A @param {number} m @param {number} n */
function transpose(A, m, n) {
  const T = new Float64Array(m * n);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) T[j * m + i] = A[i * n + j];
  return T;
}

/** Largest |got - want| / (1 + |want|). @param {ArrayLike<number>} got @param {ArrayLike<number>} want */
function err(got, want) {
  if (got.length !== want.length) return Infinity;
  let worst = 0;
  for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]) / (1 + Math.abs(want[i])));
  return Number.isNaN(worst) ? Infinity : worst;
}

/**
 * A rows x cols N:M matrix (n of every m consecutive columns kept) as dense data.
 * @param {number} rows @param {number} cols @param {number} n @param {number} m @param {number} seed
 */
function nmDense(rows, cols, n, m, seed) {
  const r = rng(seed);
  const d = new Float32Array(rows * cols);
  for (let i = 0; i < rows; i++)
    for (let g = 0; g < cols; g += m) {
      const width = Math.min(m, cols - g);
      const picks = [...Array(width).keys()].sort(() => r()).slice(0, Math.min(n, width));
      for (const p of picks) d[i * cols + g + p] = r() || 0.5;
    }
  return sk.denseMatrix(rows, cols, d);
}

/** @typedef {(offset: number) => Promise<[ArrayLike<number>, ArrayLike<number> | undefined, ArrayLike<number>]>} Family */
/** Each family: builds its operands, runs sync (and async where there is one), returns [sync, async?, reference]. */
/** @type {Record<string, Family>} */
const families = {
  'spmv-csr': async (off) => {
    const A = sk.CSRMatrix.random(37, 29, { density: 0.3, seed: 11 });
    const x = view(29, off, 12);
    return [sk.spmv(A, x), await sk.spmvAsync(A, x), matmul(A.toDense().data, x, 37, 29, 1)];
  },
  'spmv-nm': async (off) => {
    const D = nmDense(19, 36, 2, 4, 13);
    const A = sk.NMMatrix.fromDense(D, { n: 2, m: 4 });
    const x = view(36, off, 14);
    return [sk.spmv(A, x), await sk.spmvAsync(A, x), matmul(D.data, x, 19, 36, 1)];
  },
  'spmm-csr': async (off) => {
    const A = sk.CSRMatrix.random(37, 29, { density: 0.3, seed: 15 });
    const B = dense(29, 21, off, 16);
    return [sk.spmm(A, B).data, (await sk.spmmAsync(A, B)).data, matmul(A.toDense().data, B.data, 37, 29, 21)];
  },
  'spmm-bsr': async (off) => {
    const A = sk.BSRMatrix.fromCSR(sk.CSRMatrix.random(24, 28, { density: 0.3, seed: 17 }), { block: [4, 4] });
    const B = dense(28, 19, off, 18);
    return [sk.spmm(A, B).data, (await sk.spmmAsync(A, B)).data, matmul(A.toDense().data, B.data, 24, 28, 19)];
  },
  'spmm-nm': async (off) => {
    const D = nmDense(23, 40, 2, 4, 19);
    const A = sk.NMMatrix.fromDense(D, { n: 2, m: 4 });
    const B = dense(40, 17, off, 20);
    return [sk.spmm(A, B).data, (await sk.spmmAsync(A, B)).data, matmul(D.data, B.data, 23, 40, 17)];
  },
  'spmmt-csr': async (off) => {
    const A = sk.CSRMatrix.random(31, 26, { density: 0.3, seed: 21 });
    const B = dense(31, 13, off, 22);
    const want = matmul(transpose(A.toDense().data, 31, 26), B.data, 26, 31, 13);
    return [sk.spmmT(A, B).data, (await sk.spmmTAsync(A, B)).data, want];
  },
  sddmm: async (off) => {
    const P = sk.CSRMatrix.random(27, 22, { density: 0.25, seed: 23 });
    const X = dense(27, 11, off, 24);
    const Y = dense(22, 11, (off + 1) % 4, 25);
    const full = matmul(X.data, transpose(Y.data, 22, 11), 27, 11, 22);
    const want = new Float64Array(P.nnz);
    for (let i = 0; i < 27; i++) for (let e = P.indptr[i]; e < P.indptr[i + 1]; e++) want[e] = full[i * 22 + P.indices[e]];
    return [sk.sddmm(P, X, Y).values, (await sk.sddmmAsync(P, X, Y)).values, want];
  },
  gemm: async (off) => {
    const A = dense(33, 27, off, 26);
    const B = dense(27, 18, (off + 2) % 4, 27);
    return [sk.gemm(A, B).data, (await sk.gemmAsync(A, B)).data, matmul(A.data, B.data, 33, 27, 18)];
  },
  sgd: async (off) => {
    const value = view(45, off, 28);
    const grad = view(45, 0, 29);
    const want = Float64Array.from(value, (w, i) => w - 0.1 * (grad[i] + 0.01 * w));
    new sk.SGD({ lr: 0.1, weightDecay: 0.01 }).step([{ value, grad }]);
    return [value, undefined, want];
  },
  adam: async (off) => {
    const value = view(45, off, 30);
    const grad = view(45, 0, 31);
    // The first step from zero moments: m̂ = g, v̂ = g², so the update is lr * g / (|g| + eps).
    const want = Float64Array.from(value, (w, i) => w - 0.01 * (grad[i] / (Math.abs(grad[i]) + 1e-8)));
    new sk.Adam({ lr: 0.01 }).step([{ value, grad }]);
    return [value, undefined, want];
  },
};

async function workers() {
  const A = sk.toShared(sk.CSRMatrix.random(64, 48, { density: 0.2, seed: 32 }));
  const B = sk.toShared(dense(48, 24, 0, 33));
  const want = matmul(A.toDense().data, B.data, 64, 48, 24);
  const results = await Promise.all(
    [0, 1].map(
      () =>
        new Promise((resolve, reject) => {
          const w = new Worker(__filename, { workerData: { A, B } });
          w.once('message', resolve);
          w.once('error', reject);
        }),
    ),
  );
  return Math.max(...results.map((r) => err(/** @type {Float32Array} */ (r), want)));
}

async function main() {
  const outAt = process.argv.indexOf('--out');
  const outFile = outAt > 0 ? process.argv[outAt + 1] : undefined;
  const info = sk.info();
  /** @type {{check: string, ok: boolean, detail: string}[]} */
  const checks = [];
  const record = (/** @type {string} */ check, /** @type {boolean} */ ok, /** @type {string} */ detail) => {
    checks.push({ check, ok, detail });
    console.log(`${ok ? 'ok  ' : 'FAIL'} ${check}: ${detail}`);
  };
  const tol = 2e-5;
  for (const isa of info.isas) {
    sk.setIsa(isa);
    for (const [name, run] of Object.entries(families)) {
      let worst = 0;
      let worstAsync = 0;
      let failure = '';
      for (let off = 0; off < 4; off++) {
        try {
          const [got, gotAsync, want] = await run(off);
          worst = Math.max(worst, err(got, want));
          if (gotAsync) worstAsync = Math.max(worstAsync, err(gotAsync, got));
        } catch (e) {
          failure = `threw ${e instanceof Error ? e.message : String(e)}`;
        }
      }
      record(`${isa} ${name}`, !failure && worst < tol && worstAsync === 0, failure || `max rel error ${worst.toExponential(1)}, async vs sync ${worstAsync}`);
    }
  }
  sk.setIsa(info.isa);
  try {
    const w = await workers();
    record('worker_threads spmm on shared operands (2 workers)', w < tol, `max rel error ${w.toExponential(1)}`);
  } catch (e) {
    record('worker_threads spmm on shared operands (2 workers)', false, `threw ${e instanceof Error ? e.message : String(e)}`);
  }
  const report = {
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    modules: process.versions.modules,
    napi: process.versions.napi,
    addon: info.addon,
    isas: info.isas,
    threads: info.threads,
    passed: checks.filter((c) => c.ok).length,
    failed: checks.filter((c) => !c.ok).length,
    checks,
  };
  if (outFile) fs.writeFileSync(outFile, JSON.stringify(report, null, 2));
  console.log(`smoke: ${report.passed} passed, ${report.failed} failed (Node ${process.version}, ${report.platform}, ${info.isas.join('/')}, addon ${info.addon})`);
  process.exitCode = report.failed === 0 ? 0 : 1;
}

if (isMainThread) {
  main().catch((e) => {
    console.error(e);
    process.exitCode = 1;
  });
} else {
  const { A, B } = workerData;
  const Y = sk.spmm(/** @type {import('sparsekit').CSRMatrix} */ (sk.fromShared(A)), /** @type {import('sparsekit').DenseMatrix} */ (sk.fromShared(B)));
  parentPort?.postMessage(Y.data);
}
