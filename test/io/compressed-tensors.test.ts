import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, test } from 'vitest';
import {
  CSRMatrix,
  exportCompressedTensors,
  exportCompressedTensorsFile,
  exportSafetensors,
  ImportedTensor,
  importCompressedTensors,
  importCompressedTensorsFile,
  importSafetensors,
  importSafetensorsFile,
  NMMatrix,
} from '../../lib/index';
import { expectSparseError } from '../helpers';

// Written by scripts/fixtures/make-import-fixtures.py: the two layouts as compressed-tensors' compressors lay them
// out (numpy rendering), and the dense weights (torch, float32) they came from.
const fixtures = path.join(__dirname, '..', 'fixtures', 'import');
const ctFile = path.join(fixtures, 'compressed-tensors.safetensors');
const ref = importSafetensorsFile(path.join(fixtures, 'compressed-tensors-ref.safetensors'));

function expectDense(got: { toDense(): { data: Float32Array; rows: number; cols: number } }, want: ImportedTensor, what: string): void {
  const d = got.toDense();
  expect([d.rows, d.cols], what).toEqual(want.shape);
  for (let i = 0; i < want.data.length; i++) if (!Object.is(d.data[i], want.data[i] + 0)) throw new Error(`${what}[${i}]: ${d.data[i]} != ${want.data[i]}`);
}

describe('compressed-tensors', () => {
  test('sparse-bitmask reads into CSR and sparse-24-bitmask into N:M 2:4, equal to the dense weights they came from', () => {
    for (const w of [importCompressedTensorsFile(ctFile), importCompressedTensors(fs.readFileSync(ctFile))]) {
      expect(Object.keys(w).sort()).toEqual(['fc1.bias', 'fc1.weight', 'fc2.weight', 'odd.weight']);
      expect(w['fc1.weight']).toBeInstanceOf(CSRMatrix);
      expect((w['fc1.weight'] as CSRMatrix).nnz).toBe(Array.from(ref['fc1.weight'].data).filter((x) => x !== 0).length);
      expectDense(w['fc1.weight'] as CSRMatrix, ref['fc1.weight'], 'fc1.weight');
      expectDense(w['odd.weight'] as CSRMatrix, ref['odd.weight'], 'odd.weight (13 columns, F16 values)');
      expect(w['fc2.weight']).toBeInstanceOf(NMMatrix);
      expect([(w['fc2.weight'] as NMMatrix).n, (w['fc2.weight'] as NMMatrix).m]).toEqual([2, 4]);
      expectDense(w['fc2.weight'] as NMMatrix, ref['fc2.weight'], 'fc2.weight (2:4, BF16 values)');
      expect(Array.from((w['fc1.bias'] as ImportedTensor).data)).toEqual(Array.from(ref['fc1.bias'].data));
    }
  });

  test('written back, the file has the layout compressed-tensors reads, tensor for tensor, and reads back the same', () => {
    const w = importCompressedTensorsFile(ctFile);
    const bytes = exportCompressedTensors({
      'fc1.weight': w['fc1.weight'] as CSRMatrix,
      'fc2.weight': w['fc2.weight'] as NMMatrix,
      'odd.weight': w['odd.weight'] as CSRMatrix,
      'fc1.bias': w['fc1.bias'] as ImportedTensor,
    });
    const mine = importSafetensors(bytes);
    const theirs = importSafetensorsFile(ctFile);
    expect(Object.keys(mine).sort()).toEqual(Object.keys(theirs).sort());
    for (const name of Object.keys(theirs)) {
      expect(mine[name].shape, name).toEqual(theirs[name].shape);
      // Values are float32 here (the source had F16/BF16 values): equal as numbers; every other part bit for bit.
      expect(Array.from(mine[name].data), name).toEqual(Array.from(theirs[name].data));
    }
    expect(mine['fc1.weight.row_offsets'].dtype).toBe('I64');
    expect(mine['fc2.shape']).toMatchObject({ dtype: 'I64', shape: [2, 1] });
    const again = importCompressedTensors(bytes);
    expectDense(again['fc2.weight'] as NMMatrix, ref['fc2.weight'], 'fc2.weight round trip');
    // format 'sparse-bitmask' writes the 2:4 weight through CSR instead.
    const flat = importSafetensors(exportCompressedTensors({ 'fc2.weight': w['fc2.weight'] as NMMatrix }, { format: 'sparse-bitmask' }));
    expect(Object.keys(flat).sort()).toEqual(['fc2.weight.bitmask', 'fc2.weight.compressed', 'fc2.weight.row_offsets', 'fc2.weight.shape']);
  });

  test.skipIf(spawnSync(process.env.PYTHON ?? 'python3', ['-c', 'import numpy'], { encoding: 'utf8' }).status !== 0)(
    'a file written here decompresses in Python with numpy the way compressed-tensors decompresses it',
    () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sparsekit-ct-'));
      try {
        const A = CSRMatrix.random(9, 21, { density: 0.3, seed: 5 });
        const N = NMMatrix.fromCSR(pruneTo24(6, 12), { n: 2, m: 4 });
        const file = path.join(dir, 'ct.safetensors');
        exportCompressedTensorsFile(file, { 'a.weight': A, 'b.weight': N });
        const script = `
import json, struct, sys, numpy as np
raw = open(sys.argv[1], 'rb').read()
n = struct.unpack('<Q', raw[:8])[0]
h = json.loads(raw[8:8 + n]); base = 8 + n
dt = {'F32': np.float32, 'I64': np.int64, 'U8': np.uint8}
t = {k: np.frombuffer(raw[base + v['data_offsets'][0]:base + v['data_offsets'][1]], dtype=dt[v['dtype']]).reshape(v['shape'])
     for k, v in h.items() if k != '__metadata__'}
def decompress(values, bitmask, shape):  # compressed_tensors' bitmask_decompress / sparse24_bitmask_decompress
    mask = np.unpackbits(bitmask, axis=-1, count=shape[-1], bitorder='little').reshape(shape).astype(bool)
    out = np.zeros(shape, dtype=values.dtype); out[mask] = values.flatten(); return out
a = decompress(t['a.weight.compressed'], t['a.weight.bitmask'], list(t['a.weight.shape']))
b = decompress(t['b.compressed'], t['b.bitmask'], list(t['b.shape'].flatten()))
counts = np.count_nonzero(np.unpackbits(t['a.weight.bitmask'], axis=-1, count=21, bitorder='little'), axis=1)
assert (t['a.weight.row_offsets'] == np.cumsum(counts) - counts).all()
print(json.dumps({'a': a.flatten().tolist(), 'b': b.flatten().tolist(), 'meta': h['__metadata__']}))`;
        const r = spawnSync(process.env.PYTHON ?? 'python3', ['-c', script, file], { encoding: 'utf8' });
        expect(r.status, r.stderr).toBe(0);
        const got = JSON.parse(r.stdout);
        expect(got.meta).toEqual({ format: 'pt' });
        expect(got.a).toEqual(Array.from(A.toDense().data));
        expect(got.b).toEqual(Array.from(N.toDense().data));
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    },
  );

  test('inconsistent structure is ERR_FORMAT / ERR_SHAPE naming the weight: popcount, row offsets, stray bits, 2:4 groups', () => {
    const base = importSafetensorsFile(ctFile);
    const tamper = (edit: (t: Record<string, { data: Float32Array | Int32Array | Int8Array | Uint8Array; shape: number[]; dtype?: never }>) => void) => {
      const t: Record<string, { data: Float32Array | Int32Array | Int8Array | Uint8Array; shape: number[] }> = {};
      for (const [k, x] of Object.entries(base)) t[k] = { data: x.data.slice(), shape: x.shape.slice(), ...(x.dtype === 'I64' ? { dtype: 'I64' } : {}) };
      edit(t as never);
      return exportSafetensors(t as never);
    };
    const firstSetBit = (bits: Uint8Array) => bits.findIndex((b) => b !== 0);
    const cases: [Uint8Array, string, RegExp][] = [
      [tamper((t) => { const b = t['fc1.weight.bitmask'].data as Uint8Array; b[firstSetBit(b)] = 0; }), 'ERR_FORMAT', /weight 'fc1.weight'.*(row_offsets|popcount)/],
      [tamper((t) => { (t['fc1.weight.row_offsets'].data as Int32Array)[3] += 1; }), 'ERR_FORMAT', /'fc1.weight.row_offsets'\[3\]/],
      [tamper((t) => { (t['odd.weight.bitmask'].data as Uint8Array)[1] |= 0x80; }), 'ERR_FORMAT', /'odd.weight.bitmask' row 0 has bits set past column 12/],
      [tamper((t) => { const b = t['fc2.bitmask'].data as Uint8Array; b[0] = b[0] ^ 0x0f ^ 0x07; }), 'ERR_FORMAT', /2:4 group at row 0, columns 0-3 has \d bits set/],
      [tamper((t) => { t['fc1.weight.bitmask'].shape = [32, 12]; }), 'ERR_SHAPE', /'fc1.weight.bitmask' has shape \[32, 12\], expected \[64, 6\]/],
      [tamper((t) => { delete t['fc2.shape']; }), 'ERR_FORMAT', /weight 'fc2.weight': 'fc2.shape' is missing/],
      [tamper((t) => { t['fc1.weight.shape'] = { data: Int32Array.of(64, 48, 1), shape: [3], dtype: 'I64' } as never; }), 'ERR_SHAPE', /holds 3 values/],
      [tamper((t) => { t['fc1.weight.compressed'] = { data: new Int32Array(t['fc1.weight.compressed'].data.length), shape: t['fc1.weight.compressed'].shape }; }), 'ERR_DTYPE', /is I32, expected a float dtype/],
    ];
    for (const [bytes, code, message] of cases) expectSparseError(() => importCompressedTensors(bytes), code as never, message);
    expectSparseError(() => exportCompressedTensors({ w: CSRMatrix.random(4, 4, { density: 0.5, seed: 1 }).toCOO() as never }), 'ERR_UNSUPPORTED', /coo matrix/);
    expectSparseError(() => exportCompressedTensors({}, { format: 'dense' as never }), 'ERR_UNSUPPORTED', /options.format/);
  });
});

/** A 2:4 CSR matrix: in every group of 4 columns, columns (r + g) % 4 and (r + g + 1) % 4 hold r + g + 1. */
function pruneTo24(rows: number, cols: number): CSRMatrix {
  const d = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let g = 0; g < cols; g += 4) for (const s of [0, 1]) d[r * cols + g + ((r + g / 4 + s) % 4)] = r + g + 1;
  return CSRMatrix.fromDense({ data: d, rows, cols });
}
