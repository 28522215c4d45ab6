import { describe, expect, test } from 'vitest';
import { BSRMatrix, COOMatrix, CSRMatrix, Mask, NMMatrix, SparseError } from '../../lib/index';
import { expectSameBits, expectSparseError, makeNM, randomDense } from '../helpers';

const SHAPES: [number, number][] = [[0, 0], [0, 5], [5, 0], [1, 1], [7, 1], [1, 9], [13, 17], [16, 16], [33, 10]];
const DENSITIES = [0, 0.3, 1];
const BLOCKS: [number, number][] = [[1, 4], [4, 1], [4, 4], [8, 1], [16, 1], [3, 5]];
const NM: [number, number][] = [[2, 4], [1, 4], [2, 8], [4, 8], [3, 5]];

function valid(A: CSRMatrix): void {
  expect(() => CSRMatrix.fromArrays(A.rows, A.cols, A.indptr, A.indices, A.values)).not.toThrow();
}


describe.each(SHAPES)('shape %ix%i', (rows, cols) => {
  test.each(DENSITIES)('round trips between every pair of formats, density %d', (density) => {
    const d = randomDense(rows, cols, density, rows * 97 + cols + density * 1000, 4);
    const csr = CSRMatrix.fromDense(d);
    const coo = csr.toCOO();
    expectSameBits(coo.toDense().data, d.data, 'coo');
    expectSameBits(COOMatrix.fromDense(d).toCSR().toDense().data, d.data, 'dense->coo->csr');
    expectSameBits(coo.sumDuplicates().toDense().data, d.data, 'sumDuplicates');
    for (const block of BLOCKS) {
      const a = BSRMatrix.fromDense(d, { block });
      const b = BSRMatrix.fromCSR(csr, { block });
      expect(b.indptr).toEqual(a.indptr);
      expect(b.indices).toEqual(a.indices);
      expectSameBits(b.values, a.values, `bsr ${block}`);
      expectSameBits(a.toDense().data, d.data, `bsr ${block} toDense`);
      const back = a.toCSR();
      valid(back);
      expectSameBits(back.toDense().data, d.data, `bsr ${block} toCSR`);
      expect(() => BSRMatrix.fromArrays(rows, cols, block, a.indptr, a.indices, a.values)).not.toThrow();
    }
    for (const [n, m] of NM) {
      const dn = makeNM(d, n, m);
      const a = NMMatrix.fromDense(dn, { n, m });
      const b = NMMatrix.fromCSR(CSRMatrix.fromDense(dn), { n, m });
      expectSameBits(b.values, a.values, `nm ${n}:${m}`);
      expect(b.positions).toEqual(a.positions);
      expect(a.values.length).toBe(rows * Math.ceil(cols / m) * n);
      expectSameBits(a.toDense().data, dn.data, `nm ${n}:${m} toDense`);
      const back = a.toCSR();
      valid(back);
      expectSameBits(back.toDense().data, dn.data, `nm ${n}:${m} toCSR`);
      expect(() => NMMatrix.fromArrays(rows, cols, { n, m }, a.values, a.positions)).not.toThrow();
      expect(() => BSRMatrix.fromCSR(back, { block: [4, 4] }).toCSR()).not.toThrow();
    }
    const mask = Mask.fromDense(d);
    expect(mask.count()).toBe(csr.nnz);
    expect(Mask.fromCSR(csr).bits).toEqual(mask.bits);
    const pattern = mask.toCSR();
    valid(pattern);
    expect(pattern.indices).toEqual(csr.indices);
    expect(mask.toDense().data).toEqual(d.data.map((x) => (x !== 0 ? 1 : 0)));
    expect(mask.and(mask.not()).count()).toBe(0);
    expect(mask.or(mask.not()).count()).toBe(rows * cols);
    expect(mask.not().not().bits).toEqual(mask.bits);
    expectSameBits(mask.apply(d.data, { out: new Float32Array(rows * cols) }), d.data, 'apply keeps set entries');
    expect(mask.not().apply(d.data.slice()).every((x) => x === 0)).toBe(true);
    expect(Mask.fromBits(rows, cols, mask.bits).count()).toBe(mask.count());
  });
});

describe('format invariants and bad input', () => {
  test('N:M rows keep exactly n slots per group with increasing positions', () => {
    const d = makeNM(randomDense(10, 13, 0.6, 3), 2, 4);
    const A = NMMatrix.fromDense(d, { n: 2, m: 4 });
    expect(A.groups).toBe(4);
    for (let k = 0; k < A.values.length; k += 2) expect(A.positions[k]).toBeLessThan(A.positions[k + 1]);
    expectSparseError(() => NMMatrix.fromDense(randomDense(2, 8, 1, 1), { n: 2, m: 4 }), 'ERR_FORMAT', /Row 0, columns 0..3 hold more than 2 non-zeros/);
    expectSparseError(() => NMMatrix.fromDense(d, { n: 5, m: 4 }), 'ERR_RANGE', /options.n/);
    expectSparseError(() => NMMatrix.fromArrays(1, 4, { n: 2, m: 4 }, new Float32Array(2), Uint8Array.from([1, 1])), 'ERR_FORMAT', /strictly increasing/);
    expectSparseError(() => NMMatrix.fromArrays(1, 4, { n: 2, m: 4 }, new Float32Array(2), Uint8Array.from([0, 4])), 'ERR_RANGE', /below m = 4/);
    expectSparseError(() => NMMatrix.fromArrays(1, 5, { n: 2, m: 4 }, new Float32Array([0, 0, 1, 2]), Uint8Array.from([0, 1, 0, 1])), 'ERR_FORMAT', /past the 5 columns/);
    expectSparseError(() => NMMatrix.fromArrays(1, 4, { n: 2, m: 4 }, new Float32Array(3), new Uint8Array(3)), 'ERR_SHAPE', /length 2 for A.values/);
  });

  test('BSR refuses malformed structure and non-zero padding', () => {
    const ip = Int32Array.from([0, 1]), ix = Int32Array.from([0]);
    expect(() => BSRMatrix.fromArrays(3, 3, [4, 4], ip, ix, new Float32Array(16))).not.toThrow();
    const padded = new Float32Array(16);
    padded[3] = 1; // (0, 3) is past the 3 columns
    expectSparseError(() => BSRMatrix.fromArrays(3, 3, [4, 4], ip, ix, padded), 'ERR_FORMAT', /padding position \(0, 3\)/);
    expectSparseError(() => BSRMatrix.fromArrays(3, 3, [4, 4], ip, Int32Array.from([1]), new Float32Array(16)), 'ERR_RANGE', /out of range for 1 block columns/);
    expectSparseError(() => BSRMatrix.fromArrays(3, 3, [4, 4], ip, ix, new Float32Array(15)), 'ERR_SHAPE', /length 16 for A.values/);
    expectSparseError(() => BSRMatrix.fromDense(randomDense(2, 2, 1, 1), { block: [0, 4] }), 'ERR_RANGE', /options.block\[0\]/);
    expectSparseError(() => BSRMatrix.fromDense(randomDense(2, 2, 1, 1), { block: 4 as unknown as [number, number] }), 'ERR_ARGUMENT', /block shape/);
  });

  test('Mask checks shapes and tail bits', () => {
    expectSparseError(() => Mask.fromBits(2, 3, Uint32Array.from([1 << 6])), 'ERR_FORMAT', /past the 2x3 shape/);
    expectSparseError(() => Mask.fromBits(2, 3, new Uint32Array(2)), 'ERR_SHAPE', /length 1 for bits/);
    expectSparseError(() => Mask.empty(2, 3).and(Mask.empty(3, 2)), 'ERR_SHAPE', /2x3 mask for other but received 3x2/);
    expectSparseError(() => Mask.empty(2, 3).apply(new Float32Array(5)), 'ERR_SHAPE', /length 6 for data/);
    const m = Mask.full(40, 40);
    expect(m.count()).toBe(1600);
    expect(m.get(39, 39)).toBe(true);
    expectSparseError(() => m.get(40, 0), 'ERR_RANGE', /for i but received 40/);
    const data = new Float32Array(1600).fill(2);
    expectSparseError(() => m.apply(data, { out: data.subarray(0, 1600) }), 'ERR_ARGUMENT', /share memory/);
  });

  test('native conversions refuse arrays corrupted after construction, never read out of range', () => {
    const fresh = () => CSRMatrix.random(30, 20, { density: 0.3, seed: 4 });
    const corruptions: [string, (A: CSRMatrix) => void][] = [
      ['index too large', (A) => { A.indices[3] = 1000; }],
      ['negative index', (A) => { A.indices[3] = -1; }],
      ['unsorted row', (A) => { A.indices[A.indptr[1]] = A.indices[A.indptr[1] + 1]; }],
      ['indptr past nnz', (A) => { A.indptr[5] = 1 << 30; }],
    ];
    for (const [what, corrupt] of corruptions) {
      const A = fresh();
      corrupt(A);
      for (const op of [() => A.transpose(), () => BSRMatrix.fromCSR(A, { block: [4, 4] }), () => NMMatrix.fromCSR(A, { n: 4, m: 4 })]) {
        let err: unknown;
        try { op(); } catch (e) { err = e; }
        expect(err, what).toBeInstanceOf(SparseError);
        expect(['ERR_FORMAT', 'ERR_RANGE']).toContain((err as SparseError).code);
      }
    }
    const B = BSRMatrix.fromCSR(fresh(), { block: [4, 4] });
    B.indices[0] = 99;
    expectSparseError(() => B.toCSR(), 'ERR_RANGE', /block column index 99 is out of range/);
    // Found by the native fuzzer: blocks of a block row out of order used to give an unsorted CSR with duplicates.
    const S = BSRMatrix.fromDense({ data: Float32Array.from({ length: 16 }, (_, i) => i + 1), rows: 2, cols: 8 }, { block: [2, 4] });
    expect(Array.from(S.indices)).toEqual([0, 1]);
    S.indices.set([1, 0]);
    expectSparseError(() => S.toCSR(), 'ERR_FORMAT', /block column indices in block row 0 are not strictly increasing/);
    S.indices.set([1, 1]);
    expectSparseError(() => S.toCSR(), 'ERR_FORMAT', /not strictly increasing/);
    const N = NMMatrix.fromCSR(CSRMatrix.fromDense(makeNM(randomDense(6, 8, 0.5, 2), 2, 4)), { n: 2, m: 4 });
    N.positions[1] = 200;
    expectSparseError(() => N.toCSR(), 'ERR_FORMAT', /positions must be strictly increasing below m/);
  });

  test('a fill whose indptr does not match its input is refused before writing', async () => {
    const { addon } = await import('../../lib/core/binding');
    const d = randomDense(5, 6, 0.5, 8);
    const ip = new Int32Array(6);
    addon.denseToCsrCount(d.data, 5, 6, 0, ip);
    const wrong = ip.slice();
    wrong[5] += 3; // claims more entries than the matrix has
    expectSparseError(() => addon.denseToCsrFill(d.data, 5, 6, 0, wrong, new Int32Array(wrong[5]), new Float32Array(wrong[5])), 'ERR_ARGUMENT', /do not match the input/);
    const B = BSRMatrix.fromDense(d, { block: [2, 2] });
    expectSparseError(() => addon.bsrToCsrFill(5, 6, 2, 2, B.indptr, B.indices, B.values, wrong, new Int32Array(wrong[5]), new Float32Array(wrong[5])), 'ERR_ARGUMENT', /do not match/);
  });

  test('property: random matrices survive CSR -> BSR -> CSR -> COO -> CSR (seeded)', () => {
    for (let seed = 0; seed < 30; seed++) {
      const rows = 1 + (seed * 7) % 40, cols = 1 + (seed * 11) % 37;
      const A = CSRMatrix.random(rows, cols, { density: (seed % 10) / 10, seed });
      const block = BLOCKS[seed % BLOCKS.length];
      const B = BSRMatrix.fromCSR(A, { block }).toCSR().toCOO().toCSR();
      expect(B.indptr).toEqual(A.indptr);
      expect(B.indices).toEqual(A.indices);
      expectSameBits(B.values, A.values, `seed ${seed}`);
    }
  });
});
