/**
 * The sparse layouts of compressed-tensors (Neural Magic / vLLM), which pruned Hugging Face checkpoints use, read
 * straight into CSR and N:M and written back, without a dense intermediate:
 *
 *   "sparse-bitmask"     per weight W (e.g. `model.layers.0.mlp.down_proj.weight`): `W.shape` (I64 [2]),
 *                        `W.compressed` (the non-zeros in row-major order, 1-D), `W.bitmask` (U8 [rows, ceil(cols/8)],
 *                        bit j%8 of byte j/8 of a row set where column j is stored: numpy.packbits bitorder "little")
 *                        and `W.row_offsets` (I64 [rows], where each row starts in `compressed`)  ->  CSRMatrix
 *   "sparse-24-bitmask"  per weight `P.weight`: `P.shape` (I64 [2, 1]), `P.compressed` ([rows, cols/2], the two kept
 *                        values of every group of 4 in row-major order), `P.bitmask` (as above, two bits per group)
 *                                                                                              ->  NMMatrix 2:4
 * The values may be F32, F16, BF16 or F64 (converted to float32 as importSafetensors() does). Every other tensor
 * comes back as imported. Inconsistent structure (a bitmask whose popcount disagrees with the values or the row
 * offsets, stray bits past the last column, a 2:4 group without exactly two bits) is ERR_FORMAT naming the tensor.
 */
import * as v from '../core/validate';
import { CSRMatrix, DenseMatrix, formatOf, NMMatrix } from '../formats';
import { ExportTensor, exportSafetensors, exportSafetensorsFile } from './export-safetensors';
import { ImportedTensor, importSafetensors, importSafetensorsFile, ImportOptions } from './import-safetensors';

export type CompressedTensorsFormat = 'sparse-bitmask' | 'sparse-24-bitmask';
export type CompressedWeight = CSRMatrix | NMMatrix | ImportedTensor;

export interface ExportCompressedOptions {
  /**
   * 'auto' (default): 2:4 NMMatrix weights as sparse-24-bitmask, every other sparse weight as sparse-bitmask;
   * 'sparse-bitmask': every sparse weight as sparse-bitmask.
   */
  format?: 'auto' | 'sparse-bitmask';
  /** String metadata for the file (default {format: 'pt'}, as PyTorch writes). */
  metadata?: Record<string, string>;
}

const POPCOUNT = Uint8Array.from({ length: 256 }, (_, b) => {
  let c = 0;
  for (let x = b; x; x >>= 1) c += x & 1;
  return c;
});

function fail(code: 'ERR_FORMAT' | 'ERR_SHAPE' | 'ERR_DTYPE', weight: string, message: string): never {
  return v.fail(code, `compressed-tensors weight '${weight}': ${message}`);
}

function part(t: Record<string, ImportedTensor>, name: string, weight: string): ImportedTensor {
  const p = Object.prototype.hasOwnProperty.call(t, name) ? t[name] : undefined;
  if (!p) fail('ERR_FORMAT', weight, `'${name}' is missing`);
  return p;
}

function denseShape(t: ImportedTensor, weight: string, name: string): [number, number] {
  if (t.dtype !== 'I64' && t.dtype !== 'I32') fail('ERR_DTYPE', weight, `'${name}' is ${t.dtype}, expected I64`);
  if (t.data.length !== 2) fail('ERR_SHAPE', weight, `'${name}' holds ${t.data.length} values, expected the 2 of a 2-D shape`);
  const [rows, cols] = t.data;
  if (rows < 0 || cols < 0) fail('ERR_FORMAT', weight, `'${name}' is [${rows}, ${cols}]`);
  if (rows * cols > v.INT32_MAX) v.fail('ERR_RANGE', `compressed-tensors weight '${weight}': ${rows}x${cols} is beyond int32 indexing`);
  return [rows, cols];
}

function floatValues(t: ImportedTensor, weight: string, name: string): Float32Array {
  if (!(t.data instanceof Float32Array)) fail('ERR_DTYPE', weight, `'${name}' is ${t.dtype}, expected a float dtype`);
  return t.data;
}

/** The bitmask checked against the dense shape: U8 [rows, ceil(cols/8)], no bit set past the last column. */
function bitmask(t: ImportedTensor, rows: number, cols: number, weight: string, name: string): { bits: Uint8Array; stride: number } {
  const stride = Math.ceil(cols / 8);
  if (t.dtype !== 'U8' && t.dtype !== 'I8' && t.dtype !== 'BOOL') fail('ERR_DTYPE', weight, `'${name}' is ${t.dtype}, expected U8`);
  if (t.shape.length !== 2 || t.shape[0] !== rows || t.shape[1] !== stride) {
    fail('ERR_SHAPE', weight, `'${name}' has shape [${t.shape.join(', ')}], expected [${rows}, ${stride}] for a ${rows}x${cols} weight`);
  }
  const bits = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
  const tail = cols % 8;
  if (tail) {
    const stray = 0xff & ~((1 << tail) - 1);
    for (let r = 0; r < rows; r++) {
      if (bits[r * stride + stride - 1] & stray) fail('ERR_FORMAT', weight, `'${name}' row ${r} has bits set past column ${cols - 1}`);
    }
  }
  return { bits, stride };
}

/** CSR from a bitmask and the values in row-major order (sparse-bitmask, or 2:4 whose groups straddle rows). */
function csrFromBitmask(rows: number, cols: number, bits: Uint8Array, stride: number, values: Float32Array, rowOffsets: ArrayLike<number> | null, weight: string, prefix: string): CSRMatrix {
  const indptr = new Int32Array(rows + 1);
  for (let r = 0; r < rows; r++) {
    let c = 0;
    for (let b = r * stride, end = b + stride; b < end; b++) c += POPCOUNT[bits[b]];
    if (rowOffsets && rowOffsets[r] !== indptr[r]) {
      fail('ERR_FORMAT', weight, `'${prefix}.row_offsets'[${r}] is ${rowOffsets[r]} but the bitmask puts row ${r} at ${indptr[r]}`);
    }
    indptr[r + 1] = indptr[r] + c;
  }
  if (indptr[rows] !== values.length) {
    fail('ERR_FORMAT', weight, `the bitmask's popcount is ${indptr[rows]} but '${prefix}.compressed' holds ${values.length} values`);
  }
  const indices = new Int32Array(values.length);
  let k = 0;
  for (let r = 0; r < rows; r++) {
    for (let b = 0; b < stride; b++) {
      let byte = bits[r * stride + b];
      while (byte) {
        const low = byte & -byte;
        indices[k++] = b * 8 + 31 - Math.clz32(low);
        byte ^= low;
      }
    }
  }
  return CSRMatrix.trusted(rows, cols, indptr, indices, values);
}

/**
 * Assembles the compressed weights among imported tensors (importSafetensors' result): each sparse-bitmask group
 * becomes a CSRMatrix named as the weight, each sparse-24-bitmask group an NMMatrix 2:4 named `P.weight`; the other
 * tensors are passed through. The values arrays are used as they are (views, no copy).
 */
export function fromCompressedTensors(tensors: Record<string, ImportedTensor>): Record<string, CompressedWeight> {
  if (tensors === null || typeof tensors !== 'object') v.fail('ERR_ARGUMENT', `Expected imported tensors but received ${v.describe(tensors)}`);
  const out: Record<string, CompressedWeight> = {};
  const used = new Set<string>();
  const put = (name: string, w: CompressedWeight) => Object.defineProperty(out, name, { value: w, enumerable: true, writable: true, configurable: true });
  for (const name of Object.keys(tensors)) {
    if (!name.endsWith('.bitmask')) continue;
    const prefix = name.slice(0, -'.bitmask'.length);
    const names = ['shape', 'compressed', 'bitmask', 'row_offsets'].map((k) => `${prefix}.${k}`);
    const hasOffsets = Object.prototype.hasOwnProperty.call(tensors, names[3]);
    const weight = hasOffsets ? prefix : `${prefix}.weight`;
    const [rows, cols] = denseShape(part(tensors, names[0], weight), weight, names[0]);
    const values = floatValues(part(tensors, names[1], weight), weight, names[1]);
    const { bits, stride } = bitmask(part(tensors, names[2], weight), rows, cols, weight, names[2]);
    if (hasOffsets) {
      const offsets = part(tensors, names[3], weight);
      if (offsets.data.length !== rows || offsets.data instanceof Float32Array) {
        fail('ERR_SHAPE', weight, `'${names[3]}' holds ${offsets.data.length} ${offsets.dtype} values, expected ${rows} integers`);
      }
      put(weight, csrFromBitmask(rows, cols, bits, stride, values, offsets.data, weight, prefix));
    } else {
      const compressed = tensors[names[1]];
      if ((rows * cols) % 4 !== 0 || values.length * 2 !== rows * cols || (compressed.shape.length === 2 && (compressed.shape[0] !== rows || compressed.shape[1] * 2 !== cols))) {
        fail('ERR_SHAPE', weight, `'${names[1]}' has shape [${compressed.shape.join(', ')}], expected [${rows}, ${cols / 2}] for 2:4`);
      }
      // Every group of 4 (row-major over the whole tensor, as get_24_bytemasks takes them) holds exactly 2 bits.
      for (let r = 0; r < rows; r++) {
        for (let g = 0; g < cols; g += 4) {
          if (cols % 4 !== 0) break;
          let c = 0;
          for (let j = g; j < g + 4; j++) c += (bits[r * stride + (j >> 3)] >> (j & 7)) & 1;
          if (c !== 2) fail('ERR_FORMAT', weight, `the 2:4 group at row ${r}, columns ${g}-${g + 3} has ${c} bits set in '${names[2]}', expected 2`);
        }
      }
      if (cols % 4 !== 0) {
        // Groups that straddle rows are not an N:M structure per row: the exact content as CSR.
        put(weight, csrFromBitmask(rows, cols, bits, stride, values, null, weight, prefix));
      } else {
        const positions = new Uint8Array(values.length);
        let k = 0;
        for (let r = 0; r < rows; r++) {
          for (let j = 0; j < cols; j++) if ((bits[r * stride + (j >> 3)] >> (j & 7)) & 1) positions[k++] = j & 3;
        }
        put(weight, NMMatrix.fromArrays(rows, cols, { n: 2, m: 4 }, values, positions));
      }
    }
    for (const n of names) used.add(n);
  }
  for (const [name, t] of Object.entries(tensors)) if (!used.has(name) && !Object.prototype.hasOwnProperty.call(out, name)) put(name, t);
  return out;
}

/** fromCompressedTensors(importSafetensorsFile(file, opts)): a compressed-tensors checkpoint file. */
export function importCompressedTensorsFile(file: string, opts?: ImportOptions): Record<string, CompressedWeight> {
  return fromCompressedTensors(importSafetensorsFile(file, opts));
}

/** fromCompressedTensors(importSafetensors(bytes, opts)). */
export function importCompressedTensors(bytes: Uint8Array, opts?: ImportOptions): Record<string, CompressedWeight> {
  return fromCompressedTensors(importSafetensors(bytes, opts));
}

function packRows(rows: number, cols: number, each: (r: number, set: (col: number) => void) => void): Uint8Array {
  const stride = Math.ceil(cols / 8);
  const bits = new Uint8Array(rows * stride);
  for (let r = 0; r < rows; r++) each(r, (c) => (bits[r * stride + (c >> 3)] |= 1 << (c & 7)));
  return bits;
}

/**
 * The tensors of a compressed-tensors checkpoint for `weights`: each CSRMatrix (and each N:M matrix other than 2:4,
 * through its CSR) as sparse-bitmask, each 2:4 NMMatrix whose columns are a multiple of 4 as sparse-24-bitmask
 * (format 'auto'), dense matrices and arrays as plain tensors. The result goes to exportSafetensors().
 */
export function toCompressedTensors(
  weights: Record<string, CSRMatrix | NMMatrix | DenseMatrix | ExportTensor>,
  opts?: Pick<ExportCompressedOptions, 'format'>,
): Record<string, ExportTensor> {
  if (weights === null || typeof weights !== 'object') v.fail('ERR_ARGUMENT', `Expected an object of named weights but received ${v.describe(weights)}`);
  const o = v.options<ExportCompressedOptions>('options', opts, ['format']);
  const format = o.format ?? 'auto';
  if (format !== 'auto' && format !== 'sparse-bitmask') v.fail('ERR_UNSUPPORTED', `options.format must be 'auto' or 'sparse-bitmask'; received ${v.describe(format)}`);
  const out: Record<string, ExportTensor> = {};
  const put = (name: string, t: ExportTensor) => {
    if (Object.prototype.hasOwnProperty.call(out, name)) v.fail('ERR_ARGUMENT', `Two weights would both write the tensor '${name}'`);
    Object.defineProperty(out, name, { value: t, enumerable: true, writable: true, configurable: true });
  };
  for (const [name, w] of Object.entries(weights)) {
    if (w instanceof NMMatrix && w.n === 2 && w.m === 4 && w.cols % 4 === 0 && format === 'auto') {
      const prefix = name.endsWith('.weight') ? name.slice(0, -'.weight'.length) : name;
      put(`${prefix}.shape`, { data: Int32Array.of(w.rows, w.cols), shape: [2, 1], dtype: 'I64' });
      put(`${prefix}.compressed`, { data: w.values, shape: [w.rows, w.cols / 2] });
      const groups = w.cols / 4;
      put(`${prefix}.bitmask`, { data: packRows(w.rows, w.cols, (r, set) => {
        for (let g = 0; g < groups; g++) for (let s = 0; s < 2; s++) set(g * 4 + w.positions[(r * groups + g) * 2 + s]);
      }), shape: [w.rows, Math.ceil(w.cols / 8)] });
    } else if (w instanceof CSRMatrix || w instanceof NMMatrix) {
      const A = w instanceof CSRMatrix ? w : w.toCSR();
      put(`${name}.shape`, { data: Int32Array.of(A.rows, A.cols), shape: [2], dtype: 'I64' });
      put(`${name}.compressed`, { data: A.values, shape: [A.nnz] });
      put(`${name}.bitmask`, { data: packRows(A.rows, A.cols, (r, set) => {
        for (let k = A.indptr[r]; k < A.indptr[r + 1]; k++) set(A.indices[k]);
      }), shape: [A.rows, Math.ceil(A.cols / 8)] });
      put(`${name}.row_offsets`, { data: A.indptr.subarray(0, A.rows), shape: [A.rows], dtype: 'I64' });
    } else if (formatOf(w)) {
      v.fail('ERR_UNSUPPORTED', `weights['${name}'] is a ${formatOf(w)!.tag} matrix; compressed-tensors takes CSR, N:M and dense (convert with toCSR())`);
    } else if (w && typeof w === 'object' && (w as DenseMatrix).data instanceof Float32Array && 'rows' in w && 'cols' in w) {
      const d = w as DenseMatrix;
      v.dense(`weights['${name}']`, d);
      put(name, { data: d.data, shape: [d.rows, d.cols] });
    } else {
      put(name, w as ExportTensor);
    }
  }
  return out;
}

/** A compressed-tensors checkpoint as bytes (toCompressedTensors, then exportSafetensors). */
export function exportCompressedTensors(weights: Parameters<typeof toCompressedTensors>[0], opts?: ExportCompressedOptions): Uint8Array {
  const o = v.options<ExportCompressedOptions>('options', opts, ['format', 'metadata']);
  return exportSafetensors(toCompressedTensors(weights, { format: o.format }), o.metadata ?? { format: 'pt' });
}

/** exportCompressedTensors() to a file, atomically. */
export function exportCompressedTensorsFile(file: string, weights: Parameters<typeof toCompressedTensors>[0], opts?: ExportCompressedOptions): void {
  const o = v.options<ExportCompressedOptions>('options', opts, ['format', 'metadata']);
  exportSafetensorsFile(file, toCompressedTensors(weights, { format: o.format }), o.metadata ?? { format: 'pt' });
}
