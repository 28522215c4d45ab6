/**
 * importSafetensors() / importSafetensorsFile(): the tensors of a safetensors file written by anyone (PyTorch's
 * safetensors.torch.save_file, Hugging Face checkpoints), with any names, in the dtypes a weight file uses:
 *   F32                      Float32Array: a view on the bytes when 4-byte aligned (no copy), else one copy
 *   F16, BF16                Float32Array, converted exactly (every half and bfloat16 value is a float32 value)
 *   F64                      Float32Array, rounded to nearest; a finite value beyond float32's range is ERR_RANGE
 *   I8 / U8 / BOOL           Int8Array / Uint8Array (views); BOOL must hold 0 or 1
 *   I16 / I32 / I64          Int32Array (I32 a view when aligned); an I64 value outside int32 is ERR_RANGE
 * U16, U32, U64 and the F8 types are ERR_UNSUPPORTED, naming the tensor. From a file, the header is read and
 * checked first, then each tensor is read straight into its final array (a converted one through a 1 MiB scratch
 * buffer, reused), so the process never holds the file and its tensors at once: an F32 file costs its own size.
 */
import * as fs from 'node:fs';
import * as v from '../core/validate';
import { DTYPE_SIZES, Header, HeaderEntry, headerLength, littleEndian, parseBytes, parseHeader, SafetensorsDType } from './safetensors-header';

export type { SafetensorsDType } from './safetensors-header';

/** One imported tensor: its dtype in the file, its shape (any rank) and its values. */
export interface ImportedTensor {
  /** The dtype stored in the file (the values were converted from it). */
  dtype: SafetensorsDType;
  shape: number[];
  data: Float32Array | Int32Array | Int8Array | Uint8Array;
}

export interface ImportOptions {
  /** Only these tensors: a list of names (each must exist) or a pattern tested against every name. Default: all. */
  tensors?: string[] | RegExp;
}

/** Name, dtype, shape and size of each tensor, without reading any data: what a file holds. */
export interface TensorInfo {
  name: string;
  dtype: SafetensorsDType;
  shape: number[];
  bytes: number;
}

const CHUNK = 1 << 20;
const WHO = 'importSafetensors';

let f16Table: Float32Array | undefined;
/** float32 value of every IEEE half bit pattern (exact: half's range and precision fit in float32). */
function halfTable(): Float32Array {
  if (f16Table) return f16Table;
  const t = new Float32Array(65536);
  const bits = new Uint32Array(t.buffer);
  for (let h = 0; h < 65536; h++) {
    const sign = (h & 0x8000) << 16;
    const exp = (h >> 10) & 0x1f;
    const mant = h & 0x3ff;
    if (exp === 0x1f) bits[h] = sign | 0x7f800000 | (mant << 13); // Inf, NaN (payload kept)
    else if (exp !== 0) bits[h] = sign | ((exp + 112) << 23) | (mant << 13); // normal: rebias 15 -> 127
    else t[h] = (sign ? -1 : 1) * mant * 2 ** -24; // zero and subnormals: mant * 2^-24, exact in float32
  }
  f16Table = t;
  return t;
}

/** A new array of the kind `dtype` imports into (ERR_UNSUPPORTED for dtypes that have none). @internal */
export function outputFor(dtype: SafetensorsDType, count: number, name: string, who = WHO): ImportedTensor['data'] {
  switch (dtype) {
    case 'F32':
    case 'F16':
    case 'BF16':
    case 'F64':
      return new Float32Array(count);
    case 'I16':
    case 'I32':
    case 'I64':
      return new Int32Array(count);
    case 'I8':
      return new Int8Array(count);
    case 'U8':
    case 'BOOL':
      return new Uint8Array(count);
    default:
      return v.fail('ERR_UNSUPPORTED', `${who}: tensor '${name}' has dtype ${dtype}; sparsekit imports F64, F32, F16, BF16, I64, I32, I16, I8, U8 and BOOL`);
  }
}

/**
 * Converts `src` (whole elements of `dtype`, little-endian, any alignment) into `out` from element `at`. Values that
 * have no faithful image in the output type are refused, naming the tensor and the element. @internal
 */
export function convert(dtype: SafetensorsDType, src: Uint8Array, out: ImportedTensor['data'], at: number, name: string, who = WHO): void {
  const n = src.length / DTYPE_SIZES[dtype];
  const dv = new DataView(src.buffer, src.byteOffset, src.byteLength);
  switch (dtype) {
    case 'F32':
    case 'I32':
    case 'I8':
    case 'U8':
      new Uint8Array(out.buffer, out.byteOffset + at * DTYPE_SIZES[dtype], src.length).set(src);
      return;
    case 'BOOL':
      for (let i = 0; i < n; i++) {
        if (src[i] > 1) v.fail('ERR_FORMAT', `${who}: tensor '${name}' (BOOL) holds ${src[i]} at element ${at + i}; expected 0 or 1`);
      }
      (out as Uint8Array).set(src, at);
      return;
    case 'F16': {
      const t = halfTable();
      for (let i = 0; i < n; i++) out[at + i] = t[dv.getUint16(2 * i, true)];
      return;
    }
    case 'BF16': {
      const bits = new Uint32Array(out.buffer, out.byteOffset, out.length);
      for (let i = 0; i < n; i++) bits[at + i] = dv.getUint16(2 * i, true) << 16;
      return;
    }
    case 'F64':
      for (let i = 0; i < n; i++) {
        const x = dv.getFloat64(8 * i, true);
        const f = Math.fround(x);
        if (!Number.isFinite(f) && Number.isFinite(x)) {
          v.fail('ERR_RANGE', `${who}: tensor '${name}' (F64) holds ${x} at element ${at + i}, beyond float32's range`);
        }
        out[at + i] = f;
      }
      return;
    case 'I16':
      for (let i = 0; i < n; i++) out[at + i] = dv.getInt16(2 * i, true);
      return;
    case 'I64':
      for (let i = 0; i < n; i++) {
        const x = dv.getBigInt64(8 * i, true);
        if (x < -2147483648n || x > 2147483647n) v.fail('ERR_RANGE', `${who}: tensor '${name}' (I64) holds ${x} at element ${at + i}, outside int32`);
        out[at + i] = Number(x);
      }
      return;
    default:
      outputFor(dtype, 0, name, who);
  }
}

function selected(tensors: Map<string, HeaderEntry>, opts: ImportOptions | undefined): [string, HeaderEntry][] {
  const o = v.options<ImportOptions>('options', opts, ['tensors']);
  const want = o.tensors;
  if (want === undefined) return [...tensors];
  if (want instanceof RegExp) return [...tensors].filter(([name]) => { want.lastIndex = 0; return want.test(name); });
  if (!Array.isArray(want) || !want.every((x) => typeof x === 'string')) {
    v.fail('ERR_ARGUMENT', `Expected an array of names or a RegExp for options.tensors but received ${v.describe(want)}`);
  }
  return want.map((name) => {
    const t = tensors.get(name);
    if (!t) v.fail('ERR_ARGUMENT', `options.tensors names '${name}', which the file does not hold (it holds ${tensors.size} tensors)`);
    return [name, t] as [string, HeaderEntry];
  });
}

/** An own property even for names such as '__proto__'. */
function put<T>(out: Record<string, T>, name: string, value: T): void {
  Object.defineProperty(out, name, { value, enumerable: true, writable: true, configurable: true });
}

/**
 * The tensors of a safetensors file held in memory. F32, I32, I8 and U8 data are views on `bytes` where alignment
 * allows (keep `bytes` unchanged while you use them); other dtypes are converted (see the module comment).
 */
export function importSafetensors(bytes: Uint8Array, opts?: ImportOptions): Record<string, ImportedTensor> {
  const header = parseBytes(bytes, WHO);
  const out: Record<string, ImportedTensor> = {};
  for (const [name, t] of selected(header.tensors, opts)) {
    const at = bytes.byteOffset + header.dataStart + t.begin;
    const size = DTYPE_SIZES[t.dtype];
    let data: ImportedTensor['data'] | undefined;
    if (at % size === 0) {
      if (t.dtype === 'F32') data = new Float32Array(bytes.buffer, at, t.count);
      else if (t.dtype === 'I32') data = new Int32Array(bytes.buffer, at, t.count);
      else if (t.dtype === 'I8') data = new Int8Array(bytes.buffer, at, t.count);
      else if (t.dtype === 'U8') data = new Uint8Array(bytes.buffer, at, t.count);
    }
    if (!data) {
      data = outputFor(t.dtype, t.count, name);
      convert(t.dtype, bytes.subarray(header.dataStart + t.begin, header.dataStart + t.end), data, 0, name);
    }
    put(out, name, { dtype: t.dtype, shape: t.shape.slice(), data });
  }
  return out;
}

function openFile(file: string): { fd: number; size: number } {
  const p = v.filePath('file', file);
  let fd: number | undefined;
  try {
    fd = fs.openSync(p, 'r');
    const st = fs.fstatSync(fd);
    if (!st.isFile()) throw new Error('not a regular file');
    return { fd, size: st.size };
  } catch (e) {
    if (fd !== undefined) fs.closeSync(fd);
    return v.fail('ERR_IO', `${WHO}: could not read ${file}: ${(e as Error).message}`);
  }
}

function readExactly(fd: number, into: Uint8Array, position: number, file: string): void {
  for (let done = 0; done < into.length;) {
    const n = fs.readSync(fd, into, done, Math.min(into.length - done, 1 << 30), position + done);
    if (n === 0) v.fail('ERR_IO', `${WHO}: ${file} ended early (it changed while being read?)`);
    done += n;
  }
}

function fileHeader(fd: number, size: number, file: string): Header {
  littleEndian();
  const first = new Uint8Array(8);
  if (size >= 8) readExactly(fd, first, 0, file);
  const n = headerLength(first, size, `${WHO}: ${file}`);
  const json = new Uint8Array(n);
  readExactly(fd, json, 8, file);
  return { ...parseHeader(json, size - 8 - n, `${WHO}: ${file}`), dataStart: 8 + n };
}

/** What a safetensors file holds (names, dtypes, shapes, sizes) and its string metadata; reads only the header. */
export function safetensorsInfo(file: string): { tensors: TensorInfo[]; metadata: Record<string, string> } {
  const { fd, size } = openFile(file);
  try {
    const h = fileHeader(fd, size, file);
    return { tensors: [...h.tensors].map(([name, t]) => ({ name, dtype: t.dtype, shape: t.shape.slice(), bytes: t.end - t.begin })), metadata: h.metadata };
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * The tensors of a safetensors file, read tensor by tensor straight into their final arrays (see the module
 * comment): peak memory is the imported tensors plus 1 MiB. Every dtype and range is checked from the header
 * before the first tensor is allocated.
 */
export function importSafetensorsFile(file: string, opts?: ImportOptions): Record<string, ImportedTensor> {
  const { fd, size } = openFile(file);
  try {
    const header = fileHeader(fd, size, file);
    const chosen = selected(header.tensors, opts);
    for (const [name, t] of chosen) outputFor(t.dtype, 0, name); // unsupported dtypes refused before any allocation
    const out: Record<string, ImportedTensor> = {};
    let scratch: Uint8Array | undefined;
    for (const [name, t] of chosen) {
      const data = outputFor(t.dtype, t.count, name);
      const position = header.dataStart + t.begin;
      const size = DTYPE_SIZES[t.dtype];
      if (t.dtype === 'F32' || t.dtype === 'I32' || t.dtype === 'I8' || t.dtype === 'U8') {
        readExactly(fd, new Uint8Array(data.buffer, data.byteOffset, data.byteLength), position, file);
      } else {
        scratch ??= new Uint8Array(CHUNK);
        const perChunk = Math.floor(CHUNK / size);
        for (let at = 0; at < t.count; at += perChunk) {
          const n = Math.min(perChunk, t.count - at);
          const part = scratch.subarray(0, n * size);
          readExactly(fd, part, position + at * size, file);
          convert(t.dtype, part, data, at, name);
        }
      }
      put(out, name, { dtype: t.dtype, shape: t.shape.slice(), data });
    }
    return out;
  } finally {
    fs.closeSync(fd);
  }
}
