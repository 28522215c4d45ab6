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

/**
 * Full CSR check: lengths, indptr[0] = 0, indptr non-decreasing and ending at nnz, every column index in
 * [0, cols), and indices strictly increasing within a row (sorted, no duplicates). O(rows + nnz).
 */
export function csr(name: string, rows: number, cols: number, indptr: unknown, indices: unknown, values: unknown): void {
  dimension(`${name}.rows`, rows);
  dimension(`${name}.cols`, cols);
  if (rows === INT32_MAX) fail('ERR_RANGE', `${name}.rows must be below ${INT32_MAX} (indptr has rows + 1 entries)`);
  const ip = int32Array(`${name}.indptr`, indptr, rows + 1);
  const ix = int32Array(`${name}.indices`, indices);
  const vs = float32Array(`${name}.values`, values);
  if (vs.length !== ix.length) {
    fail('ERR_SHAPE', `Expected ${name}.values to have the length of ${name}.indices (${ix.length}) but received ${describe(vs)}`);
  }
  if (ip[0] !== 0) fail('ERR_FORMAT', `Expected ${name}.indptr[0] to be 0 but received ${ip[0]}`);
  for (let i = 0; i < rows; i++) {
    if (ip[i + 1] < ip[i]) {
      fail('ERR_FORMAT', `${name}.indptr decreases at row ${i}: indptr[${i}] = ${ip[i]}, indptr[${i + 1}] = ${ip[i + 1]}`);
    }
    if (ip[i + 1] > ix.length) {
      fail('ERR_FORMAT', `${name}.indptr[${i + 1}] = ${ip[i + 1]} points past the end of ${name}.indices (length ${ix.length})`);
    }
  }
  if (ip[rows] !== ix.length) {
    fail('ERR_FORMAT', `Expected ${name}.indptr[${rows}] (nnz) to equal the length of ${name}.indices (${ix.length}) but received ${ip[rows]}`);
  }
  for (let i = 0; i < rows; i++) {
    let prev = -1;
    for (let k = ip[i]; k < ip[i + 1]; k++) {
      const c = ix[k];
      if (c < 0 || c >= cols) fail('ERR_RANGE', `${name}.indices[${k}] = ${c} is out of range for ${cols} columns (row ${i})`);
      if (c <= prev) {
        fail('ERR_FORMAT', `${name}.indices in row ${i} must be strictly increasing (sorted, no duplicates): ` +
          `indices[${k - 1}] = ${prev}, indices[${k}] = ${c}`);
      }
      prev = c;
    }
  }
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
