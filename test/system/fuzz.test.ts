// Property-based fuzzing of the public API (fast-check): random shapes, dtypes, views, options and corrupted
// inputs. Every call either returns a result that matches an independent reference or throws a SparseError; any
// other exception, a wrong result or a crash fails. FUZZ_RUNS scales the number of cases (CI runs the default).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import * as sk from '../../lib/index';
import { CSRMatrix, SparseError } from '../../lib/index';
import { expectClose, referenceSpmm } from '../helpers';

const runs = Number(process.env.FUZZ_RUNS ?? 300);

/** Runs fn; a SparseError is an accepted outcome (returned as null), anything else thrown fails. */
function settle<T>(fn: () => T): T | null {
  try {
    return fn();
  } catch (e) {
    if (e instanceof SparseError) {
      expect(e.code).toMatch(/^ERR_[A-Z]+$/);
      return null;
    }
    throw e;
  }
}

const sparse = fc.record({ rows: fc.integer({ min: 0, max: 17 }), cols: fc.integer({ min: 0, max: 17 }), density: fc.double({ min: 0, max: 1, noNaN: true }), seed: fc.nat() });

describe('property-based fuzzing of the public API', () => {
  test('spmm, spmv, spmmT and sddmm on random shapes, views and alpha/beta match a float64 reference', () => {
    fc.assert(
      fc.property(sparse, fc.integer({ min: 1, max: 19 }), fc.double({ min: -2, max: 2, noNaN: true }), fc.constantFrom(0, 1, -0.5), fc.nat(), ({ rows, cols, density, seed }, n, alpha, beta, s2) => {
        const A = CSRMatrix.random(rows, cols, { density, seed });
        const dense = A.toDense();
        const B = { data: new Float32Array(cols * n).map((_, i) => Math.sin(i + s2)), rows: cols, cols: n };
        const C0 = new Float32Array(rows * n).map((_, i) => Math.cos(i));
        const C = sk.spmm(A, B, { alpha, beta, out: { data: C0.slice(), rows, cols: n } });
        expectClose(C.data, referenceSpmm(dense, B, alpha, beta, C0), 'spmm');
        const x = B.data.subarray(0, cols);
        const y = sk.spmv(A, x);
        expectClose(y, referenceSpmm(dense, { data: x, rows: cols, cols: 1 }, 1, 0), 'spmv');
        const At = A.transpose().toDense();
        const Bt = { data: new Float32Array(rows * n).map((_, i) => Math.cos(i * 3 + s2)), rows, cols: n };
        expectClose(sk.spmmT(A, Bt).data, referenceSpmm(At, Bt, 1, 0), 'spmmT');
        const g = sk.sddmm(A, Bt, B).values;
        for (let i = 0, q = 0; i < rows; i++) {
          for (; q < A.indptr[i + 1]; q++) {
            let s = 0;
            for (let t = 0; t < n; t++) s += Bt.data[i * n + t] * B.data[A.indices[q] * n + t];
            expect(Math.abs(g[q] - s)).toBeLessThanOrEqual(1e-5 * (n + 1) * 16);
          }
        }
      }),
      { numRuns: runs, seed: 1 },
    );
  });

  test('CSRMatrix.fromArrays on arbitrary (often corrupt) arrays: a SparseError, or a matrix whose spmv matches its dense form', () => {
    const int = fc.integer({ min: -3, max: 12 });
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 6 }), fc.integer({ min: 0, max: 8 }), fc.array(int, { maxLength: 8 }), fc.array(int, { maxLength: 12 }), (rows, cols, ip, ix) => {
        const values = new Float32Array(ix.length).map((_, i) => i + 1);
        const A = settle(() => CSRMatrix.fromArrays(rows, cols, Int32Array.from(ip), Int32Array.from(ix), values));
        if (!A) return;
        const x = new Float32Array(cols).map((_, i) => i - 2);
        expectClose(sk.spmv(A, x), referenceSpmm(A.toDense(), { data: x, rows: cols, cols: 1 }, 1, 0), 'spmv');
        const back = CSRMatrix.fromDense(A.toDense());
        expect(Array.from(back.indices)).toEqual(Array.from(A.indices).filter((_, q) => A.values[q] !== 0));
      }),
      { numRuns: runs * 3, seed: 2 },
    );
  });

  test('any public function with arbitrary arguments either returns or throws a SparseError', () => {
    const A = CSRMatrix.random(6, 5, { density: 0.4, seed: 1 });
    const anything = fc.oneof(
      fc.constantFrom(undefined, null, NaN, Infinity, -1, 0, 1, 2.5, 2 ** 31, 'x', true, [], {}),
      fc.constantFrom(A, A.toDense(), sk.denseMatrix(5, 3), sk.denseMatrix(6, 3), new Float32Array(5), new Float64Array(5), new Int32Array(7)),
      fc.record({ data: fc.constantFrom(new Float32Array(15), new Float32Array(14), new Int32Array(15), null), rows: fc.constantFrom(5, 3, -1, 1.5), cols: fc.constantFrom(3, 5, 0) }),
      fc.record({ alpha: fc.constantFrom(1, NaN, 'a'), beta: fc.constantFrom(0, Infinity), out: fc.constantFrom(undefined, sk.denseMatrix(6, 3), new Float32Array(3)), bogus: fc.constant(1) }, { requiredKeys: [] }),
    );
    const fns: [string, (...a: unknown[]) => unknown][] = [
      ['spmm', sk.spmm as never], ['spmv', sk.spmv as never], ['spmmT', sk.spmmT as never], ['sddmm', sk.sddmm as never], ['gemm', sk.gemm as never],
      ['fromDense', CSRMatrix.fromDense as never], ['fromArrays', CSRMatrix.fromArrays as never], ['random', CSRMatrix.random as never],
      ['magnitudePrune', sk.magnitudePrune as never], ['nmPrune', sk.nmPrune as never], ['blockPrune', sk.blockPrune as never], ['randomPrune', sk.randomPrune as never],
      ['BSR.fromCSR', sk.BSRMatrix.fromCSR as never], ['NM.fromDense', sk.NMMatrix.fromDense as never], ['Mask.fromDense', sk.Mask.fromDense as never],
      ['save', sk.save as never], ['load', sk.load as never], ['readMatrixMarket', sk.readMatrixMarket as never], ['setThreads', sk.setThreads as never],
      ['softmaxCrossEntropy', sk.softmaxCrossEntropy as never], ['erkDensities', sk.erkDensities as never], ['polynomialDecay', sk.polynomialDecay as never],
    ];
    fc.assert(
      fc.property(fc.constantFrom(...fns), fc.array(anything, { maxLength: 5 }), ([name, fn], args) => {
        try {
          fn(...args);
        } catch (e) {
          if (!(e instanceof SparseError)) throw new Error(`${name}(${args.map((a) => typeof a).join(', ')}) threw ${(e as Error)?.constructor?.name}: ${(e as Error)?.message}`);
        }
      }),
      { numRuns: runs * 5, seed: 3 },
    );
    sk.setThreads(2);
  });

  test('load() of corrupted files (bytes flipped, truncated, extended) returns tensors or throws a SparseError', () => {
    const good = sk.save({ A: CSRMatrix.random(9, 7, { density: 0.3, seed: 4 }), D: sk.denseMatrix(2, 3), s: 'meta', n: 3 });
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(good.length - 1), fc.nat(255)), { maxLength: 6 }), fc.integer({ min: -40, max: 40 }), (flips, cut) => {
        const bytes = new Uint8Array(Math.max(0, good.length + cut));
        bytes.set(good.subarray(0, Math.min(good.length, bytes.length)));
        for (const [at, v] of flips) if (at < bytes.length) bytes[at] = v;
        const out = settle(() => sk.load(bytes));
        const A = out?.A;
        if (A instanceof CSRMatrix) {
          // Whatever came back is a valid matrix: the constructor's checks ran.
          expect(() => CSRMatrix.fromArrays(A.rows, A.cols, A.indptr, A.indices, A.values)).not.toThrow();
        }
      }),
      { numRuns: runs * 3, seed: 5 },
    );
  });

  test('importSafetensors(File), importCompressedTensors and importOnnx of corrupted files give well-formed results or a SparseError', () => {
    const good = new Uint8Array(fs.readFileSync(path.join(__dirname, '..', 'fixtures', 'import', 'torch-mlp.safetensors')));
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sparsekit-fuzz-import-'));
    const file = path.join(dir, 'x.safetensors');
    try {
      fc.assert(
        fc.property(fc.array(fc.tuple(fc.nat(good.length - 1), fc.nat(255)), { maxLength: 6 }), fc.integer({ min: -40, max: 40 }), fc.boolean(), (flips, cut, fromFile) => {
          const bytes = new Uint8Array(Math.max(0, good.length + cut));
          bytes.set(good.subarray(0, Math.min(good.length, bytes.length)));
          for (const [at, v] of flips) if (at < bytes.length) bytes[at] = v;
          if (fromFile) fs.writeFileSync(file, bytes);
          const out = settle(() => (fromFile ? sk.importSafetensorsFile(file) : sk.importSafetensors(bytes)));
          for (const t of Object.values(out ?? {})) expect(t.data.length).toBe(t.shape.reduce((a, b) => a * b, 1));
        }),
        { numRuns: runs * 2, seed: 6 },
      );
      // compressed-tensors: whatever assembles is a valid CSR / N:M matrix (its constructor's checks ran).
      const ct = new Uint8Array(fs.readFileSync(path.join(__dirname, '..', 'fixtures', 'import', 'compressed-tensors.safetensors')));
      fc.assert(
        fc.property(fc.array(fc.tuple(fc.nat(ct.length - 1), fc.nat(255)), { minLength: 1, maxLength: 6 }), (flips) => {
          const bytes = ct.slice();
          for (const [at, v] of flips) bytes[at] = v;
          for (const w of Object.values(settle(() => sk.importCompressedTensors(bytes)) ?? {})) {
            if (w instanceof CSRMatrix) expect(() => CSRMatrix.fromArrays(w.rows, w.cols, w.indptr, w.indices, w.values)).not.toThrow();
            if (w instanceof sk.NMMatrix) expect(() => sk.NMMatrix.fromArrays(w.rows, w.cols, { n: w.n, m: w.m }, w.values, w.positions)).not.toThrow();
          }
        }),
        { numRuns: runs * 2, seed: 7 },
      );
      // ONNX: flips in the graph's structure (the first bytes) and anywhere, and cuts; a model that imports is whole.
      const onnx = new Uint8Array(fs.readFileSync(path.join(__dirname, '..', 'fixtures', 'models', 'mlp90.onnx')));
      fc.assert(
        fc.property(fc.array(fc.tuple(fc.oneof(fc.nat(700), fc.nat(onnx.length - 1)), fc.nat(255)), { minLength: 1, maxLength: 4 }), fc.nat(onnx.length), (flips, keep) => {
          const bytes = onnx.slice(0, Math.max(keep, onnx.length - 64));
          for (const [at, v] of flips) if (at < bytes.length) bytes[at] = v;
          const m = settle(() => sk.importOnnx(bytes));
          for (const t of Object.values(m?.tensors ?? {})) if (!(t instanceof CSRMatrix)) expect(t.data.length).toBe(t.shape.reduce((a, b) => a * b, 1));
        }),
        { numRuns: runs, seed: 8 },
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
