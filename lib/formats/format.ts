/**
 * What every sparse format is and offers, and the registry that finds a format by its tag. Code above this layer
 * asks the registry (formatOf, formatSpec) instead of testing `instanceof` against each class in turn, so adding a
 * format is one file in lib/formats/ (ending in its registerFormat call) plus one export line in formats/index.ts;
 * the kernels that take it live in lib/kernels/.
 */
import * as v from '../core/validate';
import type { DenseMatrix } from './dense';

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** A sparse matrix of some format: its tag, shape, stored entries and the two conversions every format has. */
export interface SparseFormat {
  /** The registry tag ('csr', 'coo', 'bsr', 'nm', 'mask', ...). */
  readonly format: string;
  readonly rows: number;
  readonly cols: number;
  /** Stored entries (explicit zeros count; for a Mask, the set bits). */
  readonly nnz: number;
  /** A new dense row-major copy. */
  toDense(): DenseMatrix;
  /** The entries as CSR, the hub format every other converts through. */
  toCSR(): SparseFormat;
}

/** One array of a format as a container stores it: `<name>.<key>` with a dtype and a shape. */
export interface StoredPart {
  key: string;
  dtype: 'F32' | 'I32' | 'U8';
  shape: number[];
  data: Float32Array | Int32Array | Uint8Array;
}

/** How a container (lib/io/safetensors.ts) stores a format and rebuilds it, validated. */
export interface FormatCodec<T extends SparseFormat> {
  /** The arrays to store, and the small attributes (block shape, n and m) recorded next to the shape. */
  encode(t: T): { parts: StoredPart[]; attrs: Record<string, JsonValue> };
  /** Rebuilds from the stored shape, attributes and arrays (`part(key, dtype)` returns one), with full validation. */
  decode(shape: [number, number], attrs: Record<string, unknown>, part: (key: string, dtype: StoredPart['dtype']) => StoredPart['data']): T;
}

/** A registered format. */
export interface FormatSpec<T extends SparseFormat = SparseFormat> {
  readonly tag: string;
  /** Its class: membership is `instanceof` this class, so a plain object with a forged tag is not taken for it. */
  readonly type: { prototype: T; name: string };
  /** The typed arrays it holds, named as error messages name them (aliasing checks of kernels' outputs). */
  arrays(t: T): [string, ArrayBufferView][];
  /** Positions pruning kept: stored entries that are not padding (a BSR block's explicit zeros are not kept). */
  kept(t: T): number;
  readonly codec: FormatCodec<T>;
  /** Lossless conversion from CSR, for formats that have one without options (COO). */
  fromCSR?(A: SparseFormat): T;
  /**
   * Rebuilds one from its fields as structured cloning delivers them (a plain object with the same own properties:
   * fromShared). `full`: the whole structure is validated, O(nnz); otherwise shapes, kinds and lengths only, O(1),
   * which is what memory safety needs: the native kernels re-check every index they follow.
   */
  revive(x: Record<string, unknown>, full: boolean): T;
}

/** Stored entries over rows * cols (0 for an empty shape). */
export function densityOf(stored: number, rows: number, cols: number): number {
  const size = rows * cols;
  return size === 0 ? 0 : stored / size;
}

const registry = new Map<string, FormatSpec>();

/** Adds a format; its tag must be new. Called once at the end of each format's module. */
export function registerFormat<T extends SparseFormat>(spec: FormatSpec<T>): void {
  if (registry.has(spec.tag)) v.fail('ERR_ARGUMENT', `A format with tag '${spec.tag}' is already registered`);
  registry.set(spec.tag, spec as unknown as FormatSpec);
}

/** The spec of a registered format object, or undefined for anything else (dense matrices, arrays, plain objects). */
export function formatOf(x: unknown): FormatSpec | undefined {
  if (x === null || typeof x !== 'object') return undefined;
  const spec = registry.get((x as { format?: unknown }).format as string);
  return spec && x instanceof (spec.type as unknown as abstract new () => unknown) ? spec : undefined;
}

/** The spec registered under `tag` (ERR_UNSUPPORTED when there is none). */
export function formatSpec<T extends SparseFormat = SparseFormat>(tag: string): FormatSpec<T> {
  const spec = registry.get(tag);
  if (!spec) return v.fail('ERR_UNSUPPORTED', `Unknown sparse format '${tag}'; known: ${[...registry.keys()].join(', ')}`);
  return spec as unknown as FormatSpec<T>;
}

/** Whether x is a registered format object of one of these tags. */
export function isFormat(x: unknown, ...tags: string[]): boolean {
  const spec = formatOf(x);
  return spec !== undefined && tags.includes(spec.tag);
}

/** Tags of every registered format, in registration order. */
export function formatTags(): string[] {
  return [...registry.keys()];
}
