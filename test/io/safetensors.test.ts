import { describe, expect, test } from 'vitest';
import { BSRMatrix, COOMatrix, CSRMatrix, DenseMatrix, Mask, NMMatrix, load, loadMetadata, save, SparseError } from '../../lib/index';
import { expectSameBits, expectSparseError, randomDense } from '../helpers';

/** Builds a safetensors file by hand: u64 LE header length, the header text padded with spaces to 8, the data. */
function handMade(headerText: string, data: number[]): Uint8Array {
  const header = Buffer.from(headerText, 'utf8');
  const padded = Math.ceil((8 + header.length) / 8) * 8 - 8;
  const out = Buffer.alloc(8 + padded + data.length, 0x20);
  out.writeBigUInt64LE(BigInt(padded), 0);
  header.copy(out, 8);
  Buffer.from(data).copy(out, 8 + padded);
  return new Uint8Array(out);
}

describe('save / load', () => {
  test('the writer produces exactly the safetensors byte layout', () => {
    const bytes = save({ x: Float32Array.of(1, 2) }, { note: 'hi' });
    const text =
      '{"__metadata__":{"note":"hi","sparsekit":"{\\"version\\":1,\\"tensors\\":{\\"x\\":{\\"format\\":\\"array\\"}}}"},' +
      '"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}';
    // 1.0f = 00 00 80 3f, 2.0f = 00 00 00 40 (little-endian)
    expect(Buffer.from(bytes).equals(Buffer.from(handMade(text, [0, 0, 0x80, 0x3f, 0, 0, 0, 0x40])))).toBe(true);
    expect(loadMetadata(bytes)).toEqual({ note: 'hi' });
  });

  test('reads a file written by another tool (no sparsekit metadata)', () => {
    const text = '{"w":{"dtype":"F32","shape":[1,2],"data_offsets":[0,8]},"i":{"dtype":"I32","shape":[1],"data_offsets":[8,12]}}';
    const out = load(handMade(text, [0, 0, 0x80, 0x3f, 0, 0, 0, 0x40, 7, 0, 0, 0]));
    expect(out.w).toEqual({ data: Float32Array.of(1, 2), rows: 1, cols: 2 });
    expect(out.i).toEqual(Int32Array.of(7));
  });

  test('every kind round-trips, same kinds back', () => {
    const d = randomDense(13, 10, 0.4, 5, 3);
    const csr = CSRMatrix.fromDense(d);
    const tensors = {
      dense: d,
      csr,
      coo: csr.toCOO(),
      bsr: BSRMatrix.fromCSR(csr, { block: [4, 4] }),
      nm: NMMatrix.fromDense(randomDense(5, 9, 0, 1), { n: 2, m: 4 }),
      nm2: NMMatrix.fromCSR(CSRMatrix.fromDense({ data: Float32Array.from({ length: 12 }, (_, k) => (k % 4 < 2 ? k + 1 : 0)), rows: 2, cols: 6 }), { n: 2, m: 4 }),
      mask: Mask.fromDense(d),
      f32: Float32Array.of(1.5, -2),
      i32: Int32Array.of(3, -4, 5),
      u8: Uint8Array.of(1, 2, 3),
      state: { step: 12, schedule: 'cubic', seed: 7, lr: [0.1, 0.01] },
      empty: CSRMatrix.fromDense({ data: new Float32Array(0), rows: 0, cols: 3 }),
    };
    const back = load(save(tensors));
    expect(Object.keys(back).sort()).toEqual(Object.keys(tensors).sort());
    expect(back.csr).toBeInstanceOf(CSRMatrix);
    expectSameBits((back.csr as CSRMatrix).toDense().data, d.data);
    expect(back.coo).toBeInstanceOf(COOMatrix);
    expectSameBits((back.coo as COOMatrix).toDense().data, d.data);
    expect(back.bsr).toBeInstanceOf(BSRMatrix);
    expect((back.bsr as BSRMatrix).block).toEqual([4, 4]);
    expectSameBits((back.bsr as BSRMatrix).toDense().data, d.data);
    expect(back.nm).toBeInstanceOf(NMMatrix);
    expectSameBits((back.nm2 as NMMatrix).toDense().data, tensors.nm2.toDense().data);
    expect((back.mask as Mask).bits).toEqual(tensors.mask.bits);
    expectSameBits((back.dense as DenseMatrix).data, d.data);
    expect(back.f32).toEqual(tensors.f32);
    expect(back.i32).toEqual(tensors.i32);
    expect(back.u8).toEqual(tensors.u8);
    expect(back.state).toEqual(tensors.state);
    expect((back.empty as CSRMatrix).rows).toBe(0);
  });

  test('load is zero-copy for aligned buffers', () => {
    const bytes = save({ w: CSRMatrix.random(50, 40, { density: 0.2, seed: 1 }) });
    const w = load(bytes).w as CSRMatrix;
    expect(w.values.buffer).toBe(bytes.buffer);
    expect(w.indices.buffer).toBe(bytes.buffer);
    // The same file at an odd offset inside a bigger buffer: still correct (copied).
    const shifted = new Uint8Array(bytes.length + 1);
    shifted.set(bytes, 1);
    const w2 = load(shifted.subarray(1)).w as CSRMatrix;
    expect(w2.values.buffer).not.toBe(shifted.buffer);
    expectSameBits(w2.values, w.values);
  });

  test('save refuses what it cannot store', () => {
    expectSparseError(() => save({ 'a.b': Float32Array.of(1) }), 'ERR_ARGUMENT', /without '.'/);
    expectSparseError(() => save({ x: new Float64Array(2) as never }), 'ERR_DTYPE', /Float32Array, Int32Array or Uint8Array for x but received Float64Array\(2\)/);
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expectSparseError(() => save({ s: cyclic as never }), 'ERR_ARGUMENT', /not JSON-serialisable|neither a tensor/);
    expectSparseError(() => save({}, { sparsekit: 'x' }), 'ERR_ARGUMENT', /reserved/);
    expectSparseError(() => save({}, { n: 3 as never }), 'ERR_ARGUMENT', /string for metadata.n/);
  });

  test('a file truncated at every offset is refused with SparseError, never a crash', () => {
    const bytes = save({ w: CSRMatrix.random(6, 5, { density: 0.5, seed: 2 }), m: Mask.full(3, 3), s: { step: 1 } });
    for (let cut = 0; cut < bytes.length; cut++) {
      let err: unknown;
      try {
        load(bytes.subarray(0, cut));
      } catch (e) {
        err = e;
      }
      expect(err, `cut at ${cut}`).toBeInstanceOf(SparseError);
    }
  });

  test('flipped header bytes are refused or still give valid matrices', () => {
    const bytes = save({ w: CSRMatrix.random(6, 5, { density: 0.5, seed: 2 }) });
    const headerEnd = 8 + Number(new DataView(bytes.buffer).getBigUint64(0, true));
    for (let k = 0; k < headerEnd; k++) {
      for (const flip of [0x01, 0x80, 0xff]) {
        const bad = bytes.slice();
        bad[k] ^= flip;
        try {
          const out = load(bad);
          const w = out.w as CSRMatrix | undefined;
          if (w) expect(() => CSRMatrix.fromArrays(w.rows, w.cols, w.indptr, w.indices, w.values)).not.toThrow();
        } catch (e) {
          expect(e, `byte ${k} ^ ${flip}`).toBeInstanceOf(SparseError);
        }
      }
    }
  });

  test('hostile headers are refused before any large allocation', () => {
    const f = (text: string, data: number[] = []) => () => load(handMade(text, data));
    const huge = new Uint8Array(16);
    new DataView(huge.buffer).setBigUint64(0, 2n ** 62n, true);
    expectSparseError(() => load(huge), 'ERR_IO', /header length 4611686018427387904 exceeds the 8 bytes/);
    expectSparseError(f('{"x":{"dtype":"F32","shape":[1000000000],"data_offsets":[0,4000000000]}}'), 'ERR_IO', /fall outside the 0-byte data section/);
    expectSparseError(f('{"x":{"dtype":"F32","shape":[3000000000],"data_offsets":[0,4]}}', [0, 0, 0, 0]), 'ERR_RANGE', /claims 3000000000 elements/);
    expectSparseError(f('{"x":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}', [0, 0, 0, 0]), 'ERR_IO', /needs 8 bytes but data_offsets span 4/);
    expectSparseError(f('{"x":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"y":{"dtype":"F32","shape":[1],"data_offsets":[2,6]}}', [0, 0, 0, 0, 0, 0]), 'ERR_IO', /overlaps/);
    expectSparseError(f('{"x":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}', [0, 0, 0, 0, 0, 0, 0, 0]), 'ERR_IO', /hole of 4 bytes/);
    expectSparseError(f('{"x":{"dtype":"Q7","shape":[1],"data_offsets":[0,4]}}', [0, 0, 0, 0]), 'ERR_IO', /unknown dtype 'Q7'/);
    expectSparseError(f('{"x":{"dtype":"F64","shape":[1],"data_offsets":[0,8]}}', [0, 0, 0, 0, 0, 0, 0, 0]), 'ERR_UNSUPPORTED', /dtype F64/);
    expectSparseError(f('{"x":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}', [0, 0, 0, 0]), 'ERR_IO', /invalid shape/);
    expectSparseError(f('not json'), 'ERR_IO', /not valid UTF-8 JSON/);
    expectSparseError(f('[1,2]'), 'ERR_IO', /not a JSON object/);
    expectSparseError(() => load([1, 2, 3] as never), 'ERR_ARGUMENT', /Uint8Array for bytes/);
    // A well-formed container whose CSR components break the CSR invariants.
    const meta = JSON.stringify({ version: 1, tensors: { w: { format: 'csr', shape: [1, 2] } } }).replace(/"/g, '\\"');
    const text = `{"__metadata__":{"sparsekit":"${meta}"},"w.indptr":{"dtype":"I32","shape":[2],"data_offsets":[0,8]},` +
      '"w.indices":{"dtype":"I32","shape":[1],"data_offsets":[8,12]},"w.values":{"dtype":"F32","shape":[1],"data_offsets":[12,16]}}';
    expectSparseError(f(text, [0, 0, 0, 0, 1, 0, 0, 0, 9, 0, 0, 0, 0, 0, 0x80, 0x3f]), 'ERR_RANGE', /load: tensor 'w': A.indices\[0\] = 9 is out of range/);
  });
});
