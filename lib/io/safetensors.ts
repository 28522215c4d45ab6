/**
 * save() / load(): a versioned container in the safetensors layout (little-endian u64 header length, a JSON header
 * of {name: {dtype, shape, data_offsets}} plus a `__metadata__` map of strings, then the raw little-endian buffers,
 * contiguous, with no holes). Sparse tensors are stored as their component arrays (`name.indptr`, `name.indices`,
 * `name.values`, ...) and `__metadata__.sparsekit` records each tensor's format as JSON, so Python rebuilds them
 * with safetensors and scipy in a few lines (README, "Files").
 */
import * as fs from 'node:fs';
import { SparseError } from '../core/errors';
import * as v from '../core/validate';
import { BSRMatrix, COOMatrix, CSRMatrix, DenseMatrix, formatOf, formatSpec, JsonValue, Mask, NMMatrix, StoredPart } from '../formats';
import { writeFileAtomic } from './atomic';
import { littleEndian, parseBytes } from './safetensors-header';

export type { JsonValue } from '../formats';
/** What save() stores and load() gives back, kind for kind. Plain JSON values hold small state (step, seed). */
export type Savable = DenseMatrix | CSRMatrix | COOMatrix | BSRMatrix | NMMatrix | Mask | Float32Array | Int32Array | Uint8Array | JsonValue;

const FORMAT_VERSION = 1;
const DTYPES = { F32: { size: 4, array: Float32Array }, I32: { size: 4, array: Int32Array }, U8: { size: 1, array: Uint8Array } } as const;
type DType = keyof typeof DTYPES;

type Entry = { name: string; dtype: DType; shape: number[]; data: StoredPart['data'] };
/** A tensor's entry in __metadata__.sparsekit: its format tag, 2-D shape and the format's attributes (block, n, m). */
type Described = { format: string; shape?: number[]; value?: JsonValue; [attr: string]: unknown };

function isDense(x: unknown): x is DenseMatrix {
  return typeof x === 'object' && x !== null && (x as DenseMatrix).data instanceof Float32Array && 'rows' in x && 'cols' in x;
}

/** Serialises named tensors (and optional string metadata) into one Uint8Array. Inputs are not changed. */
export function save(tensors: Record<string, Savable>, metadata?: Record<string, string>): Uint8Array {
  littleEndian();
  if (tensors === null || typeof tensors !== 'object' || Array.isArray(tensors)) {
    v.fail('ERR_ARGUMENT', `Expected an object of named tensors for tensors but received ${v.describe(tensors)}`);
  }
  const user = metadata === undefined ? {} : metadata;
  if (user === null || typeof user !== 'object') v.fail('ERR_ARGUMENT', `Expected an object of strings for metadata but received ${v.describe(user)}`);
  for (const [k, x] of Object.entries(user)) {
    if (typeof x !== 'string') v.fail('ERR_ARGUMENT', `Expected a string for metadata.${k} but received ${v.describe(x)}`);
    if (k === 'sparsekit') v.fail('ERR_ARGUMENT', "metadata key 'sparsekit' is reserved for the container's own description");
  }
  const entries: Entry[] = [];
  const described: Record<string, Described> = {};
  const add = (name: string, dtype: DType, shape: number[], data: Entry['data']) => entries.push({ name, dtype, shape, data });
  for (const [name, t] of Object.entries(tensors)) {
    if (name === '' || name === '__metadata__' || name.includes('.')) {
      v.fail('ERR_ARGUMENT', `Tensor names must be non-empty, without '.', and not '__metadata__'; received '${name}'`);
    }
    const spec = formatOf(t);
    if (spec) {
      const { parts, attrs } = spec.codec.encode(t as never);
      for (const p of parts) add(`${name}.${p.key}`, p.dtype, p.shape, p.data);
      described[name] = { format: spec.tag, shape: [(t as CSRMatrix).rows, (t as CSRMatrix).cols], ...attrs };
    } else if (isDense(t)) {
      v.dense(name, t);
      add(name, 'F32', [t.rows, t.cols], t.data);
      described[name] = { format: 'dense' };
    } else if (t instanceof Float32Array || t instanceof Int32Array || t instanceof Uint8Array) {
      add(name, t instanceof Float32Array ? 'F32' : t instanceof Int32Array ? 'I32' : 'U8', [t.length], t);
      described[name] = { format: 'array' };
    } else if (ArrayBuffer.isView(t)) {
      v.fail('ERR_DTYPE', `Expected a Float32Array, Int32Array or Uint8Array for ${name} but received ${v.describe(t)}`);
    } else {
      let json: string | undefined;
      try {
        json = JSON.stringify(t);
      } catch (e) {
        v.fail('ERR_ARGUMENT', `${name} is neither a tensor nor JSON-serialisable state: ${(e as Error).message}`);
      }
      if (json === undefined) v.fail('ERR_ARGUMENT', `${name} is neither a tensor nor JSON-serialisable state: received ${v.describe(t)}`);
      described[name] = { format: 'json', value: JSON.parse(json) as JsonValue };
    }
  }
  // 4-byte dtypes first, so every F32/I32 buffer starts 4-byte aligned and load() can return views on it.
  entries.sort((a, b) => DTYPES[b.dtype].size - DTYPES[a.dtype].size);
  const header: Record<string, unknown> = {
    __metadata__: { ...user, sparsekit: JSON.stringify({ version: FORMAT_VERSION, tensors: described }) },
  };
  let offset = 0;
  for (const e of entries) {
    header[e.name] = { dtype: e.dtype, shape: e.shape, data_offsets: [offset, offset + e.data.byteLength] };
    offset += e.data.byteLength;
  }
  let json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil((8 + json.length) / 8) * 8 - 8; // data starts 8-byte aligned, padded with spaces
  const out = new Uint8Array(8 + padded + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(padded), true);
  out.fill(0x20, 8, 8 + padded);
  out.set(json, 8);
  json = new Uint8Array(0);
  let at = 8 + padded;
  for (const e of entries) {
    out.set(new Uint8Array(e.data.buffer, e.data.byteOffset, e.data.byteLength), at);
    at += e.data.byteLength;
  }
  return out;
}

interface Parsed {
  tensors: Map<string, { dtype: DType; shape: number[]; begin: number; end: number }>;
  metadata: Record<string, string>;
  dataStart: number;
}

function io(message: string): never {
  v.fail('ERR_IO', `load: ${message}`);
}

/** Checks the whole header against the buffer before anything is allocated; load() reads F32, I32 and U8 only. */
function parse(bytes: Uint8Array): Parsed {
  const header = parseBytes(bytes, 'load');
  for (const [name, t] of header.tensors) {
    if (!(t.dtype in DTYPES)) {
      v.fail('ERR_UNSUPPORTED', `load: tensor '${name}' has dtype ${t.dtype}; load() reads F32, I32 and U8 (importSafetensors() reads the other dtypes)`);
    }
  }
  return header as Parsed;
}

/**
 * Reads what save() wrote (or any safetensors file with F32/I32/U8 tensors) back into the same kinds. Buffers are
 * views on `bytes` where alignment allows (no copy); keep `bytes` unchanged while you use them, or clone().
 * Corrupt or hostile input is refused with ERR_IO (or ERR_UNSUPPORTED / ERR_RANGE / ERR_FORMAT) before any large
 * allocation.
 */
export function load(bytes: Uint8Array): Record<string, Savable> {
  const { tensors, metadata, dataStart } = parse(bytes);
  const array = (name: string, want?: DType): Entry['data'] => {
    const t = tensors.get(name);
    if (!t) io(`tensor '${name}' is missing`);
    if (want && t.dtype !== want) io(`tensor '${name}' has dtype ${t.dtype}, expected ${want}`);
    const { array: Ctor, size } = DTYPES[t.dtype];
    const at = bytes.byteOffset + dataStart + t.begin;
    const count = (t.end - t.begin) / size;
    // A view when aligned (zero copy); otherwise a copy of exactly the declared bytes.
    const buffer = (at % size === 0 ? bytes.buffer : bytes.slice(at - bytes.byteOffset, at - bytes.byteOffset + t.end - t.begin).buffer) as ArrayBuffer;
    return new Ctor(buffer, at % size === 0 ? at : 0, count);
  };
  let described: Record<string, Described> = {};
  if (metadata.sparsekit !== undefined) {
    let meta: { version?: unknown; tensors?: unknown };
    try {
      meta = JSON.parse(metadata.sparsekit);
    } catch {
      io('__metadata__.sparsekit is not valid JSON');
    }
    if (meta === null || typeof meta !== 'object' || typeof meta.tensors !== 'object' || meta.tensors === null) io('__metadata__.sparsekit has no tensors map');
    if (meta.version !== FORMAT_VERSION) v.fail('ERR_UNSUPPORTED', `load: container version ${String(meta.version)}; this sparsekit reads version ${FORMAT_VERSION}`);
    described = meta.tensors as Record<string, Described>;
  }
  const out: Record<string, Savable> = {};
  const used = new Set<string>();
  const take = (name: string, dtype: DType) => { used.add(name); return array(name, dtype); };
  for (const [name, d] of Object.entries(described)) {
    const shape = (d.shape ?? []) as [number, number];
    try {
      switch (d.format) {
        case 'dense': {
          const t = tensors.get(name);
          if (!t || t.shape.length !== 2) io(`dense tensor '${name}' is missing or not 2-D`);
          out[name] = { data: take(name, 'F32') as Float32Array, rows: t.shape[0], cols: t.shape[1] };
          break;
        }
        case 'array':
          used.add(name);
          out[name] = array(name);
          break;
        case 'json':
          out[name] = d.value as JsonValue;
          break;
        default: {
          const spec = formatSpec(String(d.format));
          const { format: _tag, shape: _shape, ...attrs } = d;
          out[name] = spec.codec.decode(shape, attrs, (key, dtype) => take(`${name}.${key}`, dtype)) as Savable;
        }
      }
    } catch (e) {
      if (e instanceof SparseError && !e.message.startsWith('load:')) throw new SparseError(e.code, `load: tensor '${name}': ${e.message}`);
      throw e;
    }
  }
  // Tensors the sparsekit description does not mention (a file written by another tool): 2-D F32 as DenseMatrix,
  // anything else as a flat array.
  for (const [name, t] of tensors) {
    if (used.has(name)) continue;
    if (name.includes('.') && described[name.slice(0, name.lastIndexOf('.'))]) continue;
    out[name] = t.dtype === 'F32' && t.shape.length === 2 ? { data: array(name) as Float32Array, rows: t.shape[0], cols: t.shape[1] } : array(name);
  }
  return out;
}

/** The string metadata passed to save() (without the container's own 'sparsekit' entry). */
export function loadMetadata(bytes: Uint8Array): Record<string, string> {
  const { metadata } = parse(bytes);
  const { sparsekit: _own, ...user } = metadata;
  void _own;
  return user;
}

/**
 * save() to a file, atomically: the bytes go to a temporary file in the same directory, which is flushed to disk
 * and then renamed over `file`, so a crash leaves either the old file or the complete new one, never a torn one.
 * File-system errors become SparseError ERR_IO naming the path.
 */
export function saveFile(file: string, tensors: Record<string, Savable>, metadata?: Record<string, string>): void {
  v.filePath('file', file);
  writeFileAtomic(file, save(tensors, metadata));
}

/** load() from a file; a missing or unreadable file is SparseError ERR_IO. */
export function loadFile(file: string): Record<string, Savable> {
  let bytes: Uint8Array;
  try {
    bytes = fs.readFileSync(v.filePath('file', file));
  } catch (e) {
    return v.fail('ERR_IO', `Could not read ${file}: ${(e as Error).message}`);
  }
  return load(bytes);
}
