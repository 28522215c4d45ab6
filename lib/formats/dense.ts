import { addon } from '../core/binding';
import * as v from '../core/validate';

/** A dense row-major float32 matrix. `data.length === rows * cols`; a view with a byteOffset is fine. */
export interface DenseMatrix {
  data: Float32Array;
  rows: number;
  cols: number;
}

/**
 * Makes a DenseMatrix. With `data`, it is used as is (not copied) and must have rows * cols elements; without, a
 * zero-filled one is allocated.
 */
export function denseMatrix(rows: number, cols: number, data?: Float32Array): DenseMatrix {
  v.dimension('rows', rows);
  v.dimension('cols', cols);
  const size = v.denseSize('denseMatrix', rows, cols);
  if (data === undefined) return { data: alignedFloat32Array(size), rows, cols };
  return { data: v.float32Array('data', data, size), rows, cols };
}

/** @internal The transpose of a row-major rows x cols matrix, as a new cols x rows one (native, tiled). */
export function transposeOf(m: DenseMatrix): DenseMatrix {
  const out = denseMatrix(m.cols, m.rows);
  addon.transpose(m.data, m.rows, m.cols, out.data);
  return out;
}

/**
 * A zero-filled Float32Array whose first element sits on a 64-byte (cache-line) boundary. V8 places new buffers 16
 * bytes past a line, which makes every vector load of a row straddle two lines: SpMM with a 64-byte-aligned B
 * measured about 1.4x faster (README, Performance). The library allocates its dense outputs this way; use it for
 * your own operands too. Costs 64 spare bytes.
 */
export function alignedFloat32Array(length: number): Float32Array {
  v.integer('length', length, 0, v.INT32_MAX);
  let buffer: ArrayBuffer;
  try {
    buffer = new ArrayBuffer(length * 4 + 64);
  } catch (e) {
    // V8's RangeError "Array buffer allocation failed": out of memory is a SparseError like every other failure.
    return v.fail('ERR_RANGE', `Could not allocate ${length} floats (${length * 4 + 64} bytes): ${(e as Error).message}`);
  }
  return new Float32Array(buffer, addon.alignmentOffset(buffer), length);
}
