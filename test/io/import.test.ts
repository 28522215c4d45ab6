import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, test } from 'vitest';
import { exportSafetensors, importSafetensors, importSafetensorsFile, ImportedTensor, safetensorsInfo } from '../../lib/index';
import { expectSparseError } from '../helpers';

// Fixtures written by scripts/fixtures/make-import-fixtures.py with PyTorch; the references are PyTorch's and
// numpy's own float32 conversions, stored in the same files.
const fixtures = path.join(__dirname, '..', 'fixtures', 'import');
const mlpFile = path.join(fixtures, 'torch-mlp.safetensors');
const f16File = path.join(fixtures, 'f16-all.safetensors');

/** Element-wise identity: same value, same sign of zero, NaN where the reference has NaN. */
function expectIdentical(got: ArrayLike<number>, want: ArrayLike<number>, what: string): void {
  expect(got.length, what).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    const ok = Number.isNaN(want[i]) ? Number.isNaN(got[i]) : Object.is(got[i], want[i]);
    if (!ok) throw new Error(`${what}[${i}]: got ${got[i]}, want ${want[i]}`);
  }
}

/** A safetensors file from a header object and a data section (an independent writer for the bad-input cases). */
function file(header: unknown, data: ArrayLike<number> = [], pad = 0): Uint8Array {
  const json = new TextEncoder().encode(typeof header === 'string' ? header : JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length + pad);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(Array.from(data), 8 + json.length);
  return out;
}

function tmpFile(bytes: Uint8Array): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sparsekit-import-'));
  const f = path.join(dir, 'x.safetensors');
  fs.writeFileSync(f, bytes);
  return f;
}

describe('importSafetensors', () => {
  test('every half-precision bit pattern converts to exactly the float32 numpy gives (file and memory paths)', () => {
    for (const t of [importSafetensorsFile(f16File), importSafetensors(fs.readFileSync(f16File))]) {
      expect(t.half.dtype).toBe('F16');
      expect(t.half.shape).toEqual([65536]);
      expectIdentical(t.half.data, t.as_f32.data, 'half');
    }
  });

  test('a PyTorch state dict with dotted names in F16, BF16, F64, F32 and integer dtypes matches torch .float()', () => {
    const bytes = fs.readFileSync(mlpFile);
    for (const t of [importSafetensorsFile(mlpFile), importSafetensors(bytes)]) {
      expect(Object.keys(t).sort()).toEqual(
        ['0.bias', '0.weight', '2.bias', '2.weight', 'bytes', 'codes', 'empty', 'mask', 'offsets', 'ref.0.bias', 'ref.0.weight', 'ref.2.weight', 'ref.tiny', 'scalar', 'steps', 'tiny'].sort(),
      );
      expect([t['0.weight'].dtype, t['0.bias'].dtype, t['2.weight'].dtype, t['2.bias'].dtype]).toEqual(['F16', 'BF16', 'F64', 'F32']);
      expect(t['0.weight'].shape).toEqual([12, 20]);
      for (const name of ['0.weight', '0.bias', '2.weight', 'tiny']) {
        expect(t[name].data).toBeInstanceOf(Float32Array);
        expectIdentical(t[name].data, t[`ref.${name}`].data, name);
      }
      // F64 to float32 rounds to nearest like torch: subnormals kept, not flushed; -0 stays -0.
      expect(Array.from(t.tiny.data).filter((x) => x !== 0 && Math.abs(x) < 1.1754943508222875e-38).length).toBe(2);
      expect(Object.is(t.tiny.data[5], -0)).toBe(true);
      expect(t.steps).toMatchObject({ dtype: 'I64', shape: [4] });
      expect(Array.from(t.steps.data)).toEqual([0, -7, 2147483647, -2147483648]);
      expect(t.steps.data).toBeInstanceOf(Int32Array);
      expect(Array.from(t.offsets.data)).toEqual([1, -2, 300, -32768, 32767, 0]);
      expect(t.codes.data).toBeInstanceOf(Int8Array);
      expect(Array.from(t.codes.data)).toEqual([-128, -1, 0, 127]);
      expect(Array.from(t.bytes.data)).toEqual([0, 37, 74, 111, 148, 185, 222]);
      expect(t.mask).toMatchObject({ dtype: 'BOOL', shape: [2, 3] });
      expect(Array.from(t.mask.data)).toEqual([1, 0, 1, 0, 0, 1]);
      expect(t.scalar.shape).toEqual([]);
      expect(Array.from(t.scalar.data)).toEqual([3.5]);
      expect(t.empty).toMatchObject({ dtype: 'F16', shape: [0, 4] });
      expect(t.empty.data.length).toBe(0);
    }
  });

  test('F32 data are views on the bytes when aligned and copies when not; the input is never changed', () => {
    const bytes = new Uint8Array(fs.readFileSync(mlpFile));
    const before = bytes.slice();
    const aligned = importSafetensors(bytes);
    expect(aligned['2.bias'].data.buffer).toBe(bytes.buffer);
    for (const shift of [1, 2, 3]) {
      const host = new Uint8Array(bytes.length + shift);
      host.set(bytes, shift);
      const t = importSafetensors(host.subarray(shift));
      expect(t['2.bias'].data.buffer).not.toBe(host.buffer);
      expectIdentical(t['2.bias'].data, aligned['2.bias'].data, `2.bias at +${shift}`);
      expectIdentical(t['0.weight'].data, aligned['0.weight'].data, `0.weight at +${shift}`);
    }
    expect(Buffer.compare(bytes, before)).toBe(0);
  });

  test('options.tensors picks by name or pattern; safetensorsInfo reads only the header', () => {
    const some = importSafetensorsFile(mlpFile, { tensors: ['0.weight', 'steps'] });
    expect(Object.keys(some)).toEqual(['0.weight', 'steps']);
    expect(Object.keys(importSafetensorsFile(mlpFile, { tensors: /^ref\./ })).sort()).toEqual(['ref.0.bias', 'ref.0.weight', 'ref.2.weight', 'ref.tiny']);
    expectSparseError(() => importSafetensorsFile(mlpFile, { tensors: ['nope'] }), 'ERR_ARGUMENT', /options.tensors names 'nope'/);
    expectSparseError(() => importSafetensorsFile(mlpFile, { tensors: 'x' as never }), 'ERR_ARGUMENT', /options.tensors/);
    expectSparseError(() => importSafetensorsFile(mlpFile, { names: [] } as never), 'ERR_UNSUPPORTED', /names/);
    const info = safetensorsInfo(mlpFile);
    expect(info.metadata).toEqual({ format: 'pt' });
    expect(info.tensors.find((t) => t.name === '0.weight')).toEqual({ name: '0.weight', dtype: 'F16', shape: [12, 20], bytes: 480 });
  });

  test('values with no faithful image are refused naming the tensor and element: I64 beyond int32, F64 beyond float32, BOOL not 0/1', () => {
    const i64 = new Uint8Array(16);
    new DataView(i64.buffer).setBigInt64(8, 2n ** 31n, true);
    const f64 = new Uint8Array(8);
    new DataView(f64.buffer).setFloat64(0, 1e300, true);
    const cases: [Uint8Array, string, RegExp][] = [
      [file({ big: { dtype: 'I64', shape: [2], data_offsets: [0, 16] } }, i64), 'ERR_RANGE', /tensor 'big' \(I64\) holds 2147483648 at element 1, outside int32/],
      [file({ w: { dtype: 'F64', shape: [1], data_offsets: [0, 8] } }, f64), 'ERR_RANGE', /tensor 'w' \(F64\) holds 1e\+300 at element 0, beyond float32/],
      [file({ m: { dtype: 'BOOL', shape: [3], data_offsets: [0, 3] } }, [1, 0, 2]), 'ERR_FORMAT', /tensor 'm' \(BOOL\) holds 2 at element 2/],
      [file({ u: { dtype: 'U16', shape: [1], data_offsets: [0, 2] } }, [0, 0]), 'ERR_UNSUPPORTED', /tensor 'u' has dtype U16/],
    ];
    for (const [bytes, code, message] of cases) {
      expectSparseError(() => importSafetensors(bytes), code as never, message);
      const f = tmpFile(bytes);
      expectSparseError(() => importSafetensorsFile(f), code as never, message);
      fs.rmSync(path.dirname(f), { recursive: true });
    }
    // NaN and infinities in F64 stay what they are.
    const special = new Uint8Array(24);
    [NaN, Infinity, -Infinity].forEach((x, i) => new DataView(special.buffer).setFloat64(8 * i, x, true));
    expectIdentical(importSafetensors(file({ s: { dtype: 'F64', shape: [3], data_offsets: [0, 24] } }, special)).s.data, [NaN, Infinity, -Infinity], 's');
  });

  test('malformed and hostile files are SparseErrors naming the problem, before any tensor is allocated', () => {
    const ok = { a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } };
    const cases: [Uint8Array, string, RegExp][] = [
      [new Uint8Array(5), 'ERR_IO', /truncated: 5 bytes/],
      [file(ok, new Array(4).fill(0)), 'ERR_IO', /fall outside the 4-byte data section/],
      [(() => { const b = file(ok, new Array(8).fill(0)); new DataView(b.buffer).setBigUint64(0, 2n ** 40n, true); return b; })(), 'ERR_IO', /header length 1099511627776 exceeds/],
      [file('{"a": [', []), 'ERR_IO', /not valid UTF-8 JSON/],
      [file({ a: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, new Array(8).fill(0)), 'ERR_IO', /shape \[3\] of F32 needs 12 bytes/],
      [file({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, new Array(8).fill(0)), 'ERR_IO', /overlaps/],
      [file({ a: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, new Array(8).fill(0)), 'ERR_IO', /a hole of 4 bytes before tensor 'a'/],
      [file(ok, new Array(8).fill(0), 4), 'ERR_IO', /4 bytes after the last tensor/],
      [file({ a: { dtype: 'F32', shape: [65536, 65536], data_offsets: [0, 8] } }, new Array(8).fill(0)), 'ERR_RANGE', /claims 4294967296 elements/],
      [file({ a: { dtype: 'Q4', shape: [1], data_offsets: [0, 1] } }, [0]), 'ERR_IO', /unknown dtype 'Q4'/],
      [file({ a: { dtype: 'F32', shape: [-1], data_offsets: [0, 0] } }), 'ERR_IO', /invalid shape/],
      [file({ a: 7 }), 'ERR_IO', /entry 'a' is not an object/],
      [file({ __metadata__: { k: 1 } }), 'ERR_IO', /__metadata__.k is not a string/],
    ];
    for (const [bytes, code, message] of cases) {
      expectSparseError(() => importSafetensors(bytes), code as never, message);
      const f = tmpFile(bytes);
      expectSparseError(() => importSafetensorsFile(f), code as never, message);
      fs.rmSync(path.dirname(f), { recursive: true });
    }
    // A tensor named __proto__ is an ordinary own entry, not the result's prototype.
    const proto = importSafetensors(file('{"__proto__": {"dtype": "U8", "shape": [1], "data_offsets": [0, 1]}}', [9]));
    expect(Object.getPrototypeOf(proto)).toBe(Object.prototype);
    expect(Array.from((Object.getOwnPropertyDescriptor(proto, '__proto__')!.value as ImportedTensor).data)).toEqual([9]);
    expectSparseError(() => importSafetensorsFile('/nonexistent/x.safetensors'), 'ERR_IO', /could not read \/nonexistent\/x.safetensors/);
    expectSparseError(() => importSafetensorsFile(os.tmpdir()), 'ERR_IO', /not a regular file|EISDIR/);
    expectSparseError(() => importSafetensors('bytes' as never), 'ERR_ARGUMENT', /Uint8Array for bytes/);
  });

  test('exportSafetensors writes F16 and BF16 rounded to nearest even: every half value round-trips, ties go to even', () => {
    const all = importSafetensorsFile(f16File);
    const halves = all.as_f32.data as Float32Array;
    const back = importSafetensors(exportSafetensors({ h: { data: halves, shape: [65536], dtype: 'F16' } })).h.data;
    expectIdentical(back, halves, 'every half value');
    const ulp = 2 ** -10;
    const cases = Float32Array.of(1 + ulp / 2, 1 + (3 * ulp) / 2, 1 + ulp / 2 + 2 ** -20, 65519, 65520, -1e9, 2 ** -25, 2 ** -25 * 1.5, 2 ** -24 * 1.5);
    const want = [1, 1 + 2 * ulp, 1 + ulp, 65504, Infinity, -Infinity, 0, 2 ** -24, 2 ** -23];
    expectIdentical(importSafetensors(exportSafetensors({ c: { data: cases, shape: [cases.length], dtype: 'F16' } })).c.data, want, 'F16 rounding');
    const b = Float32Array.of(1 + 2 ** -8, 1 + 3 * 2 ** -8, 1 + 2 ** -8 + 2 ** -20, NaN, -0);
    expectIdentical(importSafetensors(exportSafetensors({ b: { data: b, shape: [5], dtype: 'BF16' } })).b.data, [1, 1 + 2 ** -6, 1 + 2 ** -7, NaN, -0], 'BF16 rounding');
    const ints = importSafetensors(exportSafetensors({ i: { data: Int32Array.of(-5, 2147483647), shape: [2], dtype: 'I64' }, 'x.y': { data: Uint8Array.of(1, 0), shape: [1, 2], dtype: 'BOOL' } }));
    expect(ints.i).toMatchObject({ dtype: 'I64', shape: [2] });
    expect(Array.from(ints.i.data)).toEqual([-5, 2147483647]);
    expect(ints['x.y'].dtype).toBe('BOOL');
    expectSparseError(() => exportSafetensors({ a: { data: new Float32Array(3), shape: [2, 2] } }), 'ERR_SHAPE', /shape \[2, 2\] holds 4 elements but data has 3/);
    expectSparseError(() => exportSafetensors({ a: { data: new Float32Array(1), shape: [1], dtype: 'I64' } }), 'ERR_DTYPE', /written as F32 or F16 or BF16, not I64/);
    expectSparseError(() => exportSafetensors({ a: { data: new Float64Array(1) as never, shape: [1] } }), 'ERR_DTYPE', /Float32Array, Int32Array/);
  });
});
