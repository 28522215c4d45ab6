import { describe, expect, test } from 'vitest';
import { alignedFloat32Array, CSRMatrix, denseMatrix, spmm } from '../../lib/index';
import { addon } from '../../lib/core/binding';
import { expectSparseError } from '../helpers';

// The address of element 0 is 64-byte aligned exactly when the view starts at the buffer's alignment offset.
const aligned = (a: Float32Array) => addon.alignmentOffset(a.buffer as ArrayBuffer) === a.byteOffset;

describe('dense buffers', () => {
  test('alignedFloat32Array starts on a cache line, zero-filled, any length', () => {
    for (const n of [0, 1, 3, 16, 17, 1000, 65537]) {
      const a = alignedFloat32Array(n);
      expect(a.length).toBe(n);
      expect(aligned(a)).toBe(true);
      expect(a.every((x) => x === 0)).toBe(true);
    }
    expectSparseError(() => alignedFloat32Array(-1), 'ERR_RANGE', /length but received -1/);
  });

  test('library-allocated dense outputs are aligned', () => {
    expect(aligned(denseMatrix(5, 7).data)).toBe(true);
    const A = CSRMatrix.random(9, 8, { density: 0.5, seed: 1 });
    expect(aligned(A.toDense().data)).toBe(true);
    expect(aligned(spmm(A, denseMatrix(8, 3)).data)).toBe(true);
  });

  test('denseMatrix uses given data as is', () => {
    const data = new Float32Array(6);
    expect(denseMatrix(2, 3, data).data).toBe(data);
    expectSparseError(() => denseMatrix(2, 3, new Float64Array(6) as unknown as Float32Array), 'ERR_DTYPE', /data but received Float64Array\(6\)/);
  });
});
