import { describe, expect, test } from 'vitest';
import { BSRMatrix, CSRMatrix, readMatrixMarket, writeMatrixMarket } from '../../lib/index';
import { expectSameBits, expectSparseError, randomDense } from '../helpers';

const dense = (A: CSRMatrix) => Array.from(A.toDense().data);

describe('Matrix Market', () => {
  test('reads coordinate real general with comments, 1-based indices and duplicates summed', () => {
    const A = readMatrixMarket(
      '%%MatrixMarket matrix coordinate real general\n% a comment\n%\n3 4 4\n1 1 1.5\n3 4 -2e1\n1 1 0.5\n2 3 7\n',
    );
    expect([A.rows, A.cols, A.nnz]).toEqual([3, 4, 3]);
    expect(dense(A)).toEqual([2, 0, 0, 0, 0, 0, 7, 0, 0, 0, 0, -20]);
  });

  test('expands symmetric and skew-symmetric storage; reads pattern and integer fields; CRLF', () => {
    const S = readMatrixMarket('%%MatrixMarket matrix coordinate real symmetric\r\n3 3 3\r\n1 1 4\r\n2 1 1\r\n3 2 -1\r\n');
    expect(dense(S)).toEqual([4, 1, 0, 1, 0, -1, 0, -1, 0]);
    const K = readMatrixMarket('%%MatrixMarket matrix coordinate integer skew-symmetric\n2 2 1\n2 1 3\n');
    expect(dense(K)).toEqual([0, -3, 3, 0]);
    const P = readMatrixMarket('%%MatrixMarket matrix coordinate pattern general\n2 3 2\n1 3\n2 1\n');
    expect(dense(P)).toEqual([0, 0, 1, 1, 0, 0]);
    expectSparseError(() => readMatrixMarket('%%MatrixMarket matrix coordinate integer general\n1 1 1\n1 1 2.5\n'), 'ERR_FORMAT', /line 3: '2.5' is not an integer/);
  });

  test('reads the array format, general and symmetric (column-major)', () => {
    const A = readMatrixMarket('%%MatrixMarket matrix array real general\n2 3\n1\n4\n2\n0\n3\n6\n');
    expect(dense(A)).toEqual([1, 2, 3, 4, 0, 6]);
    const S = readMatrixMarket('%%MatrixMarket matrix array real symmetric\n2 2\n1\n2\n3\n');
    expect(dense(S)).toEqual([1, 2, 2, 3]);
  });

  test('round trip over awkward shapes, every format and field', () => {
    for (const [rows, cols] of [[0, 0], [0, 3], [1, 1], [7, 1], [13, 17]]) {
      const d = randomDense(rows, cols, 0.4, rows * 31 + cols, 3);
      const A = CSRMatrix.fromDense(d);
      expectSameBits(readMatrixMarket(writeMatrixMarket(A)).toDense().data, d.data, `coordinate ${rows}x${cols}`);
      expectSameBits(readMatrixMarket(writeMatrixMarket(A, { format: 'array' })).toDense().data, d.data, `array ${rows}x${cols}`);
      expectSameBits(readMatrixMarket(new TextEncoder().encode(writeMatrixMarket(d))).toDense().data, d.data, 'bytes, dense input');
      const pattern = readMatrixMarket(writeMatrixMarket(A, { field: 'pattern' }));
      expect(pattern.indices).toEqual(A.indices);
      expect(readMatrixMarket(writeMatrixMarket(BSRMatrix.fromCSR(A, { block: [4, 4] }))).indices).toEqual(A.indices);
    }
    const ints = CSRMatrix.fromDense({ data: Float32Array.of(1, 0, -3, 7), rows: 2, cols: 2 });
    expect(writeMatrixMarket(ints, { field: 'integer', comment: 'made by a test' })).toBe(
      '%%MatrixMarket matrix coordinate integer general\n%made by a test\n2 2 3\n1 1 1\n2 1 -3\n2 2 7\n',
    );
    expectSparseError(() => writeMatrixMarket(CSRMatrix.fromDense({ data: Float32Array.of(0.5), rows: 1, cols: 1 }), { field: 'integer' }), 'ERR_RANGE', /non-integer value 0.5/);
  });

  test('float32 values survive the text round trip exactly, with short output', () => {
    const values = Float32Array.of(0.1, 1 / 3, -1e-30, 3.4028234663852886e38, 1.401298464324817e-45, 123456.789);
    const A = CSRMatrix.fromArrays(1, 6, Int32Array.of(0, 6), Int32Array.of(0, 1, 2, 3, 4, 5), values);
    const text = writeMatrixMarket(A);
    expect(text).toContain('1 1 0.1\n');
    expectSameBits(readMatrixMarket(text).values, values);
  });

  test('malformed files give ERR_FORMAT / ERR_IO with the line number', () => {
    const cases: [string, RegExp][] = [
      ['', /empty input/],
      ['%%MatrixMarket tensor coordinate real general\n', /line 1: object 'tensor'/],
      ['%MatrixMarket matrix coordinate real general\n', /line 1: expected the banner/],
      ['%%MatrixMarket matrix coordinate real\n', /line 1: the banner needs/],
      ['%%MatrixMarket matrix sparse real general\n1 1 0\n', /line 1: format 'sparse'/],
      ['%%MatrixMarket matrix coordinate real general\n% only comments\n', /truncated after line 2/],
      ['%%MatrixMarket matrix coordinate real general\n2 2\n', /line 2: expected 3 sizes/],
      ['%%MatrixMarket matrix coordinate real general\n2 -2 1\n1 1 1\n', /line 2: size '-2'/],
      ['%%MatrixMarket matrix coordinate real general\n2 2 3\n1 1 1\n2 2 1\n', /truncated: expected 3 entries, found 2/],
      ['%%MatrixMarket matrix coordinate real general\n2 2 1\n1 1 1\n2 2 1\n', /line 4: more entries than the 1 declared/],
      ['%%MatrixMarket matrix coordinate real general\n2 2 1\n3 1 1\n', /line 3: row index 3 is out of range \[1, 2\]/],
      ['%%MatrixMarket matrix coordinate real general\n2 2 1\n1 0 1\n', /line 3: column index 0 is out of range/],
      ['%%MatrixMarket matrix coordinate real general\n2 2 1\n1 1 abc\n', /line 3: 'abc' is not a number/],
      ['%%MatrixMarket matrix coordinate real general\n2 2 1\n1 1\n', /line 3: expected 3 values/],
      ['%%MatrixMarket matrix coordinate real symmetric\n2 3 1\n1 1 1\n', /must be square/],
      ['%%MatrixMarket matrix array real general\n2 2\n1\n2\n3\n', /truncated/],
      ['%%MatrixMarket matrix array real general\n3 1\n1.5\n2.5\n', /truncated: expected 3 values, found 2/],
      ['%%MatrixMarket matrix coordinate real general\n100000 100000 2000000000\n1 1 1\n', /truncated: the size line \(line 2\) declares 2000000000 entries/],
      ['%%MatrixMarket matrix coordinate real general\n2 2 5\n1 1 1\n', /5 entries cannot fit a 2x2 matrix/],
    ];
    for (const [text, message] of cases) expectSparseError(() => readMatrixMarket(text), 'ERR_FORMAT', message);
    expectSparseError(() => readMatrixMarket('%%MatrixMarket matrix coordinate complex general\n1 1 1\n1 1 1 0\n'), 'ERR_UNSUPPORTED', /complex/);
    expectSparseError(() => readMatrixMarket(Uint8Array.of(0xff, 0xfe, 0x00)), 'ERR_IO', /not valid UTF-8/);
    expectSparseError(() => readMatrixMarket(42 as never), 'ERR_ARGUMENT', /string or Uint8Array/);
  });

  test('a large file parses in linear time', () => {
    const A = CSRMatrix.random(2000, 2000, { density: 0.05, seed: 9 });
    const text = writeMatrixMarket(A);
    const t0 = performance.now();
    const B = readMatrixMarket(text);
    const ms = performance.now() - t0;
    expectSameBits(B.values, A.values);
    // ~200K entries; a quadratic parser would take minutes. Generous bound for a loaded CI machine.
    expect(ms).toBeLessThan(5000);
  });
});
