/**
 * exportSafetensors() / exportSafetensorsFile(): named tensors of any rank written as a plain safetensors file that
 * PyTorch, Hugging Face and the `safetensors` package read (names kept as given, dots included): the counterpart of
 * importSafetensors(). Float32Array data is written as F32 (or F16 / BF16, rounded to nearest even, on request),
 * Int32Array as I32 or I64, Int8Array as I8, Uint8Array as U8 or BOOL. Tensors are laid out as
 * safetensors.torch.save_file does: by alignment (largest element first), then by name, the JSON header padded with
 * spaces to a multiple of 8 bytes.
 */
import * as v from '../core/validate';
import { writeFileAtomic } from './atomic';
import { DTYPE_SIZES, littleEndian, MAX_HEADER, SafetensorsDType } from './safetensors-header';

/** A tensor to write: its values, its shape (product = data.length) and the dtype to store it as. */
export interface ExportTensor {
  data: Float32Array | Int32Array | Int8Array | Uint8Array;
  shape: number[];
  /** Default: F32 for Float32Array, I32 for Int32Array, I8 for Int8Array, U8 for Uint8Array. */
  dtype?: SafetensorsDType;
}

const ALLOWED: Record<string, SafetensorsDType[]> = {
  Float32Array: ['F32', 'F16', 'BF16'],
  Int32Array: ['I32', 'I64'],
  Int8Array: ['I8'],
  Uint8Array: ['U8', 'BOOL'],
};

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** IEEE half bits of a float32 value, rounded to nearest even (overflow to infinity, NaN kept NaN). */
function toHalf(x: number): number {
  f32[0] = x;
  const b = u32[0];
  const sign = (b >>> 16) & 0x8000;
  const exp = (b >>> 23) & 0xff;
  let mant = b & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 | (mant >>> 13) : 0);
  let e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign; // below half the smallest subnormal
    mant |= 0x800000;
    const shift = 14 - e;
    const half = 1 << (shift - 1);
    let m = mant >>> shift;
    const rest = mant & ((1 << shift) - 1);
    if (rest > half || (rest === half && (m & 1))) m++;
    return sign | m;
  }
  let m = mant >>> 13;
  const rest = mant & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && (m & 1))) {
    m++;
    if (m === 0x400) {
      m = 0;
      e++;
      if (e >= 0x1f) return sign | 0x7c00;
    }
  }
  return sign | (e << 10) | m;
}

/** bfloat16 bits of a float32 value, rounded to nearest even (NaN kept NaN). */
function toBF16(x: number): number {
  f32[0] = x;
  const b = u32[0];
  if ((b & 0x7f800000) === 0x7f800000 && b & 0x7fffff) return (b >>> 16) | 0x40;
  return ((b + 0x7fff + ((b >>> 16) & 1)) >>> 16) & 0xffff;
}

function encode(name: string, t: ExportTensor, dtype: SafetensorsDType): Uint8Array {
  const n = t.data.length;
  const out = new Uint8Array(n * DTYPE_SIZES[dtype]);
  const dv = new DataView(out.buffer);
  switch (dtype) {
    case 'F16':
      for (let i = 0; i < n; i++) dv.setUint16(2 * i, toHalf(t.data[i]), true);
      return out;
    case 'BF16':
      for (let i = 0; i < n; i++) dv.setUint16(2 * i, toBF16(t.data[i]), true);
      return out;
    case 'I64':
      for (let i = 0; i < n; i++) dv.setBigInt64(8 * i, BigInt(t.data[i]), true);
      return out;
    case 'BOOL':
      for (let i = 0; i < n; i++) {
        if (t.data[i] > 1) v.fail('ERR_FORMAT', `exportSafetensors: tensors['${name}'] (BOOL) holds ${t.data[i]} at element ${i}; expected 0 or 1`);
      }
      out.set(t.data as Uint8Array);
      return out;
    default:
      out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
      return out;
  }
}

/** Serialises named tensors (and optional string metadata) into one safetensors Uint8Array. Inputs are not changed. */
export function exportSafetensors(tensors: Record<string, ExportTensor>, metadata?: Record<string, string>): Uint8Array {
  littleEndian();
  if (tensors === null || typeof tensors !== 'object' || Array.isArray(tensors)) {
    v.fail('ERR_ARGUMENT', `Expected an object of named tensors for tensors but received ${v.describe(tensors)}`);
  }
  if (metadata !== undefined && (metadata === null || typeof metadata !== 'object' || Array.isArray(metadata))) {
    v.fail('ERR_ARGUMENT', `Expected an object of strings for metadata but received ${v.describe(metadata)}`);
  }
  for (const [k, x] of Object.entries(metadata ?? {})) {
    if (typeof x !== 'string') v.fail('ERR_ARGUMENT', `Expected a string for metadata.${k} but received ${v.describe(x)}`);
  }
  const entries: { name: string; dtype: SafetensorsDType; shape: number[]; bytes: Uint8Array }[] = [];
  for (const [name, t] of Object.entries(tensors)) {
    const where = `tensors['${name}']`;
    if (name === '' || name === '__metadata__') v.fail('ERR_ARGUMENT', `Tensor names must be non-empty and not '__metadata__'; received '${name}'`);
    if (t === null || typeof t !== 'object') v.fail('ERR_ARGUMENT', `Expected {data, shape, dtype?} for ${where} but received ${v.describe(t)}`);
    const kind = t.data?.constructor?.name;
    const allowed = ALLOWED[kind];
    if (!allowed || !ArrayBuffer.isView(t.data)) {
      v.fail('ERR_DTYPE', `Expected a Float32Array, Int32Array, Int8Array or Uint8Array for ${where}.data but received ${v.describe(t.data)}`);
    }
    const dtype = t.dtype ?? allowed[0];
    if (!allowed.includes(dtype)) v.fail('ERR_DTYPE', `${where}: a ${kind} is written as ${allowed.join(' or ')}, not ${String(dtype)}`);
    if (!Array.isArray(t.shape) || !t.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      v.fail('ERR_SHAPE', `Expected an array of non-negative integers for ${where}.shape but received ${v.describe(t.shape)}`);
    }
    const count = t.shape.reduce((a, b) => a * b, 1);
    if (count !== t.data.length) v.fail('ERR_SHAPE', `${where}: shape [${t.shape.join(', ')}] holds ${count} elements but data has ${t.data.length}`);
    entries.push({ name, dtype, shape: t.shape.slice(), bytes: encode(name, t, dtype) });
  }
  entries.sort((a, b) => DTYPE_SIZES[b.dtype] - DTYPE_SIZES[a.dtype] || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const header: Record<string, unknown> = {};
  if (metadata && Object.keys(metadata).length) header.__metadata__ = { ...metadata };
  let at = 0;
  for (const e of entries) {
    Object.defineProperty(header, e.name, { value: { dtype: e.dtype, shape: e.shape, data_offsets: [at, at + e.bytes.length] }, enumerable: true });
    at += e.bytes.length;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil(json.length / 8) * 8;
  if (padded > MAX_HEADER) v.fail('ERR_RANGE', `exportSafetensors: the header would take ${padded} bytes, over the ${MAX_HEADER}-byte limit`);
  const out = new Uint8Array(8 + padded + at);
  new DataView(out.buffer).setBigUint64(0, BigInt(padded), true);
  out.fill(0x20, 8, 8 + padded);
  out.set(json, 8);
  let pos = 8 + padded;
  for (const e of entries) {
    out.set(e.bytes, pos);
    pos += e.bytes.length;
  }
  return out;
}

/** exportSafetensors() to a file, atomically (a temporary file renamed over `file`). */
export function exportSafetensorsFile(file: string, tensors: Record<string, ExportTensor>, metadata?: Record<string, string>): void {
  v.filePath('file', file);
  writeFileAtomic(file, exportSafetensors(tensors, metadata));
}
