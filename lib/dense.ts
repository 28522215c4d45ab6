import * as v from './validate';

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
  if (data === undefined) return { data: new Float32Array(size), rows, cols };
  return { data: v.float32Array('data', data, size), rows, cols };
}
