// Independent references and generators for the tests. Nothing here computes through the native addon (only
// nativeKernelsOnly sets the runtime's ISA, threads and inline limit for a test file).
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, expect } from 'vitest';
import { CSRMatrix, DenseMatrix, getInlineLimit, NMMatrix, Rng, setInlineLimit, setIsa, setThreads, SparseError, SparseErrorCode } from '../lib/index';

/** A dense matrix with values in [-1, 1), `density` of them non-zero, and every row i % emptyEvery === 1 empty. */
export function randomDense(rows: number, cols: number, density: number, seed: number, emptyEvery = 0): DenseMatrix {
  const rng = new Rng(seed);
  const data = new Float32Array(rows * cols);
  for (let i = 0; i < rows; i++) {
    if (emptyEvery && i % emptyEvery === 1) continue;
    for (let j = 0; j < cols; j++) if (rng.next() < density) data[i * cols + j] = rng.next() * 2 - 1 || 0.5;
  }
  return { data, rows, cols };
}

export function randomVector(n: number, seed: number): Float32Array {
  const rng = new Rng(seed);
  return Float32Array.from({ length: n }, () => rng.next() * 2 - 1);
}

/**
 * Reference C = alpha*A*B + beta*C0 in float64 straight from the dense form of A, plus a per-entry error bound
 * (the float32 rounding of a sum is at most ~n*eps times the sum of the magnitudes of its terms).
 */
export function referenceSpmm(A: DenseMatrix, B: DenseMatrix, alpha: number, beta: number, C0?: Float32Array) {
  const { rows, cols: k } = A;
  const n = B.cols;
  const value = new Float64Array(rows * n);
  const bound = new Float64Array(rows * n);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0, m = 0;
      for (let t = 0; t < k; t++) {
        const a = A.data[i * k + t];
        if (a === 0) continue;
        const p = a * B.data[t * n + j];
        s += p;
        m += Math.abs(p);
      }
      const c0 = beta !== 0 && C0 ? C0[i * n + j] : 0;
      value[i * n + j] = alpha * s + beta * c0;
      bound[i * n + j] = (k + 4) * 1.2e-7 * (Math.abs(alpha) * m + Math.abs(beta * c0)) + 1e-30;
    }
  }
  return { value, bound };
}

export function expectClose(got: Float32Array, ref: { value: Float64Array; bound: Float64Array }, what: string): void {
  expect(got.length, `${what}: length`).toBe(ref.value.length);
  for (let i = 0; i < got.length; i++) {
    const err = Math.abs(got[i] - ref.value[i]);
    if (!(err <= ref.bound[i])) {
      throw new Error(`${what}: entry ${i} is ${got[i]}, expected ${ref.value[i]} (error ${err} > bound ${ref.bound[i]})`);
    }
  }
}

/** Every entry within tol * (1 + |want|) of `want` (a relative bound for references that are not float64 sums). */
export function expectRelClose(got: Float32Array, want: ArrayLike<number>, tol: number, what: string): void {
  expect(got.length, `${what}: length`).toBe(want.length);
  for (let i = 0; i < got.length; i++) {
    const err = Math.abs(got[i] - want[i]);
    if (!(err <= tol * (1 + Math.abs(want[i])))) throw new Error(`${what}: entry ${i} is ${got[i]}, expected ${want[i]}`);
  }
}

/** Copies `a` into a fresh view that starts `offset` elements into a larger buffer (byteOffset != 0). */
export function offsetView<T extends Float32Array | Int32Array>(a: T, offset = 3): T {
  const Ctor = a.constructor as { new (buffer: ArrayBuffer, byteOffset: number, length: number): T };
  const buf = new ArrayBuffer((a.length + offset + 5) * 4);
  const view = new Ctor(buf, offset * 4, a.length);
  view.set(a);
  // Poison the bytes around the view so a read outside it shows up as a wrong result.
  new Float32Array(buf, 0, offset).fill(NaN);
  new Float32Array(buf, (offset + a.length) * 4, 5).fill(NaN);
  return view;
}

/** Ways to break a valid CSR matrix after construction (each kernel must report ERR_FORMAT, never read out of range). */
export const CSR_CORRUPTIONS: ((M: CSRMatrix) => void)[] = [
  (M) => { M.indices[1] = 1_000_000; },
  (M) => { M.indices[2] = -5; },
  (M) => { M.indptr[2] = 1 << 30; },
  (M) => { M.indptr[1] = -7; },
  (M) => { M.indptr[M.rows] = M.nnz + 100; },
];

export function csrWithOffsets(A: CSRMatrix): CSRMatrix {
  return CSRMatrix.fromArrays(A.rows, A.cols, offsetView(A.indptr), offsetView(A.indices), offsetView(A.values));
}

/** Asserts fn throws a SparseError with this code and a message matching `message`. */
export function expectSparseError(fn: () => unknown, code: SparseErrorCode, message: RegExp): void {
  let thrown: unknown;
  try {
    fn();
  } catch (e) {
    thrown = e;
  }
  expect(thrown, `expected ${code}`).toBeInstanceOf(SparseError);
  expect((thrown as SparseError).code).toBe(code);
  expect((thrown as SparseError).message).toMatch(message);
}

/** Bitwise equality of two float arrays (vitest's toEqual is far too slow on millions of elements). */
export function expectSameBits(got: Float32Array, want: Float32Array, what = 'arrays'): void {
  expect(got.length, `${what}: length`).toBe(want.length);
  const a = Buffer.from(got.buffer, got.byteOffset, got.byteLength);
  const b = Buffer.from(want.buffer, want.byteOffset, want.byteLength);
  if (!a.equals(b)) {
    const i = got.findIndex((x, k) => !Object.is(x, want[k]));
    throw new Error(`${what}: differ first at ${i}: ${got[i]} vs ${want[i]}`);
  }
}

/**
 * Under the sanitizer build (scripts/asan-test.sh) the ASan runtime is preloaded, which an emulated or foreign child
 * process cannot take; tests that need one run in the normal suite.
 */
export const sanitized = /asan/.test(process.env.LD_PRELOAD ?? '');

/**
 * Whether an external tool a test needs is on PATH. CI installs every such tool, so there a missing one is an
 * error rather than a skipped test; elsewhere the test is skipped.
 */
export function tool(cmd: string): boolean {
  const found = spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
  if (!found && process.env.CI) throw new Error(`${cmd} is required in CI`);
  return found;
}

let ortWorks: boolean | undefined;
/**
 * Whether onnxruntime-node (a devDependency, the independent ONNX reader of some tests) runs here: probed once in a
 * child process, because its arm64 binary crashes the process under qemu-user (test:arm64), which would take the
 * test worker down with it. Where it does not run, those comparisons are skipped with a printed reason.
 */
export function onnxruntimeRuns(): boolean {
  if (ortWorks === undefined) {
    const probe = spawnSync(process.execPath, ['-e', "require('onnxruntime-node').listSupportedBackends?.(); process.exit(0)"], { encoding: 'utf8', timeout: 60_000 });
    ortWorks = probe.status === 0;
    if (!ortWorks) console.log(`onnxruntime-node does not run here (${process.platform}-${process.arch}, exit ${probe.status ?? probe.signal}): its comparisons are skipped`);
  }
  return ortWorks;
}

/** The transpose of a dense matrix (a new one). */
export function transposeDense(d: DenseMatrix): DenseMatrix {
  const data = new Float32Array(d.data.length);
  for (let i = 0; i < d.rows; i++) for (let j = 0; j < d.cols; j++) data[j * d.rows + i] = d.data[i * d.cols + j];
  return { data, rows: d.cols, cols: d.rows };
}

/** Keeps at most n non-zeros (the first) in every group of m columns. */
export function makeNM(d: DenseMatrix, n: number, m: number): DenseMatrix {
  const data = d.data.slice();
  for (let i = 0; i < d.rows; i++) {
    for (let g = 0; g * m < d.cols; g++) {
      let kept = 0;
      for (let j = g * m; j < Math.min(d.cols, g * m + m); j++) if (data[i * d.cols + j] !== 0 && ++kept > n) data[i * d.cols + j] = 0;
    }
  }
  return { data, rows: d.rows, cols: d.cols };
}

/**
 * An N:M matrix whose spare (zero) slots sit at columns where x and B hold NaN: the first column of every group is
 * zero in every row (so packing puts spare slots there), and x / B's rows are NaN at exactly those columns. A result
 * that skips spare slots, as every kernel must, matches referenceSpmm (which skips zeros); one that multiplies them
 * is NaN. `spares` counts the slots that test it (the caller checks it is not zero).
 */
export function nmWithNaNAtSpares(n: number, m: number, rows: number, cols: number, width: number, seed: number) {
  const d = makeNM(randomDense(rows, cols, 0.4, seed), n, m);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j += m) d.data[i * cols + j] = 0;
  const A = NMMatrix.fromDense(d, { n, m });
  const x = randomVector(cols, seed + 1);
  const B = { data: randomVector(cols * width, seed + 2), rows: cols, cols: width };
  for (let j = 0; j < cols; j += m) {
    x[j] = NaN;
    B.data.fill(NaN, j * width, (j + 1) * width);
  }
  let spares = 0;
  const groups = Math.ceil(cols / m);
  for (let s = 0; s < A.values.length; s++) {
    const col = (Math.floor(s / n) % groups) * m + A.positions[s];
    if (A.values[s] === 0 && col < cols && col % m === 0) spares++;
  }
  return { d, A, x, B, spares };
}

/** Reference SDDMM in float64 with an error bound per stored entry. */
export function referenceSddmm(P: CSRMatrix, X: DenseMatrix, Y: DenseMatrix, alpha: number, beta: number, out0: Float32Array) {
  const value = new Float64Array(P.nnz), bound = new Float64Array(P.nnz);
  const K = X.cols;
  for (let i = 0; i < P.rows; i++) {
    for (let k = P.indptr[i]; k < P.indptr[i + 1]; k++) {
      const j = P.indices[k];
      let s = 0, m = 0;
      for (let t = 0; t < K; t++) {
        const p = X.data[i * K + t] * Y.data[j * K + t];
        s += p;
        m += Math.abs(p);
      }
      const o = beta !== 0 ? out0[k] : 0;
      value[k] = alpha * s + beta * o;
      bound[k] = (K + 4) * 1.2e-7 * (Math.abs(alpha) * m + Math.abs(beta * o)) + 1e-30;
    }
  }
  return { value, bound };
}

/**
 * For a test file whose small matrices must exercise the native kernels of every ISA: none of its calls runs inline
 * (lib/kernels/inline.ts, tested in test/kernels/inline.test.ts); afterwards the ISA, threads and inline limit are
 * restored.
 */
export function nativeKernelsOnly(): void {
  const inline = getInlineLimit();
  beforeAll(() => setInlineLimit(0));
  afterAll(() => {
    setIsa('auto');
    setThreads(2);
    setInlineLimit(inline);
  });
}
