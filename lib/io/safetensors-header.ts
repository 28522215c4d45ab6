/**
 * The safetensors header, checked whole before any tensor is read or allocated: a little-endian u64 header length,
 * a UTF-8 JSON object {name: {dtype, shape, data_offsets}} plus an optional `__metadata__` map of strings, then the
 * data section, which the tensors' byte ranges must tile exactly (no overlap, no hole, nothing after the last).
 * One parser for save()/load() (our own files) and importSafetensors() (files written by PyTorch / Hugging Face).
 */
import * as v from '../core/validate';

/** The reference implementation's limit on the header. */
export const MAX_HEADER = 100 * 1024 * 1024;

/** Every dtype of the safetensors format, with its element size in bytes. */
export const DTYPE_SIZES = {
  F64: 8,
  F32: 4,
  F16: 2,
  BF16: 2,
  I64: 8,
  I32: 4,
  I16: 2,
  I8: 1,
  U64: 8,
  U32: 4,
  U16: 2,
  U8: 1,
  BOOL: 1,
  F8_E4M3: 1,
  F8_E5M2: 1,
} as const;
export type SafetensorsDType = keyof typeof DTYPE_SIZES;

export interface HeaderEntry {
  dtype: SafetensorsDType;
  shape: number[];
  /** Element count (product of shape). */
  count: number;
  /** Byte range within the data section. */
  begin: number;
  end: number;
}

export interface Header {
  tensors: Map<string, HeaderEntry>;
  metadata: Record<string, string>;
  /** Bytes before the data section (8 + the header length). */
  dataStart: number;
}

export function littleEndian(): void {
  if (new Uint8Array(Uint16Array.of(1).buffer)[0] !== 1) v.fail('ERR_UNSUPPORTED', 'safetensors files need a little-endian platform');
}

/**
 * The header length from the first 8 bytes of a file of `total` bytes; refuses a truncated file and a header longer
 * than the file or than MAX_HEADER. `who` prefixes messages (load, importSafetensors).
 */
export function headerLength(first8: Uint8Array, total: number, who: string): number {
  const io: (m: string) => never = (m) => v.fail('ERR_IO', `${who}: ${m}`);
  if (total < 8 || first8.length < 8) io(`truncated: ${total} bytes, fewer than the 8-byte header length`);
  const n = new DataView(first8.buffer, first8.byteOffset, 8).getBigUint64(0, true);
  if (n > BigInt(total - 8)) io(`header length ${n} exceeds the ${total - 8} bytes after it (truncated or corrupt)`);
  if (n > BigInt(MAX_HEADER)) io(`header length ${n} exceeds the ${MAX_HEADER}-byte limit`);
  return Number(n);
}

/** Parses and checks the JSON header (`json`) of a file whose data section holds `dataLength` bytes. */
export function parseHeader(json: Uint8Array, dataLength: number, who: string): Omit<Header, 'dataStart'> {
  const io: (m: string) => never = (m) => v.fail('ERR_IO', `${who}: ${m}`);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(json));
  } catch (e) {
    io(`the header is not valid UTF-8 JSON (${(e as Error).message})`);
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header)) io('the header is not a JSON object');
  const metadata: Record<string, string> = {};
  const tensors = new Map<string, HeaderEntry>();
  for (const [name, raw] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) io('__metadata__ is not an object');
      for (const [k, x] of Object.entries(raw as Record<string, unknown>)) {
        if (typeof x !== 'string') io(`__metadata__.${k} is not a string`);
        Object.defineProperty(metadata, k, { value: x, enumerable: true, writable: true, configurable: true });
      }
      continue;
    }
    const t = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (t === null || typeof t !== 'object' || Array.isArray(t)) io(`entry '${name}' is not an object`);
    if (typeof t.dtype !== 'string') io(`entry '${name}' has no dtype`);
    if (!Object.prototype.hasOwnProperty.call(DTYPE_SIZES, t.dtype)) io(`tensor '${name}' has unknown dtype '${t.dtype}'`);
    const dtype = t.dtype as SafetensorsDType;
    if (!Array.isArray(t.shape) || t.shape.length > 8 || !t.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      io(`tensor '${name}' has an invalid shape ${JSON.stringify(t.shape)}`);
    }
    const shape = t.shape as number[];
    let count = 1;
    for (const d of shape) count *= d;
    if (!Number.isSafeInteger(count) || count > v.INT32_MAX) v.fail('ERR_RANGE', `${who}: tensor '${name}' claims ${count} elements, beyond int32 indexing`);
    const off = t.data_offsets;
    if (!Array.isArray(off) || off.length !== 2 || !off.every((d) => Number.isSafeInteger(d) && d >= 0)) io(`tensor '${name}' has invalid data_offsets`);
    const [begin, end] = off as [number, number];
    if (begin > end || end > dataLength) io(`tensor '${name}' data_offsets [${begin}, ${end}] fall outside the ${dataLength}-byte data section`);
    const size = DTYPE_SIZES[dtype];
    if (end - begin !== count * size) {
      io(`tensor '${name}': shape [${shape.join(', ')}] of ${dtype} needs ${count * size} bytes but data_offsets span ${end - begin}`);
    }
    tensors.set(name, { dtype, shape, count, begin, end });
  }
  // The buffers must tile the data section exactly: no overlap, no holes.
  const spans = [...tensors.entries()].sort((a, b) => a[1].begin - b[1].begin || a[1].end - b[1].end);
  let expected = 0;
  for (const [name, s] of spans) {
    if (s.begin < expected) io(`tensor '${name}' overlaps the tensor before it`);
    if (s.begin > expected) io(`a hole of ${s.begin - expected} bytes before tensor '${name}'`);
    expected = s.end;
  }
  if (expected !== dataLength) io(`${dataLength - expected} bytes after the last tensor are not described by the header`);
  return { tensors, metadata };
}

/** The header of a whole file held in memory. */
export function parseBytes(bytes: Uint8Array, who: string): Header {
  littleEndian();
  if (!(bytes instanceof Uint8Array)) v.fail('ERR_ARGUMENT', `Expected a Uint8Array for bytes but received ${v.describe(bytes)}`);
  const n = headerLength(bytes.subarray(0, 8), bytes.length, who);
  const dataStart = 8 + n;
  return { ...parseHeader(bytes.subarray(8, dataStart), bytes.length - dataStart, who), dataStart };
}
