/**
 * Every argument check of the public API lives here, so messages have one shape:
 *   "Expected <what> for <argument> but received <value>".
 * Functions return the checked value (narrowed) or throw a SparseError.
 */
import { SparseError, SparseErrorCode } from './errors';

/** Largest count an int32 index can address; sizes above it are refused with ERR_RANGE. */
export const INT32_MAX = 2147483647;

export function fail(code: SparseErrorCode, message: string): never {
  throw new SparseError(code, message);
}

/** A short description of a received value for error messages. */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  switch (typeof value) {
    case 'number':
      return `${value} of type number`;
    case 'string':
      return `'${value.length > 40 ? value.slice(0, 40) + '...' : value}' of type string`;
    case 'bigint':
      return `${value}n of type bigint`;
    case 'boolean':
      return `${value} of type boolean`;
    case 'function':
      return 'a function';
    case 'symbol':
      return 'a symbol';
  }
  if (ArrayBuffer.isView(value)) {
    const length = (value as unknown as { length?: number }).length;
    return `${value.constructor.name}(${length ?? value.byteLength})`;
  }
  if (Array.isArray(value)) return `Array(${value.length})`;
  const name = (value as object).constructor?.name;
  return name && name !== 'Object' ? `an instance of ${name}` : 'an object';
}

function expected(code: SparseErrorCode, what: string, name: string, value: unknown): never {
  fail(code, `Expected ${what} for ${name} but received ${describe(value)}`);
}

export function integer(name: string, value: unknown, min = 0, max = INT32_MAX): number {
  if (typeof value !== 'number') expected('ERR_ARGUMENT', 'an integer', name, value);
  if (!Number.isInteger(value)) expected('ERR_RANGE', 'an integer', name, value);
  if (value < min || value > max) expected('ERR_RANGE', `an integer in [${min}, ${max}]`, name, value);
  return value;
}

/** A matrix dimension: an integer in [0, 2^31-1]. */
export function dimension(name: string, value: unknown): number {
  return integer(name, value, 0, INT32_MAX);
}

/** A finite number (NaN and Infinity are refused with ERR_RANGE). */
export function finite(name: string, value: unknown): number {
  if (typeof value !== 'number') expected('ERR_ARGUMENT', 'a finite number', name, value);
  if (!Number.isFinite(value)) expected('ERR_RANGE', 'a finite number', name, value);
  return value;
}

export function float32Array(name: string, value: unknown, length?: number): Float32Array {
  if (!(value instanceof Float32Array)) expected('ERR_DTYPE', 'a Float32Array', name, value);
  if (length !== undefined && value.length !== length) expected('ERR_SHAPE', `length ${length}`, name, value);
  return value;
}

export function int32Array(name: string, value: unknown, length?: number): Int32Array {
  if (!(value instanceof Int32Array)) expected('ERR_DTYPE', 'an Int32Array', name, value);
  if (length !== undefined && value.length !== length) expected('ERR_SHAPE', `length ${length}`, name, value);
  return value;
}

/** rows * cols elements as one dense buffer; refused beyond int32 indexing. */
export function denseSize(name: string, rows: number, cols: number): number {
  const size = rows * cols;
  if (size > INT32_MAX) {
    fail('ERR_RANGE', `${name} would have ${rows}x${cols} = ${size} elements, more than int32 indexing allows (${INT32_MAX})`);
  }
  return size;
}

/**
 * An options object: undefined is {}, anything but a plain object is ERR_ARGUMENT, and a key not in `allowed` is
 * ERR_UNSUPPORTED (a misspelt option must not be silently ignored).
 */
export function options<T extends object>(name: string, value: unknown, allowed: readonly (keyof T & string)[]): Partial<T> {
  if (value === undefined) return {};
  if (value === null || typeof value !== 'object' || Array.isArray(value) || ArrayBuffer.isView(value)) {
    expected('ERR_ARGUMENT', 'an options object', name, value);
  }
  for (const key of Object.keys(value)) {
    if (!(allowed as readonly string[]).includes(key)) {
      fail('ERR_UNSUPPORTED', `Unknown option '${key}' in ${name}; supported: ${allowed.join(', ') || 'none'}`);
    }
  }
  return value as Partial<T>;
}

/** One of a fixed set of string options (undefined gives `fallback`); anything else is ERR_UNSUPPORTED. */
export function oneOf<T extends string>(name: string, value: unknown, allowed: readonly T[], fallback: T): T {
  if (value === undefined) return fallback;
  if ((allowed as readonly unknown[]).includes(value)) return value as T;
  const quoted = allowed.map((a) => `'${a}'`);
  const list = quoted.length > 1 ? `${quoted.slice(0, -1).join(', ')} or ${quoted[quoted.length - 1]}` : quoted[0];
  return fail('ERR_UNSUPPORTED', `Expected ${list} for ${name} but received ${describe(value)}`);
}

export function boolean(name: string, value: unknown): boolean {
  if (typeof value !== 'boolean') expected('ERR_ARGUMENT', 'a boolean', name, value);
  return value;
}

export function instanceOf<T>(name: string, value: unknown, cls: { prototype: T; name: string }): T {
  if (!(value instanceof (cls as unknown as new () => T))) expected('ERR_ARGUMENT', `a ${cls.name}`, name, value);
  return value;
}

export interface DenseLike {
  data: Float32Array;
  rows: number;
  cols: number;
}

/** A DenseMatrix-shaped object: {data: Float32Array, rows, cols} with data.length === rows * cols. */
export function dense(name: string, value: unknown, rows?: number, cols?: number): DenseLike {
  if (value === null || typeof value !== 'object') expected('ERR_ARGUMENT', 'a DenseMatrix {data, rows, cols}', name, value);
  const m = value as Partial<DenseLike>;
  const r = dimension(`${name}.rows`, m.rows);
  const c = dimension(`${name}.cols`, m.cols);
  float32Array(`${name}.data`, m.data, denseSize(name, r, c));
  if (rows !== undefined && r !== rows) fail('ERR_SHAPE', `Expected ${name}.rows to be ${rows} but received ${r}`);
  if (cols !== undefined && c !== cols) fail('ERR_SHAPE', `Expected ${name}.cols to be ${cols} but received ${c}`);
  return m as DenseLike;
}

/** Throws ERR_ARGUMENT when two views share bytes (an output may not alias an input). */
export function disjoint(outName: string, out: ArrayBufferView, inName: string, input: ArrayBufferView): void {
  if (out.buffer !== input.buffer || out.byteLength === 0 || input.byteLength === 0) return;
  const a0 = out.byteOffset, a1 = a0 + out.byteLength;
  const b0 = input.byteOffset, b1 = b0 + input.byteLength;
  if (a0 < b1 && b0 < a1) fail('ERR_ARGUMENT', `${outName} must not share memory with ${inName}`);
}

/** A non-empty file path. */
export function filePath(name: string, value: unknown): string {
  if (typeof value !== 'string' || value.length === 0) expected('ERR_ARGUMENT', 'a file path', name, value);
  return value as string;
}

/** Rows of a compressed format: a dimension whose indptr (rows + 1 entries) int32 can still index. */
export function indptrRows(name: string, rows: unknown): number {
  const r = dimension(name, rows);
  if (r === INT32_MAX) fail('ERR_RANGE', `${name} must be below ${INT32_MAX} (indptr has rows + 1 entries)`);
  return r;
}

/**
 * Full CSR check: lengths, indptr[0] = 0, indptr non-decreasing and ending at nnz, every column index in
 * [0, cols), and indices strictly increasing within a row (sorted, no duplicates). O(rows + nnz).
 */
export function csr(name: string, rows: number, cols: number, indptr: unknown, indices: unknown, values: unknown): void {
  indptrRows(`${name}.rows`, rows);
  dimension(`${name}.cols`, cols);
  const ip = int32Array(`${name}.indptr`, indptr, rows + 1);
  const ix = int32Array(`${name}.indices`, indices);
  const vs = float32Array(`${name}.values`, values);
  if (vs.length !== ix.length) {
    fail('ERR_SHAPE', `Expected ${name}.values to have the length of ${name}.indices (${ix.length}) but received ${describe(vs)}`);
  }
  csrStructure(name, rows, cols, ip, ix);
}

/** COO triplets: equal lengths and every index in range (order and duplicates are allowed). */
export function coo(name: string, rows: number, cols: number, rowIndices: unknown, colIndices: unknown, values: unknown): void {
  dimension(`${name}.rows`, rows);
  dimension(`${name}.cols`, cols);
  const ri = int32Array(`${name}.rowIndices`, rowIndices);
  const ci = int32Array(`${name}.colIndices`, colIndices, ri.length);
  float32Array(`${name}.values`, values, ri.length);
  for (let k = 0; k < ri.length; k++) {
    if (ri[k] < 0 || ri[k] >= rows) fail('ERR_RANGE', `${name}.rowIndices[${k}] = ${ri[k]} is out of range for ${rows} rows`);
    if (ci[k] < 0 || ci[k] >= cols) fail('ERR_RANGE', `${name}.colIndices[${k}] = ${ci[k]} is out of range for ${cols} columns`);
  }
}

/** A probability-like fraction in [0, 1]. */
export function fraction(name: string, value: unknown): number {
  const v = finite(name, value);
  if (v < 0 || v > 1) expected('ERR_RANGE', 'a number in [0, 1]', name, value);
  return v;
}

/** A block shape [r, c] of positive integers (at most 64 each). */
export function blockShape(name: string, value: unknown): [number, number] {
  if (!Array.isArray(value) || value.length !== 2) expected('ERR_ARGUMENT', 'a block shape [rows, cols]', name, value);
  return [integer(`${name}[0]`, value[0], 1, 64), integer(`${name}[1]`, value[1], 1, 64)];
}

/** N:M parameters: 1 <= n <= m <= 255 (positions are stored as uint8). */
export function nmShape(name: string, n: unknown, m: unknown): [number, number] {
  const mm = integer(`${name}.m`, m, 1, 255);
  const nn = integer(`${name}.n`, n, 1, mm);
  return [nn, mm];
}

export function uint8Array(name: string, value: unknown, length?: number): Uint8Array {
  if (!(value instanceof Uint8Array)) expected('ERR_DTYPE', 'a Uint8Array', name, value);
  if (length !== undefined && value.length !== length) expected('ERR_SHAPE', `length ${length}`, name, value);
  return value;
}

/**
 * Block-CSR structure: indptr over block rows, block column indices in range and strictly increasing per block row,
 * values of nblocks * r * c, and zeros in the padding of edge blocks (entries past rows or cols).
 */
export function bsr(name: string, rows: number, cols: number, block: [number, number], indptr: unknown, indices: unknown, values: unknown): void {
  dimension(`${name}.rows`, rows);
  dimension(`${name}.cols`, cols);
  const [r, c] = blockShape(`${name}.block`, block);
  const br = Math.ceil(rows / r), bc = Math.ceil(cols / c);
  csrStructure(name, br, bc, indptr, indices, 'block column');
  const ix = indices as Int32Array, ip = indptr as Int32Array;
  const vs = float32Array(`${name}.values`, values, ix.length * r * c);
  if (rows % r === 0 && cols % c === 0) return;
  for (let i = 0; i < br; i++) {
    for (let k = ip[i]; k < ip[i + 1]; k++) {
      for (let a = 0; a < r; a++) {
        for (let b = 0; b < c; b++) {
          if ((i * r + a >= rows || ix[k] * c + b >= cols) && vs[(k * r + a) * c + b] !== 0) {
            fail('ERR_FORMAT', `${name}.values: block ${k} has a non-zero at padding position (${a}, ${b}) outside the ${rows}x${cols} matrix`);
          }
        }
      }
    }
  }
}

/** The indptr/indices part of a CSR-like structure over `rows` x `cols` (used by csr and bsr). */
function csrStructure(name: string, rows: number, cols: number, indptr: unknown, indices: unknown, what = 'column'): void {
  const ip = int32Array(`${name}.indptr`, indptr, rows + 1);
  const ix = int32Array(`${name}.indices`, indices);
  if (ip[0] !== 0) fail('ERR_FORMAT', `Expected ${name}.indptr[0] to be 0 but received ${ip[0]}`);
  for (let i = 0; i < rows; i++) {
    if (ip[i + 1] < ip[i]) fail('ERR_FORMAT', `${name}.indptr decreases at row ${i}: indptr[${i}] = ${ip[i]}, indptr[${i + 1}] = ${ip[i + 1]}`);
    if (ip[i + 1] > ix.length) fail('ERR_FORMAT', `${name}.indptr[${i + 1}] = ${ip[i + 1]} points past the end of ${name}.indices (length ${ix.length})`);
  }
  if (ip[rows] !== ix.length) {
    fail('ERR_FORMAT', `Expected ${name}.indptr[${rows}] (nnz) to equal the length of ${name}.indices (${ix.length}) but received ${ip[rows]}`);
  }
  for (let i = 0; i < rows; i++) {
    let prev = -1;
    for (let k = ip[i]; k < ip[i + 1]; k++) {
      const j = ix[k];
      if (j < 0 || j >= cols) fail('ERR_RANGE', `${name}.indices[${k}] = ${j} is out of range for ${cols} ${what}s (row ${i})`);
      if (j <= prev) {
        fail('ERR_FORMAT', `${name}.indices in row ${i} must be strictly increasing (sorted, no duplicates): indices[${k - 1}] = ${prev}, indices[${k}] = ${j}`);
      }
      prev = j;
    }
  }
}

/**
 * N:M structure: for every row and group of m columns, n slots whose positions are strictly increasing in [0, m);
 * a slot whose column falls past `cols` (the last, partial group) must hold 0.
 */
export function nm(name: string, rows: number, cols: number, n: number, m: number, values: unknown, positions: unknown): void {
  dimension(`${name}.rows`, rows);
  dimension(`${name}.cols`, cols);
  nmShape(name, n, m);
  const groups = Math.ceil(cols / m);
  const size = rows * groups * n;
  if (size > INT32_MAX) fail('ERR_RANGE', `${name} would store ${size} values, more than int32 indexing allows`);
  const vs = float32Array(`${name}.values`, values, size);
  const ps = uint8Array(`${name}.positions`, positions, size);
  for (let i = 0; i < rows; i++) {
    for (let g = 0; g < groups; g++) {
      const base = (i * groups + g) * n;
      for (let s = 0; s < n; s++) {
        const p = ps[base + s];
        if (p >= m) fail('ERR_RANGE', `${name}.positions[${base + s}] = ${p} must be below m = ${m} (row ${i}, group ${g})`);
        if (s > 0 && p <= ps[base + s - 1]) {
          fail('ERR_FORMAT', `${name}.positions in row ${i}, group ${g} must be strictly increasing: ${ps[base + s - 1]}, ${p}`);
        }
        if (g * m + p >= cols && vs[base + s] !== 0) {
          fail('ERR_FORMAT', `${name}.values[${base + s}] is a non-zero at column ${g * m + p}, past the ${cols} columns (padding must be 0)`);
        }
      }
    }
  }
}
